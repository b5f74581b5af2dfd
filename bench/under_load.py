"""The compliance read's latency while the service is busy: a full sweep and a 100,000-row roster import.

The status scenario loads `GET /v1/certifications/{id}/compliance` alone. Here the same wrk load (random
ids, the profile's concurrency) runs in short rounds, first on the idle app, then while

- full sweeps run back to back in a process of their own (bench/sweep_job.py, like `peer-ce sweep --full`,
  its worker processes as configured), each as of a new day so that every certification row is rewritten,
- and 100,000 new completions are posted to the same app server as CSV rosters (`POST
  /v1/completions/import`, `roster_rows` per request, one client after the other, as the bulk import does).

The rounds under load are those that ended while the import still ran (the sweeps run throughout); the
figure is the median of their p99s over the median of the idle rounds' p99s (target <= 2).

`bench/run.py` runs it last, on its own data. To run it alone, and to take it apart (`--load sweep`: the
sweeps alone for `--sweep-seconds`; `--load import`: the import alone), on a copy of one prepared database
each time, with the app's settings given as environment (`--set NAME=VALUE`, e.g.
`--set PEER_CE_IMPORT_WORKERS=0`):

    python -m bench.under_load prepare --database peer_ce_bench_me --scale 20000   # generate, sweep once
    python -m bench.under_load run --database peer_ce_bench_me --port 18201 --load both
"""

from __future__ import annotations

import os
import statistics
import threading
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from bench.common import bench_env, log, run_json_subprocess

ROUND_SECONDS = 3
IMPORT_ROWS = 100_000


def _rounds(run_wrk: Any, url: str, *, n: int | None, until: threading.Event | None, **kw: Any) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    while (n is not None and len(out) < n) or (until is not None and not until.is_set()):
        result = run_wrk(url, seconds=ROUND_SECONDS, **kw)
        if result["non_2xx"] or result["socket_errors"]:
            raise RuntimeError(f"errors under load: {result}")
        result["ended_under_import"] = until is not None and not until.is_set()
        out.append(result)
    return out


