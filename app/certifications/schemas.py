from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import AliasChoices, BaseModel, ConfigDict, Field

from app.certifications.impact import Impact, with_impact
from app.pagination import Total
from app.scheduler.schemas import FlagPublic, RenewalPublic
from app.types import Day, DbId, HoursIn, HoursOut, RequestModel

Status = Literal["in_progress", "due_soon", "compliant", "overdue", "lapsed", "suspended", "revoked", "inactive"]
ActionKind = Literal["suspend", "revoke", "inactivate", "reinstate", "reopen"]
_SLUG = r"^[a-z][a-z0-9_-]*$"
CycleOptionId = Annotated[str, Field(min_length=1, max_length=64, pattern=_SLUG, examples=["two-year"])]
VariantId = Annotated[str, Field(min_length=1, max_length=64, pattern=_SLUG, examples=["military"])]
_NUMBER: dict[str, Any] = {
    "min_length": 1,
    "max_length": 64,
    "pattern": r"^[A-Za-z0-9][A-Za-z0-9./ -]*$",
    "examples": ["NC-2024-00117"],
}


_CURRENT_CYCLE_START = (
    "A migrated record: the start of its current cycle in the board's previous system (on or "
    "after `issued_on`, not after the board's today). The cycles before it count as renewed by "
    "the board on the day it is recorded (see the history's renewals), with no carry-over unless "
    "`carryover_hours` is given"
)
_CURRENT_CYCLE_END = "That cycle's end, when the board's own date differs from the rules' arithmetic"
_CARRYOVER = "Hours carried into that cycle from the board's previous system (none when absent)"
_ISSUED_ON = "The issue date; not after the board's today"


class CertificationCreate(RequestModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"person_id": 1, "credential_code": "NC-CPSS", "number": "NC-2024-00117", "issued_on": "2024-03-15"},
                {
                    "person_id": 2,
                    "credential_code": "NC-CPSS",
                    "number": "NC-IMP-0002",
                    "issued_on": "2023-02-01",
                    "current_cycle_start": "2025-02-01",
                    "carryover_hours": 2,
                },
            ]
        },
    )

    person_id: DbId
    credential_code: str = Field(min_length=2, max_length=32, examples=["NC-CPSS"])
    number: str = Field(**_NUMBER)
    issued_on: Day = Field(description=_ISSUED_ON)
    current_cycle_start: Day | None = Field(default=None, description=_CURRENT_CYCLE_START)
    current_cycle_end: Day | None = Field(default=None, description=_CURRENT_CYCLE_END)
    carryover_hours: HoursIn | None = Field(default=None, description=_CARRYOVER)
    cycle_option: CycleOptionId | None = Field(
        default=None, description="Required when the credential's rules offer `cycle_options`: the holder's choice"
    )
    variants: list[VariantId] = Field(
        default=[],
        max_length=8,
        description="Variants of the credential this certification holds (the rules' "
        "`variants`, e.g. NC-CPSS `military`)",
    )


