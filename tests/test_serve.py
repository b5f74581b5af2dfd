"""`peer-ce serve --workers N`: set up once, before the worker processes start; and signing keys that
several processes may create at the same moment."""

from __future__ import annotations

import multiprocessing
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
import uvicorn
from cryptography.hazmat.primitives import serialization
from sqlalchemy import create_engine, text
from typer.testing import CliRunner

from app import cli, logs
from app.auth.tokens import load_or_create_dev_key
from app.config import get_settings
from app.headlimit import HeadLimitedHttpToolsProtocol
from tests.conftest import TEST_DATABASE_URL
from tests.support.databases import throwaway_database


@pytest.fixture
def serve_env(monkeypatch, tmp_path):
    """The CLI's settings from the environment (restored afterwards; no .env), uvicorn.run recorded, not
    run, and the process's logging left alone."""
    calls: list[tuple[str, dict]] = []
    monkeypatch.setattr(uvicorn, "run", lambda target, **kw: calls.append((target, kw)))
    monkeypatch.setattr(logs, "configure_logging", lambda *args, **kwargs: None)
    monkeypatch.chdir(tmp_path)
    for key in ("MIGRATE_ON_START", "LOAD_CONTENT_ON_START"):  # the defaults, restored (or unset) afterwards
        monkeypatch.setenv(f"PEER_CE_{key}", "true")
    monkeypatch.setenv("PEER_CE_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("PEER_CE_LOG_LEVEL", "WARNING")
    get_settings.cache_clear()
    yield calls
    get_settings.cache_clear()


def test_several_workers_are_refused_on_sqlite(serve_env, monkeypatch, tmp_path):
    monkeypatch.setenv("PEER_CE_DATABASE_URL", f"sqlite:///{tmp_path / 'one.sqlite3'}")
    result = CliRunner().invoke(cli.app, ["serve", "--workers", "2"])
    assert result.exit_code == 2
    assert "needs PostgreSQL" in result.output
    assert serve_env == []  # nothing was served


def test_one_worker_serves_the_logging_factory(serve_env, monkeypatch, tmp_path):
    monkeypatch.setenv("PEER_CE_DATABASE_URL", f"sqlite:///{tmp_path / 'one.sqlite3'}")
    result = CliRunner().invoke(cli.app, ["serve", "--port", "8999"])
    assert result.exit_code == 0, result.output
    [(target, options)] = serve_env
    assert target == "app.main:serve_app" and options["factory"] and options["workers"] == 1
    assert options["port"] == 8999
    assert os.environ["PEER_CE_MIGRATE_ON_START"] == "true"  # the one worker sets up as it starts
    # forwarded headers are app.proxies' business alone, and request heads are limited (431)
    assert options["proxy_headers"] is False and options["http"] is HeadLimitedHttpToolsProtocol


def test_without_httptools_serve_limits_heads_with_h11(serve_env, monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "httptools", None)  # import httptools fails
    monkeypatch.delitem(sys.modules, "app.headlimit", raising=False)
    monkeypatch.setenv("PEER_CE_DATABASE_URL", f"sqlite:///{tmp_path / 'one.sqlite3'}")
    monkeypatch.setenv("PEER_CE_MAX_HEADER_BYTES", "16384")
    result = CliRunner().invoke(cli.app, ["serve"])
    assert result.exit_code == 0, result.output
    [(_, options)] = serve_env
    assert options["http"] == "h11" and options["h11_max_incomplete_event_size"] == 16384
    assert options["proxy_headers"] is False


@pytest.mark.skipif(not TEST_DATABASE_URL, reason="several worker processes need PostgreSQL")
def test_several_workers_find_the_database_ready(serve_env, monkeypatch, tmp_path):
    stale = tmp_path / "metrics" / "counter_4242.db"  # counts of an earlier run
    stale.parent.mkdir()
    stale.write_bytes(b"old")
    monkeypatch.setenv("PEER_CE_METRICS_ENABLED", "true")
    monkeypatch.delenv("PROMETHEUS_MULTIPROC_DIR", raising=False)
    with throwaway_database(TEST_DATABASE_URL, tmp_path) as url:
        monkeypatch.setenv("PEER_CE_DATABASE_URL", url)
        result = CliRunner().invoke(cli.app, ["serve", "--workers", "3"])
        assert result.exit_code == 0, result.output
        [(target, options)] = serve_env
        assert target == "app.main:serve_app" and options["workers"] == 3
        engine = create_engine(url)
        try:
            with engine.connect() as conn:
                assert conn.execute(text("SELECT count(*) FROM alembic_version")).scalar() == 1
                assert conn.execute(text("SELECT count(*) FROM rule_set_version")).scalar() > 0
        finally:
            engine.dispose()
        assert (tmp_path / "dev-signing-key.pem").exists()
        # ... so the workers, new interpreters reading the environment, do not do it again all at once
        assert os.environ["PEER_CE_MIGRATE_ON_START"] == os.environ["PEER_CE_LOAD_CONTENT_ON_START"] == "false"
        # ... and count their metrics into one fresh directory, which a scrape adds up
        assert os.environ["PROMETHEUS_MULTIPROC_DIR"] == str((tmp_path / "metrics").resolve())
        assert list((tmp_path / "metrics").iterdir()) == []


_COUNT_ONE_REQUEST = "from app.metrics import observe_request; observe_request('GET', '/v1/things/{id}', 200, 0.02)"
_RENDER = """
from types import SimpleNamespace
from sqlalchemy import create_engine
from sqlalchemy.orm import sessionmaker
from app.metrics import render
engine = create_engine("sqlite://")
print(render(SimpleNamespace(engine=engine, session_factory=sessionmaker(bind=engine))).decode())
"""


def test_metrics_of_several_worker_processes_add_up(tmp_path):
    """What `peer-ce serve --workers N` sets up: each worker counts into the directory, any one answers for all."""
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(tmp_path)}
    for _ in range(3):  # three workers, one request each
        subprocess.run([sys.executable, "-c", _COUNT_ONE_REQUEST], env=env, check=True, timeout=60)
    scrape = subprocess.run(
        [sys.executable, "-c", _RENDER], env=env, check=True, timeout=60, capture_output=True, text=True
    ).stdout
    assert 'peer_ce_http_requests_total{method="GET",route="/v1/things/{id}",status="200"} 3.0' in scrape
    assert "peer_ce_metrics_database_up 0.0" in scrape  # no outbox in that empty database: reported, not raised


def _public_key_of(path: str) -> bytes:
    key = load_or_create_dev_key(Path(path))
    return key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)


def test_processes_creating_the_signing_key_at_once_end_up_with_one_key(tmp_path):
    path = tmp_path / "keys" / "issuer-signing-key.pem"
    with multiprocessing.get_context("spawn").Pool(4) as pool:
        keys = pool.map(_public_key_of, [str(path)] * 8)
    assert len(set(keys)) == 1
    assert keys[0] == _public_key_of(str(path))  # the one on disk
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert sorted(p.name for p in path.parent.iterdir()) == [path.name]  # no drafts left behind


def test_without_hard_links_the_key_is_created_in_place(tmp_path, monkeypatch):
    def no_links(*args):
        raise PermissionError("hard links are not supported here")

    monkeypatch.setattr(os, "link", no_links)
    path = tmp_path / "dev-signing-key.pem"
    first = load_or_create_dev_key(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert [p.name for p in tmp_path.iterdir()] == [path.name]
    assert load_or_create_dev_key(path).private_numbers() == first.private_numbers()
