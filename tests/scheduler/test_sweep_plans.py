"""The sweep's per-batch statements keep index access as the tables they read and write grow (PostgreSQL).

The first full sweep after a bulk load writes every renewal, flag and outbox row into tables whose planner
statistics say they are empty, and rewrites every certification. A statement that scans a whole table per
batch makes the sweep quadratic: at 1,000,000 certifications it fell from ~60,000 to ~5,000 a minute.
"""

from __future__ import annotations

import multiprocessing
import os
from datetime import date

import pytest
from sqlalchemy import Connection, create_engine, text

from app.compliance import status as cached_status
from app.compliance.queries import claim
from app.migrate import upgrade_to_head
from app.scheduler import stats
from app.scheduler.flags import EXISTING_FLAGS
from app.scheduler.sweep import lower_priority
from tests.conftest import TEST_DATABASE_URL
from tests.support.databases import throwaway_database

needs_postgres = pytest.mark.skipif(not TEST_DATABASE_URL, reason="plans and statistics of PostgreSQL")
CERTIFICATIONS = 50_000


@pytest.fixture(scope="module")
def loaded(tmp_path_factory):
    """A population loaded in bulk and analyzed (renewals, flags and outbox rows still empty), as after
    `bench.generate` or a board's first import: 50,000 certifications."""
    with throwaway_database(TEST_DATABASE_URL, tmp_path_factory.mktemp("plans")) as url:
        engine = create_engine(url)
        upgrade_to_head(engine)
        with engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO person (given_name, family_name, email, created_at, updated_at) "
                    "SELECT 'Sam', 'P' || n, 'p' || n || '@example.org', now(), now() "
                    "FROM generate_series(1, :n) AS n"
                ),
                {"n": CERTIFICATIONS},
            )
            conn.execute(
                text(
                    "INSERT INTO certification (person_id, credential_code, state, number, issued_on, status, dirty, "
                    "row_version, created_at, updated_at) "
                    "SELECT id, 'KY-APSS', 'KY', 'N-' || id, DATE '2024-01-01', 'in_progress', true, 1, now(), now() "
                    "FROM person"
                )
            )
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE"))
        yield engine
        engine.dispose()


def _plan(conn: Connection, sql: str, params: dict) -> str:
    return "\n".join(row[0] for row in conn.execute(text("EXPLAIN " + sql), params))


@needs_postgres
def test_the_status_write_reads_its_batch_by_index_not_the_whole_table(loaded):
    """`cached_status.store` updates a batch's rows through the primary key: no sequential scan of every
    certification per batch."""
    ids = list(range(20_001, 21_001))
    with loaded.connect() as conn:
        plan = _plan(
            conn,
            cached_status._FROM_ARRAYS.text,
            {
                "ids": ids,
                "statuses": ["compliant"] * len(ids),
                "cycle_starts": [date(2024, 1, 1)] * len(ids),
                "cycle_ends": [date(2025, 12, 31)] * len(ids),
                "grace_ends": [None] * len(ids),
                "next_changes": [None] * len(ids),
                "days": [date(2025, 6, 1)] * len(ids),
                "dirty": False,
                "unmet": [None] * len(ids),
            },
        )
    assert "Seq Scan on certification" not in plan, plan
    assert "pk_certification" in plan, plan


@needs_postgres
def test_flags_written_since_the_last_statistics_are_analyzed_and_read_by_index(loaded):
    """Once as many flags as a sweep's first batches write are committed into a table analyzed empty, the
    sweep's statistics check finds it stale and analyzes it, after which a batch's existing flags are read
    through the index instead of a scan of every flag."""
    with loaded.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO flag (certification_id, credential_code, state, status, cycle_start, cycle_end, "
                "raised_on, raised_at) SELECT id, credential_code, state, 'due_soon', DATE '2024-01-01', "
                "DATE '2025-12-31', DATE '2025-11-01', now() FROM certification WHERE id <= 20000"
            )
        )
        conn.execute(text("SELECT pg_stat_force_next_flush()"))
    sql, defaults = EXISTING_FLAGS.postgres_sql()  # as the sweep runs it, on the raw driver
    params = {**defaults, "ids": list(range(5_001, 5_101))}  # a batch of 100 (`sweep_batch`) among 20,000

    def plan(conn: Connection) -> str:
        return "\n".join(row[0] for row in conn.exec_driver_sql("EXPLAIN " + sql, params))

    with loaded.begin() as conn:
        before = plan(conn)
        assert "flag" in stats.stale_tables(conn)
        assert "flag" in stats.refresh(conn)
    with loaded.begin() as conn:
        after = plan(conn)
        assert "flag" not in stats.stale_tables(conn)  # analyzed: nothing to do until it grows by half again
    assert "Seq Scan on flag" in before, before  # without statistics: ~all rows taken to match
    assert "Seq Scan on flag" not in after and "Index" in after, after


