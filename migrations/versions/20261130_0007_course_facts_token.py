"""course facts token: caches of a course's topics and approvals compare it

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-30 15:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel  # noqa: F401
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Existing rows share one value (they are committed; only a later change needs a new one); new rows
    # get a random value from the application. Plain ALTER TABLE, no batch copy: on SQLite a copy of
    # `course` would drop the table that course_topic, course_approval and completion reference.
    op.add_column(
        "course",
        sa.Column(
            "facts_token", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False, server_default="migrated"
        ),
    )
    if op.get_bind().dialect.name != "sqlite":  # SQLite cannot drop a column default in place; harmless there
        op.alter_column("course", "facts_token", server_default=None)


def downgrade() -> None:
    op.drop_column("course", "facts_token")
