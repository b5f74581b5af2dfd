"""CPU per roster import with no HTTP server: `POST /v1/completions/import` driven in this process.

The bench's `bulk_import_ratio_vs_copy` scenario times CSV rosters of 10,000 rows through uvicorn (one
client, wall time, on a machine other work shares). This isolates the app's own cost of such a request,
for comparing changes and profiling: the same roster (the bench's shape: person_id, course_id,
completed_on; admin token) is posted `--requests` times, and after each one the database is put back as
it was (its completions deleted, every certification clean again as the bench's sweeps leave them,
VACUUM ANALYZE), untimed. Per request: the CPU seconds of this process (every thread: the endpoint runs
in the thread pool), the CPU seconds of the database's server processes for this database (PostgreSQL
on this machine, from /proc), and the wall time; then the medians. On generated data:

    .venv/bin/python -m bench.generate --scale 20000 --database peer_ce_bench_x
    .venv/bin/python -m bench.import_inprocess --database peer_ce_bench_x                 # 7 requests
    .venv/bin/python -m bench.import_inprocess --database peer_ce_bench_x --cprofile /tmp/import.prof
    .venv/bin/python -m bench.import_inprocess --database peer_ce_bench_x --by-certificate

`--cprofile FILE` (or `--pyinstrument FILE`, with pyinstrument importable) profiles one more request,
run wholly in the main thread (the thread pool's hand-offs patched out), after the measured ones.
`--by-certificate` names the learners by credential_code + certificate_number + family_name instead.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import io
import json
import os
import random
import statistics
import sys
import time
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text

from bench.common import DEFAULT_SERVER_URL, RESULTS_DIR, database_url, log

SUBJECT = "bench-import"
PATH = "/v1/completions/import"


def roster(engine: Any, rows: int, seed: int, *, by_certificate: bool) -> bytes:
    """A CSV roster of `rows` new completions (the bench's `roster_rows`), as the bench's client writes it."""
    from bench.run import roster_rows

    picked = roster_rows(engine, rows, random.Random(seed))
    buf = io.StringIO()
    if not by_certificate:
        writer = csv.writer(buf, lineterminator="\r\n")
        writer.writerow(("person_id", "course_id", "completed_on"))
        writer.writerows((p, c, d.isoformat()) for p, c, d, _ in picked)
        return buf.getvalue().encode()
    with engine.connect() as conn:  # one certification of each person
        certs = {
            p: (code, number, family)
            for p, code, number, family in conn.execute(
                text(
                    "SELECT DISTINCT ON (c.person_id) c.person_id, c.credential_code, c.number, p.family_name "
                    "FROM certification c JOIN person p ON p.id = c.person_id ORDER BY c.person_id, c.id"
                )
            )
        }
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(("credential_code", "certificate_number", "family_name", "course_id", "completed_on"))
    writer.writerows((*certs[p], c, d.isoformat()) for p, c, d, _ in picked if p in certs)
    return buf.getvalue().encode()


def reset(engine: Any, actor: str) -> None:
    """The database as before the request: its completions gone, every certification clean, vacuumed."""
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM completion WHERE reported_by = :actor"), {"actor": actor})
        conn.execute(text("UPDATE certification SET dirty = false WHERE dirty"))
    if engine.dialect.name == "postgresql":
        with engine.connect() as conn:
            conn = conn.execution_options(isolation_level="AUTOCOMMIT")
            for table in ("completion", "certification"):
                conn.execute(text(f"VACUUM (ANALYZE) {table}"))


def _proc_cpu(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


def database_cpu(engine: Any) -> dict[int, float]:
    """CPU seconds of every server process connected to this database (but the asking one)."""
    if engine.dialect.name != "postgresql":
        return {}
    with engine.connect() as conn:
        pids = conn.execute(
            text("SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()")
        ).scalars()
        return {pid: _proc_cpu(pid) for pid in pids}


async def post(app: Any, body: bytes, headers: list[tuple[bytes, bytes]]) -> dict[str, Any]:
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": PATH,
        "raw_path": PATH.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [*headers, (b"content-length", str(len(body)).encode())],
        "client": ("127.0.0.1", 1),
        "server": ("127.0.0.1", 80),
    }
    sent: list[dict[str, Any]] = []
    delivered = False

    async def receive() -> dict[str, Any]:
        nonlocal delivered
        if delivered:
            await asyncio.sleep(3600)
        delivered = True
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    await app(scope, receive, send)
    content = b"".join(m.get("body", b"") for m in sent[1:])
    if sent[0]["status"] != 200:
        raise RuntimeError(f"the import answered {sent[0]['status']}: {content[:1000]!r}")
    report: dict[str, Any] = json.loads(content)
    return report


def in_main_thread() -> None:
    """Run what the app hands to the thread pool in the calling thread (for a profiler that sees one thread)."""
    import fastapi.dependencies.utils
    import fastapi.routing
    import starlette.concurrency

    import app.uow

    async def inline(func: Any, *args: Any, **kwargs: Any) -> Any:
        return func(*args, **kwargs)

    for module in (fastapi.routing, fastapi.dependencies.utils, starlette.concurrency, app.uow):
        if hasattr(module, "run_in_threadpool"):
            module.run_in_threadpool = inline  # type: ignore[attr-defined]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", required=True, help="a generated bench database (peer_ce_bench*)")
    parser.add_argument("--server-url", default=DEFAULT_SERVER_URL)
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--requests", type=int, default=7)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--by-certificate", action="store_true")
    parser.add_argument("--cprofile", help="profile one more request with cProfile into this file")
    parser.add_argument("--pyinstrument", help="profile one more request with pyinstrument into this text file")
    parser.add_argument("--json", action="store_true", help="print the summary as one JSON line")
    args = parser.parse_args()

    url = database_url(args.server_url, args.database)
    os.environ["PEER_CE_DATABASE_URL"] = url
    os.environ.setdefault("PEER_CE_DATA_DIR", str(RESULTS_DIR / f"work-{args.database}"))
    for key in ("SCHEDULER_ENABLED", "LOAD_CONTENT_ON_START", "MIGRATE_ON_START"):
        os.environ[f"PEER_CE_{key}"] = "false"
    os.environ.setdefault("PEER_CE_LOG_LEVEL", "WARNING")
    from app.auth.tokens import load_or_create_dev_key, mint_dev_token
    from app.build import engine_build
    from app.config import get_settings
    from app.logs import configure_logging
    from app.main import create_app

    settings = get_settings()
    configure_logging(settings.log_level)
    app = create_app(settings)
    load_or_create_dev_key(settings.dev_key_path)
    token = mint_dev_token(settings, role="admin", subject=SUBJECT, ttl_seconds=6 * 3600)
    headers = [(b"host", b"bench"), (b"authorization", f"Bearer {token}".encode()), (b"content-type", b"text/csv")]
    engine = create_engine(url)
    actor = f"admin:{SUBJECT}"
    reset(engine, actor)
    body = roster(engine, args.rows, args.seed, by_certificate=args.by_certificate)
    rows = body.count(b"\n") - 1

    async def measure() -> list[dict[str, float]]:
        results = []
        for n in range(args.requests + 1):  # the first warms the process up and is not counted
            db_before = database_cpu(engine)
            cpu, wall = time.process_time(), time.perf_counter()
            report = await post(app, body, headers)
            cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
            db_after = database_cpu(engine)
            db_cpu = sum(v - db_before.get(pid, 0.0) for pid, v in db_after.items())
            if report["created"] != rows:
                raise RuntimeError(f"created {report['created']} of {rows} rows")
            reset(engine, actor)
            if n:
                results.append({"cpu_s": cpu, "db_cpu_s": db_cpu, "wall_s": wall})
                log(f"request {n}: {cpu:.3f} s CPU here, {db_cpu:.2f} s in PostgreSQL, {wall:.3f} s wall")
        if args.cprofile or args.pyinstrument:
            in_main_thread()
            if args.cprofile:
                import cProfile

                profiler = cProfile.Profile(time.process_time)  # CPU time, not waits
                profiler.enable()
                await post(app, body, headers)
                profiler.disable()
                profiler.dump_stats(args.cprofile)
            else:
                from pyinstrument import Profiler

                pyi = Profiler(interval=0.0005, async_mode="disabled")
                pyi.start()
                await post(app, body, headers)
                pyi.stop()
                Path(args.pyinstrument).write_text(pyi.output_text(unicode=True, color=False, show_all=False))
            reset(engine, actor)
            log(f"profile written to {args.cprofile or args.pyinstrument}")
        return results

    from bench.inprocess import _with_lifespan

    try:
        import uvloop

        results = uvloop.run(_with_lifespan(app, measure))
    except ImportError:
        results = asyncio.run(_with_lifespan(app, measure))
    engine.dispose()
    if not results:
        return
    cpu = statistics.median(r["cpu_s"] for r in results)
    wall = statistics.median(r["wall_s"] for r in results)
    summary = {
        "rows_per_request": rows,
        "requests": len(results),
        "engine_build": engine_build(),
        "cpu_s_per_10k_rows": round(cpu * 10_000 / rows, 3),
        "db_cpu_s_per_10k_rows": round(statistics.median(r["db_cpu_s"] for r in results) * 10_000 / rows, 3),
        "wall_s_median": round(wall, 3),
        "rows_per_s": round(rows / wall),
        "cpu_s": [round(r["cpu_s"], 3) for r in results],
        "wall_s": [round(r["wall_s"], 3) for r in results],
        "loadavg": [round(x, 2) for x in os.getloadavg()],
    }
    print(json.dumps(summary) if args.json else "\n".join(f"{k}: {v}" for k, v in summary.items()))
    sys.stdout.flush()


if __name__ == "__main__":
    main()
