"""API shapes of sweeps, flags, renewals and webhooks."""

from __future__ import annotations

import base64
import binascii
from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, AliasChoices, BaseModel, ConfigDict, Field

from app.pagination import Total
from app.types import Day, HoursOut, RequestModel

FlagStatus = Literal["due_soon", "overdue", "lapsed", "compliant", "renewal_review"]
DeliveryStatus = Literal["pending", "delivered", "failed", "not_configured", "cancelled"]


class SweepRequest(RequestModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{}, {"as_of": "2026-12-01"}, {"full": True}]},
    )

    as_of: Day | None = Field(
        default=None,
        description="Evaluate every certification as of this date (default: each board's today in its time zone)",
    )
    full: bool = Field(
        default=False,
        description="Re-evaluate every certification (after a rule change), not only those that can have changed",
    )


class SweepRunPublic(BaseModel):
    model_config = ConfigDict(
        from_attributes=True,
        json_schema_extra={
            "examples": [
                {
                    "id": 12,
                    "started_at": "2026-12-01T10:15:00Z",
                    "finished_at": "2026-12-01T10:15:02Z",
                    "as_of": None,
                    "full": False,
                    "skipped": False,
                    "evaluated": 1320,
                    "flagged": 41,
                    "renewed": 9,
                    "notified": 63,
                    "duration_ms": 2104,
                    "triggered_by": "scheduler",
                }
            ]
        },
    )

    id: int
    started_at: datetime
    finished_at: datetime | None
    as_of: date | None
    full: bool
    skipped: bool = Field(description="True when another replica held the sweep lock; nothing was done")
    evaluated: int
    flagged: int
    renewed: int
    notified: int = Field(description="Notifications queued in the outbox")
    duration_ms: int | None
    triggered_by: str
    error: str | None = Field(default=None, description="Why the run stopped early, if it did")


class SweepRunPage(BaseModel):
    items: list[SweepRunPublic]
    next_cursor: str | None
    total: Total = None


class FlagPublic(BaseModel):
    model_config = ConfigDict(
        from_attributes=True,
        json_schema_extra={
            "examples": [
                {
                    "id": 7,
                    "certification_id": 42,
                    "credential_code": "NC-CPSS",
                    "state": "NC",
                    "status": "due_soon",
                    "cycle_start": "2025-03-15",
                    "cycle_end": "2027-03-31",
                    "raised_on": "2026-12-31",
                    "raised_at": "2026-12-31T10:15:01Z",
                }
            ]
        },
    )

    id: int
    certification_id: int
    credential_code: str
    state: str
    status: FlagStatus
    cycle_start: date
    cycle_end: date
    raised_on: date = Field(description="The as-of date of the sweep that raised it (the board's today)")
    raised_at: datetime
    reasons: list[str] | None = Field(
        default=None,
        description="`renewal_review`: what changed since the cycle was renewed and which requirement "
        "is now short; null for status changes",
    )


class FlagPage(BaseModel):
    items: list[FlagPublic]
    next_cursor: str | None
    total: Total = None


class RenewalPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    cycle_start: date
    cycle_end: date
    met_on: date | None = Field(description="When the data met the cycle; null when a board renewed it")
    recorded_on: date = Field(description="The board's day it was recorded: it stands from that day")
    source: Literal["sweep", "board"] = Field(
        description="`sweep`: the cycle was met and passed over; `board`: a "
        "board renewed it when it registered a migrated record"
    )
    reopened_on: date | None = Field(description="The day a board reopened it (it no longer stands from then)")
    earned_hours: HoursOut | None = Field(description="The cycle's earned hours when it was recorded")
    required_hours: HoursOut | None
    rule_version: int | None = Field(description="The rule version that evaluated the cycle when it was recorded")
    recorded_at: datetime


def check_secret(secret: str) -> str:
    """A secret a subscriber chose: `whsec_` + base64 of 24 to 64 bytes (Standard Webhooks), or, as before, any
    text of 16 characters or more (its UTF-8 bytes are then the HMAC key)."""
    if secret.startswith("whsec_"):
        try:
            key = base64.b64decode(secret.removeprefix("whsec_"), validate=True)
        except (binascii.Error, ValueError):
            key = b""
        if not 24 <= len(key) <= 64:
            raise ValueError("a whsec_ secret is base64 (standard alphabet, padded) of 24 to 64 random bytes")
    return secret


class WebhookCreate(RequestModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"state": "NC", "url": "https://board.example.gov/peer-ce/hooks"}]},
    )

    state: str = Field(pattern=r"^[A-Za-z]{2}$")
    url: str = Field(min_length=8, max_length=2000)
    secret: Annotated[str, AfterValidator(check_secret)] | None = Field(
        default=None,
        min_length=16,
        max_length=200,
        description="The signing secret (default: a random one, returned once): a Standard Webhooks `whsec_` secret "
        "(base64 of 24 to 64 bytes), or any text of 16 characters or more",
    )


class WebhookPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    state: str
    url: str
    active: bool
    created_by: str
    created_at: datetime
    deactivated_at: datetime | None


class WebhookCreated(WebhookPublic):
    secret: str = Field(
        description="Shown this once: verify the `webhook-signature` of each delivery with it "
        "(Standard Webhooks; `whsec_` + base64 of the HMAC key)"
    )


class WebhookPage(BaseModel):
    items: list[WebhookPublic]
    next_cursor: str | None
    total: Total = None


class DeliveryAttemptPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    attempt: int
    at: datetime
    status_code: int | None
    error: str | None
    duration_ms: int | None


class DeliveryPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    flag_id: int
    subscription_id: int | None
    state: str
    url: str = Field(validation_alias=AliasChoices("recipient", "url"))
    status: DeliveryStatus
    attempts: int
    next_attempt_at: datetime
    last_status_code: int | None
    last_error: str | None
    created_at: datetime
    delivered_at: datetime | None


class DeliveryDetail(DeliveryPublic):
    payload: dict
    attempt_log: list[DeliveryAttemptPublic]


class DeliveryPage(BaseModel):
    items: list[DeliveryPublic]
    next_cursor: str | None
    total: Total = None
