"""Run every bench scenario against its baseline in the same run and print the ratios.

    python -m bench.run --profile quick     # make bench-quick: small scale, under 5 minutes on 2 cores
    python -m bench.run --profile full      # make bench: 1M certifications, 15M completions

Scenarios (bench/README.md says what each baseline means):

- status:      GET /v1/certifications/{id}/compliance on the real app (uvicorn, one worker) vs a bare
               Starlette app running the same SELECTs through psycopg; wrk at fixed concurrency,
               random ids, rounds alternating between the two; then the same app with the compliance
               work taken out (serve_app --floor), the ceiling of the ratio on this framework.
- bulk import: POST /v1/completions/import (CSV rosters) vs COPY of equivalent rows into the same table.
- full sweep:  run_sweep(full=True) vs one raw SQL aggregate over the same rows (hours per
               certification in its cycle, joined to the rules).
- incremental: a sweep by the running service (POST /v1/sweeps, as its scheduler runs them) after 1% of
               certifications changed (rosters through the API) vs the full sweep.
- reports:     each report (/v1/reports/*) through the running app vs the raw SQL aggregate that computes
               the same numbers (bench/reports.py), and the board dashboard's first view.
- first sweep: the first full sweep after the load (it writes every renewal, flag and outbox row): its
               pace, the median batch's time in the last tenth of its batches over the first tenth's.
- under load:  the status scenario's p99 while full sweeps and a 100,000-row roster import run, over its
               idle p99 (bench/under_load.py).

The last line of output is one JSON object: the ratios, the absolute figures and the scale.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import random
import re
import shutil
import signal
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
from sqlalchemy import create_engine, text

from bench import reports as bench_reports
from bench import under_load
from bench.common import (
    BENCH_DATABASE,
    DEFAULT_SERVER_URL,
    RESULTS_DIR,
    ROOT,
    bench_env,
    drop_database,
    free_port,
    libpq_url,
    log,
    machine,
    only_loopback,
    postgres_version,
    proc_status,
    recreate_database,
    run_json_subprocess,
    settings_for,
)
from bench.generate import COMPLETION_COLUMNS, Scale, generate

TARGETS = {
    "status_rps_ratio_vs_raw_starlette": (">=", 0.5),
    "full_sweep_ratio_vs_sql_aggregate": ("<=", 3.0),
    "incremental_sweep_ratio_vs_full": ("<=", 0.05),
    "bulk_import_ratio_vs_copy": (">=", 0.3),
    "reports_ratio_vs_sql": ("<=", 2.0),
    "dashboard_first_view_seconds": ("<=", 1.0),  # the target is for the quick profile
    "status_p99_under_load_ratio_vs_idle": ("<=", 2.0),
    "first_sweep_last_vs_first_batch": ("<=", 1.5),
}


@dataclass
class Profile:
    scale: str
    wrk_seconds: int
    wrk_rounds: int
    warmup_seconds: int
    concurrency: int
    bulk_rows: int
    roster_rows: int  # rows per POST
    aggregate_repeats: int
    sweep_timeout: int
    incremental_ticks: int  # measured incremental sweeps in the service (the median counts)
    report_repeats: int  # runs of each report and of its SQL aggregate (medians compared)


PROFILES = {
    "quick": Profile(
        scale="20000",
        wrk_seconds=8,
        wrk_rounds=2,
        warmup_seconds=3,
        concurrency=32,
        bulk_rows=20_000,
        roster_rows=10_000,
        aggregate_repeats=3,
        sweep_timeout=240,
        incremental_ticks=3,
        report_repeats=5,
    ),
    "full": Profile(
        scale="900000/1000000/15000000",
        wrk_seconds=20,
        wrk_rounds=3,
        warmup_seconds=10,
        concurrency=32,
        bulk_rows=200_000,
        roster_rows=10_000,
        aggregate_repeats=3,
        sweep_timeout=14_400,
        incremental_ticks=3,
        report_repeats=3,
    ),
}


# --- servers -----------------------------------------------------------------------------------------


class Server:
    def __init__(self, name: str, args: list[str], env: dict[str, str], port: int, log_path: Path) -> None:
        self.name, self.port = name, port
        self.log = log_path.open("wb")
        self.proc = subprocess.Popen(
            [sys.executable, *args],
            env=env,
            cwd=ROOT,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def wait_ready(self, path: str, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self.proc.returncode}; see {self.log.name}")
            try:
                if httpx.get(self.url + path, timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"{self.name} not ready after {timeout}s; see {self.log.name}")

    def memory_mb(self) -> dict[str, float]:
        status = proc_status(self.proc.pid)
        return {"rss_mb": round(status["VmRSS"] / 1024, 1), "peak_rss_mb": round(status["VmHWM"] / 1024, 1)}

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()


# --- wrk ---------------------------------------------------------------------------------------------


_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


def _ms(value: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", value.strip()).groups()  # type: ignore[union-attr]
    return float(number) * _UNITS[unit]


def run_wrk(url: str, *, seconds: int, concurrency: int, ids_file: Path | None, token: str = "") -> dict[str, Any]:
    """wrk on one thread at fixed concurrency; with ids_file, random compliance ids (bench/compliance.lua)."""
    env = {**os.environ, "BENCH_IDS": str(ids_file), "BENCH_TOKEN": token}
    script = ["-s", str(ROOT / "bench" / "compliance.lua")] if ids_file else []
    out = subprocess.run(
        ["wrk", "-t1", f"-c{concurrency}", f"-d{seconds}s", "--timeout", "10s", "--latency", *script, url],
        env=env,
        capture_output=True,
        text=True,
        timeout=seconds + 60,
        check=True,
    ).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    requests = int(re.search(r"(\d+) requests in", out).group(1))  # type: ignore[union-attr]
    latency = dict(re.findall(r"^\s+(50|75|90|99)%\s+(\S+)\s*$", out, re.M))
    if "50" not in latency or "99" not in latency:
        raise RuntimeError(f"cannot read wrk's latency distribution:\n{out}")
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = re.search(r"Socket errors: (.*)", out)
    return {
        "rps": rps,
        "requests": requests,
        "p50_ms": _ms(latency["50"]),
        "p99_ms": _ms(latency["99"]),
        "non_2xx": int(bad.group(1)) if bad else 0,
        "socket_errors": errors.group(1) if errors else None,
    }


def status_scenario(
    app: Server, baseline: Server, floor: Server, profile: Profile, ids_file: Path, token: str, sample_id: int
) -> dict[str, Any]:
    bearer = {"Authorization": f"Bearer {token}"}

    def get(server: Server, certification_id: int, headers: dict[str, str]) -> bytes:
        r = httpx.get(f"{server.url}/v1/certifications/{certification_id}/compliance", headers=headers, timeout=30)
        if r.status_code != 200:
            raise RuntimeError(f"{server.name} answered {r.status_code}: {r.text[:500]}")
        return r.content

    get(app, sample_id, bearer)
    get(baseline, sample_id, {})
    # The floor answers every request with the document it computed first: one of median size among the
    # documents of the first 51 ids of the load, so its responses weigh what the app's do.
    sizes = sorted((len(get(app, int(i), bearer)), int(i)) for i in ids_file.read_text().split()[:51])
    floor_bytes, floor_id = sizes[len(sizes) // 2]
    get(floor, floor_id, bearer)
    log(
        f"status: warm-up {profile.warmup_seconds}s each, then {profile.wrk_rounds} alternating rounds of "
        f"{profile.wrk_seconds}s at {profile.concurrency} connections"
    )
    for server, tok in ((app, token), (baseline, "")):
        run_wrk(
            server.url, seconds=profile.warmup_seconds, concurrency=profile.concurrency, ids_file=ids_file, token=tok
        )
    rounds: dict[str, list[dict[str, Any]]] = {"app": [], "baseline": []}
    for i in range(profile.wrk_rounds):
        order = ((app, token, "app"), (baseline, "", "baseline"))
        for server, tok, key in order if i % 2 == 0 else order[::-1]:
            result = run_wrk(
                server.url, seconds=profile.wrk_seconds, concurrency=profile.concurrency, ids_file=ids_file, token=tok
            )
            if result["non_2xx"] or result["socket_errors"]:
                raise RuntimeError(f"{server.name}: errors under load: {result}")
            rounds[key].append(result)
            log(f"  {key}: {result['rps']:.0f} req/s, p50 {result['p50_ms']:.1f} ms, p99 {result['p99_ms']:.1f} ms")

    def summary(results: list[dict[str, Any]], server: Server) -> dict[str, Any]:
        seconds = profile.wrk_seconds * len(results)
        return {
            "rps": round(sum(r["requests"] for r in results) / seconds, 1),
            "p50_ms": round(statistics.median(r["p50_ms"] for r in results), 2),
            "p99_ms": round(statistics.median(r["p99_ms"] for r in results), 2),
            "rounds_rps": [r["rps"] for r in results],
            **server.memory_mb(),
        }

    app_s, base_s = summary(rounds["app"], app), summary(rounds["baseline"], baseline)
    # What limits the ratio: the same request with the compliance work taken out (serve_app --floor: same
    # route, middleware, token check and access log, one stored document), then the app's cheapest endpoint.
    run_wrk(floor.url, seconds=profile.warmup_seconds, concurrency=profile.concurrency, ids_file=ids_file, token=token)
    floor_s = summary(
        [
            run_wrk(
                floor.url, seconds=profile.wrk_seconds, concurrency=profile.concurrency, ids_file=ids_file, token=token
            )
        ],
        floor,
    )
    log(f"  app with the compliance work taken out (framework floor): {floor_s['rps']:.0f} req/s")
    healthz = run_wrk(
        app.url + "/healthz", seconds=max(3, profile.wrk_seconds // 2), concurrency=profile.concurrency, ids_file=None
    )
    log(f"  app GET /healthz: {healthz['rps']:.0f} req/s")
    return {
        "app": app_s,
        "baseline": base_s,
        "app_floor": {
            **floor_s,
            "body_bytes": floor_bytes,
            "ratio_vs_raw_starlette": round(floor_s["rps"] / base_s["rps"], 3),
        },
        "app_healthz_rps": healthz["rps"],
        "concurrency": profile.concurrency,
        "seconds_per_round": profile.wrk_seconds,
        "rounds": profile.wrk_rounds,
        "ratio": round(app_s["rps"] / base_s["rps"], 3),
    }


# --- bulk import -------------------------------------------------------------------------------------


def roster_rows(engine: Any, n: int, rng: random.Random) -> list[tuple[int, int, date, dict[str, Any]]]:
    """n (person, course, date) that do not exist yet, with what the importer would store for each."""
    today = datetime.now(UTC).date()
    with engine.connect() as conn:
        max_person = conn.execute(text("SELECT max(id) FROM person")).scalar()
        courses = conn.execute(
            text("SELECT id, title, hours, modality FROM course WHERE status = 'published' AND available_from <= :d"),
            {"d": today - timedelta(days=400)},
        ).all()
    keys: dict[str, tuple[int, int, date, dict[str, Any]]] = {}
    while len(keys) < n:
        pid = rng.randint(1, max_person)
        cid, title, hours, modality = rng.choice(courses)
        on = today - timedelta(days=rng.randint(3, 400))
        key = f"{pid}:{cid}:{on.isoformat()}"
        keys[key] = (pid, cid, on, {"title": title, "hours": hours, "modality": modality})
    with engine.connect() as conn:
        taken: set[str] = set()
        listed = list(keys)
        for i in range(0, len(listed), 5000):
            taken |= {
                k
                for (k,) in conn.execute(
                    text("SELECT dedupe_key FROM completion WHERE dedupe_key IN :keys").bindparams(_expanding("keys")),
                    {"keys": listed[i : i + 5000]},
                )
            }
    return [v for k, v in keys.items() if k not in taken]


def _expanding(name: str) -> Any:
    from sqlalchemy import bindparam

    return bindparam(name, expanding=True)


def post_rosters(
    app_url: str, token: str, rows: list[dict[str, Any]], per_request: int, columns: tuple[str, ...]
) -> dict[str, Any]:
    created = duplicates = 0
    started = time.perf_counter()
    with httpx.Client(
        base_url=app_url, timeout=600, headers={"Authorization": f"Bearer {token}", "Content-Type": "text/csv"}
    ) as client:
        for i in range(0, len(rows), per_request):
            buf = io.StringIO()
            writer = csv.DictWriter(buf, fieldnames=columns, lineterminator="\r\n")
            writer.writeheader()
            writer.writerows(rows[i : i + per_request])
            r = client.post("/v1/completions/import", content=buf.getvalue().encode())
            if r.status_code != 200:
                raise RuntimeError(f"roster import answered {r.status_code}: {r.text[:1000]}")
            report = r.json()
            created += report["created"]
            duplicates += report["duplicates"]
    return {"seconds": time.perf_counter() - started, "created": created, "duplicates": duplicates}


def copy_rows(engine: Any, rows: list[tuple[Any, ...]]) -> float:
    """COPY (PostgreSQL) or executemany (SQLite) of complete completion rows, committed; seconds."""
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        started = time.perf_counter()
        if engine.dialect.name == "postgresql":
            with cursor.copy(f"COPY completion ({', '.join(COPY_COLUMNS)}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            marks = ", ".join("?" for _ in COPY_COLUMNS)
            cursor.executemany(
                f"INSERT INTO completion ({', '.join(COPY_COLUMNS)}) VALUES ({marks})",
                [(*r[:5], r[5].isoformat(), *r[6:11], r[11].isoformat(sep=" ")) for r in rows],
            )
        raw.commit()
        return time.perf_counter() - started
    finally:
        raw.close()


COPY_COLUMNS = (
    "person_id",
    "course_id",
    "title",
    "hours",
    "modality",
    "completed_on",
    "status",
    "source",
    "dedupe_key",
    "reported_by",
    "review_categories",
    "created_at",
)
assert set(COPY_COLUMNS) <= set(COMPLETION_COLUMNS)


def bulk_scenario(engine: Any, app: Server, token: str, profile: Profile, rng: random.Random) -> dict[str, Any]:
    n = profile.bulk_rows
    candidates = roster_rows(engine, 2 * n, rng)
    api_half, copy_half = candidates[:n], candidates[n : 2 * n]
    log(
        f"bulk import: {len(api_half)} roster rows through the API ({profile.roster_rows} per request), "
        f"then COPY of {len(copy_half)} equivalent rows"
    )
    api = post_rosters(
        app.url,
        token,
        [{"person_id": p, "course_id": c, "completed_on": d.isoformat()} for p, c, d, _ in api_half],
        profile.roster_rows,
        ("person_id", "course_id", "completed_on"),
    )
    now = datetime.now(UTC)
    copy_seconds = copy_rows(
        engine,
        [
            (
                p,
                c,
                facts["title"],
                facts["hours"],
                facts["modality"],
                d,
                "accepted",
                "admin",
                f"{p}:{c}:{d.isoformat()}",
                "admin:bench-copy",
                "[]",
                now,
            )
            for p, c, d, facts in copy_half
        ],
    )
    api_rps = api["created"] / api["seconds"]
    copy_rps = len(copy_half) / copy_seconds
    log(
        f"  API {api_rps:.0f} rows/s ({api['created']} created in {api['seconds']:.2f}s); "
        f"COPY {copy_rps:.0f} rows/s ({len(copy_half)} in {copy_seconds:.2f}s)"
    )
    return {
        "api_rows_per_s": round(api_rps),
        "copy_rows_per_s": round(copy_rps),
        "rows": api["created"],
        "api_seconds": round(api["seconds"], 3),
        "copy_seconds": round(copy_seconds, 3),
        "rows_per_request": profile.roster_rows,
        "duplicates": api["duplicates"],
        "ratio": round(api_rps / copy_rps, 3),
        **{f"app_{k}": v for k, v in app.memory_mb().items()},
    }


# --- sweeps ------------------------------------------------------------------------------------------


def aggregate_sql(dialect: str) -> str:
    required = (
        "(v.document -> 'requirements' ->> 'total_hours')::numeric"
        if dialect == "postgresql"
        else "json_extract(v.document, '$.requirements.total_hours')"
    )
    return f"""
        SELECT c.id, r.required, coalesce(sum(k.hours), 0) AS earned_hundredths
        FROM certification c
        JOIN (SELECT v.code, {required} AS required FROM rule_set_version v
              WHERE v.version = (SELECT max(w.version) FROM rule_set_version w WHERE w.code = v.code)) r
          ON r.code = c.credential_code
        LEFT JOIN completion k
          ON k.person_id = c.person_id AND k.status = 'accepted'
         AND k.completed_on BETWEEN c.cycle_start AND c.cycle_end
        GROUP BY c.id, r.required
    """


def sql_aggregate(engine: Any, repeats: int) -> dict[str, Any]:
    sql = aggregate_sql(engine.dialect.name)
    times, rows = [], 0
    for _ in range(repeats):
        raw = engine.raw_connection()
        try:
            cursor = raw.cursor()
            started = time.perf_counter()
            cursor.execute(sql)
            rows = 0
            met = 0
            for _cid, required, earned in cursor:
                rows += 1
                met += earned >= (required or 0) * 100
            times.append(time.perf_counter() - started)
            raw.rollback()
        finally:
            raw.close()
    return {"seconds": round(statistics.median(times), 3), "all_seconds": [round(t, 3) for t in times], "rows": rows}


def sweep(env: dict[str, str], *, full: bool, timeout: int, as_of: date | None = None) -> dict[str, Any]:
    """One sweep in a fresh process, its workers at the service's priority: measured alone, against a SQL
    aggregate that PostgreSQL runs at its own (`sweep_worker_nice` would hand a shared machine's other work
    the CPU first; the status-under-load scenario keeps it)."""
    args = ["-m", "bench.sweep_job", *(["--full"] if full else []), *(["--as-of", as_of.isoformat()] if as_of else [])]
    return run_json_subprocess(args, {**env, "PEER_CE_SWEEP_WORKER_NICE": "0"}, timeout)


def service_sweep(app: Server, token: str, *, full: bool = False) -> dict[str, Any]:
    """One sweep run by the running service (`POST /v1/sweeps`): in its warm process, as its scheduler runs them."""
    with httpx.Client(base_url=app.url, headers={"Authorization": f"Bearer {token}"}, timeout=3600) as client:
        started = time.perf_counter()
        r = client.post("/v1/sweeps", json={"full": full})
        seconds = time.perf_counter() - started
    if r.status_code != 201:
        raise RuntimeError(f"POST /v1/sweeps answered {r.status_code}: {r.text[:1000]}")
    run = r.json()
    if run["skipped"] or run["error"]:
        raise RuntimeError(f"the service's sweep did not run: {run}")
    return {
        "full": full,
        "seconds": round(seconds, 3),
        "duration_ms": run["duration_ms"],
        "process": "service",
        **{k: run[k] for k in ("evaluated", "flagged", "renewed", "notified", "skipped")},
    }


def change_one_percent(engine: Any, app: Server, token: str, profile: Profile, rng: random.Random) -> dict[str, Any]:
    """A completion for the holders of 1% of certifications, posted as rosters by certificate number."""
    today = datetime.now(UTC).date()
    with engine.connect() as conn:
        total = conn.execute(text("SELECT count(*) FROM certification")).scalar()
        chosen = rng.sample(range(1, total + 1), max(1, total // 100))
        certs = []
        for i in range(0, len(chosen), 5000):
            certs += conn.execute(
                text("SELECT id, credential_code, number FROM certification WHERE id IN :ids").bindparams(
                    _expanding("ids")
                ),
                {"ids": chosen[i : i + 5000]},
            ).all()
        courses = [
            cid
            for (cid,) in conn.execute(
                text("SELECT id FROM course WHERE status = 'published' AND available_from <= :d"),
                {"d": today - timedelta(days=30)},
            )
        ]
    rows = [
        {
            "credential_code": code,
            "certificate_number": number,
            "course_id": rng.choice(courses),
            "completed_on": (today - timedelta(days=2)).isoformat(),
        }
        for _id, code, number in certs
    ]
    result = post_rosters(
        app.url,
        token,
        rows,
        profile.roster_rows,
        ("credential_code", "certificate_number", "course_id", "completed_on"),
    )
    with engine.connect() as conn:
        dirty = conn.execute(text("SELECT count(*) FROM certification WHERE dirty")).scalar()
    return {"certifications_changed": len(certs), "completions_posted": result["created"], "dirty": dirty}


# --- main --------------------------------------------------------------------------------------------


ENGINE_RATIOS = (
    "status_rps_ratio_vs_raw_starlette",
    "full_sweep_ratio_vs_sql_aggregate",
    "incremental_sweep_ratio_vs_full",
    "bulk_import_ratio_vs_copy",
)


def engine_ratios(
    status: dict[str, Any],
    full: dict[str, Any],
    aggregate: dict[str, Any],
    incremental: dict[str, Any],
    bulk: dict[str, Any],
) -> dict[str, Any]:
    """The four ratios a build of the engine moves (ENGINE_RATIOS), from its scenarios' figures."""
    return {
        "status_rps_ratio_vs_raw_starlette": status["ratio"],
        "full_sweep_ratio_vs_sql_aggregate": round(full["seconds"] / aggregate["seconds"], 2),
        "incremental_sweep_ratio_vs_full": round(incremental["seconds"] / full["seconds"], 4),
        "bulk_import_ratio_vs_copy": bulk["ratio"],
    }


