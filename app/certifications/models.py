from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import JSON, CheckConstraint, Column, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field, SQLModel

from app.db import HoursType, UTCDateTime, utcnow

# {category slug: hundredths of an hour still needed}, or SQL NULL (not JSON null) when nothing is.
UnmetCategories = JSON(none_as_null=True).with_variant(JSONB(none_as_null=True), "postgresql")


class Certification(SQLModel, table=True):
    """One person's certification under one credential.

    The status columns cache the engine's last evaluation (for lists, filters and the
    sweep); compliance answers always come from a fresh evaluation.
    """

    __tablename__ = "certification"
    __table_args__ = (
        UniqueConstraint("credential_code", "number"),
        Index("ix_certification_state_status", "state", "status"),
        Index("ix_certification_next_change_on", "next_change_on"),
        # Free space on every page, so the frequent rewrites of unindexed columns (dirty, evaluated_on, the
        # cycle dates) are HOT updates: no index entries written. `dirty` has no index for the same reason
        # (the sweep finds dirty rows on its keyset scan of the primary key).
        {"postgresql_with": {"fillfactor": 85}},
    )

    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(sa_column=Column(Integer, ForeignKey("person.id"), nullable=False, index=True))
    credential_code: str = Field(max_length=32)
    state: str = Field(max_length=2)
    number: str = Field(max_length=64)
    issued_on: date
    cycle_option: str | None = Field(
        default=None, max_length=64, description="The holder's choice among the rule set's cycle_options"
    )
    variants: str = Field(
        default="",
        sa_column=Column(String(200), nullable=False, server_default=""),
        description="The credential's variants this certification holds: sorted ids, comma-separated",
    )
    # A migrated record: the current cycle its board stated when it registered it (on `registered_on`); the
    # cycles before it are recorded as renewed by the board on that day (scheduler `renewal`, source 'board').
    registered_cycle_start: date | None = Field(
        default=None,
        description="The current cycle's start as the board stated it when it registered a migrated record",
    )
    registered_cycle_end: date | None = Field(
        default=None, description="That cycle's end, when the board's date differs from the rules' arithmetic"
    )
    registered_carryover_hours: Decimal | None = Field(
        default=None,
        sa_column=Column(HoursType, nullable=True),
        description="Hours carried into that cycle from the board's previous system",
    )
    registered_on: date | None = Field(default=None, description="The board's day the migrated cycle was recorded")
    status: str = Field(default="in_progress", max_length=16)
    cycle_start: date | None = None
    cycle_end: date | None = None
    grace_ends_on: date | None = None
    next_change_on: date | None = None
    evaluated_on: date | None = None
    dirty: bool = Field(default=True)
    unmet_categories: dict[str, int] | None = Field(
        default=None,
        sa_column=Column(UnmetCategories, nullable=True),
        description="The hours (in hundredths) still needed per required category of the open cycle, as of "
        "evaluated_on; null when none, or when the cycle is not open (met, lapsed, on hold): for reports",
    )
    row_version: int = Field(default=1)
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))
    updated_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))


class BoardAction(SQLModel, table=True):
    """A dated board decision on a certification: suspend, revoke, inactivate, reinstate, or reopen a renewed
    cycle (`cycle_start`: the cycle reopened, or the start of the chain a reinstatement begins)."""

    __tablename__ = "board_action"

    id: int | None = Field(default=None, primary_key=True)
    certification_id: int = Field(sa_column=Column(Integer, ForeignKey("certification.id"), nullable=False, index=True))
    kind: str = Field(max_length=16)
    effective_on: date
    cycle_start: date | None = None
    reason: str = Field(max_length=1000)
    actor: str = Field(max_length=200)
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))


class CertificationActivity(SQLModel, table=True):
    """Recorded non-CE renewal activity: service or supervision hours, or a signed attestation.

    It meets a rule's `requirements.other` entry (by `requirement_id`) when dated within the cycle.
    Append-only, like board actions.
    """

    __tablename__ = "certification_activity"
    __table_args__ = (CheckConstraint("kind IN ('service_hours', 'supervision_hours', 'attestation')", name="kind"),)

    id: int | None = Field(default=None, primary_key=True)
    certification_id: int = Field(sa_column=Column(Integer, ForeignKey("certification.id"), nullable=False, index=True))
    requirement_id: str = Field(max_length=64)
    kind: str = Field(max_length=24)
    on: date
    hours: Decimal | None = Field(default=None, sa_column=Column(HoursType, nullable=True))
    note: str | None = Field(default=None, max_length=1000)
    recorded_by: str = Field(max_length=200)
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))
