"""APScheduler 3 inside the service: the daily sweep, the minute-by-minute outbox delivery, housekeeping.

A BackgroundScheduler with an in-memory job store runs in each process that starts it. That
is safe with several replicas on PostgreSQL because the jobs themselves are exclusive there
(the sweep's advisory lock, the outbox's SKIP LOCKED claims); on SQLite run one process.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from app.scheduler import housekeeping, notify, sweep

log = logging.getLogger("peer_ce.scheduler")


class SchedulerRunner:
    """Owns the BackgroundScheduler of one process; `start()` in the lifespan, `shutdown()` on exit."""

    def __init__(self, state: Any) -> None:
        self.state = state  # the app's state: settings, engine, session_factory, clock
        self.stop = threading.Event()
        settings = state.settings
        self.scheduler = BackgroundScheduler(timezone=settings.scheduler_timezone)
        self.scheduler.add_job(
            self.run_sweep,
            CronTrigger.from_crontab(settings.sweep_cron, timezone=settings.scheduler_timezone),
            id="sweep",
            name="compliance sweep",
            coalesce=True,
            max_instances=1,
            misfire_grace_time=6 * 3600,
            replace_existing=True,
        )
        self.scheduler.add_job(
            self.deliver,
            IntervalTrigger(seconds=settings.delivery_interval_seconds),
            id="deliver",
            name="outbox delivery",
            coalesce=True,
            max_instances=1,
            misfire_grace_time=settings.delivery_interval_seconds,
            replace_existing=True,
        )

        self.scheduler.add_job(
            self.housekeeping,
            IntervalTrigger(minutes=10),
            id="housekeeping",
            name="housekeeping",
            coalesce=True,
            max_instances=1,
            misfire_grace_time=600,
            replace_existing=True,
        )

    def start(self) -> None:
        self.scheduler.start()
        job = self.scheduler.get_job("sweep")
        log.info("scheduler started; next sweep at %s", job.next_run_time if job else None)

    def shutdown(self) -> None:
        """Stop after the current batch (a batch is atomic) and wait for running jobs."""
        self.stop.set()
        if self.scheduler.running:
            self.scheduler.shutdown(wait=True)

    def run_sweep(self) -> None:
        s = self.state
        try:
            run = sweep.run_sweep(
                s.session_factory,
                s.engine,
                settings=s.settings,
                clock=s.clock,
                triggered_by="scheduler",
                stop=self.stop,
            )
            log.info(
                "sweep %s: evaluated %s, flagged %s, renewed %s, notified %s%s",
                run.id,
                run.evaluated,
                run.flagged,
                run.renewed,
                run.notified,
                " (skipped)" if run.skipped else "",
            )
        except Exception:  # noqa: BLE001 - logged; the next run retries what is still dirty
            log.exception("scheduled sweep failed")

    def deliver(self) -> None:
        s = self.state
        if self.stop.is_set():
            return
        try:
            report = notify.deliver_due(s.session_factory, settings=s.settings, clock=s.clock)
            if any(report.as_dict().values()):
                log.info("outbox delivery: %s", report.as_dict())
        except Exception:  # noqa: BLE001 - logged; rows stay due and are retried next minute
            log.exception("outbox delivery failed")

    def housekeeping(self) -> None:
        s = self.state
        if self.stop.is_set():
            return
        try:
            housekeeping.run(s.session_factory, clock=s.clock)
        except Exception:  # noqa: BLE001 - logged; the next run retries
            log.exception("housekeeping failed")
