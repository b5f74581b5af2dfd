"""Idempotency-Key on POSTs (IETF draft-ietf-httpapi-idempotency-key-header), inside the request's unit of work.

A key belongs to its caller (the token's subject). The first request with a key claims it by inserting
its record in the request's own transaction; the response is stored in that same transaction, just
before it commits (`app.uow`). So:

- a retry after a success replays the stored response (status, body, Location), marked
  `Idempotent-Replayed: true`, and writes nothing;
- a duplicate sent while the first is still running waits for it (PostgreSQL waits on the key's
  unique index; SQLite's writers take turns) and then replays its response;
- a request that failed (4xx, 5xx, a crash, a failed commit) leaves no record: its retry runs anew;
- the same key with another method, path, query or body is 422.

Keys are 1 to 255 visible ASCII characters (400 otherwise) and kept for `TTL`. Which operations honour
the header is decided once per app (`honouring`) and declared in the OpenAPI document.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from fastapi import FastAPI
from fastapi.routing import RouteContext, iter_route_contexts
from sqlalchemy import CursorResult, delete, update
from sqlmodel import Session, col, select
from starlette.concurrency import run_in_threadpool
from starlette.types import Message, Receive, Scope, Send

from app.completions.models import IdempotencyRecord
from app.db import utcnow
from app.errors import AppError, BadRequest, Unprocessable

TTL = timedelta(hours=24)
MAX_KEY_LENGTH = 255
HEADER = "Idempotency-Key"
_VISIBLE_ASCII = re.compile(rb"^[\x21-\x7e]{1,255}$")
_REPLAYED_HEADERS = {b"content-type", b"location", b"etag"}
# Operations that run transactions of their own, outside the request's unit of work, cannot store
# their response with them; a sweep is safe to repeat anyway.
NOT_HONOURED = frozenset({"runSweep"})


def honouring(app: FastAPI) -> list[RouteContext]:
    """The routes that honour Idempotency-Key: authenticated POSTs under /v1 that run in the request's unit."""
    from app.auth.deps import requires_token

    return [
        route
        for route in iter_route_contexts(app.routes)
        if getattr(route, "dependant", None) is not None
        and "POST" in (route.methods or ())
        and (route.path or "").startswith("/v1/")
        and route.operation_id not in NOT_HONOURED
        and requires_token(route)
    ]


def _honours(scope: Scope) -> bool:
    state = scope["app"].state
    patterns = getattr(state, "idempotent_paths", None)
    if patterns is None:
        patterns = state.idempotent_paths = [route.path_regex for route in honouring(scope["app"])]
    return any(pattern.match(scope["path"]) for pattern in patterns)


@dataclass
class Claim:
    """A POST that carries an Idempotency-Key: who sent it, the key, and what it asked."""

    owner: str | None
    key: str
    method: str
    path: str
    fingerprint: str
    receive: Receive


async def read_request(scope: Scope, receive: Receive) -> Claim | None:
    """The request's claim, if it carries a key for an operation that honours it (its body read once).

    `owner` is None when the request has no valid token: the app then answers it (401) as usual.
    """
    if scope["method"] != "POST":
        return None
    raw = next((value for name, value in scope.get("headers") or [] if name == b"idempotency-key"), None)
    if raw is None or not _honours(scope):
        return None
    if not _VISIBLE_ASCII.match(raw):
        raise BadRequest(
            f"{HEADER} must be 1 to {MAX_KEY_LENGTH} visible ASCII characters (this one has {len(raw)} bytes)."
        )
    body = await _read_body(receive)
    path, query = scope["path"], scope.get("query_string", b"")
    digest = hashlib.sha256()
    for part in (scope["method"].encode(), path.encode(), query, body):
        digest.update(len(part).to_bytes(8, "big") + part)  # length-prefixed: parts cannot run into each other
    return Claim(
        owner=await _owner(scope),
        key=raw.decode("ascii"),
        method=scope["method"],
        path=path,
        fingerprint=digest.hexdigest(),
        receive=_replayer(body),
    )


@dataclass(frozen=True)
class Stored:
    """A response kept for replays."""

    status: int
    headers: dict[str, str]
    body: str


