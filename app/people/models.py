from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, Column
from sqlmodel import Field, SQLModel

from app.db import UTCDateTime, utcnow


class Person(SQLModel, table=True):
    """A peer specialist. No SSN, no birth year: only what CE rules need."""

    __tablename__ = "person"
    __table_args__ = (
        CheckConstraint("birth_month IS NULL OR (birth_month BETWEEN 1 AND 12)", name="birth_month"),
        CheckConstraint("birth_day IS NULL OR (birth_day BETWEEN 1 AND 31)", name="birth_day"),
    )

    id: int | None = Field(default=None, primary_key=True)
    given_name: str = Field(max_length=100)
    family_name: str = Field(max_length=100, index=True)
    email: str = Field(max_length=254, unique=True)
    external_ref: str | None = Field(default=None, max_length=100, index=True)
    birth_month: int | None = Field(default=None, description="Only for birthday-anchored rules (WA)")
    birth_day: int | None = None
    registered_by_state: str | None = Field(default=None, max_length=2, index=True)
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))
    updated_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))
