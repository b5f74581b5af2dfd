"""Batch work runs at a lower CPU priority, and so do its PostgreSQL backends where they are this machine's."""

from __future__ import annotations

import os
import socket
from types import SimpleNamespace

import pytest
from sqlalchemy import create_engine, text

from app.priority import local_backend_pid, lower_backend_priority, lower_priority
from tests.conftest import TEST_DATABASE_URL

needs_postgres = pytest.mark.skipif(not TEST_DATABASE_URL, reason="PostgreSQL backends")


def may_renice(pid: int) -> bool:
    """Whether this process may lower `pid`'s priority: root, or the same user."""
    return os.geteuid() == 0 or os.stat(f"/proc/{pid}").st_uid == os.geteuid()


def backend_or_skip(raw) -> int:
    """The connection's backend pid, or skip: a server on another machine, or one this user may not renice."""
    pid = local_backend_pid(raw)
    if pid is None:
        pytest.skip("the test database's server is not a process of this machine")
    if not may_renice(pid):
        pytest.skip("this user may not change the server's processes' priority")
    return pid


def test_a_priority_is_only_ever_lowered():
    here = os.getpriority(os.PRIO_PROCESS, 0)
    assert lower_priority(0) is False and os.getpriority(os.PRIO_PROCESS, 0) == here  # 0 keeps the priority
    assert lower_priority(5, pid=2**22 + 12345) is False  # no such process: nothing raised


@needs_postgres
def test_a_batch_engines_backends_run_at_its_niceness_and_no_others():
    batch, other = create_engine(TEST_DATABASE_URL), create_engine(TEST_DATABASE_URL)
    lower_backend_priority(batch, 10)
    try:
        with other.connect() as conn:
            pid = backend_or_skip(conn.connection.dbapi_connection)
            server_priority = os.getpriority(os.PRIO_PROCESS, pid)
            with batch.connect() as niced:
                raw = niced.connection.dbapi_connection
                assert local_backend_pid(raw) == raw.info.backend_pid
                assert niced.execute(text("SELECT pg_backend_pid()")).scalar() == raw.info.backend_pid
                assert os.getpriority(os.PRIO_PROCESS, raw.info.backend_pid) == max(10, server_priority)
            assert os.getpriority(os.PRIO_PROCESS, pid) == server_priority  # another engine's: untouched
    finally:
        batch.dispose()
        other.dispose()


@needs_postgres
def test_a_pid_that_is_not_this_connections_backend_is_left_alone():
    engine = create_engine(TEST_DATABASE_URL)
    try:
        with engine.connect() as one, engine.connect() as two:
            first, second = one.connection.dbapi_connection, two.connection.dbapi_connection
            backend_or_skip(first)
            with socket.socket(fileno=os.dup(first.pgconn.socket)) as sock:
                tcp = sock.family != socket.AF_UNIX
            if tcp:
                # the other connection's backend is not the one this socket talks to (its title names another port)
                crossed = SimpleNamespace(info=first.info, pgconn=second.pgconn)
                assert local_backend_pid(crossed) is None
            # a pid that is no backend at all (this test's own process), or none
            for pid in (os.getpid(), 2**22 + 12345):
                fake = SimpleNamespace(info=SimpleNamespace(backend_pid=pid), pgconn=first.pgconn)
                assert local_backend_pid(fake) is None
    finally:
        engine.dispose()


def test_nothing_is_done_off_postgresql():
    engine = create_engine("sqlite://")
    lower_backend_priority(engine, 10)  # no listener: SQLite has no backend process
    with engine.connect() as conn:
        assert conn.execute(text("SELECT 1")).scalar() == 1
    assert local_backend_pid(object()) is None
