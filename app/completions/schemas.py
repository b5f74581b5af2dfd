from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import AnyHttpUrl, BaseModel, ConfigDict, Field, JsonValue, model_validator

from app.certifications.impact import Impact, with_impact
from app.pagination import Total
from app.types import Day, DbId, HoursIn, HoursOut, RequestModel

Modality = Literal["in_person", "live_virtual", "self_paced"]


def _variant(given: dict[str, str], absent: tuple[str, ...]) -> dict[str, Any]:
    """Bodies that give these fields (with these JSON types) and leave out those (absent or null)."""
    properties: dict[str, Any] = {field: {"type": kind} for field, kind in given.items()}
    properties.update({field: {"type": "null"} for field in absent})
    return {"required": list(given), "properties": properties} if given else {"properties": properties}


_COURSE_FIELDS = ("title", "provider_name", "modality")

# What `CompletionCreate._shape` checks, stated in the schema as alternatives (a field sent as null counts as
# not given): who the completion is for, and which course. Plain `anyOf` branches rather than `if`/`then`,
# which no form generator can judge once a branch holds the evidence file (a binary part).
_SHAPE: list[JsonValue] = [
    {
        "anyOf": [
            _variant({}, ("credential_code", "certificate_number", "family_name")),
            _variant({"credential_code": "string", "certificate_number": "string"}, ("person_id",)),
        ]
    },
    {
        "anyOf": [
            _variant({"course_id": "integer"}, ("course_external_id", *_COURSE_FIELDS)),
            _variant({"course_external_id": "string"}, ("course_id", *_COURSE_FIELDS)),
            _variant(
                {"title": "string", "provider_name": "string", "hours": "number", "modality": "string"},
                ("course_id", "course_external_id"),
            ),
        ]
    },
]


class CompletionCreate(RequestModel):
    """Report a completion. Identify the peer by person_id or by credential_code + certificate_number.

    A provider names the learner by credential_code + certificate_number + family_name, as on the
    certificate the learner showed, or by person_id for a learner it has reported before.

    For a catalog course give course_id (a provider may give its own course_external_id instead); a peer
    reporting outside CE gives title, provider_name, hours and modality instead.
    """

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"person_id": 12, "course_id": 3, "completed_on": "2026-10-02"},
                {
                    "credential_code": "NC-CPSS",
                    "certificate_number": "NC-2024-00117",
                    "family_name": "Rivera",
                    "course_external_id": "TIP-101",
                    "completed_on": "2026-10-02",
                },
                {
                    "credential_code": "NC-CPSS",
                    "certificate_number": "NC-2024-00117",
                    "family_name": "Rivera",
                    "course_id": 3,
                    "completed_on": "2026-10-02",
                },
                {
                    "title": "Trauma-informed peer support (conference session)",
                    "provider_name": "State peer conference",
                    "hours": 1.5,
                    "modality": "in_person",
                    "completed_on": "2026-09-14",
                    "evidence_url": "https://example.org/certificates/123",
                },
            ],
            "allOf": _SHAPE,
        },
    )

    person_id: DbId | None = None
    credential_code: str | None = Field(default=None, max_length=32)
    certificate_number: str | None = Field(default=None, max_length=64)
    family_name: str | None = Field(
        default=None,
        min_length=1,
        max_length=100,
        description="The learner's family name as on the certification (required "
        "of providers naming the learner by certificate)",
    )
    course_id: DbId | None = None
    course_external_id: str | None = Field(
        default=None,
        min_length=1,
        max_length=100,
        description="A provider may name its own course by its external_id instead of course_id",
    )
    completed_on: Day
    hours: HoursIn | None = Field(default=None, description="Hours attended, if less than the course's")
    title: str | None = Field(default=None, min_length=3, max_length=300)
    provider_name: str | None = Field(default=None, min_length=2, max_length=200)
    modality: Modality | None = None
    evidence_url: AnyHttpUrl | None = None

    @model_validator(mode="after")
    def _shape(self) -> CompletionCreate:
        if (self.credential_code is None) != (self.certificate_number is None):
            raise ValueError("credential_code and certificate_number go together")
        if self.person_id is not None and self.credential_code is not None:
            raise ValueError("identify the peer by person_id or by certificate, not both")
        if self.family_name is not None and self.credential_code is None:
            raise ValueError("family_name goes with credential_code and certificate_number")
        if self.course_id is not None and self.course_external_id is not None:
            raise ValueError("name the course by course_id or by course_external_id, not both")
        if self.course_id is None and self.course_external_id is None:
            missing = [f for f in ("title", "provider_name", "hours", "modality") if getattr(self, f) is None]
            if missing:
                raise ValueError(f"outside CE (no course_id) needs {', '.join(missing)}")
        elif self.title or self.provider_name or self.modality:
            raise ValueError("title, provider_name and modality come from the course; omit them with course_id")
        return self


