"""certifications name their cycle option and variants (rules second pass)

Revision ID: 0010_rules
Revises: 0009
Create Date: 2026-12-06 09:00:00

Rule sets may now let the holder choose a cycle length (`cycle_options`, NY-NYCPS) and define variants
that add hours (`variants`: NC's military designation, NY CRPA-Family, KY alcohol and drug programs).
A certification names its choice in `cycle_option` and its variants in `variants` (sorted ids,
comma-separated; empty for none). Existing certifications hold none.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel  # noqa: F401
from alembic import op

import app.db  # noqa: F401

revision: str = "0010_rules"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("certification", schema=None) as batch_op:
        batch_op.add_column(sa.Column("cycle_option", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True))
        batch_op.add_column(sa.Column("variants", sa.String(length=200), server_default="", nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("certification", schema=None) as batch_op:
        batch_op.drop_column("variants")
        batch_op.drop_column("cycle_option")
