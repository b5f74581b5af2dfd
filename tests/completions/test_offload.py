"""A roster imported in a worker process (`app.offload`) answers, records, audits and replays exactly what one
imported in the serving process does: the same bytes, all rows or none, one audit entry with the request's id,
the Idempotency-Key claimed and stored with the writes.

Worker processes see only committed data, so this module runs on a database of its own (SQLite file or
PostgreSQL, as the suite), with two apps on it: one that imports in process, one with a worker.
"""

from __future__ import annotations

import asyncio
import os
import pickle
from datetime import date
from types import SimpleNamespace

import pytest
from sqlalchemy import event, text
from sqlalchemy.exc import DataError, OperationalError
from sqlmodel import Session, func, select

from app import offload
from app.audit.models import AuditEntry
from app.completions.importer import RosterReport
from app.completions.models import Completion, IdempotencyRecord
from app.config import Settings
from app.content import load_shipped_content
from app.db import make_engine, make_session_factory
from app.errors import ServiceUnavailable, Unauthorized, Unprocessable, as_app_error
from app.main import create_app
from app.migrate import upgrade_to_head
from app.offload import UnitFailed, UnitProcesses
from app.uow import Gate
from tests import factories
from tests.catalog.helpers import new_course, new_provider, problem
from tests.conftest import TEST_DATABASE_URL
from tests.support.client import ApiClient
from tests.support.databases import throwaway_database


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    directory = tmp_path_factory.mktemp("offload")
    with throwaway_database(TEST_DATABASE_URL, directory) as url:
        settings = Settings(
            _env_file=None,
            environment="test",
            data_dir=directory,
            database_url=url,
            scheduler_enabled=False,
            migrate_on_start=False,
            load_content_on_start=False,
            import_workers=0,
        )
        engine = make_engine(settings)
        upgrade_to_head(engine)
        load_shipped_content(make_session_factory(engine), settings.content_dir)
        from app.auth.tokens import load_or_create_dev_key, mint_dev_token

        load_or_create_dev_key(settings.dev_key_path)
        token = mint_dev_token(settings, role="admin")
        in_process = ApiClient(create_app(settings, engine=engine), token)
        worker_settings = settings.model_copy(update={"import_workers": 1})
        worker_app = create_app(worker_settings, engine=engine)
        units = UnitProcesses.for_settings(worker_settings)
        assert units is not None
        worker_app.state.unit_processes = units  # as the lifespan starts them
        in_worker = ApiClient(worker_app, token)
        provider = new_provider(in_process)
        course = new_course(in_process, provider["id"], hours=3, available_from="2024-01-01")
        people = [factories.certification(in_process)["person"]["id"] for _ in range(6)]
        try:
            yield SimpleNamespace(
                settings=settings, engine=engine, in_process=in_process, in_worker=in_worker, units=units,
                course=course, people=people,
            )  # fmt: skip
        finally:
            in_process.close()
            in_worker.close()
            units.close()
            engine.dispose()


def _csv(world, day: str, people=None, *, extra: str = "") -> bytes:
    rows = "".join(f"{p},{world.course['id']},{day}\r\n" for p in (people or world.people))
    return f"person_id,course_id,completed_on\r\n{rows}{extra}".encode()


def _post(client, body: bytes, *, rid: str, dry_run: bool = False, **headers: str):
    return client.post(
        "/v1/completions/import",
        params={"dry_run": str(dry_run).lower()},
        content=body,
        headers={"Content-Type": "text/csv", "X-Request-ID": rid, **headers},
    )


def _count(world, **where) -> int:
    with Session(world.engine) as session:
        query = select(func.count()).select_from(Completion)
        for name, value in where.items():
            query = query.where(getattr(Completion, name) == value)
        return session.exec(query).one()


