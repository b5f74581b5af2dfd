"""certification: no index on dirty, fillfactor 85 (PostgreSQL), so flag and status rewrites are HOT

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-30 16:00:00

Every roster import marks its holders' certifications dirty and every sweep rewrites the cached
status columns; with an index on `dirty` and full pages each such update wrote a new entry in all
of the table's indexes. Without that index and with 15% free space per page, updates that leave
the indexed columns (state, status, next_change_on, ...) alone stay on the page (heap-only tuples).
The fillfactor applies to pages written from now on; `VACUUM FULL certification` rewrites the rest.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("certification", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_certification_dirty"))
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE certification SET (fillfactor = 85)")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE certification RESET (fillfactor)")
    with op.batch_alter_table("certification", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_certification_dirty"), ["dirty"], unique=False)
