"""The daily compliance snapshot the sweep records: counts by credential and status, per board day."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Column, Index
from sqlmodel import Field, SQLModel

from app.db import UTCDateTime, utcnow


class ComplianceSnapshot(SQLModel, table=True):
    """How many certifications of a credential had each status on a day (the board's calendar day).

    One aggregate per sweep run (`app.reports.snapshots.record`), never per certification: the rows of
    a day are replaced by a later run of the same day, so each day keeps the counts of its last sweep.
    """

    __tablename__ = "compliance_snapshot"
    __table_args__ = (Index("ix_compliance_snapshot_day_state", "day", "state"),)

    credential_code: str = Field(primary_key=True, max_length=32)
    day: date = Field(primary_key=True)
    status: str = Field(primary_key=True, max_length=16)
    state: str = Field(max_length=2)
    count: int
    sweep_run_id: int | None = Field(default=None, description="The sweep run that recorded it")
    recorded_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))