@needs_postgres
def test_the_claim_probes_board_actions_and_activities_per_certification_not_whole_tables(loaded):
    """A batch's claim says which of its certifications have board actions or activities with one index probe
    each, however many rows those tables hold: planned as hashed subplans, every claim read and hashed all of
    them (8 ms of every batch's claim at 1,000,000 certifications, growing with the tables)."""
    with loaded.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO board_action (certification_id, kind, effective_on, reason, actor, created_at) "
                "SELECT id, 'suspend', DATE '2025-01-01', 'r', 'board', now() FROM certification WHERE id % 25 = 0"
            )
        )
        conn.execute(
            text(
                'INSERT INTO certification_activity (certification_id, requirement_id, kind, "on", recorded_by, '
                "created_at) SELECT id, 'ethics', 'attestation', DATE '2025-01-01', 'board', now() FROM certification "
                "WHERE id % 2 = 0"
            )
        )
    with loaded.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("ANALYZE board_action, certification_activity"))
    sql, defaults = claim(full=True).postgres_sql()  # as the sweep runs it, on the raw driver
    params = {**defaults, "last_id": 20_000, "upto": 2**31 - 1, "n": 1000, "horizon": date(2026, 1, 1)}
    with loaded.begin() as conn:
        plan = "\n".join(row[0] for row in conn.exec_driver_sql("EXPLAIN (VERBOSE) " + sql, params))
    assert "hashed SubPlan" not in plan, plan  # VERBOSE names the subplans of the select list
    assert "Seq Scan on board_action" not in plan, plan
    assert "ix_board_action_certification_id" in plan, plan


def _flag_scans(conn: Connection) -> int:
    conn.execute(text("SELECT pg_stat_force_next_flush()"))
    conn.commit()
    return conn.execute(text("SELECT seq_scan FROM pg_stat_user_tables WHERE relname = 'flag'")).scalar_one()


def _flags_with_outbox(conn: Connection, first: int, n: int) -> None:
    """One batch's writes: n flags, and an outbox row for each (its foreign key checks the flag)."""
    conn.execute(
        text(
            "INSERT INTO flag (certification_id, credential_code, state, status, cycle_start, cycle_end, raised_on, "
            "raised_at) SELECT id, credential_code, state, 'overdue', DATE '2024-01-01', DATE '2025-12-31', "
            "DATE '2026-01-01', now() FROM certification WHERE id BETWEEN :lo AND :hi"
        ),
        {"lo": first, "hi": first + n - 1},
    )
    conn.execute(
        text(
            "INSERT INTO outbox (flag_id, state, payload, status, attempts, next_attempt_at, created_at, channel, "
            "recipient_key, recipient) SELECT id, state, '{}', 'pending', 0, now(), now(), 'email', "
            "'email:' || certification_id, 'peer@example.org' FROM flag "
            "WHERE status = 'overdue' AND certification_id BETWEEN :lo AND :hi"
        ),
        {"lo": first, "hi": first + n - 1},
    )
    conn.commit()


@needs_postgres
def test_once_analyzed_outbox_rows_check_their_flag_by_index_not_by_scanning_every_flag(loaded):
    """Each outbox row's foreign key check looks its flag up with a plan PostgreSQL keeps per session. Made
    while the flags were few and analyzed empty, it scans every flag for every outbox row (the first sweep's
    collapse at 1,000,000 certifications); the sweep's ANALYZE makes every session plan it again."""
    with loaded.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:  # as after the load
        conn.execute(text("DELETE FROM outbox"))
        conn.execute(text("DELETE FROM flag"))
        conn.execute(text("VACUUM ANALYZE flag, outbox"))
    with loaded.connect() as conn:
        start = _flag_scans(conn)
        for batch in range(12):  # a sweep's first batches: 1,200 flags
            _flags_with_outbox(conn, 30_001 + 100 * batch, 100)
        before = _flag_scans(conn) - start
        with loaded.begin() as other:  # the sweep's check, in another session
            assert "flag" in stats.refresh(other)
        start = _flag_scans(conn)
        for batch in range(12, 17):
            _flags_with_outbox(conn, 30_001 + 100 * batch, 100)
        after = _flag_scans(conn) - start
    assert before >= 1000, before  # one scan of the flags per outbox row
    assert after <= 5, after  # at most the batch's own read of its new flags


@needs_postgres
def test_a_fresh_load_is_analyzed_before_the_first_sweep(loaded):
    """Rows committed in bulk since the last statistics (a board's first import) make the tables stale."""
    with loaded.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO person (given_name, family_name, email, created_at, updated_at) "
                "SELECT 'Ada', 'Q' || n, 'q' || n || '@example.org', now(), now() FROM generate_series(1, 30000) n"
            )
        )
        conn.execute(text("SELECT pg_stat_force_next_flush()"))
    with loaded.begin() as conn:
        assert "person" in stats.refresh(conn)
        assert "person" not in stats.stale_tables(conn)


def _niceness(niceness: int, out: multiprocessing.Queue) -> None:
    lower_priority(niceness)
    out.put(os.getpriority(os.PRIO_PROCESS, 0))


def test_sweep_workers_run_at_a_lower_cpu_priority():
    """A worker process runs at least as nice as `sweep_worker_nice`; never less nice than it started."""
    context = multiprocessing.get_context("fork")
    start = os.getpriority(os.PRIO_PROCESS, 0)
    for asked, expected in ((10, max(start, 10)), (0, start)):
        out = context.Queue()
        child = context.Process(target=_niceness, args=(asked, out))
        child.start()
        child.join(30)
        assert out.get(timeout=5) == expected
