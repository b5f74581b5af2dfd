"""The reports' API shapes (docs/reports.md). Hours are exact decimals, JSON numbers on the wire."""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from app.certifications.schemas import PersonSummary, Status
from app.pagination import Total
from app.types import HoursOut

Interval = Literal["day", "month"]
Format = Literal["json", "csv"]


class StatusCount(BaseModel):
    credential_code: str
    state: str
    status: Status
    count: int


class ComplianceReport(BaseModel):
    """Certifications by credential and status, from their stored statuses (what the lists show)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "as_of": "2026-12-06",
                    "credential_code": None,
                    "state": None,
                    "items": [
                        {"credential_code": "PA-CPS", "state": "PA", "status": "due_soon", "count": 42},
                        {"credential_code": "PA-CPS", "state": "PA", "status": "compliant", "count": 318},
                    ],
                }
            ]
        }
    )

    as_of: date = Field(description="Today in the board's time zone (statuses are kept current by the sweep)")
    credential_code: str | None
    state: str | None
    items: list[StatusCount]


class TrendPoint(BaseModel):
    period: date = Field(description="The day, or the first day of the month")
    day: date = Field(description="The snapshot day the counts are from (for a month: its last recorded day)")
    status: Status
    count: int


class TrendReport(BaseModel):
    """Counts by status over time, from the snapshot each sweep records (docs/reports.md)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "interval": "month",
                    "from": "2026-01-01",
                    "to": "2026-12-06",
                    "credential_code": "PA-CPS",
                    "state": None,
                    "items": [{"period": "2026-11-01", "day": "2026-11-30", "status": "due_soon", "count": 40}],
                }
            ]
        },
        populate_by_name=True,
        serialize_by_alias=True,
    )

    interval: Interval
    from_: date = Field(alias="from")
    to: date
    credential_code: str | None
    state: str | None
    items: list[TrendPoint]


class RequirementGap(BaseModel):
    requirement: str = Field(description="`total`, `category:<slug>`, `modality:<modalities>` or `other:<id>`")
    label: str
    required_hours: HoursOut | None
    earned_hours: HoursOut | None
    remaining_hours: HoursOut | None = Field(description="Null for an attestation not yet recorded")


class DueItem(BaseModel):
    certification_id: int
    person: PersonSummary
    credential_code: str
    state: str
    number: str
    status: Status = Field(description="The stored status (as the certifications list shows it)")
    cycle_start: date | None
    cycle_end: date | None
    grace_ends_on: date | None
    deadline: date = Field(description="The cycle end, or the grace end for an overdue certification")
    days_left: int = Field(description="Days from as_of to the deadline")
    remaining_hours: HoursOut | None = Field(
        description="Total CE hours still needed (null when the rules need a "
        "fact that is not recorded, such as a birthday)"
    )
    unmet: list[RequirementGap] = Field(description="Every requirement still unmet, as of today")


class DueReport(BaseModel):
    """Certifications whose deadline falls within `within_days` with requirements unmet, soonest first."""

    as_of: date
    within_days: int
    items: list[DueItem]
    next_cursor: str | None
    total: Total = None


class TopicDemand(BaseModel):
    topic_id: str
    name: str
    completed_hours: HoursOut = Field(
        description="Hours of accepted completions of courses on this topic in the period"
    )
    completions: int
    learners: int = Field(description="Distinct people among those completions")
    unmet_hours: HoursOut = Field(
        description="Hours still needed in required categories this topic satisfies, by "
        "certifications whose cycle is open and not met (a category's hours count under "
        "each of its topics)"
    )
    supply_hours: HoursOut = Field(description="Hours of published courses on this topic approved today in scope")
    supply_courses: int


class CategoryDemand(BaseModel):
    credential_code: str
    category: str
    label: str
    topics: list[str] = Field(
        description="The topics that satisfy it: the rules' own and those of courses approved with this category"
    )
    unmet_hours: HoursOut
    certifications: int = Field(description="Certifications still short in this category")


class TopicsReport(BaseModel):
    """CE demand by topic: what peers earned in a period, what they still need, and what is on offer."""

    model_config = ConfigDict(populate_by_name=True, serialize_by_alias=True)

    as_of: date
    from_: date = Field(alias="from")
    to: date
    credential_code: str | None
    state: str | None
    states: list[str] | None = Field(description="The states covered (null: every state)")
    items: list[TopicDemand]
    categories: list[CategoryDemand]


class CourseActivity(BaseModel):
    course_id: int
    title: str
    completions: int
    learners: int
    hours: HoursOut


class ProviderActivity(BaseModel):
    provider_id: int
    name: str
    kind: str
    completions: int
    learners: int
    hours: HoursOut
    courses: list[CourseActivity]


class ProvidersReport(BaseModel):
    """Accepted completions per provider and course in a period."""

    model_config = ConfigDict(populate_by_name=True, serialize_by_alias=True)

    as_of: date
    from_: date = Field(alias="from")
    to: date
    credential_code: str | None
    state: str | None
    items: list[ProviderActivity]
