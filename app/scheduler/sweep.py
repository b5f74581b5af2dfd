"""The compliance sweep: re-evaluate what can have changed, record renewals and flags, queue notifications.

Incremental: a run evaluates the certifications marked `dirty` by a write and those whose
`next_change_on` (the engine's "earliest date the status can change with no new data") has
come; `full=True` evaluates every one (after a rule change). Each certification is evaluated
as of its board's today (`evaluation.today_for`), or as of an explicit `as_of` for all.

Work goes in keyset batches of `settings.sweep_batch` ids, one transaction per batch: the batch's
facts are read set-based (`evaluation.gather`), and the new cached columns (with `dirty`
cleared), renewals, flags and outbox rows are written together, so a batch is all or nothing.
A run's fixed costs are kept few, since an incremental run often has one short batch: the run's row is
inserted without waiting for the disk (the run's next commit makes it durable), and in process the
last batch's transaction also records the day's snapshot and the run's counts and audit entry (in a
savepoint: when they fail, the batch still commits and the run records the error), so such a run
commits once.

Parallel: on PostgreSQL a full sweep (`settings.sweep_workers` processes, default the CPU count)
splits the certification ids into contiguous ranges, one per worker process; each worker sweeps
its range in the same keyset batches on its own connection, and the coordinator sums their counts
and re-raises the first error once all have stopped. The coordinator alone records the run and
holds the run-level lock. Workers are forked, which is fast and safe from a single-threaded
process (the `peer-ce sweep` CLI, bench/sweep_job.py); from a multi-threaded one (the service's
scheduler thread) they come from a forkserver started once, whose preloaded interpreter forks
them without the parent's threads. Incremental sweeps, small full sweeps and SQLite run in process.

Concurrency: on PostgreSQL a run holds `pg_try_advisory_xact_lock(SWEEP_LOCK)` on its own
connection for its whole duration; a run that cannot take it does nothing and reports
`skipped`. Inside, each batch claims its rows with `FOR UPDATE SKIP LOCKED`, which also keeps a
writer's concurrent `mark_dirty` from being lost (the writer waits for the batch, then marks the
row again). The unique constraints on flags, renewals and outbox rows are the final guard. On
SQLite one process runs the scheduler; a process-local lock keeps its runs from overlapping and
each batch begins with SQLite's write lock (`BEGIN IMMEDIATE`) before it reads.
"""

from __future__ import annotations

import gc
import logging
import multiprocessing
import os
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, timedelta, timezone
from typing import NamedTuple

from sqlalchemy import Engine, func, insert, select, text, update
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session

from app.audit import service as audit
from app.certifications import gaps
from app.certifications.models import Certification
from app.clock import Clock
from app.compliance import facts as compliance
from app.compliance import queries
from app.compliance import status as cached_status
from app.compliance.rows import CertRow
from app.config import Settings
from app.constants import DEFAULT_TIMEZONE
from app.db import id_of, is_postgres, make_session_factory, session_scope, table_of
from app.priority import lower_backend_priority, lower_priority
from app.reads import fetch_sync, run
from app.reports import snapshots
from app.rules import engine
from app.scheduler import flags as flag_service
from app.scheduler import notify, reviews, stats
from app.scheduler.models import SweepRun

log = logging.getLogger("peer_ce.scheduler.sweep")

SWEEP_LOCK = 0x7065657263650001  # "peerce" + 1: the advisory lock id of the sweep
_LATEST_ZONE = timezone(timedelta(hours=14))  # no board's today is later than the date at UTC+14
_local_lock = threading.Lock()
_MAX_ID = 2**31 - 1  # certification.id is an integer column
STATS_EVERY = 20  # batches between two checks of the planner statistics (app.scheduler.stats)


@dataclass
class Counts:
    evaluated: int = 0
    flagged: int = 0
    renewed: int = 0
    notified: int = 0
    errors: int = 0

    def add(self, other: Counts) -> None:
        """Add another part's counts to these."""
        self.evaluated += other.evaluated
        self.flagged += other.flagged
        self.renewed += other.renewed
        self.notified += other.notified
        self.errors += other.errors


