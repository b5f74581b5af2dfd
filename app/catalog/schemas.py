"""API shapes of the catalog: topics, providers, courses, approvals, search results, import reports."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import (
    AnyHttpUrl,
    BaseModel,
    ConfigDict,
    EmailStr,
    Field,
    ValidationInfo,
    field_validator,
)

from app.bulk import ImportReport, Outcome, RowError
from app.certifications.impact import Impact, with_impact
from app.pagination import Total
from app.sessions.schemas import SessionSummary
from app.types import Day, HoursIn, HoursOut, RequestModel, stripped_text

ProviderKind = Literal["attc_region", "training_center", "peer_run_organization", "university", "state_agency", "other"]
Modality = Literal["in_person", "live_virtual", "self_paced"]
CourseStatus = Literal["draft", "published", "retired"]
TopicId = Annotated[str, Field(pattern=r"^[a-z0-9]+(-[a-z0-9]+)*$", max_length=64, examples=["suicide-prevention"])]
CategorySlug = Annotated[str, Field(pattern=r"^[a-z0-9]+(-[a-z0-9]+)*$", max_length=64, examples=["ethics"])]
CredentialCode = Annotated[str, Field(pattern=r"^[A-Za-z][A-Za-z0-9-]{1,31}$", examples=["NC-CPSS"])]


def _duplicates(values: list[str]) -> list[str]:
    seen: set[str] = set()
    return sorted({v for v in values if v in seen or seen.add(v)})  # type: ignore[func-returns-value]


# --- topics -------------------------------------------------------------------------------


class TopicPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str = Field(examples=["trauma-informed-practice"])
    name: str
    description: str
    status: Literal["accepted", "proposed", "rejected"] = Field(
        default="accepted", description="Only accepted topics are in the taxonomy and may tag courses"
    )
    proposed_by_provider_id: int | None = Field(default=None, description="A proposal's provider")
    review_reason: str | None = Field(default=None, description="Why an admin accepted or rejected a proposal")
    reviewed_at: datetime | None = None


class TopicCreate(RequestModel):
    """A new topic: an admin's joins the taxonomy at once; a provider's is a proposal an admin reviews."""

    model_config = ConfigDict(
        strict=True,
        extra="forbid",
        str_strip_whitespace=True,
        json_schema_extra={
            "examples": [
                {
                    "id": "motivational-interviewing",
                    "name": "Motivational interviewing",
                    "description": "Evoking a person's own reasons for change; the spirit and skills of MI "
                    "in peer support conversations.",
                }
            ]
        },
    )

    id: TopicId
    name: str = Field(min_length=2, max_length=200, json_schema_extra=stripped_text(2))
    description: str = Field(min_length=10, max_length=1000, json_schema_extra=stripped_text(10))


class TopicReview(RequestModel):
    model_config = ConfigDict(
        strict=True,
        extra="forbid",
        str_strip_whitespace=True,
        json_schema_extra={"examples": [{"decision": "accept", "reason": "Asked for by several training centers"}]},
    )

    decision: Literal["accept", "reject"]
    reason: str | None = Field(
        default=None,
        min_length=3,
        max_length=1000,
        json_schema_extra=stripped_text(3),
        description="Why; required to reject (the provider sees it)",
    )


class TopicList(BaseModel):
    items: list[TopicPublic]
    next_cursor: str | None = None


# --- providers ----------------------------------------------------------------------------


class ProviderCreate(RequestModel):
    model_config = ConfigDict(
        extra="forbid",
        str_strip_whitespace=True,
        json_schema_extra={
            "examples": [
                {
                    "name": "Southeast Regional Training Center",
                    "kind": "attc_region",
                    "region": "HHS Region 4",
                    "contact_email": "ce@example.org",
                }
            ]
        },
    )

    name: str = Field(min_length=2, max_length=200, json_schema_extra=stripped_text(2))
    kind: ProviderKind = "training_center"
    region: str | None = Field(default=None, max_length=100)
    contact_email: EmailStr | None = Field(default=None, description="A business contact; shown publicly")

    @field_validator("contact_email")
    @classmethod
    def _lower(cls, value: str | None) -> str | None:
        return value.lower() if value else value


class ProviderPublic(BaseModel):
    model_config = ConfigDict(
        from_attributes=True,
        json_schema_extra={
            "examples": [
                {
                    "id": 3,
                    "name": "Southeast Regional Training Center",
                    "kind": "attc_region",
                    "region": "HHS Region 4",
                    "contact_email": "ce@example.org",
                    "created_at": "2026-01-05T09:00:00Z",
                    "updated_at": "2026-01-05T09:00:00Z",
                }
            ]
        },
    )

    id: int
    name: str
    kind: ProviderKind
    region: str | None
    contact_email: str | None
    created_at: datetime
    updated_at: datetime


class ProviderPage(BaseModel):
    items: list[ProviderPublic]
    next_cursor: str | None
    total: Total = None


# --- courses ------------------------------------------------------------------------------


class CourseUpsert(RequestModel):
    """A course as a provider publishes it; (provider, external_id) identifies it for upserts."""

    model_config = ConfigDict(
        extra="forbid",
        str_strip_whitespace=True,
        json_schema_extra={
            "examples": [
                {
                    "external_id": "TIP-101",
                    "title": "Trauma-informed peer support",
                    "description": "Recognising trauma responses and responding without re-traumatising.",
                    "hours": 3,
                    "modality": "live_virtual",
                    "topics": ["trauma-informed-practice"],
                    "url": "https://training.example.org/tip-101",
                    "status": "published",
                }
            ]
        },
    )

    external_id: str = Field(
        min_length=1,
        max_length=100,
        json_schema_extra=stripped_text(1),
        description="The provider's own id for the course",
    )
    title: str = Field(min_length=3, max_length=300, json_schema_extra=stripped_text(3))
    description: str | None = Field(default=None, max_length=5000)
    hours: HoursIn = Field(description="Contact hours: more than 0, at most two decimal places")
    modality: Modality
    topics: list[TopicId] = Field(min_length=1, max_length=20, description="Ids from GET /v1/topics")
    url: AnyHttpUrl | None = Field(default=None, description="Where to enrol")
    status: CourseStatus | None = Field(
        default=None, description="Default: `published` for a new course, unchanged for an existing one"
    )
    available_from: Day | None = Field(
        default=None,
        description="The date the course exists from: completions before it are refused. Default: "
        "none for a new course (no lower bound: a catalog entered today can take last month's completions; the "
        "approvals' own dates still decide credit), unchanged for an existing one",
    )

    @field_validator("description")
    @classmethod
    def _blank_is_none(cls, value: str | None) -> str | None:
        return value or None

    @field_validator("topics")
    @classmethod
    def _unique_topics(cls, value: list[str]) -> list[str]:
        if dup := _duplicates(value):
            raise ValueError(f"topics listed twice: {', '.join(dup)}")
        return value

    @field_validator("url")
    @classmethod
    def _short_url(cls, value: AnyHttpUrl | None) -> AnyHttpUrl | None:
        if value is not None and len(str(value)) > 500:
            raise ValueError("at most 500 characters")
        return value


class CoursePublic(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": 7,
                    "provider_id": 3,
                    "external_id": "TIP-101",
                    "title": "Trauma-informed peer support",
                    "description": "Recognising trauma responses and responding without re-traumatising.",
                    "hours": 3,
                    "modality": "live_virtual",
                    "topics": ["trauma-informed-practice"],
                    "url": "https://training.example.org/tip-101",
                    "status": "published",
                    "available_from": "2026-01-01",
                    "created_at": "2026-01-05T09:00:00Z",
                    "updated_at": "2026-01-05T09:00:00Z",
                }
            ]
        }
    )

    id: int
    provider_id: int
    external_id: str
    title: str
    description: str | None
    hours: HoursOut
    modality: Modality
    topics: list[str]
    url: str | None
    status: CourseStatus
    available_from: date | None = Field(description="Completions before it are refused; null: no lower bound")
    created_at: datetime
    updated_at: datetime


class CourseDetail(CoursePublic):
    next_sessions: list[SessionSummary] = Field(
        default=[],
        description="Its next sessions (not ended yet), soonest first, at most 3; all of them at "
        "GET /v1/courses/{id}/sessions",
    )


class CoursePage(BaseModel):
    items: list[CoursePublic]
    next_cursor: str | None
    total: Total = None


# --- approvals ----------------------------------------------------------------------------


class ApprovalCreate(RequestModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "credential_code": "VA-RPRS",
                    "categories": ["ethics"],
                    "hours": 2,
                    "valid_from": "2026-01-01",
                    "valid_until": "2027-12-31",
                }
            ]
        },
    )

    credential_code: CredentialCode
    categories: list[CategorySlug] = Field(
        default=[], max_length=20, description="Category slugs of the credential's rules the course counts toward"
    )
    hours: HoursIn | None = Field(
        default=None, description="Hours credited for this credential; default: the course's hours"
    )
    valid_from: Day | None = Field(default=None, description="Completions from this date count (default: no bound)")
    valid_until: Day | None = Field(default=None, description="Completions up to this date count (default: no bound)")

    @field_validator("categories")
    @classmethod
    def _unique_categories(cls, value: list[str]) -> list[str]:
        if dup := _duplicates(value):
            raise ValueError(f"categories listed twice: {', '.join(dup)}")
        return value

    @field_validator("valid_until")
    @classmethod
    def _period(cls, value: date | None, info: ValidationInfo) -> date | None:
        start = info.data.get("valid_from")
        if value is not None and start is not None and value < start:
            raise ValueError("valid_until is before valid_from")
        return value


class ApprovalWithdraw(RequestModel):
    model_config = ConfigDict(
        extra="forbid",
        str_strip_whitespace=True,
        json_schema_extra={
            "examples": [
                {"withdrawn_on": "2026-12-01", "reason": "The course content no longer meets the ethics standard"}
            ]
        },
    )

    withdrawn_on: Day = Field(description="Completions on or after this date no longer count")
    reason: str = Field(min_length=3, max_length=1000, json_schema_extra=stripped_text(3))


class ApprovalPublic(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": 5,
                    "course_id": 7,
                    "credential_code": "VA-RPRS",
                    "state": "VA",
                    "categories": ["ethics"],
                    "hours": 2,
                    "valid_from": "2026-01-01",
                    "valid_until": "2027-12-31",
                    "withdrawn_on": None,
                    "withdrawal_reason": None,
                    "approved_by": "board:va-board",
                    "created_at": "2026-01-06T12:00:00Z",
                }
            ]
        }
    )

    id: int
    course_id: int
    credential_code: str
    state: str
    categories: list[str]
    hours: HoursOut | None
    valid_from: date | None
    valid_until: date | None
    withdrawn_on: date | None
    withdrawal_reason: str | None
    approved_by: str

    created_at: datetime


class ApprovalChange(ApprovalPublic):
    model_config = with_impact(ApprovalPublic)

    impact: Impact = Field(description="What the approval or its withdrawal changed, before and after")


class ApprovalList(BaseModel):
    items: list[ApprovalPublic]
    next_cursor: str | None = None


# --- search -------------------------------------------------------------------------------


class CountsFor(BaseModel):
    """A credential the course counts for today, its categories and hours (null: the course's hours)."""

    credential_code: str
    categories: list[str]
    hours: HoursOut | None


class ProviderSummary(BaseModel):
    id: int
    name: str


class CatalogEntry(CoursePublic):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": 7,
                    "provider_id": 3,
                    "external_id": "TIP-101",
                    "title": "Trauma-informed peer support",
                    "description": "Recognising trauma responses and responding without re-traumatising.",
                    "hours": 3,
                    "modality": "live_virtual",
                    "topics": ["trauma-informed-practice"],
                    "url": "https://training.example.org/tip-101",
                    "status": "published",
                    "available_from": "2026-01-01",
                    "created_at": "2026-01-05T09:00:00Z",
                    "updated_at": "2026-01-05T09:00:00Z",
                    "provider": {"id": 3, "name": "Southeast Regional Training Center"},
                    "approvals": [
                        {"credential_code": "NC-CPSS", "categories": [], "hours": None},
                        {"credential_code": "VA-RPRS", "categories": ["ethics"], "hours": 2},
                    ],
                }
            ]
        }
    )

    provider: ProviderSummary
    approvals: list[CountsFor] = Field(description="Approvals valid on the search date (not withdrawn)")
    next_sessions: list[SessionSummary] = Field(
        default=[], description="Its next sessions (not ended yet), soonest first, at most 3"
    )


class CatalogPage(BaseModel):
    items: list[CatalogEntry]
    next_cursor: str | None
    total: Total = None


# --- bulk upload --------------------------------------------------------------------------


class ImportRow(BaseModel):
    row: int = Field(
        description="The course's 1-based position in the upload (CSV: the first row after the header is 1)"
    )
    external_id: str | None
    outcome: Outcome
    course_id: int | None = None
    changes: dict[str, list[Any]] | None = Field(default=None, description="{field: [old, new]} of an update")
    errors: list[RowError] | None = None


class CatalogImportReport(ImportReport[ImportRow]):
    """What a course upload did (or, a dry run, would do): counts by outcome and every row."""
