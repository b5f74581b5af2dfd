"""board go-live: recorded renewals stand, migrated records, holds that resume, reviews, backfill

Revision ID: 0011_golive
Revises: 0010_reports
Create Date: 2026-12-06 12:00:00

- `renewal` becomes an input of the evaluation (compliance.md, "Decisions that stay decided"): the day it
  was recorded (`recorded_on`; existing rows: the UTC date of `recorded_at`), who recorded it (`source`:
  the sweep, or a board registering a migrated record), a board's reopen (`reopened_on`), the cycle's
  hours and rule version when it was recorded, and a `generation`, so a cycle renewed again after a
  reopen gets a row of its own: unique (certification_id, cycle_start, generation). `met_on` is null for
  a board's renewal.
- `certification` keeps the current cycle a board stated when it registered a migrated record.
- `board_action.cycle_start`: the cycle a `reopen` takes back, or the start of the chain a reinstatement
  begins.
- `flag`: status `renewal_review`, with its `reasons`.
- `course.available_from` is optional: none puts no lower bound on completion dates (existing values stay).
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel  # noqa: F401
from alembic import op

import app.db

revision: str = "0011_golive"
down_revision: str | None = "0010_reports"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_OLD_FLAGS = "status IN ('due_soon', 'overdue', 'lapsed', 'compliant')"
_NEW_FLAGS = "status IN ('due_soon', 'overdue', 'lapsed', 'compliant', 'renewal_review')"


def _loosen(table: str, column: str, *, nullable: bool | None = None, check: tuple[str, str] | None = None) -> None:
    """Change a NOT NULL or CHECK constraint that no stored row can break (neither side changes what is on
    disk). PostgreSQL alters it. SQLite cannot, and a copy of `course` or `flag` (what batch mode does) would
    drop tables that others reference while foreign keys are on; there, the table's stored definition is
    edited in place, the procedure sqlite.org documents for exactly these changes ("ALTER TABLE", making
    other kinds of table schema changes: removing NOT NULL and CHECK constraints)."""
    bind = op.get_bind()
    if bind.dialect.name != "sqlite":
        if nullable is not None:
            op.alter_column(table, column, existing_type=sa.Date(), nullable=nullable)
        if check is not None:
            op.drop_constraint(op.f(f"ck_{table}_{column}"), table, type_="check")
            op.create_check_constraint(op.f(f"ck_{table}_{column}"), table, check[1])
        return
    sql = bind.exec_driver_sql("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?", (table,)).scalar()
    edits = []
    if nullable is not None:
        edits.append(
            (f"{column} DATE NOT NULL,", f"{column} DATE,")
            if nullable
            else (f"{column} DATE,", f"{column} DATE NOT NULL,")
        )
    if check is not None:
        edits.append((f"CHECK ({check[0]})", f"CHECK ({check[1]})"))
    for old, new in edits:
        if sql.count(old) != 1:
            raise RuntimeError(f"unexpected definition of {table}: {sql}")
        sql = sql.replace(old, new)
    version = bind.exec_driver_sql("PRAGMA schema_version").scalar()
    bind.exec_driver_sql("PRAGMA writable_schema = ON")
    bind.exec_driver_sql("UPDATE sqlite_master SET sql = ? WHERE type = 'table' AND name = ?", (sql, table))
    bind.exec_driver_sql(f"PRAGMA schema_version = {version + 1}")
    bind.exec_driver_sql("PRAGMA writable_schema = OFF")


def upgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    with op.batch_alter_table("certification", schema=None) as batch_op:
        batch_op.add_column(sa.Column("registered_cycle_start", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("registered_cycle_end", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("registered_carryover_hours", app.db.HoursType(), nullable=True))
        batch_op.add_column(sa.Column("registered_on", sa.Date(), nullable=True))

    with op.batch_alter_table("board_action", schema=None) as batch_op:
        batch_op.add_column(sa.Column("cycle_start", sa.Date(), nullable=True))

    with op.batch_alter_table("renewal", schema=None) as batch_op:
        batch_op.add_column(sa.Column("recorded_on", sa.Date(), nullable=True))
        batch_op.add_column(
            sa.Column("source", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False, server_default="sweep")
        )
        batch_op.add_column(sa.Column("generation", sa.Integer(), nullable=False, server_default="0"))
        batch_op.add_column(sa.Column("reopened_on", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("earned_hours", app.db.HoursType(), nullable=True))
        batch_op.add_column(sa.Column("required_hours", app.db.HoursType(), nullable=True))
        batch_op.add_column(sa.Column("rule_version", sa.Integer(), nullable=True))
    op.execute(
        "UPDATE renewal SET recorded_on = CAST(recorded_at AT TIME ZONE 'UTC' AS date)"
        if postgres
        else "UPDATE renewal SET recorded_on = date(recorded_at)"
    )
    with op.batch_alter_table("renewal", schema=None) as batch_op:
        batch_op.alter_column("recorded_on", existing_type=sa.Date(), nullable=False)
        batch_op.alter_column("met_on", existing_type=sa.Date(), nullable=True)
        batch_op.alter_column("source", server_default=None)
        batch_op.alter_column("generation", server_default=None)
        batch_op.drop_constraint(batch_op.f("uq_renewal_certification_id_cycle_start"), type_="unique")
        batch_op.create_unique_constraint(
            batch_op.f("uq_renewal_certification_id_cycle_start_generation"),
            ["certification_id", "cycle_start", "generation"],
        )
        batch_op.create_check_constraint(batch_op.f("ck_renewal_source"), "source IN ('sweep', 'board')")

    op.add_column("flag", sa.Column("reasons", app.db.JSONDocument, nullable=True))
    _loosen("flag", "status", check=(_OLD_FLAGS, _NEW_FLAGS))
    _loosen("course", "available_from", nullable=True)


def downgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    op.execute(
        "UPDATE course SET available_from = CAST(created_at AT TIME ZONE 'UTC' AS date) WHERE available_from IS NULL"
        if postgres
        else "UPDATE course SET available_from = date(created_at) WHERE available_from IS NULL"
    )
    _loosen("course", "available_from", nullable=False)

    op.execute(
        "DELETE FROM webhook_delivery_attempt WHERE outbox_id IN (SELECT id FROM outbox WHERE flag_id IN "
        "(SELECT id FROM flag WHERE status = 'renewal_review'))"
    )
    op.execute("DELETE FROM outbox WHERE flag_id IN (SELECT id FROM flag WHERE status = 'renewal_review')")
    op.execute("DELETE FROM flag WHERE status = 'renewal_review'")
    _loosen("flag", "status", check=(_NEW_FLAGS, _OLD_FLAGS))
    op.drop_column("flag", "reasons")

    # one row per cycle again: the standing (or latest) renewal of each, and none a board recorded without a date
    op.execute(
        "DELETE FROM renewal WHERE met_on IS NULL OR EXISTS (SELECT 1 FROM renewal AS later WHERE "
        "later.certification_id = renewal.certification_id AND later.cycle_start = renewal.cycle_start "
        "AND later.generation > renewal.generation)"
    )
    with op.batch_alter_table("renewal", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_renewal_source"), type_="check")
        batch_op.drop_constraint(batch_op.f("uq_renewal_certification_id_cycle_start_generation"), type_="unique")
        batch_op.create_unique_constraint(
            batch_op.f("uq_renewal_certification_id_cycle_start"), ["certification_id", "cycle_start"]
        )
        batch_op.alter_column("met_on", existing_type=sa.Date(), nullable=False)
        batch_op.drop_column("rule_version")
        batch_op.drop_column("required_hours")
        batch_op.drop_column("earned_hours")
        batch_op.drop_column("reopened_on")
        batch_op.drop_column("generation")
        batch_op.drop_column("source")
        batch_op.drop_column("recorded_on")

    op.execute("DELETE FROM board_action WHERE kind = 'reopen'")
    with op.batch_alter_table("board_action", schema=None) as batch_op:
        batch_op.drop_column("cycle_start")

    with op.batch_alter_table("certification", schema=None) as batch_op:
        batch_op.drop_column("registered_on")
        batch_op.drop_column("registered_carryover_hours")
        batch_op.drop_column("registered_cycle_end")
        batch_op.drop_column("registered_cycle_start")
