"""Throwaway databases for tests: a SQLite file, or a fresh PostgreSQL database that is dropped."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url


@contextmanager
def throwaway_database(base_url: str | None, directory: Path) -> Iterator[str]:
    """Yield the URL of a new empty database; PostgreSQL ones are dropped afterwards."""
    if not base_url:
        yield f"sqlite:///{directory / f'test-{uuid.uuid4().hex[:8]}.sqlite3'}"
        return
    url = make_url(base_url)
    name = f"peer_ce_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
        # A test database is dropped at the end: its commits need not wait for the disk (each did, ~1-6 ms here).
        # What the suite checks is unchanged (visibility, locks and isolation are the same); only a crash of the
        # server could lose the last commits, of a database that is thrown away anyway.
        conn.execute(text(f'ALTER DATABASE "{name}" SET synchronous_commit = off'))
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
