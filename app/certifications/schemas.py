from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from app.types import HoursOut

Status = Literal["in_progress", "due_soon", "compliant", "overdue", "lapsed",
                 "suspended", "revoked", "inactive"]
ActionKind = Literal["suspend", "revoke", "inactivate", "reinstate"]
_NUMBER = {"min_length": 1, "max_length": 64, "pattern": r"^[A-Za-z0-9][A-Za-z0-9./ -]*$",
           "examples": ["NC-2024-00117"]}


class CertificationCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"person_id": 1, "credential_code": "NC-CPSS",
                                         "number": "NC-2024-00117", "issued_on": "2024-03-15"}]},
    )

    person_id: int = Field(gt=0)
    credential_code: str = Field(min_length=2, max_length=32, examples=["NC-CPSS"])
    number: str = Field(**_NUMBER)
    issued_on: date


class CertificationUpdate(BaseModel):
    """Corrections of the record itself; status changes are board actions."""

    model_config = ConfigDict(extra="forbid")

    number: str | None = Field(default=None, **_NUMBER)
    issued_on: date | None = None


class PersonSummary(BaseModel):
    id: int
    given_name: str
    family_name: str


class CertificationPublic(BaseModel):
    id: int
    person: PersonSummary
    credential_code: str
    state: str
    number: str
    issued_on: date
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


class BoardActionCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"kind": "suspend", "effective_on": "2026-12-01",
                                         "reason": "Pending investigation of a complaint"}]},
    )

    kind: ActionKind
    effective_on: date
    reason: str = Field(min_length=3, max_length=1000)


class BoardActionPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    kind: ActionKind
    effective_on: date
    reason: str
    actor: str
    created_at: datetime


class RequirementResult(BaseModel):
    category: str
    label: str | None = None
    every_years: int | None = None
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
    start: date
    end: date
    met: bool
    met_on: date | None
    earned_hours: HoursOut
    excess_hours: HoursOut


class CompletionOutcome(BaseModel):
    completion_id: int
    counted_hours: HoursOut
    outcome: Literal["counted", "partly_counted", "not_counted"]
    reason: str


class CompliancePublic(BaseModel):
    certification_id: int
    credential_code: str
    as_of: date
    status: Status
    cycle_start: date
    cycle_end: date
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


class MyCertification(BaseModel):
    certification: CertificationPublic
    compliance: CompliancePublic


class MyCertifications(BaseModel):
    items: list[MyCertification]
    next_cursor: str | None = None


class Verification(BaseModel):
    """What anyone may learn about a certification number: nothing personal beyond the name."""

    model_config = ConfigDict(json_schema_extra={"examples": [{
        "name": "Jordan Rivera", "credential_code": "NC-CPSS",
        "credential_name": "Certified Peer Support Specialist", "state": "NC",
        "number": "NC-2024-00117", "status": "compliant", "current_cycle_end": "2026-03-31"}]})

    name: str
    credential_code: str
    credential_name: str
    state: str
    number: str
    status: Status
    current_cycle_end: date
