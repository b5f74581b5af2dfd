"""API shapes of course sessions: what a provider sends, what anyone reads."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from functools import lru_cache
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, available_timezones

from pydantic import AnyHttpUrl, BaseModel, BeforeValidator, ConfigDict, Field, field_validator

from app.pagination import Total
from app.types import FIRST_DAY, LAST_DAY, RequestModel, stripped_text

SessionModality = Literal["in_person", "live_virtual", "hybrid"]
MAX_LENGTH = timedelta(days=31)  # a session, even a multi-day training, ends within a month of its start


@lru_cache(maxsize=1)
def zone_names() -> frozenset[str]:
    return frozenset(available_timezones())


def check_zone(value: Any) -> Any:
    """An IANA time zone name of the system's database (`America/Chicago`), as written there."""
    if isinstance(value, str) and len(value) > 64:
        raise ValueError("at most 64 characters")
    if isinstance(value, str) and value not in zone_names():
        raise ValueError(f"{value!r} is not an IANA time zone name (for example America/New_York)")
    return value


Zone = Annotated[
    str,
    BeforeValidator(check_zone),
    Field(
        max_length=64,
        description="IANA time zone name the times are given in and shown in",
        examples=["America/Chicago"],
    ),
]
Url = Annotated[AnyHttpUrl, Field(description="An http(s) URL, at most 500 characters")]


def _short(value: AnyHttpUrl | None) -> AnyHttpUrl | None:
    if value is not None and len(str(value)) > 500:
        raise ValueError("at most 500 characters")
    return value


def _time(value: Any) -> Any:
    """Times are ISO 8601 strings: with an offset (`2027-01-12T18:00:00Z`) or as local wall time in
    `timezone` (`2027-01-12T13:00:00`)."""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            raise ValueError("a date and time written YYYY-MM-DDTHH:MM[:SS], with an optional offset") from None
    if not isinstance(value, datetime):
        raise ValueError("a date and time written YYYY-MM-DDTHH:MM[:SS], with an optional offset")
    if not FIRST_DAY.year <= value.year <= LAST_DAY.year:
        raise ValueError(f"times must be from {FIRST_DAY.year} to {LAST_DAY.year}")
    return value


When = Annotated[
    datetime,
    BeforeValidator(_time),
    Field(
        description="ISO 8601 date and time: with an offset or `Z`, or local wall time in `timezone`",
        examples=["2027-01-12T13:00:00"],
        json_schema_extra={"type": "string", "format": "date-time"},
    ),
]


def to_utc(value: datetime, zone: str, field: str) -> datetime:
    """An aware instant; wall time is read in `zone`, and a wall time the zone skips (a DST gap) is refused."""
    if value.tzinfo is not None:
        return value.astimezone(ZoneInfo("UTC"))
    tz = ZoneInfo(zone)
    aware = value.replace(tzinfo=tz)
    if aware.astimezone(ZoneInfo("UTC")).astimezone(tz).replace(tzinfo=None) != value:
        raise ValueError(f"{field}: {value.isoformat()} does not exist in {zone} (the clocks skip it)")
    return aware.astimezone(ZoneInfo("UTC"))


class SessionFields(RequestModel):
    model_config = ConfigDict(strict=True, extra="forbid", str_strip_whitespace=True)

    location: str | None = Field(
        default=None,
        min_length=2,
        max_length=500,
        json_schema_extra=stripped_text(2),
        description="Where it is held (required in person and hybrid)",
    )
    join_url: Url | None = Field(
        default=None,
        description="Link to join online; shown publicly, so give one "
        "only if anyone may join (otherwise a registration_url)",
    )
    registration_url: Url | None = Field(default=None, description="Where to register")
    capacity: int | None = Field(default=None, ge=1, le=100_000, description="Seats")

    _short_join = field_validator("join_url", "registration_url")(_short)


class SessionCreate(SessionFields):
    """A dated run of a course. Times with an offset are taken as given; without one, as wall time in
    `timezone`. Stored in UTC with the zone."""

    model_config = ConfigDict(
        strict=True,
        extra="forbid",
        str_strip_whitespace=True,
        json_schema_extra={
            "examples": [
                {
                    "starts_at": "2027-01-12T12:00:00",
                    "ends_at": "2027-01-12T15:00:00",
                    "timezone": "America/Chicago",
                    "modality": "live_virtual",
                    "registration_url": "https://training.example.org/tip-101/register",
                    "capacity": 40,
                }
            ],
            # What the service checks of a new session's modality (app.sessions.service): a location to be
            # held in person or hybrid.
            # (under allOf: a client generator keeps one model for conditions on it, see app.rules.shapes)
            "allOf": [
                {
                    "anyOf": [
                        {"properties": {"modality": {"const": "live_virtual"}}},
                        {"required": ["location"], "properties": {"location": {"type": "string"}}},
                    ]
                }
            ],
        },
    )

    starts_at: When
    ends_at: When
    timezone: Zone
    modality: SessionModality


class SessionUpdate(SessionFields):
    """What to change; times are read in the session's (new or current) zone as on creation. `null` clears
    location, links and capacity."""

    model_config = ConfigDict(
        strict=True,
        extra="forbid",
        str_strip_whitespace=True,
        json_schema_extra={"examples": [{"location": "Room 204, 12 Main St, Raleigh NC", "capacity": 30}]},
    )

    starts_at: When | None = None
    ends_at: When | None = None
    timezone: Zone | None = None
    modality: SessionModality | None = None


class SessionPublic(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": 4,
                    "course_id": 7,
                    "provider_id": 3,
                    "course_title": "Trauma-informed peer support",
                    "starts_at": "2027-01-12T18:00:00Z",
                    "ends_at": "2027-01-12T21:00:00Z",
                    "timezone": "America/Chicago",
                    "local_start": "2027-01-12T12:00:00-06:00",
                    "local_end": "2027-01-12T15:00:00-06:00",
                    "starts_on": "2027-01-12",
                    "modality": "live_virtual",
                    "location": None,
                    "join_url": None,
                    "registration_url": "https://training.example.org/tip-101/register",
                    "capacity": 40,
                    "uid": "5b0f6c...@peer-ce",
                    "created_at": "2026-12-01T09:00:00Z",
                    "updated_at": "2026-12-01T09:00:00Z",
                }
            ]
        }
    )

    id: int
    course_id: int
    provider_id: int
    course_title: str
    starts_at: datetime = Field(description="UTC")
    ends_at: datetime = Field(description="UTC")
    timezone: str
    local_start: datetime = Field(description="The start in `timezone`, with its offset")
    local_end: datetime
    starts_on: date = Field(description="The local date of the start")
    modality: SessionModality
    location: str | None
    join_url: str | None
    registration_url: str | None
    capacity: int | None
    uid: str = Field(description="The session's iCalendar UID")
    created_at: datetime
    updated_at: datetime


class SessionSummary(BaseModel):
    """A course's next session, as catalog results and the peer's status page show it."""

    id: int
    starts_at: datetime
    ends_at: datetime
    timezone: str
    local_start: datetime
    modality: SessionModality
    location: str | None
    join_url: str | None
    registration_url: str | None


class SessionPage(BaseModel):
    items: list[SessionPublic]
    next_cursor: str | None
    total: Total = None
