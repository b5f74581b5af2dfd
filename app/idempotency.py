"""Idempotency-Key for POSTs (IETF draft-ietf-httpapi-idempotency-key-header).

A replay with the same key and body returns the original response; the same key with another
body is 422; a duplicate while the first is still running is 409. Keys belong to the caller
(the token's subject), and records are kept for `TTL`.
"""

from __future__ import annotations

import hashlib
from datetime import timedelta
from typing import Any

from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError
from sqlmodel import select
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.completions.models import IdempotencyRecord
from app.db import session_scope, utcnow
from app.errors import AppError, Conflict, Unprocessable, send_problem

TTL = timedelta(hours=24)
_REPLAYED_HEADERS = {"content-type", "location", "etag"}


class IdempotencyMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST" or not scope["path"].startswith("/v1/"):
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        key = headers.get(b"idempotency-key")
        if key is None:
            await self.app(scope, receive, send)
            return
        from starlette.concurrency import run_in_threadpool

        body = await _read_body(receive)
        replay_receive = _replayer(body)
        application = scope["app"]
        try:
            owner = await run_in_threadpool(_owner, application, headers)
            if owner is None:  # unauthenticated: let the app answer 401 as usual
                await self.app(scope, replay_receive, send)
                return
            fingerprint = hashlib.sha256(scope["path"].encode() + b"\n" + body).hexdigest()
            stored = await run_in_threadpool(_claim, application, owner, key.decode("latin-1")[:255],
                                             scope["path"], fingerprint)
        except AppError as exc:
            await send_problem(send, status=exc.status, title=exc.title, slug=exc.slug, detail=exc.detail,
                               instance=scope["path"], headers=exc.headers)
            return
        if stored is not None:
            await _send_stored(send, stored)
            return
        captured: dict[str, Any] = {"status": 500, "headers": [], "body": b""}

        async def capturing_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                captured["status"] = message["status"]
                captured["headers"] = message.get("headers", [])
            elif message["type"] == "http.response.body":
                captured["body"] += message.get("body", b"")
            await send(message)

        try:
            await self.app(scope, replay_receive, capturing_send)
        finally:
            await run_in_threadpool(_finish, application, owner, key.decode("latin-1")[:255], captured)


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


def _owner(app: Any, headers: dict[bytes, bytes]) -> str | None:
    auth = headers.get(b"authorization", b"").decode("latin-1")
    if not auth.lower().startswith("bearer "):
        return None
    principal = app.state.token_verifier.verify(auth[7:].strip())
    return principal.actor


def _claim(app: Any, owner: str, key: str, path: str, fingerprint: str) -> IdempotencyRecord | None:
    """Reserve the key (committed at once, so concurrent duplicates see it); or return the stored record."""
    factory = app.state.session_factory
    with session_scope(factory) as session:
        session.execute(delete(IdempotencyRecord).where(IdempotencyRecord.created_at < utcnow() - TTL))
    try:
        with session_scope(factory) as session:
            session.add(IdempotencyRecord(owner=owner, key=key, method="POST", path=path,
                                          fingerprint=fingerprint, state="in_progress"))
        return None
    except IntegrityError:
        pass
    with session_scope(factory) as session:
        record = session.exec(select(IdempotencyRecord).where(
            IdempotencyRecord.owner == owner, IdempotencyRecord.key == key)).one()
    if record.fingerprint != fingerprint:
        raise Unprocessable("This Idempotency-Key was used with another request body or path.")
    if record.state != "done":
        raise Conflict("A request with this Idempotency-Key is still being processed; retry later.")
    return record


def _finish(app: Any, owner: str, key: str, captured: dict[str, Any]) -> None:
    """Keep the response for replays; forget the key if the request failed on our side."""
    with session_scope(app.state.session_factory) as session:
        record = session.exec(select(IdempotencyRecord).where(
            IdempotencyRecord.owner == owner, IdempotencyRecord.key == key)).one_or_none()
        if record is None:
            return
        if captured["status"] >= 500:
            session.delete(record)
            return
        record.state = "done"
        record.response_status = captured["status"]
        record.response_headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in captured["headers"]
                                   if k.decode("latin-1").lower() in _REPLAYED_HEADERS}
        record.response_body = captured["body"].decode("utf-8")
        session.add(record)


async def _send_stored(send: Send, record: IdempotencyRecord) -> None:
    body = (record.response_body or "").encode()
    headers = [(k.encode(), v.encode()) for k, v in record.response_headers.items()]
    headers += [(b"content-length", str(len(body)).encode()), (b"idempotent-replayed", b"true")]
    await send({"type": "http.response.start", "status": record.response_status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