class Batch(NamedTuple):
    """One batch of a sweep: when it ended (epoch seconds), the certifications it evaluated, its seconds, and
    the CPU seconds of the sweeping process in it (its own work: not PostgreSQL's, nor time spent waiting)."""

    ended: float
    evaluated: int
    seconds: float
    cpu_seconds: float


@dataclass
class WorkerReport:
    """What one worker process did: its id range, counts, CPU time, peak RSS, its batches, and its error (None
    when it finished)."""

    after: int
    upto: int
    counts: Counts = field(default_factory=Counts)
    batches: list[Batch] = field(default_factory=list)
    cpu_seconds: float = 0.0
    peak_rss_kb: int = 0
    error: str | None = None


@dataclass
class SweepResult:
    """A finished sweep: its (detached) run with the counts, what each worker process did (none when the
    sweep ran in this process), and every batch (of all workers), in the order they ended: its pace."""

    run: SweepRun
    workers: list[WorkerReport] = field(default_factory=list)
    batches: list[Batch] = field(default_factory=list)


class SweepWorkersFailed(RuntimeError):
    """Some worker processes of a parallel sweep failed; `workers` has every worker's report."""

    def __init__(self, message: str, workers: list[WorkerReport]) -> None:
        super().__init__(message)
        self.workers = workers


def run_sweep(
    session_factory: sessionmaker[Session],
    lock_engine: Engine,
    *,
    settings: Settings,
    clock: Clock,
    as_of: date | None = None,
    full: bool = False,
    triggered_by: str = "scheduler",
    stop: threading.Event | None = None,
) -> SweepRun:
    """Run one sweep and record it as a `sweep_run`; returns the (detached) run with its counts."""
    return run_sweep_with_report(
        session_factory,
        lock_engine,
        settings=settings,
        clock=clock,
        as_of=as_of,
        full=full,
        triggered_by=triggered_by,
        stop=stop,
    ).run


def run_sweep_with_report(
    session_factory: sessionmaker[Session],
    lock_engine: Engine,
    *,
    settings: Settings,
    clock: Clock,
    as_of: date | None = None,
    full: bool = False,
    triggered_by: str = "scheduler",
    stop: threading.Event | None = None,
) -> SweepResult:
    """`run_sweep`, answering with the worker processes' reports too (their CPU time and peak memory).

    `lock_engine` holds the run-level advisory lock on a connection of its own. A full sweep on PostgreSQL
    forks `workers_for(settings, ...)` processes, each on connections of its own: they see only committed
    data, so a caller whose session factory is bound to an open transaction sets `sweep_workers=1`.
    """
    started = time.monotonic()
    if as_of is not None:
        with session_scope(session_factory) as session:
            check_as_of(session, clock=clock, as_of=as_of)
    run = SweepRun(started_at=clock.now(), as_of=as_of, full=full, triggered_by=triggered_by[:200])
    with session_scope(session_factory, write=True) as session:
        _insert_run(session, run)
    counts = Counts()
    workers: list[WorkerReport] = []
    batches: list[Batch] = []
    error: str | None = None
    finished = False
    ended: list[int | None] = []  # once `end` has run: the snapshot's rows (None: no snapshot)

    def end(session: Session) -> None:
        """The run's snapshot and its record, in one transaction: in process, its last batch's (a commit waits for
        the disk, a fixed cost of every run however few certifications it evaluates); else one of their own."""
        # One aggregate per run, under the run's lock: the day's counts by credential and status.
        # Not for a run stopped early, nor an incremental back-fill (its rows are of mixed dates).
        snapshot = not (stop and stop.is_set()) and (full or as_of is None)
        rows = snapshots.record(session, clock=clock, as_of=as_of, run_id=run.id) if snapshot else None
        _record_finish(session, run, counts, clock=clock, started=started, error=None)
        ended.append(rows)

    try:
        with _run_lock(lock_engine) as acquired:
            if acquired:
                workers = _dispatch(
                    session_factory,
                    lock_engine,
                    run_id=id_of(run),
                    settings=settings,
                    clock=clock,
                    as_of=as_of,
                    full=full,
                    counts=counts,
                    stop=stop,
                    actor=triggered_by,
                    batches=batches,
                    end=end,
                )
                if not ended:  # worker processes swept, or the run stopped before its last batch
                    with session_scope(session_factory, write=True) as session:
                        end(session)
                finished = True
                if ended[0] is not None:
                    log.info("compliance snapshot of sweep %s: %s rows", run.id, ended[0])
            else:
                run.skipped = True
                log.info("sweep %s skipped: another sweep holds the lock", run.id)
    except Exception as exc:
        error = f"{type(exc).__name__}: {exc}"[:1000]
        log.exception("sweep %s failed after %s certifications", run.id, counts.evaluated)
        raise
    finally:
        if not finished:  # skipped, or failed (its snapshot and record rolled back with it, if it got there)
            _finish(session_factory, run, counts, clock=clock, started=started, error=error)
        if settings.metrics_enabled:
            from app.metrics import observe_sweep

            outcome = "failed" if error is not None else "skipped" if run.skipped else "done"
            observe_sweep(outcome, time.monotonic() - started)
    for worker in workers:
        batches += worker.batches
    return SweepResult(run=run, workers=workers, batches=sorted(batches))


