"""One compliance sweep in a process of its own, for the sweep scenarios: its time and peak memory.

    python -m bench.sweep_job --full        # every certification
    python -m bench.sweep_job               # incremental: dirty ones and those whose next change has come
    python -m bench.sweep_job --full --as-of 2026-11-23   # every one, as of that date for all
    python -m bench.sweep_job --full --today 2026-11-24   # every one, run as if on that day (each board's today)

Settings come from PEER_CE_* (the bench sets PEER_CE_DATABASE_URL to its throwaway database). Prints
one JSON object: seconds (wall), cpu_seconds (this process and its sweep workers), evaluated, flagged,
renewed, notified, and the peak RSS (MB) of the coordinator and of each worker process (PEER_CE_SWEEP_WORKERS; see
app/scheduler/sweep.py), their maximum (`peak_rss_mb`) and sum.

Like `peer-ce sweep`, the process lowers its priority to `sweep_worker_nice` once it has read its settings
(before it imports the app), and its own database sessions with it (`nice_batch_backends`); the bench's sweep
scenarios set `PEER_CE_SWEEP_WORKER_NICE=0`, which keeps every priority. `BENCH_COORDINATOR_NICE=0` keeps this
process and its sessions at their priority whatever the setting (the code before 2026-12-06 evening, for A/B runs).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from datetime import UTC, date, datetime
from datetime import time as time_of_day
from typing import Any

from bench.common import proc_status


def pace(batches: list[Any]) -> dict[str, Any]:
    """A sweep's pace from its batches (`Batch`; in the order they ended, every worker's): certifications per
    second in each tenth of its wall time, and the median batch's seconds (wall and CPU) among the first and the
    last tenth of its batches. Flat means the last tenth goes as fast as the first."""
    if not batches:
        return {"batches": 0}
    start = min(b.ended - b.seconds for b in batches)
    span = max(b.ended for b in batches) - start
    tenths = [0] * 10
    for b in batches:
        tenths[min(9, int((b.ended - start) / span * 10)) if span > 0 else 9] += b.evaluated
    tenth = max(1, len(batches) // 10)
    first = statistics.median(b.seconds for b in batches[:tenth])
    last = statistics.median(b.seconds for b in batches[-tenth:])
    first_cpu = statistics.median(b.cpu_seconds for b in batches[:tenth])
    last_cpu = statistics.median(b.cpu_seconds for b in batches[-tenth:])
    return {
        "batches": len(batches),
        "per_s_by_tenth": [round(n / (span / 10)) if span > 0 else None for n in tenths],
        "first_tenth_batch_s": round(first, 3),
        "last_tenth_batch_s": round(last, 3),
        "last_vs_first": round(last / first, 2) if first > 0 else None,
        # the same in the sweeping process's CPU seconds per batch: what a busy shared machine does not stretch
        "first_tenth_batch_cpu_s": round(first_cpu, 3),
        "last_tenth_batch_cpu_s": round(last_cpu, 3),
        "cpu_last_vs_first": round(last_cpu / first_cpu, 2) if first_cpu > 0 else None,
        "slowest_batch_s": round(max(b.seconds for b in batches), 3),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--full", action="store_true")
    parser.add_argument("--as-of", type=date.fromisoformat, help="evaluate every certification as of this date")
    parser.add_argument(
        "--today",
        type=date.fromisoformat,
        help="run as if on this day (17:00 UTC: the same date in every US board's time zone); unlike "
        "--as-of it may be a day that has not come (the sweep refuses an as_of in the future)",
    )
    parser.add_argument("--profile", help="write a pyinstrument profile here (.html or text; needs pyinstrument)")
    parser.add_argument(
        "--log-batches", help="append every batch's phases (the sweep's DEBUG log: claim, inputs, engine, ...) here"
    )
    args = parser.parse_args()
    if args.log_batches:
        import logging

        handler = logging.FileHandler(args.log_batches)
        handler.setFormatter(logging.Formatter("%(asctime)s %(process)d %(message)s"))
        sweep_log = logging.getLogger("peer_ce.scheduler.sweep")
        sweep_log.addHandler(handler)
        sweep_log.setLevel(logging.DEBUG)

    from app.config import get_settings
    from app.priority import lower_backend_priority, lower_priority

    settings = get_settings()
    nice_coordinator = os.environ.get("BENCH_COORDINATOR_NICE", "1") == "1"
    if nice_coordinator:
        # as `peer-ce sweep`: a batch process, at the sweep's niceness from here on (its imports, its sessions)
        lower_priority(settings.sweep_worker_nice)
    from app.build import engine_build
    from app.clock import Clock, FixedClock
    from app.db import make_engine, make_session_factory
    from app.scheduler.sweep import run_sweep_with_report

    engine = make_engine(settings)
    if settings.nice_batch_backends and nice_coordinator:
        lower_backend_priority(engine, settings.sweep_worker_nice)
    factory = make_session_factory(engine)
    rss_before = proc_status(os.getpid())["VmRSS"]
    profiler = None
    if args.profile:
        from pyinstrument import Profiler

        profiler = Profiler(interval=0.002)
        profiler.start()
    cpu, wall = time.process_time(), time.perf_counter()
    clock = FixedClock(datetime.combine(args.today, time_of_day(17), tzinfo=UTC)) if args.today else Clock()
    result = run_sweep_with_report(
        factory, engine, settings=settings, clock=clock, full=args.full, as_of=args.as_of, triggered_by="bench"
    )
    run = result.run
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    if profiler is not None:
        profiler.stop()
        with open(args.profile, "w") as fh:
            html = args.profile.endswith(".html")
            fh.write(profiler.output_html() if html else profiler.output_text(unicode=False, color=False))
    status = proc_status(os.getpid())
    engine.dispose()
    workers = [w.peak_rss_kb / 1024 for w in result.workers]
    coordinator = status["VmHWM"] / 1024
    print(
        json.dumps(
            {
                "engine_build": engine_build(),
                "full": args.full,
                "as_of": args.as_of.isoformat() if args.as_of else None,
                "today": args.today.isoformat() if args.today else None,
                "seconds": round(wall, 3),
                "cpu_seconds": round(cpu + sum(w.cpu_seconds for w in result.workers), 3),
                "coordinator_cpu_seconds": round(cpu, 3),
                "evaluated": run.evaluated,
                "flagged": run.flagged,
                "renewed": run.renewed,
                "notified": run.notified,
                "batch": settings.sweep_batch,
                "rss_before_mb": round(rss_before / 1024, 1),
                "workers": len(workers) or 1,
                # peak RSS (VmHWM) of every process: the coordinator, each worker, the largest and the sum (an
                # upper bound: forked workers share the coordinator's pages until they write them)
                "peak_rss_mb": round(max([coordinator, *workers]), 1),
                "coordinator_peak_rss_mb": round(coordinator, 1),
                "worker_peak_rss_mb": [round(w, 1) for w in workers],
                "sum_peak_rss_mb": round(coordinator + sum(workers), 1),
                "pace": pace(result.batches),
            }
        )
    )


if __name__ == "__main__":
    main()
