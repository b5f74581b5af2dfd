"""The engine's inputs for a batch of certifications, read set-based as one plan (`app.reads`).

The same plan serves every reader: a compliance check (one certification, on the API's async reads),
the writes that refresh a stored status, transcripts, impact previews and the sweep (batches of a
thousand, in its own transactions). It reads

1. the certifications (`CertRow`), each with its holder's birthday, a key of its credential's rule
   versions, its recorded renewals (packed) and whether it has board actions or recorded activities;
2. the holders' completions (`CompletionRow`), with each course's facts token;
3. only then what the per-process caches lack (rule documents, course topics and approvals), and
   the board actions and activities of the certifications that have any.

A compliance check is thus one query when the caches are warm and it has no actions or activities.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlmodel import Session

from app.clock import Clock
from app.compliance import courses
from app.compliance import versions as rule_versions
from app.compliance.queries import (
    ACCEPTED_COMPLETIONS,
    ACTIONS,
    ACTIVITIES,
    CERTIFICATIONS,
    COMPLETIONS,
    ONE_WITH_COMPLETIONS,
    VERSION_KEYS,
)
from app.compliance.rows import (
    ActionRow,
    ActivityRow,
    CertRow,
    CompletionTuple,
    RenewalRecord,
    VersionKeyRow,
    split_cert_completions,
)
from app.constants import DEFAULT_TIMEZONE
from app.reads import Plan, run
from app.rules import engine
from app.rules.engine import RuleVersion
from app.rules.engine.hours import decimal_hours


@dataclass(slots=True)
class Inputs:
    """Everything the engine needs to evaluate one certification, and the stored renewals behind its facts."""

    cert: CertRow
    versions: list[RuleVersion]
    facts: engine.CertificationFacts
    completions: list[engine.Completion]
    activities: list[engine.Activity]
    renewals: list[RenewalRecord]

    # the dataclass's own __init__, compiled natively (app/rules/engine/types.py says why)
    def __init__(
        self,
        cert: CertRow,
        versions: list[RuleVersion],
        facts: engine.CertificationFacts,
        completions: list[engine.Completion],
        activities: list[engine.Activity],
        renewals: list[RenewalRecord],
    ) -> None:
        self.cert = cert
        self.versions = versions
        self.facts = facts
        self.completions = completions
        self.activities = activities
        self.renewals = renewals

    @property
    def timezone(self) -> str:
        return self.versions[-1].rules.timezone if self.versions else DEFAULT_TIMEZONE


def gather_plan(
    ids: Iterable[int], admit: Callable[[CertRow], bool] | None = None, *, accepted_only: bool = False
) -> Plan[dict[int, Inputs]]:
    """Everything the engine needs for these certifications (missing ids are absent, and so are those
    `admit` refuses: nothing more is read about them); `accepted_only`: for evaluations without explanations."""
    wanted = sorted(set(ids))
    if not wanted:
        return {}
    certs: list[CertRow] = yield CERTIFICATIONS, {"ids": wanted}
    return (yield from inputs_plan([c for c in certs if admit(c)] if admit else certs, accepted_only=accepted_only))


def one_plan(certification_id: int, admit: Callable[[CertRow], bool]) -> Plan[Inputs | None]:
    """`gather_plan` for one certification, in one query when the caches are warm (the compliance read).

    None when it does not exist or `admit` refuses it.
    """
    rows = yield ONE_WITH_COMPLETIONS, {"id": certification_id}
    if not rows:
        return None
    cert, completions = split_cert_completions(rows)
    if not admit(cert):
        return None
    return (yield from inputs_plan([cert], completions))[cert.id]


def inputs_plan(
    certs: Sequence[CertRow], completion_rows: Sequence[CompletionTuple] | None = None, *, accepted_only: bool = False
) -> Plan[dict[int, Inputs]]:
    """The engine's inputs for certifications already read, keyed by id; their holders' completions are read
    unless given (`accepted_only`: only the accepted ones, untitled, for evaluations without explanations)."""
    if not certs:
        return {}
    versions = yield from rule_versions.plan({c.credential_code: c.rules_key for c in certs})
    credentials: dict[int, set[tuple[str, str]]] = defaultdict(set)
    for c in certs:
        credentials[c.person_id].add((c.credential_code, c.state))
    if completion_rows is None:
        completions = yield from completions_plan(credentials, accepted_only=accepted_only)
    else:
        completions = yield from engine_completions(completion_rows, credentials)
    actions: dict[int, list[engine.BoardAction]] = defaultdict(list)
    with_actions = [c.id for c in certs if c.has_actions]
    if with_actions:
        action_rows: list[ActionRow] = yield ACTIONS, {"ids": with_actions}
        for a in action_rows:
            actions[a.certification_id].append(
                engine.BoardAction(kind=a.kind, effective_on=a.effective_on, cycle_start=a.cycle_start)
            )
    activities: dict[int, list[engine.Activity]] = defaultdict(list)
    with_activities = [c.id for c in certs if c.has_activities]
    if with_activities:
        activity_rows: list[ActivityRow] = yield ACTIVITIES, {"ids": with_activities}
        for x in activity_rows:
            activities[x.certification_id].append(
                engine.Activity(
                    kind=x.kind,
                    requirement_id=x.requirement_id,
                    on=x.on,
                    hours=None if x.hours is None else decimal_hours(x.hours),
                )
            )
    no_completions: list[engine.Completion] = []
    out: dict[int, Inputs] = {}
    for c in certs:
        renewals = RenewalRecord.unpack(c.renewals)
        out[c.id] = Inputs(
            cert=c,
            versions=versions.get(c.credential_code, []),
            facts=certification_facts(c, actions.get(c.id, ()), renewals),
            completions=completions.get(c.person_id, no_completions),
            activities=activities.get(c.id, []),
            renewals=renewals,
        )
    return out


def certification_facts(
    c: CertRow, actions: Sequence[engine.BoardAction], renewals: Sequence[RenewalRecord]
) -> engine.CertificationFacts:
    """A certification's facts as the engine takes them."""
    birthday = (c.birth_month, c.birth_day) if c.birth_month is not None and c.birth_day is not None else None
    stated = None
    if c.registered_cycle_start is not None and c.registered_on is not None:
        stated = engine.StatedCycle(
            start=c.registered_cycle_start,
            recorded_on=c.registered_on,
            end=c.registered_cycle_end,
            carryover_hours=decimal_hours(c.registered_carryover or 0),
        )
    return engine.CertificationFacts(
        issued_on=c.issued_on,
        credential_code=c.credential_code,
        birth_month_day=birthday,
        board_actions=tuple(actions),
        cycle_option=c.cycle_option,
        variants=split_variants(c.variants),
        renewals=tuple(_new(engine.RecordedRenewal, x[:_RENEWAL_WIDTH]) for x in renewals) if renewals else (),
        stated_cycle=stated,
    )