def start_servers(
    servers: list[Server], env: dict[str, str], work: Path, db_url: str, *, sqlite: bool, tag: str = ""
) -> tuple[Server, Server, Server]:
    """The status scenario's three servers (the app, the raw baseline, the app's floor), ready; added to
    `servers` (stopped at the end)."""
    from bench.serve_app import server_options

    opts = server_options()
    suffix = f"-{tag}" if tag else ""
    app_port, base_port, floor_port = free_port(), free_port(), free_port()
    base_env = {**env, "BENCH_BASELINE_DSN": db_url if sqlite else libpq_url(db_url)}
    baseline_args = ["-m", "uvicorn", "bench.baseline_app:app", "--port", str(base_port), "--host", "127.0.0.1"]
    baseline_args += ["--no-access-log", "--loop", str(opts["loop"]), "--http", str(opts["http"])]
    started = [
        Server("app", ["-m", "bench.serve_app", "--port", str(app_port)], env, app_port, work / f"app{suffix}.log"),
        Server("baseline", baseline_args, base_env, base_port, work / f"baseline{suffix}.log"),
        Server(
            "floor",
            ["-m", "bench.serve_app", "--port", str(floor_port), "--floor"],
            env,
            floor_port,
            work / f"floor{suffix}.log",
        ),
    ]
    servers.extend(started)
    app, baseline, floor = started
    app.wait_ready("/healthz")
    baseline.wait_ready("/health")
    floor.wait_ready("/healthz")
    return app, baseline, floor


