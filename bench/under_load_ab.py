"""Two settings of the app compared on the read-under-load scenario in the same minutes: paired, not in turn.

On a machine shared with other work, the load of the others moves the idle p99 by 3x from one minute to the
next, more than what a setting changes. Here two apps (settings A and B: `--a NAME=VALUE`, `--b NAME=VALUE`)
serve the same copy of the database (bench/under_load.py's template) side by side, and every measurement
alternates between them: the idle rounds (A, B, B, A, ...), then, while full sweeps run throughout as in
the scenario, the roster's 10,000-row requests, each posted to one app while wrk loads that same app, A and
B in turn. Each app's figure is the scenario's: the median p99 of the rounds that ended while its requests
ran over the median p99 of its idle rounds.

    python -m bench.under_load_ab --database peer_ce_bench_me --port 18210 \\
        --a PEER_CE_IMPORT_WORKERS=0 --b PEER_CE_IMPORT_WORKERS=1
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import threading
import time
from datetime import timedelta
from typing import Any

from bench.common import DEFAULT_SERVER_URL, log, only_loopback, run_json_subprocess
from bench.under_load import IMPORT_ROWS, ROUND_SECONDS, fresh_copy


def compare(args: argparse.Namespace) -> dict[str, Any]:
    from bench.common import drop_database
    from bench.run import Server, post_rosters, run_wrk
    from bench.under_load import _steady_day

    fresh = fresh_copy(args)
    settings = {"A": args.a, "B": args.b}
    servers = {
        name: Server(
            name,
            ["-m", "bench.serve_app", "--port", str(args.port + i)],
            {**fresh["env"], **dict(item.split("=", 1) for item in settings[name])},
            args.port + i,
            fresh["work"] / f"app-{name}.log",
        )
        for i, name in enumerate(settings)
    }
    wrk = {"concurrency": args.concurrency, "ids_file": fresh["ids_file"], "token": fresh["token"]}
    idle: dict[str, list[dict[str, Any]]] = {"A": [], "B": []}
    loaded: dict[str, list[dict[str, Any]]] = {"A": [], "B": []}
    posts: dict[str, list[float]] = {"A": [], "B": []}
    stop, sweeps, errors = threading.Event(), [], []

    def sweep_loop() -> None:
        day = _steady_day() + timedelta(days=1)
        try:
            while not stop.is_set():
                command = ["-m", "bench.sweep_job", "--full", "--today", day.isoformat()]
                sweeps.append(run_json_subprocess(command, fresh["env"], 600))
                day += timedelta(days=1)
        except BaseException as exc:
            errors.append(exc)

    try:
        for server in servers.values():
            server.wait_ready("/healthz")
            run_wrk(server.url, seconds=ROUND_SECONDS, **wrk)  # warm-up
        for i in range(args.idle_rounds):
            for name in ("A", "B") if i % 2 == 0 else ("B", "A"):
                idle[name].append(_checked(run_wrk(servers[name].url, seconds=ROUND_SECONDS, **wrk)))
        load_before = os.getloadavg()[0]
        sweeper = threading.Thread(target=sweep_loop, name="bench-sweeps")
        sweeper.start()
        time.sleep(3)  # the sweep process is up and in its batches
        per = args.rows_per_request
        chunks = [fresh["rows"][i : i + per] for i in range(0, len(fresh["rows"]), per)]
        try:
            for k, chunk in enumerate(chunks):
                name = ("A", "B")[k % 2] if (k // 2) % 2 == 0 else ("B", "A")[k % 2]
                poster, done, result = _posting(post_rosters, servers[name].url, fresh["token"], chunk, errors)
                rounds = []
                while not done.is_set():
                    rounds.append((_checked(run_wrk(servers[name].url, seconds=ROUND_SECONDS, **wrk)), done.is_set()))
                poster.join()
                if errors:
                    raise RuntimeError(f"the load failed: {errors[0]!r}") from errors[0]
                loaded[name] += [r for r, ended_after in rounds if not ended_after] or [rounds[0][0]]
                posts[name].append(result["seconds"])
        finally:
            stop.set()
            sweeper.join()
        load_after = os.getloadavg()[0]
    finally:
        for server in servers.values():
            server.stop()
        if not args.keep:
            drop_database(args.server_url, args.database)
    out: dict[str, Any] = {"loadavg_1m": {"before_load": round(load_before, 2), "after": round(load_after, 2)}}
    for name in ("A", "B"):
        idle_p99 = statistics.median(r["p99_ms"] for r in idle[name])
        loaded_p99 = statistics.median(r["p99_ms"] for r in loaded[name])
        out[name] = {
            "settings": settings[name],
            "ratio": round(loaded_p99 / idle_p99, 2),
            "idle_p99_ms": round(idle_p99, 1),
            "loaded_p99_ms": round(loaded_p99, 1),
            "idle_rps": round(statistics.median(r["rps"] for r in idle[name])),
            "loaded_rps": round(statistics.median(r["rps"] for r in loaded[name])),
            "loaded_rounds": len(loaded[name]),
            "request_seconds": [round(s, 2) for s in posts[name]],
        }
        log(
            f"{name} {' '.join(settings[name]) or '(defaults)'}: idle p99 {idle_p99:.1f} ms, under load "
            f"{loaded_p99:.1f} ms: {out[name]['ratio']}x; {out[name]['idle_rps']} / {out[name]['loaded_rps']} req/s; "
            f"its 10,000-row requests {sum(posts[name]):.1f} s in all"
        )
    out["sweeps"] = len(sweeps)
    log(f"{len(sweeps)} full sweeps; load average {load_before:.1f} before the load, {load_after:.1f} after")
    return out


def _posting(
    post_rosters: Any, url: str, token: str, rows: list[dict[str, Any]], errors: list[BaseException]
) -> tuple[threading.Thread, threading.Event, dict[str, Any]]:
    """One roster request posted in a thread of its own: the thread, its end, and its result when ended."""
    done, result = threading.Event(), {}

    def post() -> None:
        try:
            result.update(post_rosters(url, token, rows, len(rows), ("person_id", "course_id", "completed_on")))
        except BaseException as exc:
            errors.append(exc)
        finally:
            done.set()

    poster = threading.Thread(target=post)
    poster.start()
    return poster, done, result


def _checked(result: dict[str, Any]) -> dict[str, Any]:
    if result["non_2xx"] or result["socket_errors"]:
        raise RuntimeError(f"errors under load: {result}")
    return result


def main(argv: list[str] | None = None) -> int:
    from bench.generate import Scale

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", required=True, help="the run's database; its template is DATABASE_tpl")
    parser.add_argument("--server-url", default=os.environ.get("BENCH_SERVER_URL", DEFAULT_SERVER_URL))
    parser.add_argument("--scale", type=Scale.parse, default=Scale.parse("20000"))
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--port", type=int, default=18000, help="A's port; B's is the next one")
    parser.add_argument("--a", action="append", default=[], help="NAME=VALUE in app A's environment")
    parser.add_argument("--b", action="append", default=[], help="NAME=VALUE in app B's environment")
    parser.add_argument("--idle-rounds", type=int, default=4)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--import-rows", type=int, default=IMPORT_ROWS)
    parser.add_argument("--rows-per-request", type=int, default=10_000)
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args(argv)
    only_loopback(args.server_url)
    print(json.dumps({**compare(args), "loadavg_at_start": [round(x, 2) for x in os.getloadavg()]}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