def completions_plan(
    credentials: Mapping[int, Collection[tuple[str, str]]],
    *,
    accepted_only: bool = False,
) -> Plan[dict[int, list[engine.Completion]]]:
    """Every completion of these people (accepted or not, so reasons can name them), oldest first.

    `credentials` maps each person to the (credential code, state) of the certifications the
    completions are evaluated for: a self-report a board accepted counts as approved, with the
    board's categories, for that board's credentials among them. `accepted_only` (the sweep, which
    evaluates without explanations) reads only accepted completions, without titles.
    """
    if not credentials:
        return {}
    rows = yield (ACCEPTED_COMPLETIONS if accepted_only else COMPLETIONS), {"people": sorted(credentials)}
    return (yield from engine_completions(rows, credentials))


def engine_completions(
    rows: Sequence[CompletionTuple],
    credentials: Mapping[int, Collection[tuple[str, str]]],
) -> Plan[dict[int, list[engine.Completion]]]:
    """Completion rows (`CompletionRow`'s values, by person, oldest first) as the engine's completions, by
    person."""
    known = yield from courses.plan(
        {course_id: token for _, _, course_id, _, _, _, _, _, _, _, token in rows if course_id is not None}
    )
    out: dict[int, list[engine.Completion]] = {}
    Completion_, hours_of = engine.Completion, _HOURS.get
    person_id = None
    items: list[engine.Completion] = []
    # The hottest loop of a sweep (every completion of a batch): plain tuples unpacked in CompletionRow's fields'
    # order (tests/compliance/test_rows.py proves the names), a third of the cost of reading NamedTuples by name.
    for pid, cid, course_id, title, hundredths, modality, completed_on, status, review_state, cats, _ in rows:
        if pid != person_id:
            person_id, items = pid, out.setdefault(pid, [])
        course = known.get(course_id) if course_id is not None else None
        if course is not None:
            key, topics, approvals = course.key, course.topics, course.approvals
        else:  # outside CE (a course always has facts: courses are never deleted)
            key, topics, approvals = f"outside:{cid}" if course_id is None else f"course:{course_id}", _NO_TOPICS, ()
        accepted = status == "accepted"
        if review_state and accepted:
            approvals = (*approvals, *_reviewed(review_state, cats, credentials[pid]))
        hours = hours_of(hundredths)
        if hours is None:
            hours = _HOURS[hundredths] = decimal_hours(hundredths)
        items.append(Completion_(cid, key, completed_on, hours, modality, accepted, title, topics, approvals))
    return out


