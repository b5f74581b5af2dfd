"""Per-client rate limits of the public endpoints, shared by every worker and replica on PostgreSQL.

A sliding-window counter: hits are counted per client and fixed one-minute window, and a request is
admitted while `previous window's hits x the part of it still inside the last minute + this window's
hits` stays within the limit. Every request counts, refused ones too, so a client that keeps
retrying faster than the limit stays refused; `Retry-After` says how long to pause.

On PostgreSQL the counts live in the `rate_limit_hit` table (one upsert per request, on a short
autocommit connection of its own, never inside the request's transaction), so the limit holds across
workers and replicas. On SQLite, which one process serves, they live in that process. IPv6 clients
are counted per /64 (what one subscriber usually gets), IPv4 clients per address.
"""

from __future__ import annotations

import ipaddress
import logging
import math
import threading
import time
from collections.abc import Awaitable, Callable
from typing import Protocol

from fastapi import Request
from sqlalchemy import Engine, text
from sqlalchemy.exc import SQLAlchemyError
from starlette.concurrency import run_in_threadpool

from app.errors import TooManyRequests
from app.proxies import client_address, parse_ip

log = logging.getLogger("peer_ce.ratelimit")

WINDOW_SECONDS = 60


def bucket_of(address: str) -> str:
    """The counter a client address is counted in: IPv6 by /64, IPv4 (and anything else) by itself."""
    ip = parse_ip(address)
    if isinstance(ip, ipaddress.IPv6Address):
        return str(ipaddress.IPv6Network((ip, 64), strict=False))
    return (str(ip) if ip is not None else address)[:100]


class Counter(Protocol):
    #: True when `hit` does I/O (run it in the thread pool).
    blocking: bool

    def hit(self, bucket: str, window: int) -> tuple[int, int]:
        """Count one hit of `bucket` in `window`; return (hits in the previous window, hits in this one)."""
        ...


class MemoryCounter:
    """Counts in this process (SQLite: one process serves the database)."""

    blocking = False

    def __init__(self) -> None:
        self._hits: dict[tuple[str, int], int] = {}
        self._window = 0
        self._lock = threading.Lock()

    def hit(self, bucket: str, window: int) -> tuple[int, int]:
        with self._lock:
            if window != self._window:  # a new minute: forget the windows no estimate needs any more
                self._window = window
                self._hits = {key: n for key, n in self._hits.items() if key[1] >= window - 1}
            current = self._hits[bucket, window] = self._hits.get((bucket, window), 0) + 1
            return self._hits.get((bucket, window - 1), 0), current


_HIT = text(
    'WITH cur AS (INSERT INTO rate_limit_hit (bucket, "window", hits) VALUES (:bucket, :window, 1) '
    'ON CONFLICT (bucket, "window") DO UPDATE SET hits = rate_limit_hit.hits + 1 RETURNING hits) '
    'SELECT (SELECT hits FROM rate_limit_hit WHERE bucket = :bucket AND "window" = :window - 1), cur.hits FROM cur'
)
_PURGE = text('DELETE FROM rate_limit_hit WHERE "window" < :window - 1')


class DatabaseCounter:
    """Counts in the `rate_limit_hit` table (PostgreSQL), shared by every process using the database."""

    blocking = True

    def __init__(self, engine: Engine) -> None:
        self.engine = engine.execution_options(isolation_level="AUTOCOMMIT")
        self._purged_before = 0

    def hit(self, bucket: str, window: int) -> tuple[int, int]:
        with self.engine.connect() as conn:
            previous, current = conn.execute(_HIT, {"bucket": bucket, "window": window}).one()
            if window > self._purged_before:  # once a minute per process: drop the windows nothing reads
                self._purged_before = window
                conn.execute(_PURGE, {"window": window})
        return previous or 0, current


# SQLite's counters, one per database file: every app of this process on that file shares it.
_MEMORY: dict[str, MemoryCounter] = {}
_MEMORY_LOCK = threading.Lock()


def counter_for(engine: Engine) -> Counter:
    """Where the counts of `engine`'s database live: the database itself on PostgreSQL, the process on SQLite."""
    if engine.dialect.name == "postgresql":
        return DatabaseCounter(engine)
    with _MEMORY_LOCK:
        return _MEMORY.setdefault(engine.url.render_as_string(hide_password=True), MemoryCounter())


def retry_after(previous: int, current: int, elapsed: float, limit: int, window: float = WINDOW_SECONDS) -> int:
    """Whole seconds until one more request fits under `limit`, if none is sent meanwhile (at least 1)."""
    wait = None
    if current + 1 <= limit:  # this window has room: wait for the previous one's weight to shrink
        needed = 0.0 if previous == 0 else window * (1 - (limit - current - 1) / previous) - elapsed
        if elapsed + needed < window:
            wait = max(needed, 0.0)
    if wait is None:  # only the next window has room, once this one's weight has shrunk enough
        wait = (window - elapsed) + max(0.0, window * (1 - (limit - 1) / current))
    return max(1, math.ceil(wait))


class RateLimiter:
    """`limit` requests per minute and client for each named endpoint group, counted in `counter`."""

    def __init__(self, counter: Counter, limit: int, *, clock: Callable[[], float] = time.time) -> None:
        self.counter = counter
        self.limit = limit
        self.clock = clock

    def check(self, name: str, address: str) -> None:
        """Count a request of `address` to `name`; raise TooManyRequests (429) past the limit."""
        now = self.clock()
        window, elapsed = divmod(now, WINDOW_SECONDS)
        try:
            previous, current = self.counter.hit(f"{name}:{bucket_of(address)}", int(window))
        except SQLAlchemyError:  # the limit must not take the endpoint down with the database
            log.warning("rate limit not checked: the database did not answer", exc_info=True)
            return
        if previous * (1 - elapsed / WINDOW_SECONDS) + current <= self.limit:
            return
        retry = retry_after(previous, current, elapsed, self.limit)
        raise TooManyRequests(
            f"At most {self.limit} requests per minute to this endpoint from one client; retry in {retry} s.",
            headers={"Retry-After": str(retry)},
        )


def rate_limit(name: str) -> Callable[[Request], Awaitable[None]]:
    """A route dependency counting each request against the app's limiter under `name`.

    Declare it in the route's `dependencies=[...]`: those run before the parameters' dependencies, so a
    refused request never opens the route's database session, and every request counts (a 404 too).
    """

    async def limited(request: Request) -> None:
        limiter: RateLimiter = request.app.state.verify_limiter
        address = client_address(request)
        if limiter.counter.blocking:  # a turn at the database like any request's (app.uow), given back at once
            async with request.app.state.db_gate.turn():
                await run_in_threadpool(limiter.check, name, address)
        else:
            limiter.check(name, address)

    limited.__name__ = f"rate_limit_{name}"
    return limited
