"""Several replicas sweeping one PostgreSQL database at once never double-flag or double-notify.

These tests need real, concurrent connections, so they run in a throwaway database of their own
(the rolled-back test transaction is one connection) and only on PostgreSQL: on SQLite a single
process runs the scheduler (docs/scheduler.md), and SQLite serialises writers anyway.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import date

import pytest
from sqlalchemy import func
from sqlmodel import Session, select

from app.certifications.models import Certification
from app.content import load_shipped_content
from app.db import make_engine, make_session_factory, session_scope
from app.migrate import upgrade_to_head
from app.people.models import Person
from app.scheduler.models import Flag, Outbox, SweepRun, WebhookSubscription
from app.scheduler.sweep import run_sweep
from tests.conftest import TEST_DATABASE_URL
from tests.scheduler.helpers import clock_on
from tests.support.databases import throwaway_database

pytestmark = pytest.mark.skipif(
    not TEST_DATABASE_URL,
    reason="concurrent sweeps need PostgreSQL (row locks, advisory locks); SQLite runs one scheduler process",
)

WORKERS = 4
CODES = ["KY-APSS", "NC-CPSS", "VA-RPRS", "GA-CPS-AD", "CA-CMPSS"]


@pytest.fixture
def replicas(settings, tmp_path):
    """A throwaway database with 120 certifications and two webhook subscriptions; small batches."""
    with throwaway_database(TEST_DATABASE_URL, tmp_path) as url:
        own = settings.model_copy(update={"database_url": url, "sweep_batch": 7, "db_pool_size": 10})
        engine = make_engine(own)
        upgrade_to_head(engine)
        factory = make_session_factory(engine)
        load_shipped_content(factory, own.content_dir)
        with session_scope(factory) as session:
            for i in range(120):
                person = Person(given_name="Sam", family_name=f"Replica{i}", email=f"replica{i}@example.org")
                session.add(person)
                session.flush()
                code = CODES[i % len(CODES)]
                issued = date(2024 + i % 2, 1 + i % 12, 1 + i % 27)
                session.add(
                    Certification(
                        person_id=person.id, credential_code=code, state=code[:2], number=f"R-{i}", issued_on=issued
                    )
                )
            session.add(
                WebhookSubscription(
                    state="KY", url="https://93.184.216.34/ky", secret="k" * 32, created_by="admin:test"
                )
            )
            session.add(
                WebhookSubscription(
                    state="NC", url="https://93.184.216.34/nc", secret="n" * 32, created_by="admin:test"
                )
            )
        yield own, engine, factory
        engine.dispose()


def _race(settings, engine, factory, *, day: date) -> list[SweepRun]:
    barrier = threading.Barrier(WORKERS)

    def one(_: int) -> SweepRun:
        barrier.wait()
        return run_sweep(factory, engine, settings=settings, clock=clock_on(day), as_of=day, triggered_by="replica")

    with ThreadPoolExecutor(WORKERS) as pool:
        return list(pool.map(one, range(WORKERS)))


@contextmanager
def _no_run_lock(lock_engine):
    """Every run proceeds, as if none held the run-level lock: only the batches' claims separate them."""
    yield True


def _check_once(engine) -> tuple[int, int]:
    with Session(engine) as session:
        flags = session.exec(select(Flag)).all()
        keys = [(f.certification_id, f.cycle_start, f.status) for f in flags]
        assert len(keys) == len(set(keys))
        per_flag = dict(session.exec(select(Outbox.flag_id, func.count()).group_by(Outbox.flag_id)).all())
        subscribed = {"KY", "NC"}
        for f in flags:
            assert per_flag.get(f.id) == 1 + (f.state in subscribed), f  # the email, and the state's webhook
        outbox = session.exec(select(func.count()).select_from(Outbox)).one()
        return len(flags), outbox


def test_four_concurrent_sweeps_with_the_run_lock_flag_each_once(replicas):
    settings, engine, factory = replicas
    runs = _race(settings, engine, factory, day=date(2026, 1, 5))
    flags, outbox = _check_once(engine)
    assert flags > 0
    worked = [r for r in runs if not r.skipped]
    assert worked and sum(r.flagged for r in runs) == flags
    assert sum(r.notified for r in runs) == outbox
    assert sum(r.evaluated for r in runs) == 120
    # a run that found the lock taken says so and did nothing
    for run in runs:
        if run.skipped:
            assert (run.evaluated, run.flagged, run.notified) == (0, 0, 0)


def test_four_concurrent_sweeps_claiming_batches_flag_each_once(replicas, monkeypatch):
    """Without the run lock, SKIP LOCKED batches and the unique constraints still keep each flag single."""
    from app.scheduler import sweep as sweep_module

    monkeypatch.setattr(sweep_module, "_run_lock", _no_run_lock)
    settings, engine, factory = replicas
    runs = _race(settings, engine, factory, day=date(2026, 1, 5))
    flags, outbox = _check_once(engine)
    assert flags > 0 and not any(r.skipped for r in runs)
    assert sum(r.evaluated for r in runs) == 120  # each certification claimed by exactly one sweep
    assert sum(r.flagged for r in runs) == flags and sum(r.notified for r in runs) == outbox
    # later days, all replicas at once again: more flags (overdue, lapsed), still once each
    for day in (date(2026, 3, 1), date(2026, 6, 1), date(2026, 12, 1)):
        runs = _race(settings, engine, factory, day=day)
        total, outbox = _check_once(engine)
        assert total >= flags
        flags = total
    with Session(engine) as session:
        assert session.exec(select(func.count()).select_from(Flag)).one() == flags


def test_an_advisory_lock_held_elsewhere_makes_a_sweep_skip(replicas):
    from sqlalchemy import text

    from app.scheduler.sweep import SWEEP_LOCK

    settings, engine, factory = replicas
    with engine.connect() as other, other.begin():
        assert other.execute(text("SELECT pg_try_advisory_xact_lock(:k)"), {"k": SWEEP_LOCK}).scalar()
        run = run_sweep(factory, engine, settings=settings, clock=clock_on(date(2026, 1, 5)), triggered_by="replica")
    assert run.skipped and run.evaluated == 0
    with Session(engine) as session:
        assert session.get(SweepRun, run.id).skipped is True
        assert session.exec(select(func.count()).select_from(Flag)).one() == 0
    assert not run_sweep(factory, engine, settings=settings, clock=clock_on(date(2026, 1, 5))).skipped
