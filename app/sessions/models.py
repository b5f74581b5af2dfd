"""The `course_session` table: one scheduled run of a provider's course."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import CheckConstraint, Column, ForeignKey, Index, Integer, String
from sqlmodel import Field, SQLModel

from app.db import UTCDateTime, utcnow

SESSION_MODALITIES = ("in_person", "live_virtual", "hybrid")


def new_uid() -> str:
    """The session's iCalendar UID: random, so it is unique across installations and never reused."""
    return f"{uuid.uuid4().hex}@peer-ce"


class CourseSession(SQLModel, table=True):
    """A dated run of a course: its start and end (stored in UTC, with the IANA zone they were given in),
    where it is held, and how to join or register. Deleted by its provider when it is called off."""

    __tablename__ = "course_session"
    __table_args__ = (
        CheckConstraint("ends_at > starts_at", name="period"),
        CheckConstraint("modality IN ('in_person', 'live_virtual', 'hybrid')", name="modality"),
        CheckConstraint("capacity IS NULL OR capacity > 0", name="capacity_positive"),
        Index("ix_course_session_course_id_starts_at", "course_id", "starts_at"),
        Index("ix_course_session_starts_at_id", "starts_at", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    uid: str = Field(default_factory=new_uid, sa_column=Column(String(64), nullable=False, unique=True))
    course_id: int = Field(sa_column=Column(Integer, ForeignKey("course.id"), nullable=False))
    starts_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    ends_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    timezone: str = Field(max_length=64, description="IANA zone the times were given in and are shown in")
    starts_on: date = Field(description="The local calendar date of the start, in `timezone`")
    modality: str = Field(max_length=16)
    location: str | None = Field(default=None, max_length=500)
    join_url: str | None = Field(default=None, max_length=500)
    registration_url: str | None = Field(default=None, max_length=500)
    capacity: int | None = None
    sequence: int = Field(default=0, description="iCalendar SEQUENCE: one more on every change")
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))
    updated_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))
