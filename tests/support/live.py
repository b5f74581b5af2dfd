"""A real peer-ce server for tests: `python -m app serve` on 127.0.0.1 and a free port, its own database."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from app.auth.tokens import mint_dev_token
from app.config import Settings
from tests.support.databases import throwaway_database


@dataclass
class LiveServer:
    url: str
    settings: Settings  # what the server runs with (its data dir holds the development key)
    log: Path
    process: subprocess.Popen[bytes]

    def token(self, role: str, **scope: object) -> str:
        return mint_dev_token(self.settings, role=role, **scope)  # type: ignore[arg-type]

    def log_lines(self) -> list[str]:
        return self.log.read_text(errors="replace").splitlines()


@contextmanager
def _database(base_database_url: str | None, directory: Path, given: str | None) -> Iterator[str]:
    if given is not None:
        yield given
        return
    with throwaway_database(base_database_url, directory) as url:
        yield url


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def live_server(
    base_database_url: str | None,
    directory: Path,
    *,
    env: dict[str, str] | None = None,
    database_url: str | None = None,
    start_seconds: float = 60,
) -> Iterator[LiveServer]:
    """Serve peer-ce from a new process on a throwaway database (or on `database_url`, already migrated);
    stopped (and the throwaway database dropped) afterwards."""
    with _database(base_database_url, directory, database_url) as url:
        port = free_port()
        data_dir = directory / "live-data"
        data_dir.mkdir(exist_ok=True)
        server_env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("PEER_CE_")},
            "PEER_CE_DATABASE_URL": url,
            "PEER_CE_DATA_DIR": str(data_dir),
            "PEER_CE_HOST": "127.0.0.1",
            "PEER_CE_PORT": str(port),
            "PEER_CE_LOG_LEVEL": "WARNING",
            "PEER_CE_ENVIRONMENT": "test",
            **(env or {}),
        }
        log = directory / "live-server.log"
        with log.open("wb") as sink:
            process = subprocess.Popen(
                [sys.executable, "-m", "app", "serve"],
                cwd=data_dir,
                env=server_env,
                stdout=sink,
                stderr=subprocess.STDOUT,
            )
        try:
            base = f"http://127.0.0.1:{port}"
            deadline = time.monotonic() + start_seconds
            while True:
                if process.poll() is not None:
                    raise RuntimeError(f"the server exited at start:\n{log.read_text()[-3000:]}")
                try:
                    if httpx.get(f"{base}/readyz", timeout=2).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if time.monotonic() > deadline:
                    raise RuntimeError(f"the server did not start in {start_seconds} s")
                time.sleep(0.1)
            settings = Settings(_env_file=None, data_dir=data_dir, database_url=url)
            yield LiveServer(url=base, settings=settings, log=log, process=process)
        finally:
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