class ReviewCreate(RequestModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"decision": "approve", "reason": "Certificate checked", "categories": ["ethics"]}]
        },
    )

    decision: Literal["approve", "reject"]
    reason: str = Field(min_length=3, max_length=1000)
    categories: list[str] = Field(
        default_factory=list, max_length=20, description="Categories of your credentials the hours count toward"
    )


class VoidCreate(RequestModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"reason": "Reported twice by the provider"}]}
    )

    reason: str = Field(min_length=3, max_length=1000)


class CorrectionCreate(RequestModel):
    """Correct a completion: it is voided and a corrected record takes its place, in one step. What is not
    given is kept; its certificate is revoked and superseded by the new record's."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"reason": "Attended 2 of the 3 hours", "hours": 2},
                {"reason": "Wrong session date on the roster", "completed_on": "2026-10-09"},
            ]
        },
    )

    reason: str = Field(min_length=3, max_length=1000)
    completed_on: Day | None = None
    hours: HoursIn | None = None
    course_id: DbId | None = Field(default=None, description="Another catalog course (catalog completions only)")
    title: str | None = Field(default=None, min_length=3, max_length=300, description="Outside CE only")
    provider_name: str | None = Field(default=None, min_length=2, max_length=200, description="Outside CE only")
    modality: Modality | None = Field(default=None, description="Outside CE only")
    evidence_url: AnyHttpUrl | None = None


class Credit(BaseModel):
    certification_id: int
    credential_code: str
    counted_hours: HoursOut
    outcome: Literal["counted", "partly_counted", "not_counted"]
    reason: str


class LearnerPublic(BaseModel):
    """Who a completion is for, as the caller may know them."""

    given_name: str
    family_name: str
    credential_code: str | None = Field(
        description="The certification the learner was named by (null when "
        "named by person_id, or for a board: of another state)"
    )
    certificate_number: str | None


class CompletionPublic(BaseModel):
    model_config = ConfigDict(
        from_attributes=True,
        json_schema_extra={
            "examples": [
                {
                    "id": 31,
                    "person_id": 12,
                    "course_id": 7,
                    "title": "Trauma-informed peer support",
                    "provider_name": None,
                    "hours": 3,
                    "modality": "live_virtual",
                    "completed_on": "2026-10-02",
                    "status": "accepted",
                    "source": "provider",
                    "evidence_url": None,
                    "review_reason": None,
                    "void_reason": None,
                    "created_at": "2026-10-03T08:00:00Z",
                    "credit": [
                        {
                            "certification_id": 1,
                            "credential_code": "NC-CPSS",
                            "counted_hours": 3,
                            "outcome": "counted",
                            "reason": "counted 3.00 hours",
                        }
                    ],
                    "learner": {
                        "given_name": "Ana",
                        "family_name": "Rivera",
                        "credential_code": "NC-CPSS",
                        "certificate_number": "NC-2024-00117",
                    },
                }
            ]
        },
    )

    id: int
    person_id: int
    course_id: int | None
    title: str
    provider_name: str | None
    hours: HoursOut
    modality: str
    completed_on: date
    status: Literal["accepted", "pending", "rejected", "voided"]
    source: str
    evidence_url: str | None
    review_reason: str | None
    void_reason: str | None
    created_at: datetime
    has_evidence: bool = Field(
        default=False,
        description="Reported with an evidence file "
        "(`GET /v1/completions/{id}/evidence`, for the peer and their boards)",
    )
    credit: list[Credit] = Field(
        default_factory=list, description="Where this completion counts today, and where not and why"
    )
    learner: LearnerPublic | None = Field(
        default=None,
        description="The learner's name and the certification they were named by: for admins and "
        "boards; for a provider, on the completions it reported naming the learner by certificate (null "
        "otherwise, and on a peer's own records)",
    )


class CompletionVoided(CompletionPublic):
    model_config = with_impact(CompletionPublic)

    impact: Impact = Field(description="What the void did to the person's certifications, before and after")


class CompletionPage(BaseModel):
    items: list[CompletionPublic]
    next_cursor: str | None
    total: Total = None