def check_as_of(session: Session, *, clock: Clock, as_of: date) -> None:
    """A sweep writes statuses, flags and notifications: never as of a day that has not come for every board.

    What-if evaluations live in the read-only compliance and simulation endpoints.
    """
    from app.errors import Unprocessable
    from app.rules import service as rules_service

    codes = [code for group in rules_service.codes_by_state(session).values() for code in group]
    zones = {versions[-1].rules.timezone for versions in rules_service.engine_versions_of(session, codes).values()}
    zone, today = min(((z, clock.today(z)) for z in zones or {DEFAULT_TIMEZONE}), key=lambda item: item[1])
    if as_of > today:
        raise Unprocessable(
            f"as_of {as_of} is after today ({today} in {zone}): a sweep records statuses, flags and "
            "notifications and never runs in the future. For what-if, read GET /v1/certifications/{id}/"
            "compliance?as_of= or POST /v1/certifications/{id}/compliance/simulate.",
            errors=[
                {
                    "loc": ["body", "as_of"],
                    "field": "body.as_of",
                    "message": f"after today ({today})",
                    "type": "value_error",
                }
            ],
        )


@contextmanager
def _run_lock(lock_engine: Engine) -> Iterator[bool]:
    if not is_postgres(lock_engine):
        acquired = _local_lock.acquire(blocking=False)
        try:
            yield acquired
        finally:
            if acquired:
                _local_lock.release()
        return
    # The lock lives as long as this transaction on its own connection; a dead process releases it.
    with lock_engine.connect() as conn, conn.begin():
        yield bool(conn.execute(select(func.pg_try_advisory_xact_lock(SWEEP_LOCK))).scalar())


def _insert_run(session: Session, run: SweepRun) -> None:
    """Insert the run's row (every column but its id, as the ORM would) and set `run.id`.

    On PostgreSQL its commit does not wait for the disk (`synchronous_commit` off for this transaction): the
    run's next commit that does (its first batch's, or its record's) makes it durable with it, and a crash
    before that loses only a run that had written nothing else. The row is visible at once either way."""
    table = table_of(SweepRun)
    if is_postgres(session):
        session.execute(_ASYNC_COMMIT)
    values = {c.name: getattr(run, c.name) for c in table.columns if c.name != "id"}
    run.id = session.execute(insert(table).values(values).returning(table.c.id)).scalar_one()


_ASYNC_COMMIT = text("SET LOCAL synchronous_commit = off")


