"""reports: the daily compliance snapshot, each certification's unmet category hours, completions by date

Revision ID: 0010_reports
Revises: 0010_certs
Create Date: 2026-12-06 09:00:00

`compliance_snapshot` holds the counts by credential and status that each sweep run records for its
day (the trend report). `certification.unmet_categories` caches, beside the status, the hours still
needed per required category of the open cycle (the CE-demand report); every certification is marked
dirty so that the next sweep fills it in. `ix_completion_completed_on` serves the reports' periods
(on PostgreSQL an index-only scan: it includes the columns they read).
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel  # noqa: F401
from alembic import op
from sqlalchemy.dialects import postgresql

import app.db  # noqa: F401

revision: str = "0010_reports"
down_revision: str | None = "0010_certs"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "compliance_snapshot",
        sa.Column("credential_code", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("state", sqlmodel.sql.sqltypes.AutoString(length=2), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("sweep_run_id", sa.Integer(), nullable=True),
        sa.Column("recorded_at", app.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("credential_code", "day", "status", name=op.f("pk_compliance_snapshot")),
    )
    with op.batch_alter_table("compliance_snapshot", schema=None) as batch_op:
        batch_op.create_index("ix_compliance_snapshot_day_state", ["day", "state"], unique=False)
    # Plain ALTER TABLE, no batch copy: on SQLite a copy of `certification` would drop the table that
    # board_action, renewal, flag and the others reference.
    op.add_column(
        "certification",
        sa.Column(
            "unmet_categories",
            sa.JSON(none_as_null=True).with_variant(
                postgresql.JSONB(none_as_null=True, astext_type=sa.Text()), "postgresql"
            ),
            nullable=True,
        ),
    )
    op.execute("UPDATE certification SET dirty = true")
    op.create_index(
        "ix_completion_completed_on",
        "completion",
        ["completed_on"],
        unique=False,
        postgresql_include=["person_id", "course_id", "hours", "status"],
    )


def downgrade() -> None:
    op.drop_index("ix_completion_completed_on", table_name="completion")
    op.drop_column("certification", "unmet_categories")
    with op.batch_alter_table("compliance_snapshot", schema=None) as batch_op:
        batch_op.drop_index("ix_compliance_snapshot_day_state")
    op.drop_table("compliance_snapshot")
