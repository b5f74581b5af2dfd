"""Running sweeps and deliveries against the test app with an injected clock."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from app.clock import FixedClock
from app.rules import engine
from app.scheduler import notify
from app.scheduler.models import SweepRun
from app.scheduler.sweep import run_sweep


def clock_on(day: date, hour: int = 17) -> FixedClock:
    """17:00 UTC: the same calendar day in every US board's time zone."""
    return FixedClock(datetime.combine(day, time(hour), tzinfo=UTC))


def set_today(app, day: date) -> FixedClock:
    app.state.clock = clock_on(day)
    return app.state.clock


def sweep(app, *, as_of: date | None = None, full: bool = False, clock=None, **kw) -> SweepRun:
    state = app.state
    return run_sweep(
        state.session_factory,
        state.engine,
        settings=state.settings,
        clock=clock or state.clock,
        as_of=as_of,
        full=full,
        **kw,
    )


def deliver(app, *, at: datetime | None = None, **kw) -> notify.DeliveryReport:
    clock = FixedClock(at) if at else app.state.clock
    return notify.deliver_due(app.state.session_factory, settings=app.state.settings, clock=clock, **kw)


def days(first: date, last: date):
    day = first
    while day <= last:
        yield day
        day += timedelta(days=1)


def evaluate(inputs, day: date) -> engine.Evaluation:
    return engine.evaluate(
        versions=inputs.versions,
        facts=inputs.facts,
        completions=inputs.completions,
        activities=inputs.activities,
        as_of=day,
        explain=False,
    )


def with_settings(app, **changes):
    app.state.settings = app.state.settings.model_copy(update=changes)
    return app.state.settings
