"""certificates: each completion's one issued credential, and each learner's stable subject id

Revision ID: 0010_certs
Revises: 0010_rules
Create Date: 2026-12-06 09:00:00

`certificate` stores the signed VC-JWT of a completion exactly as issued (served unchanged on every fetch) with
its entry in a Bitstring Status List (`status_list`, `status_index`, unique) and its revocation (voided, or
superseded by a correction's certificate). `credential_subject` gives each learner one random
`credentialSubject.id`. Completions accepted before this revision get their certificate on first fetch.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel  # noqa: F401
from alembic import op

import app.db  # noqa: F401

revision: str = "0010_certs"
down_revision: str | None = "0010_rules"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "credential_subject",
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("subject_id", sa.String(length=64), nullable=False),
        sa.Column("created_at", app.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"], name=op.f("fk_credential_subject_person_id_person")),
        sa.PrimaryKeyConstraint("person_id", name=op.f("pk_credential_subject")),
        sa.UniqueConstraint("subject_id", name=op.f("uq_credential_subject_subject_id")),
    )
    op.create_table(
        "certificate",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("completion_id", sa.Integer(), nullable=False),
        sa.Column("credential_id", sa.String(length=64), nullable=False),
        sa.Column("status_list", sa.Integer(), nullable=False),
        sa.Column("status_index", sa.Integer(), nullable=False),
        sa.Column("token", sa.Text(), nullable=False),
        sa.Column("kid", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.Column("issued_at", app.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", app.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("revocation_reason", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True),
        sa.Column("superseded_by_id", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "revocation_reason IS NULL OR revocation_reason IN ('voided', 'superseded')",
            name=op.f("ck_certificate_revocation_reason"),
        ),
        sa.CheckConstraint("(revoked_at IS NULL) = (revocation_reason IS NULL)", name=op.f("ck_certificate_revoked")),
        sa.CheckConstraint("status_index >= 0", name=op.f("ck_certificate_status_index")),
        sa.ForeignKeyConstraint(
            ["completion_id"], ["completion.id"], name=op.f("fk_certificate_completion_id_completion")
        ),
        sa.ForeignKeyConstraint(
            ["superseded_by_id"], ["certificate.id"], name=op.f("fk_certificate_superseded_by_id_certificate")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_certificate")),
        sa.UniqueConstraint("completion_id", name=op.f("uq_certificate_completion_id")),
        sa.UniqueConstraint("credential_id", name=op.f("uq_certificate_credential_id")),
        sa.UniqueConstraint("status_list", "status_index", name=op.f("uq_certificate_status_list_status_index")),
    )
    with op.batch_alter_table("certificate", schema=None) as batch_op:
        batch_op.create_index("ix_certificate_status_list_revoked_at", ["status_list", "revoked_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("certificate", schema=None) as batch_op:
        batch_op.drop_index("ix_certificate_status_list_revoked_at")
    op.drop_table("certificate")
    op.drop_table("credential_subject")