def test_the_worker_answers_with_the_bytes_the_route_renders(world):
    """A dry run and a refused roster: the same status, headers and body from both (the same request id)."""
    for body, dry_run, status in [
        (_csv(world, "2025-05-01"), True, 200),
        (_csv(world, "2025-05-02", extra=f"999999,{world.course['id']},2025-05-02\r\n"), False, 422),
        (b"person_id,course_id,completed_on\r\n1,2,nope\r\n", False, 422),
        (b'{"not": "a roster"}', False, 422),
    ]:
        a = _post(world.in_process, body, rid="same-request-id", dry_run=dry_run)
        b = _post(world.in_worker, body, rid="same-request-id", dry_run=dry_run)
        assert a.status_code == b.status_code == status, (a.text, b.text)
        assert a.headers["content-type"] == b.headers["content-type"]
        assert a.json() == b.json()
        if status == 200:
            assert a.content == b.content
    assert _count(world) == 0  # none of it wrote anything


def test_a_roster_recorded_in_the_worker_is_the_one_recorded_in_process(world):
    first = _post(world.in_worker, _csv(world, "2025-06-01"), rid="worker-import-0001")
    assert first.status_code == 200, first.text
    report = RosterReport.model_validate_json(first.content)
    assert (report.created, report.duplicates, report.errors) == (6, 0, 0)
    assert _count(world, completed_on=report.items[0].completed_on) == 6
    # the same rows in process: duplicates of exactly those completions, and the same report otherwise
    again = RosterReport.model_validate_json(_post(world.in_process, _csv(world, "2025-06-01"), rid="x" * 8).content)
    assert [r.completion_id for r in again.items] == [r.completion_id for r in report.items]
    assert [r.outcome for r in again.items] == ["duplicate"] * 6
    assert again.model_dump(exclude={"items", "created", "duplicates"}) == report.model_dump(
        exclude={"items", "created", "duplicates"}
    )
    # and the other way round
    in_process = _post(world.in_process, _csv(world, "2025-06-02"), rid="inproc-import-01").json()
    replayed = _post(world.in_worker, _csv(world, "2025-06-02"), rid="worker-import-0002").json()
    assert [r["completion_id"] for r in replayed["items"]] == [r["completion_id"] for r in in_process["items"]]
    assert replayed["duplicates"] == 6
    with Session(world.engine) as session:
        entries = session.exec(select(AuditEntry).where(AuditEntry.request_id == "worker-import-0001")).all()
    assert [(e.action, e.entity, e.changes["created"]) for e in entries] == [("import", "roster", 6)]


def test_a_refused_roster_writes_nothing_in_the_worker(world):
    bad = _csv(world, "2025-07-01", extra=f"{world.people[0]},{world.course['id']},2999-01-01\r\n")
    body = problem(_post(world.in_worker, bad, rid="refused-import-01"), 422)
    assert body["errors"] and body["report"]["created"] == 6
    assert _count(world, completed_on=date(2025, 7, 1)) == 0
    with Session(world.engine) as session:
        assert not session.exec(select(AuditEntry).where(AuditEntry.request_id == "refused-import-01")).all()


def test_the_idempotency_key_is_claimed_and_kept_by_the_worker(world):
    body, key = _csv(world, "2025-08-01"), {"Idempotency-Key": "worker-roster-1"}
    first = _post(world.in_worker, body, rid="idem-import-0001", **key)
    assert first.status_code == 200 and "idempotent-replayed" not in first.headers
    # replayed by the worker, and by the serving process too: the record is the same
    for client in (world.in_worker, world.in_process):
        again = _post(client, body, rid="idem-import-0002", **key)
        assert again.status_code == 200 and again.headers["idempotent-replayed"] == "true"
        assert again.content == first.content and again.headers["content-type"] == "application/json"
    other = _post(world.in_worker, _csv(world, "2025-08-02"), rid="idem-import-0003", **key)
    assert "already used" in problem(other, 422)["detail"]
    with Session(world.engine) as session:
        records = session.exec(select(IdempotencyRecord).where(IdempotencyRecord.key == "worker-roster-1")).all()
    assert [(r.state, r.response_status) for r in records] == [("done", 200)]
    # a refused roster leaves no record: its retry runs anew
    bad = _csv(world, "2025-08-03", extra=f"999999,{world.course['id']},2025-08-03\r\n")
    for _ in range(2):
        problem(_post(world.in_worker, bad, rid="idem-import-0004", **{"Idempotency-Key": "worker-roster-2"}), 422)
    with Session(world.engine) as session:
        assert not session.exec(select(IdempotencyRecord).where(IdempotencyRecord.key == "worker-roster-2")).all()
    assert _count(world, completed_on=date(2025, 8, 1)) == 6


