"""API shapes for credentials (the rule-set document itself lives in schema.py)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, Field

from app.certifications.impact import Impact, with_impact
from app.rules.document import RuleSet


class VersionSummary(BaseModel):
    version: int
    effective_from: date
    origin: Literal["content", "api"]
    published_at: datetime


class RuleSetVersionPublic(VersionSummary):
    rules: RuleSet


class CredentialPublic(BaseModel):
    code: str = Field(examples=["NC-CPSS"])
    state: str = Field(examples=["NC"])
    name: str
    body: str
    current: RuleSetVersionPublic = Field(
        description="The version in effect today in the board's time zone (the latest "
        "effective_from on or before today; the earliest version if none has started yet)."
    )
    versions: list[VersionSummary] = Field(description="Every version, oldest first.")


class CredentialPublished(CredentialPublic):
    model_config = with_impact(CredentialPublic)

    impact: Impact = Field(description="What publishing the version changed, before and after")


class CredentialList(BaseModel):
    items: list[CredentialPublic]
    next_cursor: str | None = None