class CertificationUpdate(RequestModel):
    """Corrections of the record itself; status changes are board actions."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"issued_on": "2024-03-18"}]})

    number: str | None = Field(default=None, **_NUMBER)
    issued_on: Day | None = Field(default=None, description=_ISSUED_ON)
    current_cycle_start: Day | None = Field(
        default=None,
        description="Restate a migrated record's current cycle (its end and carry-over are those "
        "given with it): the cycles before it count as renewed by the board today; board renewals the new "
        "statement no longer makes are reopened",
    )
    current_cycle_end: Day | None = Field(default=None, description=_CURRENT_CYCLE_END)
    carryover_hours: HoursIn | None = Field(default=None, description=_CARRYOVER)
    cycle_option: CycleOptionId | None = Field(default=None, description="The holder's new cycle option")
    variants: list[VariantId] | None = Field(
        default=None, max_length=8, description="The variants held, replacing the recorded ones"
    )
    credential_code: str | None = Field(
        default=None,
        min_length=2,
        max_length=32,
        examples=["WV-PRSS-MH"],
        description="Move the certification to a credential that replaces its own (the rules' `superseded_by`); "
        "the number and issue date stay",
    )


class PersonSummary(BaseModel):
    id: int
    given_name: str
    family_name: str


class RegisteredCycle(BaseModel):
    """The current cycle a board stated when it registered (or restated) a migrated record."""

    cycle_start: date
    cycle_end: date | None = Field(description="The board's own end date; null: the rules' arithmetic")
    carryover_hours: HoursOut | None
    recorded_on: date = Field(
        description="The board's day it was recorded: the cycles before it count as renewed from that day"
    )


class CertificationPublic(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": 1,
                    "person": {"id": 12, "given_name": "Jordan", "family_name": "Rivera"},
                    "credential_code": "PA-CPS",
                    "state": "PA",
                    "number": "PA-CPS-2025-0117",
                    "issued_on": "2025-01-07",
                    "status": "due_soon",
                    "cycle_start": "2025-01-07",
                    "cycle_end": "2027-01-06",
                    "grace_ends_on": "2027-01-06",
                    "next_change_on": "2027-01-07",
                    "evaluated_on": "2026-11-22",
                    "created_at": "2025-01-07T14:03:11Z",
                    "updated_at": "2026-11-22T10:15:02Z",
                }
            ]
        }
    )

    id: int
    person: PersonSummary
    credential_code: str
    state: str
    number: str
    issued_on: date
    cycle_option: str | None = None
    variants: list[str] = []
    registered_cycle: RegisteredCycle | None = Field(
        default=None, description="A migrated record: the current cycle its board stated (`current_cycle_start`)"
    )
    status: Status = Field(description="Status as of `evaluated_on` (kept current by writes and the sweep)")
    cycle_start: date | None
    cycle_end: date | None
    grace_ends_on: date | None
    next_change_on: date | None
    evaluated_on: date | None
    created_at: datetime
    updated_at: datetime


class CertificationPage(BaseModel):
    items: list[CertificationPublic]
    next_cursor: str | None
    total: Total = None


class BoardActionCreate(RequestModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"kind": "suspend", "effective_on": "2026-12-01", "reason": "Pending investigation of a complaint"},
                {"kind": "reinstate", "effective_on": "2026-12-03", "reason": "Complaint dismissed"},
                {"kind": "reopen", "cycle_start": "2024-03-01", "reason": "Renewal review: ethics hours short"},
            ]
        },
    )

    kind: ActionKind = Field(
        validation_alias=AliasChoices("kind", "action"),
        description="`suspend`, `revoke` and `inactivate` hold the certification from `effective_on`; `reinstate` "
        "ends a hold (after a suspension or inactivation it resumes the cycle current when the hold began if "
        "that cycle has not ended, else it starts a new chain of cycles); `reopen` takes a renewed cycle back "
        "to the plain derivation. Also accepted as `action`",
    )
    effective_on: Day | None = Field(default=None, description="Default: the board's today")
    cycle_start: Day | None = Field(
        default=None,
        description="`reopen`: the start of the renewed cycle to reopen (required). `reinstate`: the "
        "start of the new chain of cycles, stated by the board (between the issue date and `effective_on`)",
    )
    reason: str = Field(min_length=3, max_length=1000)


class BoardActionPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    kind: ActionKind
    effective_on: date
    cycle_start: date | None = None
    reason: str
    actor: str
    created_at: datetime


class BoardActionTaken(BoardActionPublic):
    model_config = with_impact(BoardActionPublic)

    impact: Impact = Field(description="What the action changed: the certification before and after")


class RequirementResult(BaseModel):
    category: str
    label: str | None = None
    every_years: int | None = None
    once: bool = False
    required_hours: HoursOut
    earned_hours: HoursOut
    remaining_hours: HoursOut


class ModalityMinimumResult(BaseModel):
    modalities: list[str]
    label: str | None = None
    required_hours: HoursOut
    earned_hours: HoursOut
    remaining_hours: HoursOut


class OtherRequirementResult(BaseModel):
    id: str
    kind: str
    description: str
    required_hours: HoursOut | None
    earned_hours: HoursOut | None
    met: bool


class CapResult(BaseModel):
    modality: str | None
    category: str | None
    max_hours: HoursOut
    used_hours: HoursOut
    reached: bool


class CycleSummary(BaseModel):
    kind: Literal["cycle", "initial", "no_ce_first_cycle"] = Field(
        default="cycle",
        description="A renewal cycle, the initial certification phase before the cycles, or a "
        "first cycle that requires no CE",
    )
    start: date
    end: date
    met: bool = Field(description="Whether the data meets the cycle (the plain derivation)")
    met_on: date | None
    earned_hours: HoursOut
    excess_hours: HoursOut
    renewed_on: date | None = Field(
        default=None,
        description="Passed over because a recorded renewal stands: the day it was recorded (the "
        "cycle stays renewed even when `met` is false, until a board reopens it)",
    )
    renewed_by_board: bool = Field(
        default=False, description="That renewal was recorded by a board (a migrated record's earlier cycles)"
    )


class CompletionOutcome(BaseModel):
    completion_id: int
    counted_hours: HoursOut
    outcome: Literal["counted", "partly_counted", "not_counted"]
    reason: str


class CompliancePublic(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "certification_id": 1,
                    "credential_code": "PA-CPS",
                    "as_of": "2026-11-22",
                    "status": "due_soon",
                    "period": "cycle",
                    "cycle_option": None,
                    "variants": [],
                    "cycle_start": "2025-01-07",
                    "cycle_end": "2027-01-06",
                    "filing_due_on": "2027-01-06",
                    "grace_ends_on": "2027-01-06",
                    "required_hours": 36,
                    "earned_hours": 18,
                    "remaining_hours": 18,
                    "categories": [
                        {
                            "category": "peer-support-recovery",
                            "label": "peer support and recovery",
                            "every_years": None,
                            "once": False,
                            "required_hours": 24,
                            "earned_hours": 12,
                            "remaining_hours": 12,
                        },
                        {
                            "category": "ethics",
                            "label": None,
                            "every_years": None,
                            "once": False,
                            "required_hours": 3,
                            "earned_hours": 0,
                            "remaining_hours": 3,
                        },
                    ],
                    "modality_minimums": [],
                    "other_requirements": [],
                    "caps": [],
                    "discarded_hours": 0,
                    "carryover_hours": 0,
                    "rule_version": 1,
                    "next_change_on": "2027-01-07",
                    "previous_cycle": None,
                    "cycles": [
                        {
                            "kind": "cycle",
                            "start": "2025-01-07",
                            "end": "2027-01-06",
                            "met": False,
                            "met_on": None,
                            "earned_hours": 18,
                            "excess_hours": 0,
                        }
                    ],
                    "completions": [
                        {
                            "completion_id": 31,
                            "counted_hours": 6,
                            "outcome": "counted",
                            "reason": "counted 6.00 hours (toward peer support and recovery)",
                        }
                    ],
                    "reasons": [
                        "Due soon: the cycle 2025-01-07 to 2027-01-06 ends in 45 days with requirements unmet",
                        "18.00 of 36.00 hours earned; 18.00 still needed by 2027-01-06",
                        "0.00 of 3.00 ethics hours earned; 3.00 still needed by 2027-01-06",
                    ],
                }
            ]
        }
    )

    certification_id: int
    credential_code: str
    as_of: date
    status: Status
    period: Literal["cycle", "initial", "no_ce_first_cycle"] = Field(
        description="What the current period is: a renewal cycle, the initial certification phase (no CE), or a "
        "first cycle that requires no CE"
    )
    cycle_option: str | None = Field(description="The holder's cycle option the rules applied")
    variants: list[str] = Field(description="The credential's variants the rules applied")
    cycle_start: date
    cycle_end: date
    filing_due_on: date = Field(
        description="The renewal's filing deadline: the cycle end unless the rules set `filing_days_before_end`"
    )
    grace_ends_on: date
    required_hours: HoursOut
    earned_hours: HoursOut
    remaining_hours: HoursOut
    categories: list[RequirementResult]
    modality_minimums: list[ModalityMinimumResult]
    other_requirements: list[OtherRequirementResult]
    caps: list[CapResult]
    discarded_hours: HoursOut
    carryover_hours: HoursOut
    rule_version: int
    next_change_on: date | None
    previous_cycle: CycleSummary | None
    cycles: list[CycleSummary]
    completions: list[CompletionOutcome]
    reasons: list[str]


class ActivityCreate(RequestModel):
    """Record a non-CE renewal requirement: service or supervision hours, or a signed attestation."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"requirement_id": "code-of-ethics", "on": "2026-11-02", "note": "Signed the code of ethics form"}
            ]
        },
    )

    requirement_id: str = Field(min_length=1, max_length=64, description="An id from the rule set's requirements.other")
    on: Day
    hours: HoursIn | None = Field(default=None, description="Required for service and supervision hours")
    note: str | None = Field(default=None, max_length=1000)


class ActivityPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    certification_id: int
    requirement_id: str
    kind: str
    on: date
    hours: HoursOut | None
    note: str | None
    recorded_by: str
    created_at: datetime


class AuditEvent(BaseModel):
    at: datetime
    actor: str
    action: str
    changes: dict


class HistoryPublic(BaseModel):
    certification_id: int
    as_of: date
    cycles: list[CycleSummary] = Field(description="The current chain of cycles, derived from the data")
    board_actions: list[BoardActionPublic]
    events: list[AuditEvent] = Field(description="Every recorded write to this certification")
    renewals: list[RenewalPublic] = Field(
        default_factory=list,
        description="Every recorded renewal, oldest cycle first: roll-overs the sweep "
        "recorded, the cycles a board renewed when it registered a migrated record, and reopened ones (with "
        "the day a board reopened them)",
    )
    flags: list[FlagPublic] = Field(
        default_factory=list,
        description="What the sweep recorded, oldest first: status changes (due_soon, "
        "overdue, lapsed, back to compliant) and renewal reviews (renewal_review, with their reasons)",
    )


class MyCertification(BaseModel):
    certification: CertificationPublic
    compliance: CompliancePublic


class MyCertifications(BaseModel):
    items: list[MyCertification]
    next_cursor: str | None = None


class Verification(BaseModel):
    """What anyone may learn about a certification number: nothing personal beyond the name."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "name": "Jordan Rivera",
                    "credential_code": "NC-CPSS",
                    "credential_name": "Certified Peer Support Specialist",
                    "state": "NC",
                    "number": "NC-2024-00117",
                    "status": "compliant",
                    "current_cycle_end": "2026-03-31",
                }
            ]
        }
    )

    name: str
    credential_code: str
    credential_name: str
    state: str
    number: str
    status: Status
    current_cycle_end: date
