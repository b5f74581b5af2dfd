"""The engine's inputs and outputs (dataclasses, never mutated once built) and the errors it raises.

The dataclasses built per certification or per completion (a sweep builds an evaluation and its cycles for each
certification, and an engine completion for each of its ~15 completions) define their own `__init__`: the one
`@dataclass` would generate, field for field (tests/rules/test_engine_types.py checks it). Compiled by mypyc it
stores the fields natively (`object.__setattr__(self, "name", ...)`, a frozen dataclass's way to set a field,
compiles to a plain store), where the generated one is interpreted Python that compiled code reached through
the type's `tp_init`: constructing a 4-field frozen dataclass took ~1.5 µs that way and ~0.2 µs natively, and
the 28-field `Evaluation` more (bench/README.md, "Issue 23, item 5").
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Literal, NamedTuple

from app.rules.document import RuleSet
from app.rules.engine.compiled import _Compiled

Status = Literal["in_progress", "due_soon", "compliant", "overdue", "lapsed", "suspended", "revoked", "inactive"]
Outcome = Literal["counted", "partly_counted", "not_counted"]
BoardActionKind = Literal["suspend", "revoke", "inactivate", "reinstate"]  # the board actions the engine reads


# --- errors -------------------------------------------------------------------------------


class RuleError(Exception):
    """The inputs cannot be evaluated with these rules."""


class NoRuleVersions(RuleError):
    """No rule version was given."""


class CredentialMismatch(RuleError):
    """A rule version belongs to another credential than the certification."""


class UnknownVersion(RuleError):
    """The certification is pinned to a version that was not given."""


class MissingFact(RuleError):
    """The rules need a fact about the certification that it lacks."""

    def __init__(self, fact: str) -> None:
        super().__init__(f"the rules need the certification's {fact}, which is not recorded")
        self.fact = fact


class InvalidFact(RuleError):
    """A fact about the certification is impossible (e.g. birthday 2/30)."""


# --- inputs -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RuleVersion:
    """One stored version of a rule set; compiled for the engine when built."""

    version: int
    effective_from: date
    rules: RuleSet
    compiled: _Compiled = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "compiled", _Compiled(self.rules))


@dataclass(frozen=True, slots=True)
class Approval:
    """A board's approval of a course for one credential, bounded by dates."""

    credential_code: str
    categories: frozenset[str] = frozenset()
    hours: Decimal | None = None
    valid_from: date | None = None
    valid_until: date | None = None
    withdrawn_on: date | None = None


@dataclass(slots=True)  # not frozen: built by the ten thousand per sweep batch; never mutated
class Completion:
    """One completion of a course by the certification's holder."""

    id: int
    course_key: str
    completed_on: date
    hours: Decimal
    modality: str
    accepted: bool
    title: str = ""
    topics: frozenset[str] = frozenset()
    approvals: tuple[Approval, ...] = ()

    def __init__(
        self,
        id: int,
        course_key: str,
        completed_on: date,
        hours: Decimal,
        modality: str,
        accepted: bool,
        title: str = "",
        topics: frozenset[str] = frozenset(),
        approvals: tuple[Approval, ...] = (),
    ) -> None:
        self.id = id
        self.course_key = course_key
        self.completed_on = completed_on
        self.hours = hours
        self.modality = modality
        self.accepted = accepted
        self.title = title
        self.topics = topics
        self.approvals = approvals


@dataclass(frozen=True, slots=True)
class Activity:
    """A recorded non-CE activity: service or supervision hours, or a signed attestation."""

    kind: str
    requirement_id: str | None
    on: date
    hours: Decimal | None = None

    def __init__(
        self,
        kind: str,
        requirement_id: str | None,
        on: date,
        hours: Decimal | None = None,
    ) -> None:
        object.__setattr__(self, "kind", kind)
        object.__setattr__(self, "requirement_id", requirement_id)
        object.__setattr__(self, "on", on)
        object.__setattr__(self, "hours", hours)


