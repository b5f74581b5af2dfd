"""Planner statistics the sweep keeps fresh on PostgreSQL: ANALYZE of the tables it reads and writes when they
have changed by half since their last statistics.

A board's first import of its population, and the first full sweep after it, change these tables faster than
autovacuum analyzes them (it may also be off, or a minute behind): the sweep writes every renewal, flag and
outbox row of the population into tables that were empty when last analyzed. Without statistics the planner
takes `certification_id = ANY(:ids)` for almost every row (a sequential scan of the flags per batch) and
prices each certification's renewals at 0.5% of the table, a cost that grows with the table until the batch's
claim is JIT-compiled: the per-batch time then grows with everything written so far. Refreshing at each
half-again growth costs a few ANALYZEs (each samples at most 30,000 rows, whatever the table's size) and keeps
the plans those of a table of the right size.
"""

from __future__ import annotations

import logging

from sqlalchemy import Connection, text

log = logging.getLogger("peer_ce.scheduler.stats")

# What a sweep batch reads (the certifications, their holders and completions, board actions, activities)
# and writes (renewals, flags, outbox rows).
SWEPT_TABLES = (
    "certification",
    "person",
    "completion",
    "board_action",
    "certification_activity",
    "renewal",
    "flag",
    "outbox",
)
MIN_CHANGES = 1000  # below this, a table's plans do not depend on its statistics
GROWTH = 0.5  # ANALYZE once changes since the last statistics reach half the rows they counted

# The tables' rows of `pg_stat_user_tables` (its relkinds; `n_mod_since_analyze` is the function the view calls), read
# from pg_class alone: the view also aggregates every table's index scans and joins the catalogs for its other
# columns, which took ~1 ms of the server's CPU at each run's check (an incremental run's fixed costs).
_STALE = text(
    """
    SELECT c.relname
    FROM pg_class c
    WHERE c.relnamespace = (SELECT n.oid FROM pg_namespace n WHERE n.nspname = current_schema())
      AND c.relname = ANY(:tables) AND c.relkind IN ('r', 't', 'm', 'p')
      AND pg_stat_get_mod_since_analyze(c.oid) >= greatest(:min_changes, :growth * greatest(c.reltuples, 0))
    ORDER BY c.relname
    """
)


def stale_tables(conn: Connection, tables: tuple[str, ...] = SWEPT_TABLES) -> list[str]:
    """The tables among `tables` whose statistics are stale (PostgreSQL; [] elsewhere)."""
    if conn.dialect.name != "postgresql":
        return []
    params = {"tables": list(tables), "min_changes": MIN_CHANGES, "growth": GROWTH}
    return [name for (name,) in conn.execute(_STALE, params)]


def refresh(conn: Connection, tables: tuple[str, ...] = SWEPT_TABLES) -> list[str]:
    """ANALYZE the stale tables among `tables` in the connection's transaction; the ones analyzed.

    Concurrent sessions replan their cached statements on their next use (ANALYZE invalidates them). It
    holds a lock that only another ANALYZE, VACUUM or schema change waits for, until the transaction ends.
    A table this role does not own is skipped by PostgreSQL with a warning.
    """
    stale = stale_tables(conn, tables)
    for name in stale:
        conn.execute(text(f'ANALYZE "{name}"'))
    if stale:
        log.info("analyzed %s: their statistics were stale", ", ".join(stale))
    return stale