def claim(session: Session, request: Claim) -> Stored | None:
    """Claim the key in the request's transaction; or return the stored record to replay.

    Runs first in the unit of work. A concurrent holder of the same key makes the insert wait until it
    commits (its record is then read and replayed) or rolls back (the key is then ours).
    """
    now = utcnow()
    session.execute(
        delete(IdempotencyRecord).where(  # an expired record frees its key
            col(IdempotencyRecord.owner) == request.owner,
            col(IdempotencyRecord.key) == request.key,
            col(IdempotencyRecord.created_at) < now - TTL,
        )
    )
    values: dict[str, Any] = {
        "owner": request.owner,
        "key": request.key,
        "method": request.method,
        "path": request.path[:500],
        "fingerprint": request.fingerprint,
        "state": "in_progress",
        "response_headers": {},
        "created_at": now,
    }
    statement = _insert_new(session).values(**values).on_conflict_do_nothing(index_elements=["owner", "key"])
    if session.execute(statement.returning(col(IdempotencyRecord.id))).first() is not None:
        return None
    record = session.exec(
        select(IdempotencyRecord).where(
            col(IdempotencyRecord.owner) == request.owner, col(IdempotencyRecord.key) == request.key
        )
    ).one()
    if record.state != "done":  # left by a version that committed claims apart: no request holds it
        session.execute(
            update(IdempotencyRecord)
            .where(col(IdempotencyRecord.id) == record.id)
            .values(method=request.method, path=request.path[:500], fingerprint=request.fingerprint, created_at=now)
        )
        return None
    if record.fingerprint != request.fingerprint:
        raise Unprocessable(
            f"This {HEADER} was already used with another request (method, path, query or "
            "body); use a new key for a new request."
        )
    return Stored(
        status=record.response_status or 200, headers=dict(record.response_headers), body=record.response_body or ""
    )


def store(session: Session, request: Claim, status: int, headers: list[tuple[bytes, bytes]], body: bytes) -> None:
    """Keep the response with the request's writes (called just before its unit commits)."""
    kept = {
        name.decode("latin-1"): value.decode("latin-1") for name, value in headers if name.lower() in _REPLAYED_HEADERS
    }
    session.execute(
        update(IdempotencyRecord)
        .where(
            col(IdempotencyRecord.owner) == request.owner,
            col(IdempotencyRecord.key) == request.key,
        )
        .values(
            state="done",
            response_status=status,
            response_headers=kept,
            response_body=body.decode("utf-8", errors="replace"),
        )
    )


def purge_expired(session: Session, *, now: Any = None) -> int:
    """Forget records older than `TTL` (the scheduler's minute job)."""
    result = session.execute(
        delete(IdempotencyRecord).where(col(IdempotencyRecord.created_at) < (now or utcnow()) - TTL)
    )
    return (result.rowcount or 0) if isinstance(result, CursorResult) else 0  # a DELETE returns a cursor result


async def send_stored(send: Send, stored: Stored) -> None:
    body = stored.body.encode()
    headers = [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in stored.headers.items()]
    headers += [(b"content-length", str(len(body)).encode()), (b"idempotent-replayed", b"true")]
    await send({"type": "http.response.start", "status": stored.status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def _insert_new(session: Session) -> Any:
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as postgresql_insert

        return postgresql_insert(IdempotencyRecord)
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    return sqlite_insert(IdempotencyRecord)


async def _owner(scope: Scope) -> str | None:
    """The caller's audit name, or None without a valid token (the app answers that request with 401)."""
    auth = next((value for name, value in scope.get("headers") or [] if name == b"authorization"), b"")
    scheme, _, token = auth.decode("latin-1").partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        return None
    verifier = scope["app"].state.token_verifier
    try:
        principal = verifier.remembered(token) or (
            await run_in_threadpool(verifier.verify, token) if verifier.may_block else verifier.verify(token)
        )
    except AppError:
        return None
    return principal.actor


async def _read_body(receive: Receive) -> bytes:
    chunks, more = [], True
    while more:
        message = await receive()
        chunks.append(message.get("body", b""))
        more = message.get("more_body", False)
    return b"".join(chunks)


def _replayer(body: bytes) -> Receive:
    sent = False

    async def receive() -> Message:
        nonlocal sent
        if sent:
            return {"type": "http.disconnect"}
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return receive