@dataclass(frozen=True, slots=True)
class BoardAction:
    """A dated hold (suspend, revoke, inactivate) or reinstatement; a reinstatement may state the start of
    the chain of cycles it begins (`cycle_start`)."""

    kind: BoardActionKind
    effective_on: date
    cycle_start: date | None = None


class RecordedRenewal(NamedTuple):  # a NamedTuple: read for most certifications, on every compliance check
    """A renewal of the cycle [cycle_start, cycle_end], recorded on `recorded_on` by the sweep (the cycle was
    met and passed over) or by a board (`by_board`: the cycles before a migrated record's current one).

    A decision that stays decided: for every date from `recorded_on` until a board reopens it
    (`reopened_on`, excluded), the cycle is passed over whatever the other facts say.
    """

    cycle_start: date
    cycle_end: date
    recorded_on: date
    by_board: bool = False
    reopened_on: date | None = None

    def stands_on(self, day: date) -> bool:
        """Whether the renewal decides the cycle as of `day`."""
        return self.recorded_on <= day and (self.reopened_on is None or day < self.reopened_on)


@dataclass(frozen=True, slots=True)
class StatedCycle:
    """The current cycle a board stated when it registered a migrated record (on `recorded_on`): its start,
    optionally its end (when the board's date differs from the rules' arithmetic) and the hours carried
    into it from the board's previous system."""

    start: date
    recorded_on: date
    end: date | None = None
    carryover_hours: Decimal = Decimal(0)


@dataclass(frozen=True, slots=True)
class CertificationFacts:
    issued_on: date
    credential_code: str
    birth_month_day: tuple[int, int] | None = None
    board_actions: tuple[BoardAction, ...] = ()
    pinned_version: int | None = None
    cycle_option: str | None = None  # the holder's choice among the rule set's cycle_options
    variants: tuple[str, ...] = ()  # the credential's variants this certification holds (sorted)
    renewals: tuple[RecordedRenewal, ...] = ()  # recorded renewals, standing or reopened
    stated_cycle: StatedCycle | None = None  # a migrated record's current cycle, as its board stated it

    def __init__(
        self,
        issued_on: date,
        credential_code: str,
        birth_month_day: tuple[int, int] | None = None,
        board_actions: tuple[BoardAction, ...] = (),
        pinned_version: int | None = None,
        cycle_option: str | None = None,
        variants: tuple[str, ...] = (),
        renewals: tuple[RecordedRenewal, ...] = (),
        stated_cycle: StatedCycle | None = None,
    ) -> None:
        object.__setattr__(self, "issued_on", issued_on)
        object.__setattr__(self, "credential_code", credential_code)
        object.__setattr__(self, "birth_month_day", birth_month_day)
        object.__setattr__(self, "board_actions", board_actions)
        object.__setattr__(self, "pinned_version", pinned_version)
        object.__setattr__(self, "cycle_option", cycle_option)
        object.__setattr__(self, "variants", variants)
        object.__setattr__(self, "renewals", renewals)
        object.__setattr__(self, "stated_cycle", stated_cycle)


# --- outputs ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CategoryResult:
    category: str
    required_hours: Decimal
    earned_hours: Decimal
    remaining_hours: Decimal
    label: str | None
    every_years: int | None
    once: bool = False

    def __init__(
        self,
        category: str,
        required_hours: Decimal,
        earned_hours: Decimal,
        remaining_hours: Decimal,
        label: str | None,
        every_years: int | None,
        once: bool = False,
    ) -> None:
        object.__setattr__(self, "category", category)
        object.__setattr__(self, "required_hours", required_hours)
        object.__setattr__(self, "earned_hours", earned_hours)
        object.__setattr__(self, "remaining_hours", remaining_hours)
        object.__setattr__(self, "label", label)
        object.__setattr__(self, "every_years", every_years)
        object.__setattr__(self, "once", once)


