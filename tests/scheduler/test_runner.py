"""Running the sweep: APScheduler in the app's lifespan, and `peer-ce sweep` for an external cron."""

from __future__ import annotations

import asyncio
import logging
from datetime import date

import pytest
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from sqlmodel import select
from typer.testing import CliRunner

from app import cli
from app.certifications.models import Certification
from app.config import get_settings
from app.content import load_shipped_content
from app.db import make_engine, make_session_factory, session_scope
from app.main import create_app
from app.migrate import upgrade_to_head
from app.people.models import Person
from app.scheduler.models import SweepRun
from app.scheduler.runner import SchedulerRunner
from tests import factories
from tests.conftest import TEST_DATABASE_URL
from tests.scheduler.helpers import set_today
from tests.support.databases import throwaway_database


def test_the_lifespan_starts_the_scheduler_and_shuts_it_down(settings, engine):
    own = settings.model_copy(update={"scheduler_enabled": True, "sweep_cron": "30 9 * * *"})
    app = create_app(own, engine=make_engine(own))

    async def lifetime() -> SchedulerRunner:
        async with app.router.lifespan_context(app):
            runner = app.state.scheduler
            assert runner.scheduler.running
            sweep_job = runner.scheduler.get_job("sweep")
            assert isinstance(sweep_job.trigger, CronTrigger)
            fields = {f.name: str(f) for f in sweep_job.trigger.fields}
            assert (fields["hour"], fields["minute"]) == ("9", "30")
            assert sweep_job.coalesce is True and sweep_job.max_instances == 1
            deliver_job = runner.scheduler.get_job("deliver")
            assert isinstance(deliver_job.trigger, IntervalTrigger)
            assert deliver_job.trigger.interval.total_seconds() == 60
            assert deliver_job.coalesce is True and deliver_job.max_instances == 1
            return runner

    runner = asyncio.run(lifetime())
    assert not runner.scheduler.running and runner.stop.is_set()


def test_no_scheduler_when_disabled(app):
    async def lifetime() -> None:
        async with app.router.lifespan_context(app):
            assert app.state.scheduler is None

    app.state.engine = make_engine(app.state.settings)  # the lifespan disposes its engine on exit
    asyncio.run(lifetime())


def test_the_scheduled_jobs_sweep_and_deliver(app, admin, db):
    set_today(app, date(2026, 1, 5))
    factories.certification(admin, credential_code="KY-APSS", issued_on="2025-02-01")
    runner = SchedulerRunner(app.state)
    runner.run_sweep()
    run = db.exec(select(SweepRun).order_by(SweepRun.id.desc())).first()  # type: ignore[union-attr]
    assert run.triggered_by == "scheduler" and run.flagged == 1 and run.finished_at is not None
    runner.deliver()  # the email waits for SMTP; nothing raises
    runner.stop.set()
    runner.run_sweep()
    latest = db.exec(select(SweepRun).order_by(SweepRun.id.desc())).first()  # type: ignore[union-attr]
    assert latest.evaluated == 0  # stopped before its first batch


@pytest.fixture
def cli_database(settings, tmp_path, monkeypatch):
    """A migrated database of its own with one due-soon certification, and the CLI's env pointing at it."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    with throwaway_database(TEST_DATABASE_URL, tmp_path) as url:
        own = settings.model_copy(update={"database_url": url, "data_dir": tmp_path})
        engine = make_engine(own)
        upgrade_to_head(engine)
        factory = make_session_factory(engine)
        load_shipped_content(factory, own.content_dir)
        with session_scope(factory) as session:
            person = Person(given_name="Casey", family_name="Cron", email="casey@example.org")
            session.add(person)
            session.flush()
            session.add(
                Certification(
                    person_id=person.id, credential_code="KY-APSS", state="KY", number="K-1", issued_on=date(2025, 2, 1)
                )
            )
        for key, value in {
            "DATABASE_URL": url,
            "DATA_DIR": str(tmp_path),
            "ENVIRONMENT": "test",
            "LOG_LEVEL": "WARNING",
        }.items():
            monkeypatch.setenv(f"PEER_CE_{key}", value)
        get_settings.cache_clear()
        try:
            yield engine
        finally:
            get_settings.cache_clear()
            engine.dispose()
            root.handlers[:] = handlers
            root.setLevel(level)


def test_peer_ce_sweep_runs_one_sweep_and_prints_the_counts(cli_database, monkeypatch):
    import app.priority

    niced: list[tuple[str, int]] = []  # the command lowers its priority: recorded here, not done to the test's process
    monkeypatch.setattr(app.priority, "lower_priority", lambda niceness: niced.append(("process", niceness)))
    monkeypatch.setattr(
        app.priority, "lower_backend_priority", lambda engine, niceness: niced.append((engine.dialect.name, niceness))
    )
    runner = CliRunner()
    first = runner.invoke(cli.app, ["sweep", "--as-of", "2026-01-05"])
    assert first.exit_code == 0, first.output
    assert "evaluated 1, flagged 1, renewed 0, notified 1" in first.output
    assert "not_configured 1" in first.output
    again = runner.invoke(cli.app, ["sweep", "--as-of", "2026-01-05", "--no-deliver"])
    assert again.exit_code == 0 and "evaluated 0, flagged 0" in again.output and "outbox" not in again.output
    full = runner.invoke(cli.app, ["sweep", "--as-of", "2026-01-05", "--full"])
    assert "evaluated 1, flagged 0" in full.output
    bad = runner.invoke(cli.app, ["sweep", "--as-of", "05/01/2026"])
    assert bad.exit_code == 2
    with make_session_factory(cli_database)() as session:
        assert [r.triggered_by for r in session.exec(select(SweepRun))] == ["cli", "cli", "cli"]
    # a batch job: the whole command at `sweep_worker_nice` (10), its database sessions too where they may be
    assert niced[:2] == [("process", 10), (cli_database.dialect.name, 10)] and len(niced) == 6