def _finish(
    session_factory: sessionmaker[Session],
    run: SweepRun,
    counts: Counts,
    *,
    clock: Clock,
    started: float,
    error: str | None,
) -> None:
    with session_scope(session_factory, write=True) as session:
        _record_finish(session, run, counts, clock=clock, started=started, error=error)


def _record_finish(
    session: Session,
    run: SweepRun,
    counts: Counts,
    *,
    clock: Clock,
    started: float,
    error: str | None,
) -> None:
    """The run's counts, end and error on `run` and in its row, and its audit entry, in the session's transaction."""
    run.evaluated, run.flagged, run.renewed, run.notified = (
        counts.evaluated,
        counts.flagged,
        counts.renewed,
        counts.notified,
    )
    run.finished_at = clock.now()
    run.duration_ms = int((time.monotonic() - started) * 1000)
    run.error = error
    table = table_of(SweepRun)
    session.execute(
        update(table)
        .where(table.c.id == run.id)
        .values(
            skipped=run.skipped,
            evaluated=run.evaluated,
            flagged=run.flagged,
            renewed=run.renewed,
            notified=run.notified,
            finished_at=run.finished_at,
            duration_ms=run.duration_ms,
            error=error,
        )
    )
    audit.record(
        session,
        actor=run.triggered_by,
        action="skipped" if run.skipped else "sweep",
        entity="sweep_run",
        entity_id=run.id,
        changes={
            "as_of": str(run.as_of) if run.as_of else None,
            "full": run.full,
            "evaluated": run.evaluated,
            "flagged": run.flagged,
            "renewed": run.renewed,
            "notified": run.notified,
            "errors": counts.errors,
            "error": error,
        },
    )


_CLAIM = {True: queries.claim(full=True), False: queries.claim(full=False)}


def workers_for(settings: Settings, lock_engine: Engine) -> int:
    """The worker processes a full sweep may use: `sweep_workers` (default: CPUs) on PostgreSQL, else 1."""
    if not is_postgres(lock_engine):
        return 1
    return settings.sweep_workers or os.cpu_count() or 1


def _dispatch(
    session_factory: sessionmaker[Session],
    lock_engine: Engine,
    *,
    run_id: int,
    settings: Settings,
    clock: Clock,
    as_of: date | None,
    full: bool,
    counts: Counts,
    stop: threading.Event | None,
    actor: str,
    batches: list[Batch],
    end: Callable[[Session], None] | None = None,
) -> list[WorkerReport]:
    """Sweep in this process, or (full sweeps with enough work on PostgreSQL) in worker processes; returns
    the workers' reports ([] in process). In process, `end` runs in the last batch's transaction (`_sweep`)."""
    workers = workers_for(settings, lock_engine) if full else 1
    ranges = _id_ranges(session_factory, workers, settings.sweep_batch) if workers > 1 else []
    if len(ranges) < 2:
        _sweep(
            session_factory,
            run_id=run_id,
            settings=settings,
            clock=clock,
            as_of=as_of,
            full=full,
            counts=counts,
            stop=stop,
            actor=actor,
            batches=batches,
            end=end,
        )
        return []
    url = lock_engine.url.render_as_string(hide_password=False)
    jobs = [
        _Job(url=url, after=after, upto=upto, run_id=run_id, settings=settings, clock=clock, as_of=as_of, actor=actor)
        for after, upto in ranges
    ]
    with ProcessPoolExecutor(max_workers=len(jobs), mp_context=_context()) as pool:
        reports = list(pool.map(_sweep_range, jobs))
    for report in reports:
        counts.add(report.counts)
    log.info("sweep %s ran in %s worker processes", run_id, len(reports))
    failed = [r for r in reports if r.error]
    if failed:
        raise SweepWorkersFailed(
            f"{len(failed)} of {len(reports)} sweep workers failed; first: {failed[0].error}", reports
        )
    return reports


