"""The request's unit of work: one session on one connection, admitted in turn, committed once.

Why it is shaped like this (issue: concurrent writes must never fail for contention):

- **Admission.** A request holds at most one pooled connection, from its first query until its unit
  ends. Requests wait for a turn at the `Gate` (asynchronously, holding nothing) before they open a
  session, and the gate admits no more requests than the pool has connections for them
  (`Settings.request_connections`; the rest of the pool is kept for the scheduler's jobs). The worker
  threads are sized above it, so an admitted request always finds a connection and a thread: nothing
  waits for a connection while holding one, or for a thread while holding a lock another thread needs.
- **One commit point.** For a request that may write (any method but GET, HEAD and OPTIONS) the
  `UnitOfWorkMiddleware` owns the unit: the endpoint and its dependencies share its session, the
  response is rendered, and only then does the unit commit (a 2xx or 3xx) or roll back (anything else)
  and the response go out. A client never hears of a write that did not commit. Reads get a unit of
  their own from `request_session`, ended when the endpoint returns.
- **SQLite.** A unit that writes begins with `BEGIN IMMEDIATE` (`app.db.WRITE`): writers queue for the
  one write lock instead of failing; readers go on beside them (WAL).
- **Idempotency-Key** (`app.idempotency`) is claimed inside the unit and its stored response written
  in the same transaction as the request's own writes, so a key can never be left "in progress".
- **Units run in a worker process** (`app.offload`: a roster import, CPU work that would hold the event
  loop's interpreter): the worker runs the whole unit, the key's claim and stored response included; the
  middleware leaves the key to it and the request's own unit stays unopened.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from contextvars import ContextVar
from typing import Any, TypeVar

import anyio
from fastapi import Request
from sqlalchemy.exc import OperationalError, SQLAlchemyError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app import idempotency, offload
from app.db import WRITE
from app.errors import UNAVAILABLE, AppError, ServiceUnavailable, send_problem

log = logging.getLogger("peer_ce.uow")
T = TypeVar("T")

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# Operations that POST only to ask (a body too rich for a query string): their units read, so on SQLite
# they run beside the writer instead of queueing for its lock.
READ_ONLY_OPERATIONS = frozenset({"verifyCertificate", "simulateCompliance"})
_current: ContextVar[Unit | None] = ContextVar("peer_ce_unit", default=None)


class Gate:
    """Admits at most `size` units of work to the database at once; the others wait their turn."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._limiter: anyio.CapacityLimiter | None = None

    @property
    def limiter(self) -> anyio.CapacityLimiter:
        if self._limiter is None:  # created on first use, inside the event loop that serves requests
            self._limiter = anyio.CapacityLimiter(self.size)
        return self._limiter

    async def enter(self, holder: object) -> None:
        await self.limiter.acquire_on_behalf_of(holder)

    def leave(self, holder: object) -> None:
        self.limiter.release_on_behalf_of(holder)

    @asynccontextmanager
    async def turn(self) -> AsyncIterator[None]:
        """One turn at the database for work outside a request's unit (hot reads, export batches)."""
        holder = object()
        await self.enter(holder)
        try:
            yield
        finally:
            self.leave(holder)


class Unit:
    """One request's session, opened on first use (after admission) and ended exactly once."""

    def __init__(self, state: Any, *, write: bool) -> None:
        self._state = state  # the app's state: session_factory and db_gate
        self.write = write
        self._session: Session | None = None

    @property
    def opened(self) -> bool:
        return self._session is not None

    async def session(self) -> Session:
        if self._session is None:
            gate: Gate = self._state.db_gate
            await gate.enter(self)
            try:
                factory = self._state.session_factory
                self._session = factory(execution_options=WRITE) if self.write else factory()
            except BaseException:
                gate.leave(self)
                raise
        return self._session

    async def end(self, *, commit: bool, before_commit: Callable[[Session], None] | None = None) -> None:
        """Commit (after `before_commit` adds its last rows) or roll back, close, and leave the gate."""
        session, self._session = self._session, None
        if session is None:
            return
        try:
            await run_in_threadpool(_end, session, commit, before_commit)
        finally:
            self._state.db_gate.leave(self)


def _end(session: Session, commit: bool, before_commit: Callable[[Session], None] | None) -> None:
    try:
        if commit:
            if before_commit is not None:
                before_commit(session)
            session.commit()
        else:
            session.rollback()
    finally:
        session.close()


@asynccontextmanager
async def request_session(request: Request) -> AsyncIterator[Session]:
    """The session of the request's unit of work (`app.db.SessionDep`).

    Inside the middleware's unit (a request that may write) the middleware ends it; a read gets a unit
    of its own, ended as soon as the endpoint returns.
    """
    unit = _current.get()
    if unit is not None:
        yield await unit.session()
        return
    unit = Unit(request.app.state, write=False)
    session = await unit.session()
    try:
        yield session
    except BaseException:
        await unit.end(commit=False)
        raise
    await unit.end(commit=True)


