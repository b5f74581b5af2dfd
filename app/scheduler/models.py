"""Scheduler tables: sweep runs, renewals, flags, webhook subscriptions and the notification outbox."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import CheckConstraint, Column, ForeignKey, Index, Integer, UniqueConstraint
from sqlmodel import Field, SQLModel

from app.db import HoursType, JSONDocument, UTCDateTime, utcnow

FLAG_STATUSES = ("due_soon", "overdue", "lapsed", "compliant", "renewal_review")
RENEWAL_SOURCES = ("sweep", "board")
CHANNELS = ("webhook", "email")
OUTBOX_STATUSES = ("pending", "delivered", "failed", "not_configured", "cancelled")


def _one_of(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class SweepRun(SQLModel, table=True):
    """One run of the compliance sweep: when, as of which date, and what it did."""

    __tablename__ = "sweep_run"

    id: int | None = Field(default=None, primary_key=True)
    started_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))
    finished_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))
    as_of: date | None = Field(default=None, description="Explicit as-of date; null = each board's today")
    full: bool = False
    skipped: bool = False
    evaluated: int = 0
    flagged: int = 0
    renewed: int = 0
    notified: int = 0
    duration_ms: int | None = None
    triggered_by: str = Field(max_length=200)
    error: str | None = Field(default=None, max_length=1000, description="Why the run stopped early")


class Renewal(SQLModel, table=True):
    """A recorded renewal of a cycle: a decision that stays decided (docs/compliance.md), an input of every later
    evaluation until a board reopens it.

    Recorded by the sweep when the derivation passes a cycle over (met by its end, or late in grace), or by a
    board when it registers a migrated record (the cycles before its current one). A reopened renewal is kept
    (`reopened_on`); if the cycle is renewed again, that is a new row (`generation` + 1).
    """

    __tablename__ = "renewal"
    __table_args__ = (
        UniqueConstraint("certification_id", "cycle_start", "generation"),
        CheckConstraint(_one_of("source", RENEWAL_SOURCES), name="source"),
    )

    id: int | None = Field(default=None, primary_key=True)
    certification_id: int = Field(sa_column=Column(Integer, ForeignKey("certification.id"), nullable=False, index=True))
    cycle_start: date
    cycle_end: date
    met_on: date | None = Field(default=None, description="When the data met the cycle; null when a board renewed it")
    recorded_on: date = Field(description="The board's day it was recorded: it stands from this day on")
    source: str = Field(default="sweep", max_length=8)
    generation: int = Field(default=0, description="0, or how many times the cycle was reopened before")
    reopened_on: date | None = Field(default=None, description="From this day on a board's reopen set it aside")
    earned_hours: Decimal | None = Field(
        default=None,
        sa_column=Column(HoursType, nullable=True),
        description="The cycle's earned hours when it was recorded",
    )
    required_hours: Decimal | None = Field(default=None, sa_column=Column(HoursType, nullable=True))
    rule_version: int | None = Field(default=None, description="The rule version that evaluated it then")
    recorded_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))


class Flag(SQLModel, table=True):
    """A recorded status change of a certification's cycle; at most one per cycle and status."""

    __tablename__ = "flag"
    __table_args__ = (
        UniqueConstraint("certification_id", "cycle_start", "status"),
        CheckConstraint(_one_of("status", FLAG_STATUSES), name="status"),
        Index("ix_flag_state_id", "state", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    certification_id: int = Field(sa_column=Column(Integer, ForeignKey("certification.id"), nullable=False, index=True))
    credential_code: str = Field(max_length=32, index=True)
    state: str = Field(max_length=2)
    status: str = Field(max_length=16)
    cycle_start: date
    cycle_end: date
    raised_on: date = Field(index=True)
    raised_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))
    reasons: list[str] | None = Field(
        default=None,
        sa_column=Column(JSONDocument, nullable=True),
        description="A renewal_review's reasons: what changed, what is now short",
    )


class WebhookSubscription(SQLModel, table=True):
    """A board's endpoint that receives its state's flags, signed with a shared secret."""

    __tablename__ = "webhook_subscription"
    __table_args__ = (Index("ix_webhook_subscription_state_active", "state", "active"),)

    id: int | None = Field(default=None, primary_key=True)
    state: str = Field(max_length=2)
    url: str = Field(max_length=2000)
    secret: str = Field(max_length=200, description="HMAC key; shown to the subscriber once")
    active: bool = True
    created_by: str = Field(max_length=200)
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))
    deactivated_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))


class Outbox(SQLModel, table=True):
    """One notification of one flag to one recipient, written in the flag's transaction."""

    __tablename__ = "outbox"
    __table_args__ = (
        UniqueConstraint("flag_id", "recipient_key"),
        CheckConstraint(_one_of("channel", CHANNELS), name="channel"),
        CheckConstraint(_one_of("status", OUTBOX_STATUSES), name="status"),
        Index("ix_outbox_status_next_attempt_at", "status", "next_attempt_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    flag_id: int = Field(sa_column=Column(Integer, ForeignKey("flag.id"), nullable=False, index=True))
    channel: str = Field(max_length=16)
    subscription_id: int | None = Field(
        default=None, sa_column=Column(Integer, ForeignKey("webhook_subscription.id"), nullable=True, index=True)
    )
    state: str = Field(max_length=2)
    recipient_key: str = Field(max_length=64, description="'webhook:<subscription id>' or 'email:<person id>'")
    recipient: str = Field(max_length=2000, description="The URL or email address at the time of the flag")
    payload: dict[str, Any] = Field(sa_column=Column(JSONDocument, nullable=False))
    status: str = Field(default="pending", max_length=16)
    attempts: int = 0
    next_attempt_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))
    last_status_code: int | None = None
    last_error: str | None = Field(default=None, max_length=1000)
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))
    delivered_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))


class WebhookDeliveryAttempt(SQLModel, table=True):
    """One attempt to deliver an outbox row: the receiver's status code or the error."""

    __tablename__ = "webhook_delivery_attempt"

    id: int | None = Field(default=None, primary_key=True)
    outbox_id: int = Field(sa_column=Column(Integer, ForeignKey("outbox.id"), nullable=False, index=True))
    attempt: int
    at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))
    status_code: int | None = None
    error: str | None = Field(default=None, max_length=1000)
    duration_ms: int | None = None