def _id_ranges(session_factory: sessionmaker[Session], workers: int, batch: int) -> list[tuple[int, int]]:
    """Contiguous id ranges `(after, upto]`, one per worker, each of at least two batches' worth of ids."""
    with session_scope(session_factory) as session:
        low, high = session.execute(select(func.min(Certification.id), func.max(Certification.id))).one()
    if low is None:
        return []
    span = high - low + 1
    n = max(1, min(workers, span // (2 * batch)))
    bounds = [low - 1 + span * k // n for k in range(n + 1)]
    bounds[0] = 0
    bounds[-1] = _MAX_ID  # rows inserted meanwhile belong to the last range
    return list(zip(bounds[:-1], bounds[1:], strict=True))


def _context() -> multiprocessing.context.BaseContext:
    """fork from a single-threaded process (fast: no interpreter start); otherwise a forkserver."""
    if threading.active_count() == 1:
        return multiprocessing.get_context("fork")
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["app.scheduler.sweep"])
    return context


@dataclass
class _Job:
    url: str
    after: int
    upto: int
    run_id: int
    settings: Settings
    clock: Clock
    as_of: date | None
    actor: str


def _sweep_range(job: _Job) -> WorkerReport:
    """In a worker process: sweep the ids in (after, upto] on a connection of its own; never raises."""
    from sqlalchemy import create_engine

    report = WorkerReport(after=job.after, upto=job.upto)
    lower_priority(job.settings.sweep_worker_nice)
    cpu = time.process_time()
    engine = create_engine(job.url, pool_size=1, max_overflow=0)
    if job.settings.nice_batch_backends:
        lower_backend_priority(engine, job.settings.sweep_worker_nice)  # its backend too, where it is local
    try:
        _sweep(
            make_session_factory(engine),
            run_id=job.run_id,
            settings=job.settings,
            clock=job.clock,
            as_of=job.as_of,
            full=True,
            counts=report.counts,
            stop=None,
            actor=job.actor,
            after=job.after,
            upto=job.upto,
            batches=report.batches,
        )
    except Exception as exc:
        log.exception("sweep %s worker for ids (%s, %s] failed", job.run_id, job.after, job.upto)
        report.error = f"{type(exc).__name__}: {exc}"[:1000]
    finally:
        engine.dispose()
    report.cpu_seconds = time.process_time() - cpu
    report.peak_rss_kb = _peak_rss_kb()
    return report


def _peak_rss_kb() -> int:
    """This process's peak resident set size (VmHWM), in kB; 0 where /proc is not available."""
    try:
        with open(f"/proc/{os.getpid()}/status") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def _sweep(
    session_factory: sessionmaker[Session],
    *,
    run_id: int,
    settings: Settings,
    clock: Clock,
    as_of: date | None,
    full: bool,
    counts: Counts,
    stop: threading.Event | None,
    actor: str,
    after: int = 0,
    upto: int = _MAX_ID,
    batches: list[Batch] | None = None,
    end: Callable[[Session], None] | None = None,
) -> None:
    """Sweep the due (or, `full`, all) certifications with ids in (after, upto], batch after batch, until done or
    `stop`. `end` runs in the transaction of the last batch (the one that finds fewer rows than a batch, maybe
    none), in a savepoint: if it fails, its writes are undone, the batch commits, and its error is raised."""
    horizon = as_of or clock.now().astimezone(_LATEST_ZONE).date()
    last_id: int = after
    batch = 0
    with _BatchCollector() as collector:
        while not (stop and stop.is_set()):
            started, cpu, evaluated = time.perf_counter(), time.process_time(), counts.evaluated
            # One process (the first range's) keeps the statistics of what the batches read and write fresh: the
            # first sweep after a load fills renewals, flags and outbox rows (app/scheduler/stats.py).
            check_stats = after == 0 and batch % STATS_EVERY == 0
            batch += 1
            if check_stats and upto != _MAX_ID:
                # Worker processes sweep the other ranges: new statistics are theirs once committed, at once. Not a
                # write session: on SQLite (no statistics to refresh) it must not take the write lock for nothing.
                with session_scope(session_factory) as session:
                    stats.refresh(session.connection())
            with session_scope(session_factory, write=True) as session:  # SQLite: the write lock before the reads
                if check_stats and upto == _MAX_ID:
                    # This process sweeps every id: in the batch's transaction, before its claim, not one more
                    # transaction per run (an incremental run often has one batch; SQLite sends nothing).
                    stats.refresh(session.connection())
                rows = fetch_sync(
                    session,
                    _CLAIM[full],
                    {"last_id": last_id, "upto": upto, "n": settings.sweep_batch, "horizon": horizon},
                )
                # a short batch is the last one: no need to scan the rest of the ids again
                last = len(rows) < settings.sweep_batch
                certs: list[CertRow] = rows
                if certs:
                    last_id = certs[-1].id
                    phases = _Phases(claim=time.perf_counter() - started)
                    _process_batch(
                        session,
                        certs,
                        settings=settings,
                        clock=clock,
                        as_of=as_of,
                        full=full,
                        counts=counts,
                        actor=actor,
                        phases=phases,
                    )
                failed = _in_savepoint(session, end) if last and end is not None else None
                committed = time.perf_counter()
            if failed is not None:
                raise failed
            if not certs:
                return
            collector.collect()  # the batch's cyclic garbage (its objects are gone), counted in its CPU
            seconds = time.perf_counter() - started
            if batches is not None:
                batches.append(Batch(time.time(), counts.evaluated - evaluated, seconds, time.process_time() - cpu))
            if log.isEnabledFor(logging.DEBUG):
                log.debug(
                    "sweep batch of ids %s..%s: %s evaluated in %.3fs, cpu %.3fs (%s, commit %.3fs)",
                    certs[0].id,
                    last_id,
                    counts.evaluated - evaluated,
                    seconds,
                    time.process_time() - cpu,
                    phases,
                    time.perf_counter() - committed,
                )
            if last:
                return


def _in_savepoint(session: Session, work: Callable[[Session], None]) -> Exception | None:
    """Run `work` in a savepoint of the session's transaction; its error (its writes undone), or None."""
    try:
        with session.begin_nested():
            work(session)
    except Exception as exc:  # noqa: BLE001 - the caller raises it once the rest of the transaction committed
        return exc
    return None


class _BatchCollector:
    """The garbage collector of a sweep: between batches, not within them.

    A batch keeps ~30,000 tracked objects alive at once (its engine completions, inputs and results) and frees
    them when it ends, all but a little cyclic garbage. The collector, left to itself, walked them over and over
    while they lived (a young collection every 700 allocations) and, as they were promoted, ran a full
    collection every other batch that also walked every object the process had before the sweep (the app's
    modules, SQLAlchemy's, pydantic's: ~130,000 objects the sweep never frees; in a forked worker it also copied
    the pages it wrote to). That was 28% of a one-process full sweep's CPU at 20,000 certifications (1.05 of
    3.78 s, by `gc.callbacks`; py-spy: `gc_collect_main`). So a sweep freezes what the process had before it
    (`gc.freeze`: out of every collection), pauses the automatic collections, and collects the young generations
    after each batch, when the batch's own objects are gone: one short collection per batch (~1.5 ms), of its
    garbage and the few objects it keeps (the per-process caches). It all goes back as it was when the sweep
    ends. A process that manages the collector itself (the service froze what it built at start-up: app.main) is
    left as it is, and so is one whose collections are already off, and so is every sweep that runs in a thread
    other than the main one (the scheduler's, a request's): the collector is the whole process's, and only the
    thread that owns the process (the CLI's, a sweep worker process's) may pause it.
    """

    owned = False

    def __enter__(self) -> _BatchCollector:
        if threading.current_thread() is threading.main_thread() and gc.isenabled() and not gc.get_freeze_count():
            self.owned = True
            gc.freeze()
            gc.disable()
        return self

    def collect(self) -> None:
        if self.owned:
            gc.collect(1)

    def __exit__(self, *exc: object) -> None:
        if self.owned:
            gc.enable()
            gc.unfreeze()


def _process_batch(
    session: Session,
    certs: list[CertRow],
    *,
    settings: Settings,
    clock: Clock,
    as_of: date | None,
    full: bool,
    counts: Counts,
    actor: str,
    phases: _Phases | None = None,
) -> None:
    phases = phases or _Phases()
    mark = time.perf_counter()
    inputs = run(compliance.inputs_plan(certs, accepted_only=True), session)
    mark = phases.lap("inputs", mark)
    items: list[flag_service.Evaluated] = []
    with_categories: dict[str, bool] = {}  # per credential: cache the category gaps (gaps.py) for reports
    for cert in certs:
        item = inputs[cert.id]
        categories = with_categories.get(cert.credential_code)
        if categories is None:
            categories = with_categories[cert.credential_code] = gaps.has_categories(item.versions)
        day = as_of or compliance.today_for(clock, item)
        if not (full or cert.dirty or (cert.next_change_on is not None and cert.next_change_on <= day)):
            continue  # selected by the widest "today"; its own board's day has not come yet
        try:
            result = engine.evaluate(
                versions=item.versions,
                facts=item.facts,
                completions=item.completions,
                activities=item.activities,
                as_of=day,
                explain=False,
                requirements=categories,
            )
            renewals = flag_service.derive_renewals(item, result, day)
        except engine.RuleError as exc:  # e.g. a birthday rule without the birthday: stays dirty
            counts.errors += 1
            log.warning("certification %s cannot be evaluated: %s", cert.id, exc)
            continue
        items.append(
            flag_service.Evaluated(
                cert=cert,
                day=day,
                result=result,
                inputs=item,
                renewals=renewals,
                reviews=flag_service.reviews_of(result),
            )
        )
    mark = phases.lap("engine", mark)
    if not items:
        return
    counts.evaluated += len(items)
    _store_status(session, items)
    mark = phases.lap("store", mark)
    now = clock.now()
    counts.renewed += flag_service.record_renewals(session, items, now=now)
    mark = phases.lap("renewals", mark)
    new_flags = flag_service.raise_flags(
        session,
        items,
        now=now,
        review_reasons=lambda item, start, end, stranded: reviews.reasons(session, item, start, end, stranded),
    )
    counts.flagged += len(new_flags)
    mark = phases.lap("flags", mark)
    counts.notified += notify.queue(
        session, new_flags, {i.cert.id: i for i in items}, base_url=settings.base_url, now=now
    )
    phases.lap("notify", mark)


@dataclass
class _Phases:
    """Seconds of a batch's phases (the DEBUG log of each batch)."""

    claim: float = 0.0
    inputs: float = 0.0
    engine: float = 0.0
    store: float = 0.0
    renewals: float = 0.0
    flags: float = 0.0
    notify: float = 0.0

    def lap(self, phase: str, since: float) -> float:
        now = time.perf_counter()
        setattr(self, phase, getattr(self, phase) + now - since)
        return now

    def __str__(self) -> str:
        return ", ".join(f"{name} {getattr(self, name):.3f}s" for name in self.__dataclass_fields__)


def _store_status(session: Session, items: list[flag_service.Evaluated]) -> None:
    """The new cached columns of a batch, `dirty` cleared; rows that would not change are not written. The
    batch holds its rows' locks (its claim)."""
    cached_status.store(
        session,
        [cached_status.Status.of(i.cert.id, i.result, i.day) for i in items if _changed(i)],
        dirty=False,
        locked=True,
    )


def _changed(item: flag_service.Evaluated) -> bool:
    cert, result = item.cert, item.result
    return (
        cert.dirty
        or cert.status != result.status
        or cert.evaluated_on != item.day
        or cert.cycle_start != result.cycle_start
        or cert.cycle_end != result.cycle_end
        or cert.grace_ends_on != result.grace_ends_on
        or cert.next_change_on != result.next_change_on
    )
