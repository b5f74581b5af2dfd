"""Housekeeping the scheduler does every few minutes: forget what has outlived its use."""

from __future__ import annotations

import logging

from sqlalchemy.orm import sessionmaker
from sqlmodel import Session

from app import idempotency
from app.clock import Clock
from app.db import session_scope

log = logging.getLogger("peer_ce.scheduler.housekeeping")


def run(session_factory: sessionmaker[Session], *, clock: Clock) -> dict[str, int]:
    """Delete expired Idempotency-Key records; returns what was removed."""
    with session_scope(session_factory, write=True) as session:
        removed = {"idempotency_records": idempotency.purge_expired(session, now=clock.now())}
    if any(removed.values()):
        log.info("housekeeping: %s", removed)
    return removed
