"""Units of work run whole in worker processes, away from the serving process's interpreter.

A roster import (`POST /v1/completions/import`) is CPU work in Python: a 10,000-row roster is ~1 s of
parsing, validating, planning, writing and rendering its report. Run in the request's worker thread, it
holds the interpreter lock the event loop needs between its turns, and every request the process serves
waits with it. `UnitProcesses` runs such a unit in a worker process of its own instead, and the request
awaits it:

- the worker runs the whole unit in one transaction of its own: the Idempotency-Key's claim, the work, the
  rendered response, the key's stored response, the commit (`_unit`), exactly what `app.uow` does for a
  request in process, so the answer, its atomicity (all or nothing), its audit entry (with the request's
  id) and its idempotency are the same. `UnitOfWorkMiddleware` leaves such a request's key to it
  (`app.uow._runs_elsewhere`); the request's own unit is never opened;
- the request waits for a free worker, then takes a turn at the database gate (`app.uow.Gate`) while the
  worker holds its connection;
- errors come back as data (an exception the serving process could not rebuild would break the pool) and
  are answered as the app answers them: its own errors as they are, a database that cannot be reached or a
  value out of range as their handlers do (`app.errors.as_app_error`), a commit that fails as the middleware
  does (503, nothing saved), a worker that died as 503 too, anything else as a 500 (`UnitFailed`);
- workers run at niceness `import_worker_nice`: a batch of writes, it yields the CPU to requests.

Which operations run this way: `OPERATIONS` (their endpoints call `UnitProcesses.run`), when
`import_workers` > 0 on a database file or server the workers can open (not an in-memory SQLite).
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import traceback
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, replace
from typing import Any

from fastapi import Request, Response
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session
from starlette.types import Message

from app import idempotency
from app.config import Settings
from app.context import request_id_var
from app.db import WRITE, make_engine, make_session_factory
from app.errors import AppError, ServiceUnavailable, as_app_error

log = logging.getLogger("peer_ce.offload")

OPERATIONS = frozenset({"importCompletions"})
"""Operations whose endpoints run their unit in a worker process when the app has them (`UnitProcesses`)."""

CLAIM_KEY = "peer_ce_idempotency_claim"
"""Where `UnitOfWorkMiddleware` leaves such a request's Idempotency-Key claim (the scope's state)."""

NOT_SAVED = "The change could not be saved, and nothing of it was; retry the request."

# What a unit returns: its response's status and JSON body.
Work = Callable[..., tuple[int, bytes]]


@dataclass(frozen=True)
class _Done:
    status: int
    body: bytes


@dataclass(frozen=True)
class _Replay:
    stored: idempotency.Stored


@dataclass(frozen=True)
class _NotSaved:
    pass


@dataclass(frozen=True)
class _Refused:
    """An AppError, as data: an exception that cannot be rebuilt in the serving process would break the pool."""

    kind: type[AppError]
    detail: str | None
    errors: list[dict[str, Any]] | None
    headers: dict[str, str] | None
    extensions: dict[str, Any] | None

    @classmethod
    def of(cls, exc: AppError) -> _Refused:
        return cls(type(exc), exc.detail, exc.errors, exc.headers, exc.extensions)

    def error(self) -> AppError:
        exc = self.kind.__new__(self.kind)  # the class as raised, whatever its own __init__ takes
        AppError.__init__(exc, self.detail, errors=self.errors, headers=self.headers, extensions=self.extensions)
        return exc


@dataclass(frozen=True)
class _Crashed:
    traceback: str


class UnitFailed(RuntimeError):
    """A unit's worker raised something the app has no answer for (a 500); the worker's traceback is its message."""


class UnitProcesses:
    """A pool of `workers` processes, each with a database connection of its own, that run units of work."""

    def __init__(self, settings: Settings, workers: int) -> None:
        self.settings = settings
        self.workers = workers
        self._pool: ProcessPoolExecutor | None = None
        self._slots: asyncio.Semaphore | None = None  # one per worker: requests queue here, not at the gate

    @classmethod
    def for_settings(cls, settings: Settings) -> UnitProcesses | None:
        """The app's pool, or None when units run in process (`import_workers` 0, or an in-memory SQLite)."""
        url = settings.resolved_database_url
        in_memory = url.startswith("sqlite") and (":memory:" in url or url.rstrip("/") == "sqlite:")
        if settings.import_workers <= 0 or in_memory:
            return None
        return cls(settings, settings.import_workers)

    def start(self) -> None:
        """Start the workers in the background (the first unit then finds them ready)."""
        self._executor().submit(_ready)

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None

    async def run(self, request: Request, work: Work, *args: Any) -> Response:
        """`work(session, *args)` in a worker process, in a unit of its own with the request's Idempotency-Key;
        its answer as a response (or the stored one, replayed)."""
        claim: idempotency.Claim | None = request.scope.get("state", {}).get(CLAIM_KEY)
        job = _Job(
            work=work,
            args=args,
            claim=replace(claim, receive=_no_body) if claim is not None else None,
            request_id=request_id_var.get(),
        )
        if self._slots is None:
            self._slots = asyncio.Semaphore(self.workers)
        async with self._slots, request.app.state.db_gate.turn():
            try:
                outcome = await asyncio.wrap_future(self._executor().submit(_run, job))
            except BrokenProcessPool as exc:  # a worker died (killed, out of memory): its transaction is gone
                log.error("a unit's worker process stopped; starting new ones")
                broken, self._pool = self._pool, None
                if broken is not None:
                    broken.shutdown(wait=False, cancel_futures=True)
                raise ServiceUnavailable(NOT_SAVED, headers={"Retry-After": "1"}) from exc
        if isinstance(outcome, _Replay):
            stored = outcome.stored
            return Response(stored.body, stored.status, headers={**stored.headers, "Idempotent-Replayed": "true"})
        if isinstance(outcome, _Refused):
            raise outcome.error()
        if isinstance(outcome, _NotSaved):
            raise ServiceUnavailable(NOT_SAVED, headers={"Retry-After": "1"})
        if isinstance(outcome, _Crashed):
            raise UnitFailed(outcome.traceback)
        return Response(outcome.body, outcome.status, media_type="application/json")

    def _executor(self) -> ProcessPoolExecutor:
        if self._pool is None:
            # A forkserver, not fork: the serving process has threads (the event loop's, the thread pool's).
            context = multiprocessing.get_context("forkserver")
            context.set_forkserver_preload(["app.offload", "app.completions.importer"])
            self._pool = ProcessPoolExecutor(
                max_workers=self.workers, mp_context=context, initializer=_start_worker, initargs=(self.settings,)
            )
        return self._pool