async def run_unit(state: Any, work: Callable[[Session], T], *, write: bool) -> T:
    """Run `work` in a unit of its own, outside the request's: committed when it returns, rolled back if it raises.

    For a read that finds it has to write (a certificate issued on its first fetch): its read unit ends before
    the writing one is admitted, so the request never holds two connections, and on SQLite the write begins
    with `BEGIN IMMEDIATE` instead of upgrading a read transaction (which fails at once under contention).
    """
    unit = Unit(state, write=write)
    try:
        session = await unit.session()
        result = await run_in_threadpool(work, session)
    except BaseException:
        await unit.end(commit=False)
        raise
    try:
        await unit.end(commit=True)
    except SQLAlchemyError as exc:
        log.exception("a unit of work could not be committed")
        raise ServiceUnavailable(offload.NOT_SAVED, headers={"Retry-After": "1"}) from exc
    return result


class UnitOfWorkMiddleware:
    """Runs each request that may write in one unit of work, and honours Idempotency-Key on POSTs."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in SAFE_METHODS:
            await self.app(scope, receive, send)
            return
        unit = Unit(scope["app"].state, write=not _read_only(scope))
        token = _current.set(unit)
        try:
            await self._run(unit, scope, receive, send)
        finally:
            _current.reset(token)
            if unit.opened:  # a path that failed before it could end the unit: roll back, leave the gate
                await unit.end(commit=False)

    async def _run(self, unit: Unit, scope: Scope, receive: Receive, send: Send) -> None:
        claim: idempotency.Claim | None = None
        try:
            request = await idempotency.read_request(scope, receive)
            if request is not None:
                receive = request.receive
                if request.owner is not None and _runs_elsewhere(scope):  # its worker claims the key
                    scope.setdefault("state", {})[offload.CLAIM_KEY] = request
                elif request.owner is not None:
                    session = await unit.session()
                    stored = await run_in_threadpool(idempotency.claim, session, request)
                    if stored is not None:
                        await unit.end(commit=False)
                        await idempotency.send_stored(send, stored)
                        return
                    claim = request
        except AppError as exc:
            await unit.end(commit=False)
            await send_problem(
                send,
                status=exc.status,
                title=exc.title,
                slug=exc.slug,
                detail=exc.detail,
                instance=scope["path"],
                headers=exc.headers,
            )
            return
        except (OperationalError, PoolTimeout):  # no connection to claim the key on: as the app would answer
            log.error("database unavailable while claiming an Idempotency-Key", exc_info=True)
            await unit.end(commit=False)
            await send_problem(
                send,
                status=503,
                title="Service unavailable",
                slug="unavailable",
                detail=UNAVAILABLE,
                instance=scope["path"],
                headers={"Retry-After": "5"},
            )
            return

        response = _BufferedResponse()
        try:
            await self.app(scope, receive, response.send)
        except BaseException:
            await unit.end(commit=False)
            raise
        if not 200 <= response.status < 400:
            await unit.end(commit=False)
        elif unit.opened:
            store = (
                (lambda session: idempotency.store(session, claim, response.status, response.headers, response.body))
                if claim is not None
                else None
            )
            try:
                await unit.end(commit=True, before_commit=store)
            except SQLAlchemyError:
                log.exception("the request's changes could not be committed")
                await send_problem(
                    send,
                    status=503,
                    title="Service unavailable",
                    slug="unavailable",
                    detail=offload.NOT_SAVED,
                    instance=scope["path"],
                    headers={"Retry-After": "1"},
                )
                return
        await response.replay(send)


def _read_only(scope: Scope) -> bool:
    return _is_operation(scope, "read_only_paths", READ_ONLY_OPERATIONS)


def _runs_elsewhere(scope: Scope) -> bool:
    """Whether the request's unit runs in a worker process (`app.offload`), which then claims its key."""
    return getattr(scope["app"].state, "unit_processes", None) is not None and _is_operation(
        scope, "offloaded_paths", offload.OPERATIONS
    )


def _is_operation(scope: Scope, cache: str, operations: frozenset[str]) -> bool:
    """Whether the request is for one of these operations (their paths found once per app, kept in `cache`)."""
    state = scope["app"].state
    patterns = getattr(state, cache, None)
    if patterns is None:
        from fastapi.routing import iter_route_contexts

        patterns = [
            (route.path_regex, route.methods)
            for route in iter_route_contexts(scope["app"].routes)
            if getattr(route, "operation_id", None) in operations
        ]
        setattr(state, cache, patterns)
    return any(scope["method"] in methods and regex.match(scope["path"]) for regex, methods in patterns)


class _BufferedResponse:
    """The app's response, held back until the unit of work has ended."""

    def __init__(self) -> None:
        self.start: Message | None = None
        self.chunks: list[bytes] = []

    @property
    def status(self) -> int:
        return self.start["status"] if self.start is not None else 500

    @property
    def headers(self) -> list[tuple[bytes, bytes]]:
        return list(self.start.get("headers", [])) if self.start is not None else []

    @property
    def body(self) -> bytes:
        return b"".join(self.chunks)

    async def send(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            self.start = message
        elif message["type"] == "http.response.body":
            self.chunks.append(message.get("body", b""))

    async def replay(self, send: Send) -> None:
        if self.start is None:
            return
        await send(self.start)
        await send({"type": "http.response.body", "body": self.body})
