"""The limit of the status scenario: a bare Starlette app running the same SELECTs through the raw driver.

`GET /v1/certifications/{id}/compliance` reads the certification and its holder's completions with
psycopg (async, a fixed pool of autocommit connections, statements prepared by the driver) and returns
them as JSON: no ORM, no auth, no validation, no rule engine. Served exactly like the app (uvicorn, one
worker, uvloop + httptools, no access log):

    BENCH_BASELINE_DSN=postgresql://postgres@127.0.0.1:5432/peer_ce_bench \
        uvicorn bench.baseline_app:app --port 8001 --no-access-log

With a SQLite URL (sqlite:///path) it uses the stdlib sqlite3 driver in the thread pool instead.
"""

from __future__ import annotations

import asyncio
import json
import os
import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import date
from typing import Any

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

DSN = os.environ.get("BENCH_BASELINE_DSN", "postgresql://postgres@127.0.0.1:5432/peer_ce_bench")
POOL_SIZE = int(os.environ.get("BENCH_BASELINE_POOL", "20"))

CERTIFICATION_SQL = (
    "SELECT id, person_id, credential_code, state, number, issued_on, status FROM certification WHERE id = {p}"
)
COMPLETIONS_SQL = (
    "SELECT id, course_id, title, hours, modality, completed_on, status FROM completion "
    "WHERE person_id = {p} ORDER BY completed_on, id"
)


def _payload(cert: tuple[Any, ...], rows: list[tuple[Any, ...]]) -> bytes:
    completions = [
        {
            "id": r[0],
            "course_id": r[1],
            "title": r[2],
            "hours": r[3] / 100,
            "modality": r[4],
            "completed_on": r[5] if isinstance(r[5], str) else r[5].isoformat(),
            "status": r[6],
        }
        for r in rows
    ]
    issued = cert[5] if isinstance(cert[5], str) else cert[5].isoformat()
    body = {
        "certification_id": cert[0],
        "person_id": cert[1],
        "credential_code": cert[2],
        "state": cert[3],
        "number": cert[4],
        "issued_on": issued,
        "status": cert[6],
        "earned_hours": sum(c["hours"] for c in completions if c["status"] == "accepted"),
        "completions": completions,
    }
    return json.dumps(body).encode()


class PostgresPool:
    def __init__(self) -> None:
        self.queue: asyncio.Queue[Any] = asyncio.Queue()
        self.connections: list[Any] = []

    async def open(self) -> None:
        import psycopg

        for _ in range(POOL_SIZE):
            conn = await psycopg.AsyncConnection.connect(DSN, autocommit=True)
            self.connections.append(conn)
            self.queue.put_nowait(conn)

    async def close(self) -> None:
        for conn in self.connections:
            await conn.close()

    async def read(self, certification_id: int) -> bytes | None:
        conn = await self.queue.get()
        try:
            cur = await conn.execute(CERTIFICATION_SQL.format(p="%s"), (certification_id,))
            cert = await cur.fetchone()
            if cert is None:
                return None
            cur = await conn.execute(COMPLETIONS_SQL.format(p="%s"), (cert[1],))
            rows = await cur.fetchall()
        finally:
            self.queue.put_nowait(conn)
        return _payload(cert, rows)


class SqlitePool:
    def __init__(self) -> None:
        self.path = DSN.removeprefix("sqlite:///")
        self.local: dict[int, sqlite3.Connection] = {}

    async def open(self) -> None:
        return None

    async def close(self) -> None:
        return None

    def _read(self, certification_id: int) -> bytes | None:
        import threading

        conn = self.local.get(threading.get_ident())
        if conn is None:
            conn = self.local[threading.get_ident()] = sqlite3.connect(self.path, check_same_thread=False)
        cert = conn.execute(CERTIFICATION_SQL.format(p="?"), (certification_id,)).fetchone()
        if cert is None:
            return None
        rows = conn.execute(COMPLETIONS_SQL.format(p="?"), (cert[1],)).fetchall()
        return _payload(cert, rows)

    async def read(self, certification_id: int) -> bytes | None:
        return await run_in_threadpool(self._read, certification_id)


pool: PostgresPool | SqlitePool = SqlitePool() if DSN.startswith("sqlite") else PostgresPool()


async def compliance(request: Request) -> Response:
    body = await pool.read(int(request.path_params["certification_id"]))
    if body is None:
        return Response(b'{"title":"Not Found"}', status_code=404, media_type="application/json")
    return Response(body, media_type="application/json")


async def health(request: Request) -> Response:
    return Response(json.dumps({"status": "ok", "today": date.today().isoformat()}), media_type="application/json")


@asynccontextmanager
async def lifespan(app: Starlette) -> AsyncIterator[None]:
    await pool.open()
    try:
        yield
    finally:
        await pool.close()


app = Starlette(
    routes=[
        Route("/v1/certifications/{certification_id:int}/compliance", compliance),
        Route("/health", health),
    ],
    lifespan=lifespan,
)
