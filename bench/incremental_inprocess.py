"""The incremental sweep in one warm process, tick after tick: its wall and CPU time (this process's and
PostgreSQL's), for A/B runs of the sweep's fixed costs on a shared machine.

Each tick gives 1% of certifications' holders one new accepted completion (SQL, as a roster would: the
holders' certifications are marked dirty through `app.compliance.dirty`), then runs the sweep the service's
scheduler runs (`run_sweep`, incremental). A first tick warms the process (the scheduler's previous one).

    PEER_CE_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/peer_ce_x \\
        python -m bench.incremental_inprocess --ticks 9 [--profile out.txt] [--clock 2026-12-06T12:00:00]

With a fixed clock and seed, two runs on copies of one database write the same rows (`--dump` prints the md5
of what the sweeps wrote: cached columns, renewals, flags, outbox, audit, snapshots), for before/after checks.
`--idle` measures runs with nothing changed (a run's fixed cost), `--phases` the CPU of the sweep's parts,
`--statements` each statement's time, `--profile` a cProfile of CPU time (bench/README.md, "The incremental
sweep's fixed costs"). Prints one JSON object.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import statistics
import time
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import text

DUMPS = {
    "certification": "SELECT id, status, cycle_start, cycle_end, grace_ends_on, next_change_on, evaluated_on, "
    "unmet_categories::text, dirty FROM certification ORDER BY id",
    "renewal": "SELECT * FROM renewal ORDER BY id",
    "flag": "SELECT * FROM flag ORDER BY id",
    "outbox": "SELECT id, flag_id, channel, subscription_id, state, recipient_key, recipient, payload::text, status, "
    "attempts, next_attempt_at FROM outbox ORDER BY id",
    "audit": "SELECT id, actor, action, entity, entity_id, state, request_id, changes::text FROM audit_entry "
    "ORDER BY id",
    "audit_state": "SELECT * FROM audit_entry_state ORDER BY audit_entry_id, state",
    "sweep_run": 'SELECT id, started_at, as_of, "full", skipped, evaluated, flagged, renewed, notified, '
    "triggered_by, error FROM sweep_run ORDER BY id",
    "snapshot": "SELECT credential_code, day, status, state, count, sweep_run_id FROM compliance_snapshot "
    "ORDER BY credential_code, day, status",
}


def pg_cpu(conn: Any, database: str) -> float:
    """CPU seconds of every PostgreSQL backend of this database (/proc/PID/schedstat, in ns; exited ones are not
    counted)."""
    total = 0
    for (pid,) in conn.execute(text("SELECT pid FROM pg_stat_activity WHERE datname = :d"), {"d": database}):
        try:
            with open(f"/proc/{pid}/schedstat") as fh:
                total += int(fh.read().split()[0])
        except OSError:
            pass
    return total / 1e9


def change(factory: Any, rng: random.Random, today: date) -> int:
    """1% of certifications' holders get one new accepted completion of a published course; their
    certifications are marked dirty. Returns the holders changed."""
    from app.compliance import dirty
    from app.db import session_scope

    with session_scope(factory, write=True) as session:
        total = session.execute(text("SELECT max(id) FROM certification")).scalar_one()
        chosen = rng.sample(range(1, total + 1), max(1, total // 100))
        people = sorted(
            {
                pid
                for (pid,) in session.execute(
                    text("SELECT person_id FROM certification WHERE id = ANY(:ids)"), {"ids": chosen}
                )
            }
        )
        courses = [
            row
            for row in session.execute(
                text(
                    "SELECT id, title, hours, modality FROM course WHERE status = 'published' "
                    "AND available_from <= :d ORDER BY id"
                ),
                {"d": today - timedelta(days=30)},
            )
        ]
        on = today - timedelta(days=2)
        rows = []
        for pid in people:
            cid, title, hours, modality = rng.choice(courses)
            rows.append(
                {
                    "person_id": pid,
                    "course_id": cid,
                    "title": title,
                    "hours": hours,
                    "modality": modality,
                    "completed_on": on,
                    "dedupe_key": f"{pid}:{cid}:{on.isoformat()}",
                }
            )
        session.execute(
            text(
                "INSERT INTO completion (person_id, course_id, title, hours, modality, completed_on, status, source, "
                "dedupe_key, reported_by, review_categories, created_at) VALUES (:person_id, :course_id, :title, "
                ":hours, :modality, :completed_on, 'accepted', 'provider', :dedupe_key, 'bench', '[]', now()) "
                "ON CONFLICT DO NOTHING"
            ),
            rows,
        )
        dirty.mark(session, person_ids=people)
    return len(people)


def _wrap_phases(phases: dict[str, list[float]]) -> None:
    """Time (wall, CPU) the sweep's parts, summed over the ticks."""
    import functools

    from app.compliance import status
    from app.reports import snapshots
    from app.scheduler import flags, notify, stats, sweep

    def wrap(module: Any, name: str, label: str) -> None:
        fn = getattr(module, name, None)
        if fn is None:
            return

        @functools.wraps(fn)
        def timed(*a: Any, **kw: Any) -> Any:
            w, c = time.perf_counter(), time.process_time()
            try:
                return fn(*a, **kw)
            finally:
                acc = phases.setdefault(label, [0.0, 0.0])
                acc[0] += time.perf_counter() - w
                acc[1] += time.process_time() - c

        setattr(module, name, timed)

    wrap(sweep, "_finish", "finish")
    wrap(sweep.snapshots, "record", "snapshot")
    wrap(sweep.snapshots, "record", "snapshot")
    wrap(sweep, "_record_finish", "finish")
    wrap(sweep, "_insert_run", "insert_run")
    wrap(sweep.stats, "refresh", "stats")
    wrap(sweep, "_process_batch", "process_batch")
    wrap(sweep, "fetch_sync", "claim")
    wrap(sweep, "_store_status", "store")
    wrap(sweep.flag_service, "record_renewals", "renewals")
    wrap(sweep.flag_service, "raise_flags", "flags")
    wrap(sweep.notify, "queue", "notify")
    wrap(sweep, "_dispatch", "dispatch")
    wrap(sweep, "_sweep", "sweep_loop")
    wrap(sweep, "run", "inputs")
    wrap(sweep.engine, "evaluate", "engine")
    _ = (status, snapshots, flags, notify, stats)


