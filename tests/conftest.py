"""Test fixtures: one migrated throwaway database per run, one rolled-back transaction per test.

Runs on SQLite by default; set PEER_CE_TEST_DATABASE_URL (postgresql+psycopg://...) to run the
same suite on PostgreSQL: a fresh database is created on that server and dropped afterwards.
"""

from __future__ import annotations

import gc
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import pytest
from sqlalchemy import Connection, Engine
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session

from app.auth.tokens import mint_dev_token
from app.config import Settings
from app.content import load_shipped_content
from app.db import make_engine
from app.migrate import upgrade_to_head
from tests.support import schedule
from tests.support.apps import routed_app
from tests.support.client import ApiClient
from tests.support.databases import throwaway_database

TEST_DATABASE_URL = os.environ.get("PEER_CE_TEST_DATABASE_URL") or None


def pytest_configure(config: pytest.Config) -> None:
    if not hasattr(config, "workerinput"):  # the controller (or a run without workers) keeps each unit's time
        config.pluginmanager.register(schedule.UnitTimes(config), "peer-ce-unit-times")


@pytest.hookimpl(optionalhook=True)  # a hook of pytest-xdist: runs with `-p no:xdist` too
def pytest_xdist_make_scheduler(config: pytest.Config, log):
    """`--dist loadscope`: the live demo's modules as one unit, the longest units first (tests/support/schedule.py)."""
    if config.getoption("dist") == "loadscope":
        return schedule.LongestFirst(config, log)
    return None


def pytest_report_header() -> str:
    return f"peer-ce database: {'PostgreSQL' if TEST_DATABASE_URL else 'SQLite'}"


def pytest_runtest_teardown(item: pytest.Item) -> None:
    """Unfreeze the heap that a test's app lifespan froze: the service does so after start-up (app.main), tests not.

    Left frozen, the test process counts as one that manages its collector, and each later sweep in its main thread
    asks `gc.get_freeze_count()`, which in CPython walks every frozen object (~7 ms for the suite's ~230,000): a year
    of daily sweeps (tests/scheduler/test_sweep.py) took 46 s after a lifespan test instead of 1.6 s.
    """
    gc.unfreeze()


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with throwaway_database(TEST_DATABASE_URL, tmp_path_factory.mktemp("db")) as url:
        yield url


@pytest.fixture(scope="session")
def settings(tmp_path_factory: pytest.TempPathFactory, database_url: str) -> Settings:
    return Settings(
        _env_file=None,
        environment="test",
        data_dir=tmp_path_factory.mktemp("data"),
        database_url=database_url,
        scheduler_enabled=False,
        migrate_on_start=False,
        load_content_on_start=False,
        max_body_bytes=2 * 1024 * 1024,
        # The verification limit is counted per client across apps of one database (tests/test_ratelimit.py
        # proves it); every test calls from 127.0.0.1, so the suite's own calls must not add up to it.
        verify_rate_per_minute=100_000,
        # A full sweep's worker processes see only committed data, not the test's open transaction
        # (tests/scheduler/test_parallel_sweep.py sweeps in worker processes on a database of its own).
        sweep_workers=1,
        # Likewise a roster import's worker process (app.offload): tests/completions/test_offload.py runs it.
        import_workers=0,
    )


@pytest.fixture(scope="session")
def engine(settings: Settings) -> Iterator[Engine]:
    engine = make_engine(settings)
    upgrade_to_head(engine)
    load_shipped_content(sessionmaker(bind=engine, class_=Session), settings.content_dir)
    yield engine
    engine.dispose()


@contextmanager
def rolled_back(engine: Engine) -> Iterator[Connection]:
    """A connection in a transaction that is rolled back at the end, whatever was committed inside it."""
    with engine.connect() as conn:
        outer = conn.begin()
        try:
            yield conn
        finally:
            outer.rollback()


@pytest.fixture
def connection(engine: Engine) -> Iterator[Connection]:
    """The test's transaction: everything the app commits is rolled back afterwards."""
    with rolled_back(engine) as conn:
        yield conn


@pytest.fixture
def session_factory(connection: Connection) -> sessionmaker[Session]:
    return sessionmaker(
        bind=connection,
        class_=Session,
        expire_on_commit=False,
        join_transaction_mode="create_savepoint",
    )


@pytest.fixture
def db(session_factory: sessionmaker[Session]) -> Iterator[Session]:
    """A session inside the test's transaction, for arranging and inspecting data."""
    with session_factory() as session:
        yield session


@pytest.fixture
def app(settings: Settings, engine: Engine, session_factory: sessionmaker[Session]):
    app = routed_app(settings, engine)
    app.state.session_factory = session_factory
    return app


@dataclass
class Tokens:
    settings: Settings

    def admin(self, **kw) -> str:
        return mint_dev_token(self.settings, role="admin", **kw)

    def board(self, *states: str, **kw) -> str:
        return mint_dev_token(self.settings, role="board", states=list(states), **kw)

    def provider(self, provider_id: int, **kw) -> str:
        return mint_dev_token(self.settings, role="provider", provider_id=provider_id, **kw)

    def peer(self, person_id: int, **kw) -> str:
        return mint_dev_token(self.settings, role="peer", person_id=person_id, **kw)


@pytest.fixture(scope="session")
def tokens(settings: Settings) -> Tokens:
    return Tokens(settings)


@pytest.fixture
def client(app) -> Iterator[ApiClient]:
    """An anonymous client; `client.as_(token)` calls with a bearer token."""
    c = ApiClient(app)
    yield c
    c.close()


@pytest.fixture
def admin(client: ApiClient, tokens: Tokens) -> ApiClient:
    return client.as_(tokens.admin())
