"""Hits per client and time window, shared by every worker and replica on PostgreSQL."""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, String
from sqlmodel import Field, SQLModel


class RateLimitHit(SQLModel, table=True):
    """How many requests one client (`bucket`) made in one fixed window (`window` = epoch seconds // length)."""

    __tablename__ = "rate_limit_hit"

    bucket: str = Field(sa_column=Column(String(120), primary_key=True))
    window: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    hits: int = Field(default=0)