def dump(engine: Any) -> dict[str, str]:
    out = {}
    with engine.connect() as conn:
        for name, sql in DUMPS.items():
            digest = hashlib.md5()
            n = 0
            for row in conn.execute(text(sql)):
                digest.update(repr(tuple(row)).encode())
                n += 1
            out[name] = f"{n}:{digest.hexdigest()}"
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--ticks", type=int, default=7)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--clock", type=datetime.fromisoformat, help="a fixed UTC instant (reproducible writes)")
    parser.add_argument("--profile", help="cProfile the measured ticks' sweeps into this file (pstats)")
    parser.add_argument("--idle", action="store_true", help="no change before the measured ticks: a run's fixed cost")
    parser.add_argument("--statements", action="store_true", help="each statement's wall time over the ticks")
    parser.add_argument("--phases", action="store_true", help="wall and CPU of the sweep's parts, per tick")
    parser.add_argument("--dump", action="store_true", help="md5 of what the sweeps wrote, at the end")
    args = parser.parse_args()

    from app.clock import Clock, FixedClock
    from app.config import get_settings
    from app.db import make_engine, make_session_factory
    from app.scheduler.sweep import run_sweep

    settings = get_settings()
    engine = make_engine(settings)
    factory = make_session_factory(engine)
    database = engine.url.database
    clock: Clock = FixedClock(args.clock.replace(tzinfo=UTC)) if args.clock else Clock()
    today = clock.now().date()
    rng = random.Random(args.seed)
    probe = make_engine(settings)  # its own connection for reading /proc of the backends
    profiler = None
    if args.profile:
        import cProfile

        profiler = cProfile.Profile(time.process_time)  # CPU: waiting on PostgreSQL is not the process's cost
    ticks: list[dict[str, Any]] = []
    phases: dict[str, list[float]] = {}
    if args.phases:
        _wrap_phases(phases)
    statements: dict[str, list[float]] = {}
    if args.statements:
        from sqlalchemy import event

        measuring = [False]

        @event.listens_for(engine, "before_cursor_execute")
        def _before(conn: Any, cursor: Any, statement: str, *rest: Any) -> None:
            conn.info["t0"] = time.perf_counter()

        @event.listens_for(engine, "after_cursor_execute")
        def _after(conn: Any, cursor: Any, statement: str, *rest: Any) -> None:
            if measuring[0]:
                statements.setdefault(" ".join(statement.split())[:150], []).append(
                    time.perf_counter() - conn.info["t0"]
                )

    with probe.connect().execution_options(isolation_level="AUTOCOMMIT") as pconn:  # a new snapshot per read
        for tick in range(args.ticks + 1):
            changed = 0 if args.idle and tick else change(factory, rng, today)
            pg0 = pg_cpu(pconn, database)
            wall, cpu = time.perf_counter(), time.process_time()
            if profiler is not None and tick:
                profiler.enable()
            if args.statements and tick:
                measuring[0] = True
            run = run_sweep(factory, engine, settings=settings, clock=clock, triggered_by="bench")
            if profiler is not None and tick:
                profiler.disable()
            if args.statements:
                measuring[0] = False
            wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
            pg = pg_cpu(pconn, database) - pg0
            if not tick:
                phases.clear()  # the measured ticks only
            ticks.append(
                {
                    "changed": changed,
                    "evaluated": run.evaluated,
                    "flagged": run.flagged,
                    "renewed": run.renewed,
                    "notified": run.notified,
                    "wall_ms": round(wall * 1000, 1),
                    "cpu_ms": round(cpu * 1000, 1),
                    "pg_cpu_ms": round(pg * 1000, 1),
                }
            )
    if profiler is not None:
        profiler.dump_stats(args.profile)
    measured = ticks[1:]
    out: dict[str, Any] = {
        "first": ticks[0],
        "ticks": measured,
        "median": {
            k: statistics.median(t[k] for t in measured) for k in ("evaluated", "wall_ms", "cpu_ms", "pg_cpu_ms")
        },
        "mean": {
            k: round(statistics.mean(t[k] for t in measured), 2)
            for k in ("evaluated", "wall_ms", "cpu_ms", "pg_cpu_ms")
        },
    }
    if args.phases:
        n = len(measured)
        out["phases_ms"] = {k: [round(v[0] * 1000 / n, 2), round(v[1] * 1000 / n, 2)] for k, v in phases.items()}
    if args.statements:
        out["statements"] = sorted(
            ([round(sum(v) * 1000 / len(measured), 2), len(v) // len(measured), k] for k, v in statements.items()),
            reverse=True,
        )
    if args.dump:
        out["dump"] = dump(engine)
    probe.dispose()
    engine.dispose()
    print(json.dumps(out))


if __name__ == "__main__":
    main()
