from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Column, UniqueConstraint
from sqlmodel import Field, SQLModel

from app.db import JSONDocument, UTCDateTime, utcnow


class RuleSetVersion(SQLModel, table=True):
    """One published version of a credential's rule set. Versions are never changed or removed."""

    __tablename__ = "rule_set_version"
    __table_args__ = (UniqueConstraint("code", "version"),)

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=32, index=True)
    version: int
    state: str = Field(max_length=2, index=True)
    effective_from: date
    document: dict[str, Any] = Field(sa_column=Column(JSONDocument, nullable=False))
    content_hash: str = Field(max_length=64)
    origin: str = Field(max_length=16, description="'content' (shipped YAML) or 'api' (published)")
    published_by: str = Field(max_length=200)
    published_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))