@dataclass(frozen=True, slots=True)
class ModalityMinimumResult:
    modalities: tuple[str, ...]
    required_hours: Decimal
    earned_hours: Decimal
    remaining_hours: Decimal
    label: str | None

    def __init__(
        self,
        modalities: tuple[str, ...],
        required_hours: Decimal,
        earned_hours: Decimal,
        remaining_hours: Decimal,
        label: str | None,
    ) -> None:
        object.__setattr__(self, "modalities", modalities)
        object.__setattr__(self, "required_hours", required_hours)
        object.__setattr__(self, "earned_hours", earned_hours)
        object.__setattr__(self, "remaining_hours", remaining_hours)
        object.__setattr__(self, "label", label)


@dataclass(frozen=True, slots=True)
class OtherResult:
    id: str
    kind: str
    description: str
    required_hours: Decimal | None
    earned_hours: Decimal | None
    met: bool

    def __init__(
        self,
        id: str,
        kind: str,
        description: str,
        required_hours: Decimal | None,
        earned_hours: Decimal | None,
        met: bool,
    ) -> None:
        object.__setattr__(self, "id", id)
        object.__setattr__(self, "kind", kind)
        object.__setattr__(self, "description", description)
        object.__setattr__(self, "required_hours", required_hours)
        object.__setattr__(self, "earned_hours", earned_hours)
        object.__setattr__(self, "met", met)


@dataclass(frozen=True, slots=True)
class CapResult:
    modality: str | None
    category: str | None
    max_hours: Decimal
    used_hours: Decimal
    reached: bool

    def __init__(
        self,
        modality: str | None,
        category: str | None,
        max_hours: Decimal,
        used_hours: Decimal,
        reached: bool,
    ) -> None:
        object.__setattr__(self, "modality", modality)
        object.__setattr__(self, "category", category)
        object.__setattr__(self, "max_hours", max_hours)
        object.__setattr__(self, "used_hours", used_hours)
        object.__setattr__(self, "reached", reached)


@dataclass(frozen=True, slots=True)
class CycleSummary:
    start: date
    end: date
    met: bool
    met_on: date | None
    excess_hours: Decimal
    earned_hours: Decimal
    required_hours: Decimal
    rule_version: int
    kind: str = "cycle"  # "cycle", "initial" (a certification phase) or "no_ce_first_cycle"
    # passed over because a recorded renewal stands (recorded on this date); `met` stays the plain derivation
    renewed_on: date | None = None
    renewed_by_board: bool = False

    def __init__(
        self,
        start: date,
        end: date,
        met: bool,
        met_on: date | None,
        excess_hours: Decimal,
        earned_hours: Decimal,
        required_hours: Decimal,
        rule_version: int,
        kind: str = "cycle",
        renewed_on: date | None = None,
        renewed_by_board: bool = False,
    ) -> None:
        object.__setattr__(self, "start", start)
        object.__setattr__(self, "end", end)
        object.__setattr__(self, "met", met)
        object.__setattr__(self, "met_on", met_on)
        object.__setattr__(self, "excess_hours", excess_hours)
        object.__setattr__(self, "earned_hours", earned_hours)
        object.__setattr__(self, "required_hours", required_hours)
        object.__setattr__(self, "rule_version", rule_version)
        object.__setattr__(self, "kind", kind)
        object.__setattr__(self, "renewed_on", renewed_on)
        object.__setattr__(self, "renewed_by_board", renewed_by_board)


@dataclass(slots=True)  # not frozen: built by the ten thousand per sweep batch; never mutated
class CompletionOutcome:
    completion_id: int
    counted_hours: Decimal
    outcome: Outcome
    reason: str

    def __init__(
        self,
        completion_id: int,
        counted_hours: Decimal,
        outcome: Outcome,
        reason: str,
    ) -> None:
        self.completion_id = completion_id
        self.counted_hours = counted_hours
        self.outcome = outcome
        self.reason = reason