@dataclass
class _Job:
    work: Work
    args: tuple[Any, ...]
    claim: idempotency.Claim | None
    request_id: str | None


async def _no_body() -> Message:  # a claim's body is read in the serving process; the job carries none
    return {"type": "http.disconnect"}


# --- in the worker process -----------------------------------------------------------------------------

_factory: sessionmaker[Session] | None = None


def _start_worker(settings: Settings) -> None:
    """A worker's start: its logging, its priority, its engine of one connection."""
    global _factory
    from app.logs import configure_logging
    from app.priority import lower_backend_priority, lower_priority

    configure_logging(settings.log_level)
    lower_priority(settings.import_worker_nice)
    engine = make_engine(settings.model_copy(update={"db_pool_size": 1, "db_max_overflow": 0}))
    if settings.nice_batch_backends:
        lower_backend_priority(engine, settings.import_worker_nice)  # its backend too, where it is local
    _factory = make_session_factory(engine)


def _ready() -> None:
    return None


def _run(job: _Job) -> _Done | _Replay | _NotSaved | _Refused | _Crashed:
    """The unit (`_unit`) with the request's id. Never raises: what went wrong comes back as data."""
    token = request_id_var.set(job.request_id)
    try:
        return _unit(job)
    except Exception as exc:
        error = as_app_error(exc)
        if error is None:
            log.exception("a unit of work failed in its worker process")
            return _Crashed(traceback.format_exc())
        return _Refused.of(error)
    finally:
        request_id_var.reset(token)


def _unit(job: _Job) -> _Done | _Replay | _NotSaved:
    """As `app.uow` runs a request's unit: claim the key, work, store the response with the writes, commit.
    Closing the session rolls back whatever was not committed."""
    assert _factory is not None, "the worker was not started"
    with _factory(execution_options=WRITE) as session:
        if job.claim is not None and (stored := idempotency.claim(session, job.claim)) is not None:
            return _Replay(stored)
        status, body = job.work(session, *job.args)
        try:
            if job.claim is not None:
                idempotency.store(session, job.claim, status, [(b"content-type", b"application/json")], body)
            session.commit()
        except SQLAlchemyError:
            log.exception("the request's changes could not be committed")
            return _NotSaved()
        return _Done(status, body)