# a RenewalRecord begins with the engine's RecordedRenewal, field for field
_RENEWAL_WIDTH = len(engine.RecordedRenewal._fields)
assert RenewalRecord._fields[:_RENEWAL_WIDTH] == engine.RecordedRenewal._fields
_new = tuple.__new__
_NO_TOPICS: frozenset[str] = frozenset()
_HOURS: dict[int, Any] = {}  # hundredths -> Decimal: a few dozen distinct course lengths in practice
_REVIEWED: dict[tuple[str, str | None, frozenset[tuple[str, str]]], tuple[engine.Approval, ...]] = {}


def _reviewed(
    review_state: str,
    categories: str | None,
    credentials: Collection[tuple[str, str]],
) -> tuple[engine.Approval, ...]:
    """A board's acceptance of a self-report: approved for that board's credentials, with its categories
    (`categories` as stored: JSON text)."""
    key = (review_state, categories, frozenset(credentials))
    approvals = _REVIEWED.get(key)
    if approvals is None:
        tags = frozenset(json.loads(categories) if categories else ())
        approvals = tuple(
            engine.Approval(credential_code=code, categories=tags)
            for code, state in sorted(credentials)
            if state == review_state
        )
        if len(_REVIEWED) >= 4096:
            _REVIEWED.clear()
        _REVIEWED[key] = approvals
    return approvals


def versions_of(session: Session, codes: Collection[str]) -> dict[str, list[RuleVersion]]:
    """The engine's versions of these credentials, oldest first, keyed by code (codes without any are absent):
    one query of their keys; documents only for credentials whose versions changed."""
    if not codes:
        return {}

    def plan() -> Plan[dict[str, list[RuleVersion]]]:
        keys: list[VersionKeyRow] = yield VERSION_KEYS, {"codes": sorted(set(codes))}
        return (yield from rule_versions.plan({k.code: k.key for k in keys}))

    return run(plan(), session)


def split_variants(stored: str | None) -> tuple[str, ...]:
    """A certification's stored `variants` column as the engine takes it (sorted ids)."""
    return tuple(stored.split(",")) if stored else ()


def join_variants(variants: Collection[str]) -> str:
    """Variant ids as the `variants` column stores them."""
    return ",".join(sorted(set(variants)))


def gather(session: Session, ids: Iterable[int]) -> dict[int, Inputs]:
    """Everything the engine needs for these certifications, in the session's transaction."""
    return run(gather_plan(ids), session)


def today_for(clock: Clock, inputs: Inputs) -> date:
    """The board's today for this certification (its rules' time zone)."""
    return clock.today(inputs.timezone)


def evaluate(
    inputs: Inputs,
    *,
    as_of: date,
    extra: Sequence[engine.Completion] = (),
    versions: Sequence[RuleVersion] | None = None,
    explain: bool = True,
    facts: engine.CertificationFacts | None = None,
) -> engine.Evaluation:
    """The engine's answer for these inputs as of a date (`extra` completions, other `versions` or `facts`:
    what-if)."""
    return engine.evaluate(
        versions=versions or inputs.versions,
        facts=facts or inputs.facts,
        completions=[*inputs.completions, *extra] if extra else inputs.completions,
        activities=inputs.activities,
        as_of=as_of,
        explain=explain,
    )