# --- the unit in the worker, run here: its failures --------------------------------------------------------


@pytest.fixture
def in_this_process(world, monkeypatch):
    """`offload._run` in this process, on the module's database (as a started worker has it)."""
    monkeypatch.setattr(offload, "_factory", make_session_factory(world.engine))


def _write_then(session: Session, failure: Exception | None) -> tuple[int, bytes]:
    session.execute(text("INSERT INTO topic (id, name, description) VALUES ('offload-test', 'Offload test', '')"))
    if failure is not None:
        raise failure
    return 200, b"{}"


def _topics(world) -> int:
    with Session(world.engine) as session:
        return session.execute(text("SELECT count(*) FROM topic WHERE id = 'offload-test'")).scalar_one()


@pytest.mark.parametrize(
    ("failure", "answer"),
    [
        (OperationalError("SELECT 1", {}, Exception("server closed the connection")), ServiceUnavailable),
        (DataError("INSERT", {}, Exception("value out of range")), Unprocessable),
        (Unprocessable("a row is wrong", errors=[{"loc": ["body", 1]}], extensions={"report": {}}), Unprocessable),
        (Unauthorized("not you"), Unauthorized),
        (RuntimeError("a bug"), None),
    ],
)
def test_a_failing_unit_rolls_back_and_comes_back_as_data(world, in_this_process, failure, answer):
    """Whatever the work raises, the unit rolls back and answers with data the serving process can rebuild
    (an exception it could not unpickle would break the pool): the error the app answers `failure` with."""
    outcome = pickle.loads(pickle.dumps(offload._run(offload._Job(_write_then, (failure,), None, "failing-unit"))))
    assert _topics(world) == 0
    if answer is None:
        assert isinstance(outcome, offload._Crashed) and "a bug" in outcome.traceback
        return
    error = outcome.error()
    assert type(error) is answer and error.status == answer.status
    expected = as_app_error(failure)
    assert (error.detail, error.errors, error.headers, error.extensions) == (
        expected.detail,
        expected.errors,
        expected.headers,
        expected.extensions,
    )


def test_a_commit_that_fails_saves_nothing(world, in_this_process, monkeypatch):
    def failing_commit(self: Session) -> None:
        raise OperationalError("COMMIT", {}, Exception("the disk is full"))

    monkeypatch.setattr(Session, "commit", failing_commit)
    assert isinstance(offload._run(offload._Job(_write_then, (None,), None, "failing-commit")), offload._NotSaved)
    monkeypatch.undo()
    assert _topics(world) == 0


# --- the pool -----------------------------------------------------------------------------------------------


def _exit(session: Session) -> tuple[int, bytes]:
    os._exit(3)


def _pid(session: Session) -> tuple[int, bytes]:
    return 200, str(os.getpid()).encode()


def _bug(session: Session) -> tuple[int, bytes]:
    raise RuntimeError("a bug in the work")


