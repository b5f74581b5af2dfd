"""Structured JSON-lines logging and the request context (request id, body limit, 500s)."""

from __future__ import annotations

import json
import logging
import re
import secrets
import sys
import time
import traceback
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.context import request_id_var
from app.errors import send_problem

_SAFE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")
access_log = logging.getLogger("peer_ce.access")
error_log = logging.getLogger("peer_ce.errors")
_encode = json.JSONEncoder(default=str).encode  # one encoder for every line, not one per line


class JsonFormatter(logging.Formatter):
    _last: tuple[int, str] = (-1, "")  # (second, its text): swapped whole, so threads never mix them

    def _timestamp(self, created: float) -> str:
        """ISO 8601 UTC with milliseconds; the part up to the second is formatted once per second."""
        second = int(created)
        last = self._last
        if last[0] != second:
            last = self._last = (second, datetime.fromtimestamp(second, UTC).strftime("%Y-%m-%dT%H:%M:%S"))
        return f"{last[1]}.{int((created - second) * 1000):03d}+00:00"

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": self._timestamp(record.created),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        rid = getattr(record, "request_id", None) or request_id_var.get()
        if rid:
            entry["request_id"] = rid
        fields = getattr(record, "fields", None)
        if fields:
            entry.update(fields)
        if record.exc_info:
            entry["exc"] = "".join(traceback.format_exception(*record.exc_info))
        return _encode(entry)


def configure_logging(level: str = "INFO") -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    # The JSON lines carry no source location, thread or process fields: do not compute them for every
    # record (the caller's frame is a stack walk, the process id a system call). The logging HOWTO's
    # "Optimization" section documents these switches. They hold for the whole process: no handler
    # gets file and line numbers (or `stack_info`) from then on.
    logging._srcfile = None
    logging.logThreads = logging.logProcesses = logging.logMultiprocessing = False
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for name in ("uvicorn", "uvicorn.error"):
        logging.getLogger(name).handlers[:] = []
        logging.getLogger(name).propagate = True
    logging.getLogger("uvicorn.access").disabled = True  # replaced by peer_ce.access
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)


def route_template(scope: Scope) -> str | None:
    """The matched route's path template as the client sees it (`/v1/certifications/{certification_id}`).

    FastAPI hands the endpoint the route as its router declared it, without the prefix the router was
    included with (`/certifications/{certification_id}`); the prefix is the part of the path before
    what the route's pattern matches. None when no route matched.
    """
    route = scope.get("route")
    template = getattr(route, "path_format", None) or getattr(route, "path", None)
    pattern = getattr(route, "path_regex", None)
    path = scope.get("path") or ""
    if template is None or pattern is None or pattern.match(path):
        return template
    start = path.find("/", 1)
    while start != -1:
        if pattern.match(path[start:]):
            return path[:start] + template
        start = path.find("/", start + 1)
    return template


class BodyTooLarge(Exception):
    pass


class RequestContextMiddleware:
    """Request id, body size limit, one access-log line, and a problem+json 500 for crashes.

    Logged fields are method, route path, status and duration: never headers (tokens),
    query strings or bodies (personal data). Every /v1 response (errors included) is `Cache-Control:
    no-store` unless its route chose a policy: API answers carry personal data, and no shared or browser
    cache may keep them.
    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        max_body_bytes: int,
        observe: Callable[[str | None, str | None, int, float], None] | None = None,
    ) -> None:
        """`observe(method, route template, status, seconds)` is told of every answer (app.metrics)."""
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.observe = observe

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        incoming = headers.get(b"x-request-id", b"").decode("latin-1")
        rid = incoming if _SAFE_REQUEST_ID.match(incoming) else secrets.token_hex(16)
        token = request_id_var.set(rid)
        started = time.perf_counter()
        status_holder = {"status": 500, "started": False}
        limit = self.max_body_bytes
        path = scope.get("path") or ""
        api = path.startswith("/v1/") or path == "/v1"
        error_headers = {"x-request-id": rid, "cache-control": "no-store"} if api else {"x-request-id": rid}

        declared = headers.get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await send_problem(
                send,
                status=413,
                title="Request body too large",
                slug="payload-too-large",
                detail=f"The request body exceeds {limit} bytes.",
                instance=scope.get("path"),
                headers=error_headers,
            )
            self._log(scope, 413, started)
            request_id_var.reset(token)
            return

        received = 0

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge
            return message

        async def tracking_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                status_holder["status"] = message["status"]
                status_holder["started"] = True
                headers = [*message.get("headers", ()), (b"x-request-id", rid.encode())]
                if api and not any(name.lower() == b"cache-control" for name, _ in headers):
                    headers.append((b"cache-control", b"no-store"))
                message["headers"] = headers
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except BodyTooLarge:
            if not status_holder["started"]:
                status_holder["status"] = 413
                await send_problem(
                    send,
                    status=413,
                    title="Request body too large",
                    slug="payload-too-large",
                    detail=f"The request body exceeds {limit} bytes.",
                    instance=scope.get("path"),
                    headers=error_headers,
                )
        except Exception:
            error_log.exception("unhandled error", extra={"request_id": rid})
            if not status_holder["started"]:
                status_holder["status"] = 500
                await send_problem(
                    send,
                    status=500,
                    title="Internal server error",
                    slug="internal",
                    detail="An unexpected error occurred; quote the request id when reporting it.",
                    instance=scope.get("path"),
                    headers=error_headers,
                )
        finally:
            self._log(scope, status_holder["status"], started)
            request_id_var.reset(token)

    def _log(self, scope: Scope, status: int, started: float) -> None:
        template = route_template(scope)
        seconds = time.perf_counter() - started
        access_log.info(
            "request",
            extra={
                "fields": {
                    "method": scope.get("method"),
                    "route": template,
                    "path": scope.get("path") if template is None else None,
                    "status": status,
                    "duration_ms": round(seconds * 1000, 2),
                }
            },
        )
        if self.observe is not None:
            self.observe(scope.get("method"), template, status, seconds)
