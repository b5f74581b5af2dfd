"""self reports: the evidence file a self-reported completion was sent with

Revision ID: 0015_self_reports
Revises: 0011_golive
Create Date: 2026-12-06 02:00:00

`completion_evidence` holds one row per completion that came with an evidence file (a PDF, PNG or JPEG
certificate of attendance): where the evidence store keeps its bytes, the type read from its content,
its size, SHA-256 and the name it was uploaded under.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel  # noqa: F401
from alembic import op

import app.db  # noqa: F401

revision: str = "0015_self_reports"
down_revision: str | None = "0011_golive"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "completion_evidence",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("completion_id", sa.Integer(), nullable=False),
        sa.Column("storage_key", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("media_type", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("size_bytes", sa.Integer(), nullable=False),
        sa.Column("sha256", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("filename", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("created_at", app.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["completion_id"], ["completion.id"], name=op.f("fk_completion_evidence_completion_id_completion")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_completion_evidence")),
        sa.UniqueConstraint("completion_id", name=op.f("uq_completion_evidence_completion_id")),
        sa.UniqueConstraint("storage_key", name=op.f("uq_completion_evidence_storage_key")),
    )


def downgrade() -> None:
    op.drop_table("completion_evidence")
