"""CPU per compliance request with no HTTP server: the ASGI app driven in this process.

Where `make bench-quick` measures throughput through uvicorn and wrk (noisy on a shared machine), this
isolates the app's own cost per request, for profiling and for comparing changes. After a
`make bench-quick BENCH_ARGS=--keep`:

    PEER_CE_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/peer_ce_bench \\
        .venv/bin/python -m bench.inprocess                 # the app
    ... python -m bench.inprocess --baseline                # the status scenario's baseline app
    ... python -m bench.inprocess --runs 5 --requests 2000  # prints every run, then the minimum

The app runs with its lifespan (the async read pool on PostgreSQL), its JSON access log going to
stderr (redirect it), an admin token, random ids, `--concurrency` requests at a time.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import sys
import time
from typing import Any

from bench.common import BENCH_DATABASE, DEFAULT_SERVER_URL, RESULTS_DIR, database_url

PATH = "/v1/certifications/{}/compliance"


async def _request(app: Any, certification_id: int, headers: list[tuple[bytes, bytes]]) -> None:
    path = PATH.format(certification_id)
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": headers,
        "client": ("127.0.0.1", 1),
        "server": ("127.0.0.1", 80),
    }
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    await app(scope, receive, send)
    if sent[0]["status"] != 200:
        raise RuntimeError(f"{path} answered {sent[0]['status']}: {sent[1:]}")


async def _run(
    app: Any, ids: list[int], headers: list[tuple[bytes, bytes]], *, requests: int, concurrency: int
) -> float:
    """CPU seconds per request over `requests` requests, after a warm-up."""
    rng = random.Random(1)
    for _ in range(3):
        await asyncio.gather(*[_request(app, rng.choice(ids), headers) for _ in range(concurrency * 4)])
    rounds = max(1, requests // concurrency)
    cpu = time.process_time()
    for _ in range(rounds):
        await asyncio.gather(*[_request(app, rng.choice(ids), headers) for _ in range(concurrency)])
    return (time.process_time() - cpu) / (rounds * concurrency)


async def _with_lifespan(app: Any, body: Any) -> Any:
    inbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    outbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    await inbox.put({"type": "lifespan.startup"})
    task = asyncio.create_task(
        app({"type": "lifespan", "asgi": {"version": "3.0"}, "state": {}}, inbox.get, outbox.put)
    )
    started = await outbox.get()
    if started["type"] != "lifespan.startup.complete":
        raise RuntimeError(f"start-up failed: {started}")
    try:
        return await body()
    finally:
        await inbox.put({"type": "lifespan.shutdown"})
        await task


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--baseline", action="store_true", help="drive bench/baseline_app.py instead")
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--runs", type=int, default=1)
    args = parser.parse_args()

    os.environ.setdefault("PEER_CE_DATABASE_URL", database_url(DEFAULT_SERVER_URL, BENCH_DATABASE))
    os.environ.setdefault("PEER_CE_DATA_DIR", str(RESULTS_DIR / f"work-{BENCH_DATABASE}"))
    for key in ("SCHEDULER_ENABLED", "LOAD_CONTENT_ON_START", "MIGRATE_ON_START"):
        os.environ[f"PEER_CE_{key}"] = "false"
    from app.auth.tokens import load_or_create_dev_key, mint_dev_token
    from app.config import get_settings
    from app.logs import configure_logging

    settings = get_settings()
    configure_logging(settings.log_level)
    if args.baseline:
        from bench.baseline_app import app

        headers = [(b"host", b"bench")]
    else:
        from app.main import create_app

        app = create_app(settings)
        load_or_create_dev_key(settings.dev_key_path)
        token = mint_dev_token(settings, role="admin", subject="bench", ttl_seconds=3600)
        headers = [(b"host", b"bench"), (b"authorization", f"Bearer {token}".encode())]
    from sqlalchemy import create_engine, text

    engine = create_engine(settings.resolved_database_url)
    with engine.connect() as conn:
        ids = [i for (i,) in conn.execute(text("SELECT id FROM certification"))]
    engine.dispose()

    async def runs() -> list[float]:
        return [
            await _run(app, ids, headers, requests=args.requests, concurrency=args.concurrency)
            for _ in range(args.runs)
        ]

    try:
        import uvloop

        results = uvloop.run(_with_lifespan(app, runs))
    except ImportError:
        results = asyncio.run(_with_lifespan(app, runs))
    for seconds in results:
        print(f"{'baseline' if args.baseline else 'app'}: {seconds * 1e6:.0f} µs of CPU per request", file=sys.stdout)
    if len(results) > 1:
        print(f"minimum: {min(results) * 1e6:.0f} µs")


if __name__ == "__main__":
    main()