def test_a_worker_that_dies_is_answered_503_and_replaced(world):
    units = UnitProcesses(world.settings, 1)
    request = SimpleNamespace(scope={}, app=SimpleNamespace(state=SimpleNamespace(db_gate=Gate(2))))
    loop = asyncio.new_event_loop()
    try:
        first = loop.run_until_complete(units.run(request, _pid))
        with pytest.raises(UnitFailed, match="a bug in the work"):  # a 500, and the worker stays
            loop.run_until_complete(units.run(request, _bug))
        assert loop.run_until_complete(units.run(request, _pid)).body == first.body
        with pytest.raises(ServiceUnavailable):
            loop.run_until_complete(units.run(request, _exit))
        second = loop.run_until_complete(units.run(request, _pid))
        assert first.status_code == second.status_code == 200 and first.body != second.body
        assert int(first.body) != os.getpid() and request.app.state.db_gate.limiter.borrowed_tokens == 0
    finally:
        units.close()
        loop.close()


def test_workers_run_nice_and_only_where_they_can_open_the_database(world):
    units = UnitProcesses(world.settings.model_copy(update={"import_worker_nice": 7}), 1)
    request = SimpleNamespace(scope={}, app=SimpleNamespace(state=SimpleNamespace(db_gate=Gate(1))))
    loop = asyncio.new_event_loop()
    try:
        pid = int(loop.run_until_complete(units.run(request, _pid)).body)
        assert os.getpriority(os.PRIO_PROCESS, pid) >= 7
    finally:
        units.close()
        loop.close()
    assert UnitProcesses.for_settings(world.settings) is None  # import_workers=0
    for url in ("sqlite://", "sqlite:///:memory:"):
        memory = world.settings.model_copy(update={"import_workers": 2, "database_url": url})
        assert UnitProcesses.for_settings(memory) is None
    assert UnitProcesses.for_settings(world.settings.model_copy(update={"import_workers": 2})).workers == 2


def test_the_serving_process_writes_nothing_of_an_offloaded_import(world):
    """The serving process's engine sees no write of an offloaded import: its unit is never opened."""
    statements: list[str] = []

    def seen(conn, cursor, statement, *args):
        statements.append(statement)

    event.listen(world.engine, "before_cursor_execute", seen)
    try:
        assert _post(world.in_worker, _csv(world, "2025-09-01"), rid="not-here-00001").status_code == 200
    finally:
        event.remove(world.engine, "before_cursor_execute", seen)
    assert not [s for s in statements if "completion" in s.lower() or "idempotency" in s.lower()]


def _backend_priority(session: Session) -> tuple[int, bytes]:
    raw = session.connection().connection.dbapi_connection
    return 200, f"{raw.info.backend_pid} {os.getpriority(os.PRIO_PROCESS, raw.info.backend_pid)}".encode()


@pytest.mark.skipif(not TEST_DATABASE_URL, reason="a PostgreSQL backend")
def test_the_workers_database_backend_runs_nice_too_where_it_is_local(world):
    """The import's writes (its COPY, the foreign keys' checks, the dirty marks) run in the server's backend: at
    `import_worker_nice` too when that backend is a process of this machine the service may renice."""
    from app.priority import local_backend_pid
    from tests.test_priority import may_renice

    with world.engine.connect() as conn:
        server = conn.connection.dbapi_connection
        if local_backend_pid(server) is None or not may_renice(server.info.backend_pid):
            pytest.skip("the test database's server is not a process of this machine this user may renice")
        server_priority = os.getpriority(os.PRIO_PROCESS, server.info.backend_pid)
    request = SimpleNamespace(scope={}, app=SimpleNamespace(state=SimpleNamespace(db_gate=Gate(1))))
    loop = asyncio.new_event_loop()
    for nice_backends, expected in ((True, max(7, server_priority)), (False, server_priority)):
        settings = world.settings.model_copy(update={"import_worker_nice": 7, "nice_batch_backends": nice_backends})
        units = UnitProcesses(settings, 1)
        try:
            pid, priority = map(int, loop.run_until_complete(units.run(request, _backend_priority)).body.split())
            assert priority == expected and pid != server.info.backend_pid
        finally:
            units.close()
    loop.close()
