"""A full sweep in worker processes (PostgreSQL) records exactly what a sequential one records."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import create_engine, text
from sqlmodel import Session

from app.scheduler import sweep as sweep_module
from app.scheduler.sweep import (
    SweepWorkersFailed,
    _id_ranges,
    _Job,
    _sweep_range,
    run_sweep,
    run_sweep_with_report,
    workers_for,
)
from tests.conftest import TEST_DATABASE_URL
from tests.scheduler.helpers import clock_on
from tests.scheduler.test_concurrency import _check_once, replicas  # noqa: F401  (the fixture)

needs_postgres = pytest.mark.skipif(not TEST_DATABASE_URL, reason="worker processes sweep PostgreSQL only")


def _state(engine) -> dict[str, list[tuple]]:
    """Every stored result of the sweeps: cached status columns, renewals, flags and outbox rows."""
    with Session(engine) as session:
        run = session.connection().execute
        return {
            "certifications": run(
                text(
                    "SELECT id, status, cycle_start, cycle_end, grace_ends_on, next_change_on, evaluated_on, dirty "
                    "FROM certification ORDER BY id"
                )
            ).all(),
            "renewals": run(
                text("SELECT certification_id, cycle_start, cycle_end, met_on FROM renewal ORDER BY 1, 2")
            ).all(),
            "flags": run(
                text("SELECT certification_id, cycle_start, cycle_end, status, raised_on FROM flag ORDER BY 1, 2, 4")
            ).all(),
            "outbox": run(
                text(
                    "SELECT f.certification_id, f.status, o.channel, o.recipient_key FROM outbox o "
                    "JOIN flag f ON f.id = o.flag_id ORDER BY 1, 2, 3, 4"
                )
            ).all(),
        }


def _forget_results(engine) -> None:
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM outbox"))
        conn.execute(text("DELETE FROM flag"))
        conn.execute(text("DELETE FROM renewal"))
        conn.execute(
            text(
                "UPDATE certification SET status = 'in_progress', cycle_start = NULL, cycle_end = NULL, "
                "grace_ends_on = NULL, next_change_on = NULL, evaluated_on = NULL, dirty = true"
            )
        )


@needs_postgres
def test_a_parallel_full_sweep_records_what_a_sequential_one_does(replicas):  # noqa: F811
    settings, engine, factory = replicas
    days = [date(2026, 1, 5), date(2026, 6, 1), date(2027, 3, 1)]
    sequential = settings.model_copy(update={"sweep_workers": 1})
    parallel = settings.model_copy(update={"sweep_workers": 3})  # 120 rows, batches of 7: three ranges
    expected, runs = [], []
    for day in days:
        result = run_sweep_with_report(factory, engine, settings=sequential, clock=clock_on(day), as_of=day, full=True)
        assert result.workers == []  # one worker: swept in this process
        runs.append(result.run)
        expected.append(_state(engine))
    _forget_results(engine)
    for day, want, before in zip(days, expected, runs, strict=True):
        result = run_sweep_with_report(factory, engine, settings=parallel, clock=clock_on(day), as_of=day, full=True)
        run, reports = result.run, result.workers
        assert len(reports) == 3 and not any(r.error for r in reports)
        assert all(r.peak_rss_kb > 0 for r in reports)
        assert sum(r.counts.evaluated for r in reports) == run.evaluated == 120  # each exactly once
        assert (run.flagged, run.renewed, run.notified) == (before.flagged, before.renewed, before.notified)
        assert _state(engine) == want
        _check_once(engine)


@needs_postgres
def test_id_ranges_cover_every_id_once_with_two_batches_each(replicas):  # noqa: F811
    _settings, _engine, factory = replicas
    ranges = _id_ranges(factory, workers=3, batch=7)
    assert len(ranges) == 3 and ranges[0][0] == 0 and ranges[-1][1] == 2**31 - 1
    assert all(a[1] == b[0] for a, b in zip(ranges, ranges[1:], strict=False))  # contiguous, no overlap
    assert len(_id_ranges(factory, workers=8, batch=30)) == 2  # 120 ids: at most two ranges of 2 x 30
    assert len(_id_ranges(factory, workers=4, batch=1000)) == 1


@needs_postgres
def test_a_failing_worker_reports_its_error_instead_of_raising(replicas):  # noqa: F811
    settings, engine, _factory = replicas
    bad = engine.url.set(database=engine.url.database + "_missing").render_as_string(hide_password=False)
    report = _sweep_range(
        _Job(
            url=bad,
            after=0,
            upto=50,
            run_id=1,
            settings=settings,
            clock=clock_on(date(2026, 1, 5)),
            as_of=None,
            actor="test",
        )
    )
    assert report.error and report.counts.evaluated == 0


def test_the_worker_setting(settings):
    sqlite = create_engine("sqlite://")
    postgres = create_engine("postgresql+psycopg://u@127.0.0.1/db")
    assert workers_for(settings.model_copy(update={"sweep_workers": 4}), sqlite) == 1  # always 1 on SQLite
    assert workers_for(settings.model_copy(update={"sweep_workers": 3}), postgres) == 3
    import os

    assert workers_for(settings.model_copy(update={"sweep_workers": None}), postgres) == (os.cpu_count() or 1)


def test_the_worker_setting_comes_from_the_environment(monkeypatch, tmp_path):
    from app.config import Settings

    monkeypatch.setenv("PEER_CE_SWEEP_WORKERS", "5")
    assert Settings(_env_file=None, data_dir=tmp_path).sweep_workers == 5


@needs_postgres
def test_a_worker_error_fails_the_run_after_the_others_finish(replicas, monkeypatch):  # noqa: F811
    """The run records the error and the counts of what the workers committed; the next run sweeps the rest."""
    import multiprocessing

    from sqlmodel import select

    from app.scheduler.models import SweepRun

    settings, engine, factory = replicas
    parallel = settings.model_copy(update={"sweep_workers": 2})
    real = sweep_module._process_batch

    def failing(session, certs, **kw):
        if certs[0].id > 60:  # the second range's batches
            raise RuntimeError("boom")
        return real(session, certs, **kw)

    monkeypatch.setattr(sweep_module, "_process_batch", failing)
    monkeypatch.setattr(sweep_module, "_context", lambda: multiprocessing.get_context("fork"))  # inherits the patch
    day = date(2026, 1, 5)
    with pytest.raises(SweepWorkersFailed, match="1 of 2 sweep workers failed; first: RuntimeError: boom") as failed:
        run_sweep(factory, engine, settings=parallel, clock=clock_on(day), as_of=day, full=True)
    reports = failed.value.workers
    assert [bool(r.error) for r in reports] == [False, True]
    with Session(engine) as session:
        run = session.exec(select(SweepRun).order_by(SweepRun.id.desc())).first()
        assert run.error and "boom" in run.error and run.evaluated == reports[0].counts.evaluated > 0
        dirty = session.connection().execute(text("SELECT count(*) FROM certification WHERE dirty")).scalar()
        assert dirty == 120 - run.evaluated  # the failed range stays dirty
    monkeypatch.undo()
    again = run_sweep(factory, engine, settings=settings, clock=clock_on(day), as_of=day)
    assert again.evaluated == 120 - run.evaluated


@needs_postgres
@pytest.mark.parametrize("nice", [True, False])
def test_the_workers_backends_run_at_the_workers_niceness(replicas, monkeypatch, tmp_path, nice):  # noqa: F811
    """A worker's writes run in its PostgreSQL backend: at `sweep_worker_nice` too where that backend is a process
    of this machine the sweep may renice (`nice_batch_backends`), else at the server's priority."""
    import multiprocessing
    import os

    from sqlalchemy import event

    from app.priority import local_backend_pid
    from tests.test_priority import may_renice

    settings, engine, factory = replicas
    with engine.connect() as conn:
        server = conn.connection.dbapi_connection
        if local_backend_pid(server) is None or not may_renice(server.info.backend_pid):
            pytest.skip("the test database's server is not a process of this machine this user may renice")
        server_priority = os.getpriority(os.PRIO_PROCESS, server.info.backend_pid)
    seen = tmp_path / "priorities"
    real = sweep_module.lower_backend_priority

    def record(dbapi_connection, _record):
        pid = dbapi_connection.info.backend_pid
        with seen.open("a") as fh:
            fh.write(f"{pid} {os.getpriority(os.PRIO_PROCESS, pid)}\n")

    def watched(worker_engine, niceness):  # a listener after the sweep's own: the backend as the sweep leaves it
        real(worker_engine, niceness)
        event.listen(worker_engine, "connect", record)

    monkeypatch.setattr(sweep_module, "lower_backend_priority", watched)
    monkeypatch.setattr(sweep_module, "_context", lambda: multiprocessing.get_context("fork"))  # inherits the patch
    parallel = settings.model_copy(update={"sweep_workers": 2, "sweep_worker_nice": 9, "nice_batch_backends": nice})
    day = date(2026, 1, 5)
    result = run_sweep_with_report(factory, engine, settings=parallel, clock=clock_on(day), as_of=day, full=True)
    assert len(result.workers) == 2 and result.run.evaluated == 120
    if not nice:
        assert not seen.exists()  # the workers' engines were left as they are
    else:
        priorities = {int(line.split()[1]) for line in seen.read_text().splitlines()}
        assert priorities == {max(9, server_priority)}  # every worker's connection
    with engine.connect() as conn:  # the coordinator's own engine is left as it was
        pid = conn.connection.dbapi_connection.info.backend_pid
        assert os.getpriority(os.PRIO_PROCESS, pid) == server_priority
