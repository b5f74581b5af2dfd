"""Catalog tables: the topic taxonomy, providers, their courses and boards' approvals of them."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    CheckConstraint,
    Column,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlmodel import Field, SQLModel

from app.db import HoursType, UTCDateTime, utcnow

PROVIDER_KINDS = ("attc_region", "training_center", "peer_run_organization", "university", "state_agency", "other")
MODALITIES = ("in_person", "live_virtual", "self_paced")
COURSE_STATUSES = ("draft", "published", "retired")

# Catalog search on PostgreSQL: the same expression in the GIN index and in the query.
SEARCH_DOCUMENT = "to_tsvector('english', (title || ' ') || coalesce(description, ''))"


def new_facts_token() -> str:
    """Random, so a value is never reused, not even after a rolled-back change."""
    return uuid.uuid4().hex


def _one_of(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class Topic(SQLModel, table=True):
    """One accepted booster topic of the taxonomy: content/topics.yaml is its seed, admins add to it (directly,
    or by accepting a provider's proposal). Only these validate; topics are never deleted."""

    __tablename__ = "topic"

    id: str = Field(primary_key=True, max_length=64)
    name: str = Field(max_length=200)
    description: str = Field(max_length=1000)


TOPIC_PROPOSAL_STATUSES = ("proposed", "accepted", "rejected")


class TopicProposal(SQLModel, table=True):
    """A provider's request for a new topic. An admin accepts it (the topic joins the taxonomy) or rejects it
    with a reason; one proposal per topic id, kept after the decision."""

    __tablename__ = "topic_proposal"
    __table_args__ = (CheckConstraint(_one_of("status", TOPIC_PROPOSAL_STATUSES), name="status"),)

    topic_id: str = Field(primary_key=True, max_length=64)
    name: str = Field(max_length=200)
    description: str = Field(max_length=1000)
    status: str = Field(default="proposed", max_length=16)
    provider_id: int | None = Field(
        default=None, sa_column=Column(Integer, ForeignKey("provider.id"), nullable=True, index=True)
    )
    proposed_by: str = Field(max_length=200)
    reviewed_by: str | None = Field(default=None, max_length=200)
    reviewed_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))
    review_reason: str | None = Field(default=None, max_length=1000)
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))


class Provider(SQLModel, table=True):
    """An organisation that offers booster courses: an ATTC region, a training center, ..."""

    __tablename__ = "provider"
    __table_args__ = (CheckConstraint(_one_of("kind", PROVIDER_KINDS), name="kind"),)

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200, unique=True)
    kind: str = Field(max_length=32)
    region: str | None = Field(default=None, max_length=100)
    contact_email: str | None = Field(default=None, max_length=254)
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))
    updated_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))


class Course(SQLModel, table=True):
    """A provider's course, identified for upserts by (provider_id, external_id). Never deleted: retired."""

    __tablename__ = "course"
    __table_args__ = (
        UniqueConstraint("provider_id", "external_id"),
        CheckConstraint("hours > 0", name="hours_positive"),
        CheckConstraint(_one_of("modality", MODALITIES), name="modality"),
        CheckConstraint(_one_of("status", COURSE_STATUSES), name="status"),
        Index("ix_course_status_id", "status", "id"),
        # PostgreSQL only (created under a dialect check in the migration); SQLite searches with LIKE.
        Index("ix_course_search", text(SEARCH_DOCUMENT), postgresql_using="gin"),
    )

    id: int | None = Field(default=None, primary_key=True)
    provider_id: int = Field(sa_column=Column(Integer, ForeignKey("provider.id"), nullable=False))
    external_id: str = Field(max_length=100)
    title: str = Field(sa_column=Column(Text, nullable=False))
    description: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    hours: Decimal = Field(sa_column=Column(HoursType, nullable=False))
    modality: str = Field(max_length=16)
    url: str | None = Field(default=None, max_length=500)
    status: str = Field(default="published", max_length=16)
    available_from: date | None = Field(
        default=None,
        description="The date the course exists from; none: no lower "
        "bound on its completion dates (its approvals' own dates still decide credit)",
    )
    facts_token: str = Field(
        default_factory=new_facts_token,
        max_length=32,
        description="A new random value whenever the course's topics or approvals change: caches of them compare it",
    )
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))
    updated_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))


class CourseTopic(SQLModel, table=True):
    """A course is tagged with one or more topics of the taxonomy."""

    __tablename__ = "course_topic"

    course_id: int = Field(sa_column=Column(Integer, ForeignKey("course.id"), primary_key=True))
    topic_id: str = Field(sa_column=Column(String(64), ForeignKey("topic.id"), primary_key=True, index=True))


class CourseApproval(SQLModel, table=True):
    """A board's approval of a course for one credential, dated; withdrawn rather than deleted."""

    __tablename__ = "course_approval"
    __table_args__ = (
        CheckConstraint("valid_until IS NULL OR valid_from IS NULL OR valid_until >= valid_from", name="period"),
        CheckConstraint("hours IS NULL OR hours > 0", name="hours_positive"),
        Index("ix_course_approval_course_id_credential_code", "course_id", "credential_code"),
    )

    id: int | None = Field(default=None, primary_key=True)
    course_id: int = Field(sa_column=Column(Integer, ForeignKey("course.id"), nullable=False))
    credential_code: str = Field(max_length=32, index=True)
    state: str = Field(max_length=2, description="The credential's state (the approving board)")
    hours: Decimal | None = Field(default=None, sa_column=Column(HoursType, nullable=True))
    valid_from: date | None = None
    valid_until: date | None = None
    withdrawn_on: date | None = None
    withdrawal_reason: str | None = Field(default=None, max_length=1000)
    approved_by: str = Field(max_length=200)
    withdrawn_by: str | None = Field(default=None, max_length=200)
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))


class CourseApprovalCategory(SQLModel, table=True):
    """A category slug of the credential's rules that an approval tags its course with."""

    __tablename__ = "course_approval_category"

    approval_id: int = Field(sa_column=Column(Integer, ForeignKey("course_approval.id"), primary_key=True))
    category: str = Field(sa_column=Column(String(64), primary_key=True, index=True))
