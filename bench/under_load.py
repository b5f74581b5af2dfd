"""The compliance read's latency while the service is busy: a full sweep and a 100,000-row roster import.

The status scenario loads `GET /v1/certifications/{id}/compliance` alone. Here the same wrk load (random
ids, the profile's concurrency) runs in short rounds, first on the idle app, then while

- full sweeps run back to back in a process of their own (bench/sweep_job.py, like `peer-ce sweep --full`,
  its worker processes as configured), each as of a new day so that every certification row is rewritten,
- and 100,000 new completions are posted to the same app server as CSV rosters (`POST
  /v1/completions/import`, `roster_rows` per request, one client after the other, as the bulk import does).

The rounds under load are those that ended while the import still ran (the sweeps run throughout); the
figure is the median of their p99s over the median of the idle rounds' p99s (target <= 2).
"""

from __future__ import annotations

import statistics
import threading
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from bench.common import log, run_json_subprocess

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
) -> dict[str, Any]:
    """Idle rounds, then rounds under a full sweep and the roster import; the p99s and the load's own pace."""
    wrk = {"concurrency": concurrency, "ids_file": ids_file, "token": token}
    log(f"status under load: {len(roster_rows)} roster rows, full sweeps from {first_day}, {ROUND_SECONDS}s rounds")
    run_wrk(app_url, seconds=ROUND_SECONDS, **wrk)  # warm-up
    idle = _rounds(run_wrk, app_url, n=4, until=None, **wrk)

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
            imported.update(
                post_rosters(app_url, token, roster_rows, rows_per_request, ("person_id", "course_id", "completed_on"))
            )
        except BaseException as exc:
            errors.append(exc)
        finally:
            import_done.set()

    sweeper = threading.Thread(target=sweep_loop, name="bench-sweeps")
    sweeper.start()
    time.sleep(3)  # the sweep process is up and in its batches
    importer = threading.Thread(target=import_rows, name="bench-import")
    importer.start()
    try:
        loaded = _rounds(run_wrk, app_url, n=None, until=import_done, **wrk)
    finally:
        importer.join()
        stop_sweeps.set()
        sweeper.join()
    if errors:
        raise RuntimeError(f"the load failed: {errors[0]!r}") from errors[0]
    counted = [r for r in loaded if r["ended_under_import"]] or loaded[:1]
    idle_p99 = statistics.median(r["p99_ms"] for r in idle)
    loaded_p99 = statistics.median(r["p99_ms"] for r in counted)
    ratio = round(loaded_p99 / idle_p99, 2)
    log(
        f"  idle p99 {idle_p99:.1f} ms ({statistics.median(r['rps'] for r in idle):.0f} req/s); under load "
        f"p99 {loaded_p99:.1f} ms ({statistics.median(r['rps'] for r in counted):.0f} req/s) in "
        f"{len(counted)} rounds: {ratio}x; import {imported['created']} rows in {imported['seconds']:.1f}s, "
        f"{len(sweeps)} full sweeps"
    )
    return {
        "ratio": ratio,
        "round_seconds": ROUND_SECONDS,
        "concurrency": concurrency,
        "idle": _summary(idle),
        "under_load": _summary(counted),
        "import": {
            "rows": imported["created"],
            "duplicates": imported["duplicates"],
            "seconds": round(imported["seconds"], 2),
            "rows_per_s": round(imported["created"] / imported["seconds"]),
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
