"""Shared helpers for the benches: throwaway databases, settings, process memory, free ports."""

from __future__ import annotations

import json
import os
import platform
import re
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
RESULTS_DIR = BENCH_DIR / "results"
DEFAULT_SERVER_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
BENCH_DATABASE = "peer_ce_bench"
# Throwaway databases the benches may drop and create: peer_ce_bench*, or peer_ce_<owner>_<name> (a helper's own)
_THROWAWAY = re.compile(r"peer_ce_bench\w*|peer_ce_[a-z0-9]+_[a-z0-9_]+")


def log(message: str) -> None:
    """A timestamped progress line on stdout (the final JSON line is printed after all of them)."""
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", flush=True)


def database_url(server_url: str, name: str) -> str:
    return make_url(server_url).set(database=name).render_as_string(hide_password=False)


def libpq_url(sqlalchemy_url: str) -> str:
    """The same URL for the raw driver (psycopg.connect, the baseline app)."""
    url = make_url(sqlalchemy_url).set(drivername="postgresql")
    return url.render_as_string(hide_password=False)


def only_loopback(url: str) -> None:
    host = make_url(url).host
    if url.startswith("postgresql") and host not in ("127.0.0.1", "localhost", "::1"):
        raise SystemExit(f"benches only target 127.0.0.1 (got host {host!r})")


def recreate_database(server_url: str, name: str) -> str:
    """Drop and create the bench's own throwaway database; returns its URL."""
    if not _THROWAWAY.fullmatch(name):
        raise SystemExit(
            f"refusing to recreate {name!r}: bench databases are named peer_ce_bench* or peer_ce_<owner>_<name>"
        )
    admin = create_engine(server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return database_url(server_url, name)


def drop_database(server_url: str, name: str) -> None:
    if not _THROWAWAY.fullmatch(name):
        return
    admin = create_engine(server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def bench_env(db_url: str, data_dir: Path, **extra: str) -> dict[str, str]:
    """Environment of a bench subprocess: the app's settings for the bench database."""
    # The app's settings come from the bench alone; what chooses the build (PEER_CE_COMPILED) is inherited.
    env = {k: v for k, v in os.environ.items() if not k.startswith("PEER_CE_") or k == "PEER_CE_COMPILED"}
    env.update(
        {
            "PEER_CE_DATABASE_URL": db_url,
            "PEER_CE_DATA_DIR": str(data_dir),
            "PEER_CE_SCHEDULER_ENABLED": "false",
            "PEER_CE_LOAD_CONTENT_ON_START": "false",
            "PEER_CE_MIGRATE_ON_START": "false",
            "PYTHONPATH": str(ROOT),
        }
    )
    env.update(extra)
    return env


def settings_for(db_url: str, data_dir: Path, **overrides: Any) -> Any:
    from app.config import Settings

    return Settings(
        _env_file=None,
        database_url=db_url,
        data_dir=data_dir,
        scheduler_enabled=False,
        load_content_on_start=False,
        migrate_on_start=False,
        **overrides,
    )


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def proc_status(pid: int) -> dict[str, int]:
    """VmRSS and VmHWM (peak RSS) of a process, in kB."""
    out: dict[str, int] = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            out[key] = int(value.split()[0])
    return out


def machine() -> dict[str, Any]:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem_gb = None
    try:
        kb = int(re.search(r"MemTotal:\s+(\d+)", Path("/proc/meminfo").read_text()).group(1))  # type: ignore[union-attr]
        mem_gb = round(kb / 1024 / 1024, 1)
    except (OSError, AttributeError):
        pass
    try:
        load = [round(x, 2) for x in os.getloadavg()]
    except OSError:
        load = None
    return {
        "nproc": os.cpu_count(),
        "cpu": cpu,
        "mem_gb": mem_gb,
        "python": platform.python_version(),
        "loadavg_at_start": load,
    }


def postgres_version(db_url: str) -> str | None:
    if not db_url.startswith("postgresql"):
        return None
    engine = create_engine(db_url)
    with engine.connect() as conn:
        version = conn.execute(text("SHOW server_version")).scalar()
    engine.dispose()
    return str(version)


def run_json_subprocess(args: list[str], env: dict[str, str], timeout: float) -> dict[str, Any]:
    """Run `python -m ...` and return the JSON object on its last stdout line."""
    proc = subprocess.run([sys.executable, *args], env=env, cwd=ROOT, capture_output=True, text=True, timeout=timeout)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} failed ({proc.returncode}):\n{proc.stderr[-4000:]}")
    lines = [line for line in proc.stdout.splitlines() if line.strip()]
    return json.loads(lines[-1])
