from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Column, Index
from sqlmodel import Field, SQLModel

from app.db import JSONDocument, UTCDateTime, utcnow


class AuditEntry(SQLModel, table=True):
    """One write: who, when, what changed, under which request. Never updated or deleted."""

    __tablename__ = "audit_entry"
    __table_args__ = (Index("ix_audit_entry_entity_entity_id", "entity", "entity_id"),)

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))
    actor: str = Field(max_length=200)
    action: str = Field(max_length=40)
    entity: str = Field(max_length=40)
    entity_id: str = Field(max_length=64)
    state: str | None = Field(default=None, max_length=2, index=True)
    request_id: str | None = Field(default=None, max_length=64)
    changes: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSONDocument, nullable=False))


class AuditEntryState(SQLModel, table=True):
    """A state whose records an audit entry touched: the entry is in that state's board's audit log.

    `AuditEntry.state` is the state of the entity written; a write can reach further (a person certified
    in two states, a completion that counts in both), and each such state gets a row here.
    """

    __tablename__ = "audit_entry_state"
    __table_args__ = (Index("ix_audit_entry_state_state_audit_entry_id", "state", "audit_entry_id"),)

    audit_entry_id: int = Field(foreign_key="audit_entry.id", primary_key=True)
    state: str = Field(max_length=2, primary_key=True)
