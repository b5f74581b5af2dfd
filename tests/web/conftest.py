"""A live peer-ce (uvicorn on 127.0.0.1, a free port) over a temp SQLite file filled by `peer-ce demo`."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from app.auth.tokens import mint_dev_token
from app.config import Settings
from app.demo import DemoReport, run_demo
from tests.support.databases import throwaway_database

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
# Screenshots (and the printed PDFs) for people to look at, in test-artifacts/: `make screenshots` asks for them.
# No test reads them, and each costs Chromium 0.1-0.25 s of CPU (~10 s for the 45 of a run): `make test` takes none.
SCREENSHOTS = os.environ.get("PEER_CE_SCREENSHOTS", "") not in ("", "0")
CHROMIUM = shutil.which("chromium") or ("/usr/bin/chromium" if os.path.exists("/usr/bin/chromium") else None)
LAUNCH_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@dataclass
class LiveDemo:
    base_url: str
    settings: Settings
    report: DemoReport

    def peer_token(self, person_id: int | None = None) -> str:
        return mint_dev_token(self.settings, role="peer", person_id=person_id or self.report.featured_person_id)

    def admin_token(self) -> str:
        return mint_dev_token(self.settings, role="admin")


def screenshot(target: Any, name: str, **options: Any) -> None:
    """A screenshot of a page or an element, saved as test-artifacts/<name> when screenshots are asked for."""
    if SCREENSHOTS:
        target.screenshot(path=artifact(name), **options)


def artifact(name: str) -> str | None:
    """Where a test saves a file for people to look at, or None (keep it in memory) when they did not ask."""
    if not SCREENSHOTS:
        return None
    ARTIFACTS.mkdir(exist_ok=True)
    return str(ARTIFACTS / name)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def live_demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveDemo]:
    """On SQLite, or on a throwaway PostgreSQL database with PEER_CE_TEST_DATABASE_URL set."""
    data = tmp_path_factory.mktemp("live-demo")
    with throwaway_database(os.environ.get("PEER_CE_TEST_DATABASE_URL") or None, data) as database_url:
        yield from _live_demo(data, database_url)


def _live_demo(data: Path, database_url: str) -> Iterator[LiveDemo]:
    settings = Settings(_env_file=None, data_dir=data, database_url=database_url, scheduler_enabled=False)
    report = run_demo(settings, peers=30, seed=5)
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("PEER_CE_") or k == "PEER_CE_TEST_DATABASE_URL"}
    env.update(
        PEER_CE_DATA_DIR=str(data),
        PEER_CE_DATABASE_URL=database_url,
        PEER_CE_SCHEDULER_ENABLED="false",
        PEER_CE_HOST="127.0.0.1",
        PEER_CE_PORT=str(port),
    )
    log = (data / "server.log").open("wb")
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "app.main:create_app",
            "--factory",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--log-level",
            "warning",
        ],
        cwd=data,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base_url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{base_url}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if server.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the live server did not start: {(data / 'server.log').read_text()[-2000:]}")
            time.sleep(0.2)
        settings.host, settings.port = "127.0.0.1", port
        yield LiveDemo(base_url=base_url, settings=settings, report=report)
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()


class Browser:
    """What the browser tests open pages with: Chromium, with each page in one browser context of the module.

    A new context costs Chromium a renderer of its own (~0.3 s of CPU a page here, more than loading the page);
    pages of one context share nothing the app keeps (its token lives in the tab's sessionStorage, and it sets no
    cookies); downloads need no option of their own (Playwright accepts them by default). Each test's pages are
    closed after it (`close_pages`), so that a module's renderer processes do not pile up."""

    def __init__(self, chromium: Any) -> None:
        self.chromium = chromium
        self.context = chromium.new_context()
        self.opened: list[Any] = []

    def new_page(self, *, viewport: dict[str, int] | None = None) -> Any:
        page = self.context.new_page()
        if viewport:
            page.set_viewport_size(viewport)
        self.opened.append(page)
        return page

    def close_pages(self) -> None:
        while self.opened:
            self.opened.pop().close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """A headless Chromium for a browser module (each test opens pages of its own); the modules skip themselves
    where Chromium is missing. Per module, not per session: Playwright's sync API keeps its event loop marked
    running while a browser is open, and the ASGI test client (tests/support/client.py) of the next modules
    runs a loop of its own."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM or "/usr/bin/chromium", args=LAUNCH_ARGS)
        yield Browser(chromium)
        chromium.close()


@pytest.fixture(autouse=True)
def _close_pages(request: pytest.FixtureRequest) -> Iterator[None]:
    """Closes the pages a browser test opened, once it is done with them."""
    yield
    if "browser" in request.fixturenames:
        request.getfixturevalue("browser").close_pages()
