"""Certificate tables: each completion's one issued credential, and each learner's stable subject id."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, Column, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from app.db import UTCDateTime, utcnow

REVOCATION_REASONS = ("voided", "superseded")


class CredentialSubject(SQLModel, table=True):
    """A learner's `credentialSubject.id` in every certificate: random (`urn:uuid:`), so it says nothing of the
    person, and the same in all of their certificates."""

    __tablename__ = "credential_subject"

    person_id: int = Field(sa_column=Column(Integer, ForeignKey("person.id"), primary_key=True))
    subject_id: str = Field(sa_column=Column(String(64), nullable=False, unique=True))
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))


class Certificate(SQLModel, table=True):
    """The one credential issued for a completion: the signed VC-JWT exactly as served, never re-signed.

    Revoked (its status-list bit set) when the completion is voided, or superseded by the certificate of the
    completion that corrects it. `(status_list, status_index)` is its entry in a Bitstring Status List.
    """

    __tablename__ = "certificate"
    __table_args__ = (
        UniqueConstraint("completion_id"),
        UniqueConstraint("credential_id"),
        UniqueConstraint("status_list", "status_index"),
        CheckConstraint("status_index >= 0", name="status_index"),
        CheckConstraint(
            "revocation_reason IS NULL OR revocation_reason IN ('voided', 'superseded')", name="revocation_reason"
        ),
        CheckConstraint("(revoked_at IS NULL) = (revocation_reason IS NULL)", name="revoked"),
        Index("ix_certificate_status_list_revoked_at", "status_list", "revoked_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    completion_id: int = Field(sa_column=Column(Integer, ForeignKey("completion.id"), nullable=False))
    credential_id: str = Field(sa_column=Column(String(64), nullable=False))
    status_list: int
    status_index: int
    token: str = Field(sa_column=Column(Text, nullable=False), description="The compact JWS, as issued")
    kid: str = Field(max_length=500, description="The key that signed it (a DID URL)")
    issued_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))
    revoked_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))
    revocation_reason: str | None = Field(default=None, max_length=16)
    superseded_by_id: int | None = Field(
        default=None, sa_column=Column(Integer, ForeignKey("certificate.id"), nullable=True)
    )
