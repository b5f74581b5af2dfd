from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import CheckConstraint, Column, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from app.db import HoursType, JSONDocument, UTCDateTime, utcnow

STATUSES = ("accepted", "pending", "rejected", "voided")
SOURCES = ("admin", "board", "provider", "self_report")


class Completion(SQLModel, table=True):
    """One person's completed CE: a catalog course, or outside CE the peer reported.

    Never deleted: a mistake is voided (with a reason) and, if needed, recorded again.
    `dedupe_key` ("person:course:date") makes re-posted rosters create nothing new; it is
    cleared when a completion is voided or rejected so a corrected record can take its place.
    """

    __tablename__ = "completion"
    __table_args__ = (
        CheckConstraint("status IN ('accepted', 'pending', 'rejected', 'voided')", name="status"),
        CheckConstraint("source IN ('admin', 'board', 'provider', 'self_report')", name="source"),
        CheckConstraint("hours > 0", name="hours_positive"),
        UniqueConstraint("dedupe_key"),
        Index("ix_completion_person_id_completed_on", "person_id", "completed_on"),
        # Reports read a period's completions (app.reports): on PostgreSQL from the index alone.
        Index(
            "ix_completion_completed_on",
            "completed_on",
            postgresql_include=["person_id", "course_id", "hours", "status"],
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(sa_column=Column(Integer, ForeignKey("person.id"), nullable=False))
    course_id: int | None = Field(
        default=None, sa_column=Column(Integer, ForeignKey("course.id"), nullable=True, index=True)
    )
    learner_certification_id: int | None = Field(
        default=None,
        sa_column=Column(Integer, ForeignKey("certification.id"), nullable=True),
        description="The certification the reporter named the learner by (credential, number, family name); "
        "a provider naming a known learner by person_id keeps the one it named before",
    )
    title: str = Field(max_length=300)
    provider_name: str | None = Field(default=None, max_length=200)
    hours: Decimal = Field(sa_column=Column(HoursType, nullable=False))
    modality: str = Field(max_length=16)
    completed_on: date
    status: str = Field(max_length=16)
    source: str = Field(max_length=16)
    evidence_url: str | None = Field(default=None, max_length=500)
    dedupe_key: str | None = Field(default=None, sa_column=Column(String(80), nullable=True))
    reported_by: str = Field(max_length=200)
    review_state: str | None = Field(default=None, max_length=2, description="State of the board that reviewed it")
    review_categories: list[str] = Field(default_factory=list, sa_column=Column(JSONDocument, nullable=False))
    review_reason: str | None = Field(default=None, max_length=1000)
    reviewed_by: str | None = Field(default=None, max_length=200)
    reviewed_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))
    void_reason: str | None = Field(default=None, max_length=1000)
    voided_by: str | None = Field(default=None, max_length=200)
    voided_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))


class IdempotencyRecord(SQLModel, table=True):
    """A POST's Idempotency-Key and the response it produced, for replays."""

    __tablename__ = "idempotency_record"
    __table_args__ = (UniqueConstraint("owner", "key"),)

    id: int | None = Field(default=None, primary_key=True)
    owner: str = Field(max_length=200)
    key: str = Field(max_length=255)
    method: str = Field(max_length=8)
    path: str = Field(max_length=500)
    fingerprint: str = Field(max_length=64)
    state: str = Field(max_length=16, description="in_progress | done")
    response_status: int | None = None
    response_headers: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSONDocument, nullable=False))
    response_body: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False, index=True))


class CompletionEvidence(SQLModel, table=True):
    """The evidence file a completion was reported with (app.completions.evidence): its bytes are in the
    evidence store under `storage_key`; the type was read from the content."""

    __tablename__ = "completion_evidence"
    __table_args__ = (UniqueConstraint("completion_id"), UniqueConstraint("storage_key"))

    id: int | None = Field(default=None, primary_key=True)
    completion_id: int = Field(sa_column=Column(Integer, ForeignKey("completion.id"), nullable=False))
    storage_key: str = Field(max_length=100)
    media_type: str = Field(max_length=40)
    size_bytes: int
    sha256: str = Field(max_length=64)
    filename: str = Field(max_length=200)
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))