@dataclass(frozen=True, slots=True)
class Evaluation:
    status: Status
    cycle_start: date
    cycle_end: date
    grace_ends_on: date
    required_hours: Decimal
    earned_hours: Decimal
    remaining_hours: Decimal
    categories: tuple[CategoryResult, ...]
    modality_minimums: tuple[ModalityMinimumResult, ...]
    other_requirements: tuple[OtherResult, ...]
    caps: tuple[CapResult, ...]
    discarded_hours: Decimal
    carryover_hours: Decimal
    rule_version: int
    next_change_on: date | None
    previous_cycle: CycleSummary | None
    cycles: tuple[CycleSummary, ...]
    completions: tuple[CompletionOutcome, ...]
    reasons: tuple[str, ...]
    chain_start: date
    met_on: date | None
    filing_due_on: date  # the renewal's filing deadline (the cycle end when the rules set none)
    period: str  # "cycle", "initial" (the certification phase before the cycles) or "no_ce_first_cycle"
    cycle_option: str | None
    variants: tuple[str, ...]
    # standing renewals (recorded by the sweep) of this chain that the walk never reached: their cycle is no
    # longer a cycle of the derivation (the issue date, a reinstatement or the rules changed)
    stranded_renewals: tuple[RecordedRenewal, ...] = ()
    resumed: tuple[date, date] | None = None  # (hold began, reinstated) when a reinstatement resumed the chain

    def __init__(
        self,
        status: Status,
        cycle_start: date,
        cycle_end: date,
        grace_ends_on: date,
        required_hours: Decimal,
        earned_hours: Decimal,
        remaining_hours: Decimal,
        categories: tuple[CategoryResult, ...],
        modality_minimums: tuple[ModalityMinimumResult, ...],
        other_requirements: tuple[OtherResult, ...],
        caps: tuple[CapResult, ...],
        discarded_hours: Decimal,
        carryover_hours: Decimal,
        rule_version: int,
        next_change_on: date | None,
        previous_cycle: CycleSummary | None,
        cycles: tuple[CycleSummary, ...],
        completions: tuple[CompletionOutcome, ...],
        reasons: tuple[str, ...],
        chain_start: date,
        met_on: date | None,
        filing_due_on: date,
        period: str,
        cycle_option: str | None,
        variants: tuple[str, ...],
        stranded_renewals: tuple[RecordedRenewal, ...] = (),
        resumed: tuple[date, date] | None = None,
    ) -> None:
        object.__setattr__(self, "status", status)
        object.__setattr__(self, "cycle_start", cycle_start)
        object.__setattr__(self, "cycle_end", cycle_end)
        object.__setattr__(self, "grace_ends_on", grace_ends_on)
        object.__setattr__(self, "required_hours", required_hours)
        object.__setattr__(self, "earned_hours", earned_hours)
        object.__setattr__(self, "remaining_hours", remaining_hours)
        object.__setattr__(self, "categories", categories)
        object.__setattr__(self, "modality_minimums", modality_minimums)
        object.__setattr__(self, "other_requirements", other_requirements)
        object.__setattr__(self, "caps", caps)
        object.__setattr__(self, "discarded_hours", discarded_hours)
        object.__setattr__(self, "carryover_hours", carryover_hours)
        object.__setattr__(self, "rule_version", rule_version)
        object.__setattr__(self, "next_change_on", next_change_on)
        object.__setattr__(self, "previous_cycle", previous_cycle)
        object.__setattr__(self, "cycles", cycles)
        object.__setattr__(self, "completions", completions)
        object.__setattr__(self, "reasons", reasons)
        object.__setattr__(self, "chain_start", chain_start)
        object.__setattr__(self, "met_on", met_on)
        object.__setattr__(self, "filing_due_on", filing_due_on)
        object.__setattr__(self, "period", period)
        object.__setattr__(self, "cycle_option", cycle_option)
        object.__setattr__(self, "variants", variants)
        object.__setattr__(self, "stranded_renewals", stranded_renewals)
        object.__setattr__(self, "resumed", resumed)