def scenario(
    *,
    app_url: str,
    token: str,
    env: dict[str, str],
    ids_file: Path,
    concurrency: int,
    roster_rows: list[dict[str, Any]],
    rows_per_request: int,
    first_day: date,
    sweep_timeout: int,
    run_wrk: Any,
    post_rosters: Any,
    load: str = "both",
    sweep_seconds: float = 21,
    app_pid: int | None = None,
) -> dict[str, Any]:
    """Idle rounds, then rounds under a full sweep and the roster import; the p99s and the load's own pace.

    `load`: "both" (the scenario), or "sweep" (the sweeps alone, for `sweep_seconds`) or "import" (the import
    alone), to take it apart."""
    wrk = {"concurrency": concurrency, "ids_file": ids_file, "token": token}
    log(
        f"status under load ({load}): {len(roster_rows)} roster rows, full sweeps from {first_day}, "
        f"{ROUND_SECONDS}s rounds"
    )
    run_wrk(app_url, seconds=ROUND_SECONDS, **wrk)  # warm-up
    idle_cpu = _cpu_seconds(app_pid)
    idle = _rounds(run_wrk, app_url, n=4, until=None, **wrk)
    idle_cpu, idle_load = _cpu_seconds(app_pid) - idle_cpu if app_pid else None, os.getloadavg()[0]

    stop_sweeps, import_done = threading.Event(), threading.Event()
    sweeps: list[dict[str, Any]] = []
    errors: list[BaseException] = []

    def sweep_loop() -> None:
        day = first_day
        try:
            while not stop_sweeps.is_set():
                sweeps.append(
                    run_json_subprocess(
                        ["-m", "bench.sweep_job", "--full", "--today", day.isoformat()], env, sweep_timeout
                    )
                )
                day += timedelta(days=1)
        except BaseException as exc:  # reported after the rounds
            errors.append(exc)

    imported: dict[str, Any] = {}

    def import_rows() -> None:
        try:
            if load == "sweep":  # the sweeps alone: as long as the import would take
                imported.update(created=0, duplicates=0, seconds=float(sweep_seconds))
                time.sleep(sweep_seconds)
                return
            imported.update(
                post_rosters(app_url, token, roster_rows, rows_per_request, ("person_id", "course_id", "completed_on"))
            )
        except BaseException as exc:
            errors.append(exc)
        finally:
            import_done.set()

    sweeper = threading.Thread(target=sweep_loop, name="bench-sweeps")
    if load != "import":
        sweeper.start()
        time.sleep(3)  # the sweep process is up and in its batches
    importer = threading.Thread(target=import_rows, name="bench-import")
    cpu_before = _cpu_seconds(app_pid)
    importer.start()
    try:
        loaded = _rounds(run_wrk, app_url, n=None, until=import_done, **wrk)
    finally:
        importer.join()
        stop_sweeps.set()
        if sweeper.is_alive():
            sweeper.join()
    app_cpu, loaded_load = _cpu_seconds(app_pid) - cpu_before if app_pid else None, os.getloadavg()[0]
    if errors:
        raise RuntimeError(f"the load failed: {errors[0]!r}") from errors[0]
    counted = [r for r in loaded if r["ended_under_import"]] or loaded[:1]
    idle_p99 = statistics.median(r["p99_ms"] for r in idle)
    loaded_p99 = statistics.median(r["p99_ms"] for r in counted)
    ratio = round(loaded_p99 / idle_p99, 2)
    rate = imported["created"] / imported["seconds"] if imported["created"] else 0
    log(
        f"  idle p99 {idle_p99:.1f} ms ({statistics.median(r['rps'] for r in idle):.0f} req/s); under load "
        f"p99 {loaded_p99:.1f} ms ({statistics.median(r['rps'] for r in counted):.0f} req/s) in "
        f"{len(counted)} rounds: {ratio}x; import {imported['created']} rows in {imported['seconds']:.1f}s, "
        f"{len(sweeps)} full sweeps; load average {idle_load:.1f} after the idle rounds, {loaded_load:.1f} after "
        "the load"
    )
    return {
        "ratio": ratio,
        "load": load,
        "round_seconds": ROUND_SECONDS,
        "loadavg_1m": {"idle": round(idle_load, 2), "under_load": round(loaded_load, 2)},
        "app_cpu_seconds": {"idle": _round(idle_cpu), "under_load": _round(app_cpu)},
        "concurrency": concurrency,
        "idle": _summary(idle),
        "under_load": _summary(counted),
        "import": {
            "rows": imported["created"],
            "duplicates": imported["duplicates"],
            "seconds": round(imported["seconds"], 2),
            "rows_per_s": round(rate),
            "rows_per_request": rows_per_request,
        },
        "sweeps": [
            {k: s[k] for k in ("today", "seconds", "evaluated", "workers", "cpu_seconds") if k in s} for s in sweeps
        ],
    }


def _summary(rounds: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "p99_ms": round(statistics.median(r["p99_ms"] for r in rounds), 2),
        "p50_ms": round(statistics.median(r["p50_ms"] for r in rounds), 2),
        "rps": round(statistics.median(r["rps"] for r in rounds), 1),
        "rounds_p99_ms": [r["p99_ms"] for r in rounds],
        "rounds": len(rounds),
    }


def _cpu_seconds(pid: int | None) -> float:
    """User and system CPU seconds of a process so far (0 without one)."""
    if not pid:
        return 0.0
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


# --- alone (see the module's doc) ---------------------------------------------------------------------


def _prepare(args: Any) -> None:
    """The template: generated, swept once (as the bench's first sweep), vacuumed."""
    from sqlalchemy import create_engine

    from bench.common import recreate_database
    from bench.generate import generate
    from bench.run import sweep, vacuum

    url = recreate_database(args.server_url, f"{args.database}_tpl")
    work = _work(args)
    gen = generate(url, args.scale, seed=args.seed, data_dir=work)
    log(f"generated in {gen['seconds']}s: {gen['rows']}")
    first = sweep(bench_env(url, work), full=True, timeout=3600, as_of=_steady_day() - timedelta(days=1))
    log(f"first full sweep: {first['evaluated']} in {first['seconds']}s")
    engine = create_engine(url)
    vacuum(engine)
    engine.dispose()


