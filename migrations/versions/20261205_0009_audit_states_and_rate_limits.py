"""audit entries visible to every state they touched; rate-limit windows shared by replicas

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-05 21:30:00

`audit_entry_state` lists each state whose records an audit entry touched (a person certified in two
states, a completion that counts in both), so each of those boards sees the entry; existing entries
get their one state. `rate_limit_hit` counts requests per client and window for the public endpoints,
shared by every worker and replica.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel  # noqa: F401
from alembic import op

import app.db  # noqa: F401

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "rate_limit_hit",
        sa.Column("bucket", sa.String(length=120), nullable=False),
        sa.Column("window", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("hits", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("bucket", "window", name=op.f("pk_rate_limit_hit")),
    )
    op.create_table(
        "audit_entry_state",
        sa.Column("audit_entry_id", sa.Integer(), nullable=False),
        sa.Column("state", sqlmodel.sql.sqltypes.AutoString(length=2), nullable=False),
        sa.ForeignKeyConstraint(
            ["audit_entry_id"], ["audit_entry.id"], name=op.f("fk_audit_entry_state_audit_entry_id_audit_entry")
        ),
        sa.PrimaryKeyConstraint("audit_entry_id", "state", name=op.f("pk_audit_entry_state")),
    )
    with op.batch_alter_table("audit_entry_state", schema=None) as batch_op:
        batch_op.create_index("ix_audit_entry_state_state_audit_entry_id", ["state", "audit_entry_id"], unique=False)
    op.execute(
        "INSERT INTO audit_entry_state (audit_entry_id, state) "
        "SELECT id, state FROM audit_entry WHERE state IS NOT NULL"
    )


def downgrade() -> None:
    with op.batch_alter_table("audit_entry_state", schema=None) as batch_op:
        batch_op.drop_index("ix_audit_entry_state_state_audit_entry_id")
    op.drop_table("audit_entry_state")
    op.drop_table("rate_limit_hit")