def vacuum(engine: Any) -> None:
    """VACUUM ANALYZE what a full sweep rewrites, as autovacuum would after it (it may be off on the bench's
    server: every certification update is non-HOT, so each full sweep leaves a dead version of every row).
    Each measured full sweep and the SQL aggregate then start from the same clean table."""
    if engine.dialect.name != "postgresql":
        return
    with engine.connect() as conn:
        conn = conn.execution_options(isolation_level="AUTOCOMMIT")
        for table in ("certification", "renewal", "flag", "outbox"):
            conn.execute(text(f"VACUUM (ANALYZE) {table}"))


def engine_build_of(app: Server) -> str:
    """The engine build a running app says it uses (`/readyz`)."""
    return str(httpx.get(f"{app.url}/readyz", timeout=10).json()["engine_build"])


def incremental_scenario(
    engine: Any,
    app: Server,
    env: dict[str, str],
    token: str,
    profile: Profile,
    rng: random.Random,
    *,
    full_seconds: float,
) -> dict[str, Any]:
    """The incremental sweep as the service's scheduler runs it, every tick: in the service's warm process.

    A first 1% change and sweep stand for the scheduler's previous tick; the next ticks (each after a new 1%
    change) are measured, and the median one counts. One more runs in a fresh process (sweep_job.py, like
    `peer-ce sweep`): reported, with its one-time costs."""
    previous_change = change_one_percent(engine, app, token, profile, rng)
    previous = {**service_sweep(app, token), "change": previous_change}
    log(f"incremental sweep in the service, previous tick: {previous['evaluated']} in {previous['seconds']}s")
    ticks = []
    for _ in range(profile.incremental_ticks):
        change = change_one_percent(engine, app, token, profile, rng)
        ticks.append({**service_sweep(app, token), "change": change})
        log(
            f"1% changed ({change['dirty']} due), incremental sweep in the service: "
            f"{ticks[-1]['evaluated']} in {ticks[-1]['seconds']}s"
        )
    incremental = sorted(ticks, key=lambda t: t["seconds"])[len(ticks) // 2]
    cold_change = change_one_percent(engine, app, token, profile, rng)
    cold = sweep(env, full=False, timeout=profile.sweep_timeout)
    log(
        f"incremental sweep in a fresh process: {cold['evaluated']} in {cold['seconds']}s "
        f"({cold['seconds'] / full_seconds:.4f} of the full sweep)"
    )
    return {
        **incremental,
        "ticks_seconds": [t["seconds"] for t in ticks],
        "previous_tick": previous,
        "fresh_process": {**cold, "change": cold_change, "ratio_vs_full": round(cold["seconds"] / full_seconds, 4)},
    }


def judge(key: str, value: float | None) -> dict[str, Any]:
    op, limit = TARGETS[key]
    met = value is not None and (value >= limit if op == ">=" else value <= limit)
    return {"target": f"{op} {limit}", "value": value, "met": met}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--profile", choices=sorted(PROFILES), default="quick")
    parser.add_argument("--scale", type=Scale.parse, help="override the profile's scale")
    parser.add_argument(
        "--server-url",
        default=os.environ.get("BENCH_SERVER_URL", DEFAULT_SERVER_URL),
        help="PostgreSQL server on 127.0.0.1; the bench creates and drops its own database",
    )
    parser.add_argument("--database", default=BENCH_DATABASE)
    parser.add_argument("--sqlite", action="store_true", help="run on a SQLite file instead of PostgreSQL")
    parser.add_argument("--keep", action="store_true", help="keep the bench database afterwards")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--wrk-seconds", type=int)
    parser.add_argument("--concurrency", type=int)
    parser.add_argument(
        "--compare-builds",
        action="store_true",
        help="also run the status, full sweep, incremental and bulk scenarios on the other engine build (mypyc or "
        "pure Python, PEER_CE_COMPILED) on the same data in the same run: the four ratios side by side",
    )
    args = parser.parse_args(argv)

    profile = PROFILES[args.profile]
    if args.wrk_seconds:
        profile.wrk_seconds = args.wrk_seconds
    if args.concurrency:
        profile.concurrency = args.concurrency
    scale = args.scale or Scale.parse(profile.scale)
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed: apt-get install wrk (make bench-quick does it)")
    started = time.perf_counter()
    rng = random.Random(args.seed)
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    work = RESULTS_DIR / f"work-{'sqlite' if args.sqlite else args.database}"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    info = machine()

    if args.sqlite:
        db_url = f"sqlite:///{work / 'bench.sqlite3'}"
    else:
        only_loopback(args.server_url)
        db_url = recreate_database(args.server_url, args.database)
    log(f"profile {args.profile}: scale {scale.label()} (people/certifications/completions), database {db_url}")
    servers: list[Server] = []
    try:
        gen = generate(db_url, scale, seed=args.seed, data_dir=work)
        log(f"generated in {gen['seconds']}s: {json.dumps(gen['rows'])}")
        engine = create_engine(db_url)
        env = bench_env(db_url, work)
        settings = settings_for(db_url, work)
        from app.auth.tokens import load_or_create_dev_key, mint_dev_token

        load_or_create_dev_key(settings.dev_key_path)
        token = mint_dev_token(settings, role="admin", subject="bench", ttl_seconds=6 * 3600)
        ids_file = work / "ids.txt"
        ids_file.write_text("\n".join(str(rng.randint(1, scale.certifications)) for _ in range(20_000)) + "\n")

        app, baseline, floor = start_servers(servers, env, work, db_url, sqlite=args.sqlite)
        status = status_scenario(app, baseline, floor, profile, ids_file, token, sample_id=1)
        floor.stop()  # only the status scenario needs them: their connections go back to the server
        baseline.stop()

        # A sweep never runs as of a day that has not come for every board (check_as_of), so the steady sweep
        # is as of the latest day every US board has reached (Hawaii's today) and the first one the day before:
        # every row then gets a new evaluated_on, whatever the time of day the bench runs.
        steady_day = datetime.now(ZoneInfo("Pacific/Honolulu")).date()
        log("full sweep (first: writes renewals, flags and outbox rows)")
        first = sweep(env, full=True, timeout=profile.sweep_timeout, as_of=steady_day - timedelta(days=1))
        pace = first["pace"]
        log(
            f"  {first['evaluated']} in {first['seconds']}s, peak RSS {first['peak_rss_mb']} MB; per second by "
            f"tenth of the run {pace.get('per_s_by_tenth')}, median batch {pace.get('first_tenth_batch_s')} s "
            f"in the first tenth of batches, {pace.get('last_tenth_batch_s')} s in the last"
        )
        # The next day's full re-evaluation (as after a rule change): every row gets a new evaluated_on,
        # so every row is written, while renewals and flags mostly exist already.
        log("full sweep (steady: every certification re-evaluated a day later, every row rewritten)")
        vacuum(engine)
        full = sweep(env, full=True, timeout=profile.sweep_timeout, as_of=steady_day)
        vacuum(engine)
        log(f"  {full['evaluated']} in {full['seconds']}s, peak RSS {full['peak_rss_mb']} MB")
        aggregate = sql_aggregate(engine, profile.aggregate_repeats)
        log(
            f"SQL aggregate: {aggregate['rows']} rows in {aggregate['seconds']}s (median of {aggregate['all_seconds']})"
        )
        # The incremental sweep as the service's scheduler runs it, every tick: in the service's warm process.
        # A first 1% change and sweep stand for the scheduler's previous tick; the next ticks (each after a
        # new 1% change) are measured, and the median one counts. One more runs in a fresh process
        # (sweep_job.py, like `peer-ce sweep`): reported, with its one-time costs.
        incremental = incremental_scenario(engine, app, env, token, profile, rng, full_seconds=full["seconds"])
        # The reports, on the statuses, gaps and snapshots the sweeps left, before the bulk import adds rows.
        with engine.connect() as conn:
            board_state = conn.execute(
                text("SELECT state FROM certification GROUP BY state ORDER BY count(*) DESC, state LIMIT 1")
            ).scalar()
        board_token = mint_dev_token(
            settings, role="board", states=[board_state], subject="bench-board", ttl_seconds=6 * 3600
        )
        reports = bench_reports.scenario(engine, app.url, token, board_token, board_state, profile.report_repeats)
        # The bulk import runs last, once the sweeps have left every certification clean: the steady state
        # in which each roster's mark_dirty really rewrites its holders' rows (straight after generation
        # they are all still dirty, which hid that cost).
        with engine.connect() as conn:
            dirty_before_bulk = conn.execute(text("SELECT count(*) FROM certification WHERE dirty")).scalar()
        bulk = {**bulk_scenario(engine, app, token, profile, rng), "dirty_before": dirty_before_bulk}
        build = engine_build_of(app)
        compared: dict[str, Any] = {}
        if args.compare_builds:
            # The other build on the same data, each scenario as above: its own app (and baseline and floor,
            # in rounds alternating with it), a steady full sweep that rewrites every row again (as of the day
            # before: the rows are as of the steady day now), the incremental ticks and the bulk import.
            other = "python" if build == "mypyc" else "mypyc"
            other_env = {**env, "PEER_CE_COMPILED": "0" if other == "python" else "1"}
            log(f"the other build: {other}")
            b_app, b_baseline, b_floor = start_servers(servers, other_env, work, db_url, sqlite=args.sqlite, tag=other)
            if engine_build_of(b_app) != other:
                raise RuntimeError(f"the app of the {other} build runs {engine_build_of(b_app)}")
            b_status = status_scenario(b_app, b_baseline, b_floor, profile, ids_file, token, sample_id=1)
            b_floor.stop()
            b_baseline.stop()
            vacuum(engine)
            b_full = sweep(other_env, full=True, timeout=profile.sweep_timeout, as_of=steady_day - timedelta(days=1))
            log(f"  full sweep ({other}): {b_full['evaluated']} in {b_full['seconds']}s")
            b_incremental = incremental_scenario(
                engine, b_app, other_env, token, profile, rng, full_seconds=b_full["seconds"]
            )
            b_bulk = bulk_scenario(engine, b_app, token, profile, rng)
            b_app.stop()
            compared[other] = {
                "ratios": engine_ratios(b_status, b_full, aggregate, b_incremental, b_bulk),
                "absolute": {
                    "status": b_status,
                    "full_sweep": b_full,
                    "incremental_sweep": b_incremental,
                    "bulk_import": b_bulk,
                },
            }
        # Last, as it sweeps days ahead: the compliance read while full sweeps and a roster import run.
        loaded = under_load.scenario(
            app_url=app.url,
            token=token,
            env=env,
            ids_file=ids_file,
            concurrency=profile.concurrency,
            roster_rows=[
                {"person_id": p, "course_id": c, "completed_on": d.isoformat()}
                for p, c, d, _ in roster_rows(engine, under_load.IMPORT_ROWS, rng)
            ],
            rows_per_request=profile.roster_rows,
            first_day=steady_day + timedelta(days=1),
            sweep_timeout=profile.sweep_timeout,
            run_wrk=run_wrk,
            post_rosters=post_rosters,
        )
        with engine.connect() as conn:
            statuses = dict(conn.execute(text("SELECT status, count(*) FROM certification GROUP BY status")).all())
        engine.dispose()
    finally:
        for server in servers:
            server.stop()
        if not args.sqlite and not args.keep:
            drop_database(args.server_url, args.database)

    ratios = {
        **engine_ratios(status, full, aggregate, incremental, bulk),
        "reports_ratio_vs_sql": reports["ratio"],
        "dashboard_first_view_seconds": reports["first_view_seconds"],
        "status_p99_under_load_ratio_vs_idle": loaded["ratio"],
        "first_sweep_last_vs_first_batch": first["pace"].get("last_vs_first"),
    }
    result = {
        **ratios,
        "targets": {key: judge(key, value) for key, value in ratios.items()},
        "scale": {
            "profile": args.profile,
            "people": scale.people,
            "certifications": scale.certifications,
            "completions_target": scale.completions,
            "rows": gen["rows"],
            "generate_seconds": gen["seconds"],
            "credentials": gen["credentials"],
            "statuses": statuses,
        },
        "absolute": {
            "status": status,
            "bulk_import": bulk,
            "full_sweep": {
                **full,
                "first_sweep": first,
                "sql_aggregate": aggregate,
                "certifications_per_s": round(full["evaluated"] / full["seconds"]),
                "first_ratio_vs_sql_aggregate": round(first["seconds"] / aggregate["seconds"], 2),
            },
            "reports": reports,
            "status_under_load": loaded,
            "incremental_sweep": incremental,
        },
        # the engine build the app and its sweeps ran (app/build.py), and the other build's figures on the same
        # data in the same run (--compare-builds)
        "engine_build": build,
        "builds": {build: {"ratios": {k: ratios[k] for k in ENGINE_RATIOS}}, **compared},
        "database": "sqlite" if args.sqlite else f"postgresql {postgres_version(args.server_url)}",
        "machine": info,
        "elapsed_seconds": round(time.perf_counter() - started, 1),
        "finished_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    label = args.profile if args.scale is None else f"{args.profile}-{scale.certifications}"
    (RESULTS_DIR / f"{stamp}-{label}.json").write_text(json.dumps(result, indent=2) + "\n")
    (RESULTS_DIR / f"latest-{label}.json").write_text(json.dumps(result, indent=2) + "\n")
    for key, verdict in result["targets"].items():
        log(f"{key}: {verdict['value']} (target {verdict['target']}: {'met' if verdict['met'] else 'MISSED'})")
    log(f"done in {result['elapsed_seconds']}s")
    print(json.dumps(result, separators=(",", ":")))
    return 0


if __name__ == "__main__":
    sys.exit(main())