def _run(args: Any) -> dict[str, Any]:
    """One run of the scenario on a fresh copy of the template, the app on `args.port`."""
    from bench.common import drop_database
    from bench.run import Server, post_rosters, run_wrk

    fresh = fresh_copy(args)
    env = {**fresh["env"], **dict(item.split("=", 1) for item in args.set)}
    app = Server("app", ["-m", "bench.serve_app", "--port", str(args.port)], env, args.port, fresh["work"] / "app.log")
    try:
        app.wait_ready("/healthz")
        result = scenario(
            app_url=app.url,
            token=fresh["token"],
            env=env,
            ids_file=fresh["ids_file"],
            concurrency=args.concurrency,
            roster_rows=fresh["rows"],
            rows_per_request=args.rows_per_request,
            first_day=_steady_day() + timedelta(days=1),
            sweep_timeout=600,
            run_wrk=run_wrk,
            post_rosters=post_rosters,
            load=args.load,
            sweep_seconds=args.sweep_seconds,
            app_pid=app.proc.pid,
        )
    finally:
        app.stop()
        if not args.keep:
            drop_database(args.server_url, args.database)
    return {**result, "settings": args.set, "loadavg_at_start": args.loadavg_at_start}


def fresh_copy(args: Any) -> dict[str, Any]:
    """A new copy of the template (`args.database`), and what a run needs: the app's environment, a token, the
    ids the reads ask for, and `args.import_rows` new roster rows."""
    import random

    from sqlalchemy import create_engine, text

    from app.auth.tokens import load_or_create_dev_key, mint_dev_token
    from bench.common import database_url, drop_database, settings_for
    from bench.run import roster_rows

    drop_database(args.server_url, args.database)
    admin = create_engine(args.server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{args.database}" TEMPLATE "{args.database}_tpl"'))
    admin.dispose()
    url, work, rng = database_url(args.server_url, args.database), _work(args), random.Random(args.seed)
    settings = settings_for(url, work)
    load_or_create_dev_key(settings.dev_key_path)
    engine = create_engine(url)
    with engine.connect() as conn:
        certifications = conn.execute(text("SELECT max(id) FROM certification")).scalar()
    ids_file = work / "ids.txt"
    ids_file.write_text("\n".join(str(rng.randint(1, certifications)) for _ in range(20_000)) + "\n")
    rows = [
        {"person_id": p, "course_id": c, "completed_on": d.isoformat()}
        for p, c, d, _ in roster_rows(engine, args.import_rows, rng)
    ]
    engine.dispose()
    return {
        "env": bench_env(url, work),
        "work": work,
        "token": mint_dev_token(settings, role="admin", subject="bench", ttl_seconds=3600),
        "ids_file": ids_file,
        "rows": rows,
    }


def _steady_day() -> date:
    """As bench/run.py: the latest day every US board has reached (Hawaii's today)."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    return datetime.now(ZoneInfo("Pacific/Honolulu")).date()


def _work(args: Any) -> Path:
    from bench.common import RESULTS_DIR

    work = RESULTS_DIR / f"work-{args.database}"
    work.mkdir(parents=True, exist_ok=True)
    return work


def main(argv: list[str] | None = None) -> int:
    import argparse
    import json

    from bench.common import DEFAULT_SERVER_URL, only_loopback
    from bench.generate import Scale

    parser = argparse.ArgumentParser(description="The read under load, alone (see the module's doc)")
    parser.add_argument("command", choices=("prepare", "run"))
    parser.add_argument("--database", required=True, help="the run's database; its template is DATABASE_tpl")
    parser.add_argument("--server-url", default=os.environ.get("BENCH_SERVER_URL", DEFAULT_SERVER_URL))
    parser.add_argument("--scale", type=Scale.parse, default=Scale.parse("20000"))
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--port", type=int, default=18000)
    parser.add_argument("--load", choices=("both", "sweep", "import"), default="both")
    parser.add_argument("--sweep-seconds", type=float, default=21, help="with --load sweep: how long")
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--import-rows", type=int, default=IMPORT_ROWS)
    parser.add_argument("--rows-per-request", type=int, default=10_000)
    parser.add_argument("--set", action="append", default=[], help="NAME=VALUE in the app's environment")
    parser.add_argument("--keep", action="store_true", help="keep the run's database afterwards")
    args = parser.parse_args(argv)
    only_loopback(args.server_url)
    args.loadavg_at_start = [round(x, 2) for x in os.getloadavg()]
    if args.command == "prepare":
        _prepare(args)
        return 0
    print(json.dumps(_run(args), separators=(",", ":")))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
