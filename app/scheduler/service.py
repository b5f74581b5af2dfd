"""The scheduler's requests: run a sweep now, read sweep runs and the flags the sweeps raised.

The work is elsewhere, by use case: `sweep` (evaluating certifications, recording statuses, renewals and
flags), `flags` (the flag and renewal rules), `notify` and `webhooks` (the outbox and its deliveries; webhook
subscriptions), `housekeeping` and `runner` (the scheduled jobs).
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import Engine
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session, col, select

from app.auth.principal import Principal
from app.clock import Clock
from app.config import Settings
from app.errors import NotFound
from app.pagination import KeysetPage, keyset_page
from app.scheduler import sweep
from app.scheduler.models import Flag, SweepRun


def run_now(
    session_factory: sessionmaker[Session],
    lock_engine: Engine,
    *,
    settings: Settings,
    clock: Clock,
    as_of: date | None,
    full: bool,
    actor: str,
) -> SweepRun:
    """Run one sweep at a caller's request, in its own transactions (not the request's); returns the run."""
    return sweep.run_sweep(
        session_factory, lock_engine, settings=settings, clock=clock, as_of=as_of, full=full, triggered_by=actor
    )


class SweepNotFound(NotFound):
    pass


def get_run(session: Session, run_id: int) -> SweepRun:
    run = session.get(SweepRun, run_id)
    if run is None:
        raise SweepNotFound(f"Sweep {run_id} was not found.")
    return run


def list_runs(
    session: Session, *, cursor: str | None = None, limit: int = 50, count: bool = False
) -> KeysetPage[SweepRun]:
    """Sweep runs, newest first, keyset-paged."""
    return keyset_page(
        session, select(SweepRun), SweepRun.id, cursor=cursor, limit=limit, newest_first=True, count=count
    )


def list_flags(
    session: Session,
    *,
    principal: Principal,
    credential_code: str | None = None,
    status: str | None = None,
    state: str | None = None,
    since: date | None = None,
    certification_id: int | None = None,
    cursor: str | None = None,
    limit: int = 50,
    count: bool = False,
) -> KeysetPage[Flag]:
    """Flags the caller may see (admins all, boards their states), newest first, keyset-paged."""
    query = select(Flag)
    if not principal.is_admin:
        query = query.where(col(Flag.state).in_(sorted(principal.states)))
    if credential_code:
        query = query.where(Flag.credential_code == credential_code.upper())
    if status:
        query = query.where(Flag.status == status)
    if state:
        query = query.where(Flag.state == state.upper())
    if since:
        query = query.where(col(Flag.raised_on) >= since)
    if certification_id is not None:
        query = query.where(Flag.certification_id == certification_id)
    return keyset_page(session, query, Flag.id, cursor=cursor, limit=limit, newest_first=True, count=count)
