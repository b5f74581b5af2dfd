"""Two settings of the full sweep compared by what they cost the compliance read, in the same minutes.

bench/under_load_ab.py compares two apps under one load; this compares two loads on one app: the same app
serves the same copy of the database (bench/under_load.py's template) throughout, and the reads (wrk, random
ids, the profile's concurrency, rounds of 3 s) alternate between idle rounds and rounds while full sweeps
run back to back (bench/sweep_job.py, each as of a new day so that every row is rewritten) with the sweep
settings of A or B (`--a NAME=VALUE`, `--b NAME=VALUE`, in the sweep's environment), in the order A B B A
...: idle, A, idle, B, idle, B, idle, A, ... Each setting's figure is the median p99 of its loaded rounds over
the median p99 of all idle rounds, and its sweeps' pace (certifications per second) beside it.

    python -m bench.under_load_sweep_ab --database peer_ce_bench_me --port 18220 \\
        --a PEER_CE_NICE_BATCH_BACKENDS=false --b PEER_CE_NICE_BATCH_BACKENDS=true
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import threading
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

from bench.common import DEFAULT_SERVER_URL, log, only_loopback, run_json_subprocess
from bench.under_load import ROUND_SECONDS, fresh_copy


def compare(args: argparse.Namespace) -> dict[str, Any]:
    from bench.common import drop_database
    from bench.run import Server, run_wrk
    from bench.under_load import _steady_day

    fresh = fresh_copy(args)
    settings = {"A": args.a, "B": args.b}
    app = Server(
        "app", ["-m", "bench.serve_app", "--port", str(args.port)], fresh["env"], args.port, fresh["work"] / "app.log"
    )
    wrk = {"concurrency": args.concurrency, "ids_file": fresh["ids_file"], "token": fresh["token"]}
    idle: list[dict[str, Any]] = []
    loaded: dict[str, list[dict[str, Any]]] = {"A": [], "B": []}
    sweeps: dict[str, list[dict[str, Any]]] = {"A": [], "B": []}
    loads: dict[str, list[float]] = {"A": [], "B": [], "idle": []}
    day = [_steady_day() + timedelta(days=1)]

    def rounds(n: int) -> list[dict[str, Any]]:
        out = []
        for _ in range(n):
            before, started = _schedstat(app.proc.pid), time.perf_counter()
            result = run_wrk(app.url, seconds=ROUND_SECONDS, **wrk)
            if result["non_2xx"] or result["socket_errors"]:
                raise RuntimeError(f"errors: {result}")
            after, seconds = _schedstat(app.proc.pid), time.perf_counter() - started
            # the serving process's CPU and its time runnable but waiting for a CPU, per second of the round
            result["app_cpu_per_s"] = (after[0] - before[0]) / 1e9 / seconds
            result["app_wait_per_s"] = (after[1] - before[1]) / 1e9 / seconds
            out.append(result)
        return out

    try:
        app.wait_ready("/healthz")
        rounds(1)  # warm-up
        order = ["A", "B", "B", "A"] * ((args.cycles + 3) // 4)
        for name in order[: args.cycles]:
            idle += rounds(1)
            loads["idle"].append(os.getloadavg()[0])
            stop, errors = threading.Event(), list[BaseException]()
            env = {**fresh["env"], **dict(item.split("=", 1) for item in settings[name])}

            def sweep_loop(
                name: str = name,
                env: dict[str, str] = env,
                stop: threading.Event = stop,
                errors: list[BaseException] = errors,
            ) -> None:
                try:
                    while not stop.is_set():
                        command = ["-m", "bench.sweep_job", "--full", "--today", day[0].isoformat()]
                        day[0] += timedelta(days=1)
                        sweeps[name].append(run_json_subprocess(command, env, 600))
                except BaseException as exc:
                    errors.append(exc)

            sweeper = threading.Thread(target=sweep_loop)
            sweeper.start()
            time.sleep(args.settle)  # the sweep process is up and in its batches
            loaded[name] += rounds(args.rounds)
            loads[name].append(os.getloadavg()[0])
            stop.set()
            sweeper.join()
            if errors:
                raise RuntimeError(f"the sweep failed: {errors[0]!r}") from errors[0]
    finally:
        app.stop()
        if not args.keep:
            drop_database(args.server_url, args.database)
    idle_p99 = statistics.median(r["p99_ms"] for r in idle)
    out: dict[str, Any] = {
        "idle": {
            "p99_ms": round(idle_p99, 1),
            "rps": round(statistics.median(r["rps"] for r in idle)),
            "rounds_p99_ms": [r["p99_ms"] for r in idle],
            "loadavg": _median(loads["idle"]),
            "app_cpu_per_s": _median([r["app_cpu_per_s"] for r in idle]),
            "app_wait_per_s": _median([r["app_wait_per_s"] for r in idle]),
        },
    }
    for name in ("A", "B"):
        p99 = statistics.median(r["p99_ms"] for r in loaded[name])
        done = [s for s in sweeps[name] if s.get("evaluated")]
        out[name] = {
            "settings": settings[name],
            "ratio": round(p99 / idle_p99, 2),
            "p99_ms": round(p99, 1),
            "rps": round(statistics.median(r["rps"] for r in loaded[name])),
            "rounds_p99_ms": [r["p99_ms"] for r in loaded[name]],
            "app_cpu_per_s": _median([r["app_cpu_per_s"] for r in loaded[name]]),
            "app_wait_per_s": _median([r["app_wait_per_s"] for r in loaded[name]]),
            "sweeps": len(done),
            "sweep_seconds_median": _median([s["seconds"] for s in done]),
            "sweep_cpu_seconds_median": _median([s["cpu_seconds"] for s in done]),
            "loadavg": _median(loads[name]),
        }
    log(
        f"idle p99 {idle_p99:.1f} ms; "
        + "; ".join(
            f"{n} {out[n]['settings']}: {out[n]['ratio']}x ({out[n]['p99_ms']} ms, {out[n]['rps']} req/s, "
            f"sweeps {out[n]['sweep_seconds_median']} s)"
            for n in ("A", "B")
        )
    )
    return out


def _schedstat(pid: int) -> tuple[int, int]:
    """A process's CPU time and run-queue wait so far, in ns, all its threads (/proc/PID/task/*/schedstat)."""
    cpu = wait = 0
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            run, queued, _ = (int(x) for x in (task / "schedstat").read_text().split())
        except (OSError, ValueError):
            continue
        cpu, wait = cpu + run, wait + queued
    return cpu, wait


def _median(values: list[float]) -> float | None:
    return round(statistics.median(values), 2) if values else None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Two sweep settings against the read, alternating (module doc)")
    parser.add_argument("--database", required=True, help="the run's database; its template is DATABASE_tpl")
    parser.add_argument("--server-url", default=os.environ.get("BENCH_SERVER_URL", DEFAULT_SERVER_URL))
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--port", type=int, default=18000)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--cycles", type=int, default=8, help="loaded slots in all (A B B A ...)")
    parser.add_argument("--rounds", type=int, default=2, help="loaded rounds per slot")
    parser.add_argument("--settle", type=float, default=2.0, help="seconds from the sweep's start to the rounds")
    parser.add_argument("--a", action="append", default=[], help="NAME=VALUE in A's sweep environment")
    parser.add_argument("--b", action="append", default=[], help="NAME=VALUE in B's sweep environment")
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args(argv)
    args.import_rows = 0
    only_loopback(args.server_url)
    args.loadavg_at_start = [round(x, 2) for x in os.getloadavg()]
    print(json.dumps({**compare(args), "loadavg_at_start": args.loadavg_at_start}, separators=(",", ":")))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
