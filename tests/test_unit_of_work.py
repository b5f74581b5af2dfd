"""The request's unit of work: committed once before the answer goes out, never a partial write, and every
turn at the database given back whatever happened."""

from __future__ import annotations

import pytest
from sqlalchemy.exc import OperationalError
from sqlmodel import Session, func, select

from app.people.models import Person
from app.uow import Gate
from tests.catalog.helpers import problem


def _count(db) -> int:
    db.expire_all()
    return db.exec(select(func.count()).select_from(Person)).one()


def test_a_write_whose_commit_fails_is_answered_503_and_leaves_nothing(admin, db, monkeypatch):
    before = _count(db)
    real_commit = Session.commit

    def failing_commit(self: Session) -> None:  # the next commit fails, once
        monkeypatch.setattr(Session, "commit", real_commit)
        raise OperationalError("COMMIT", {}, Exception("the disk is full"))

    monkeypatch.setattr(Session, "commit", failing_commit)
    response = admin.post(
        "/v1/people",
        json={"given_name": "Una", "family_name": "Saved", "email": "una.saved@example.org"},
        headers={"Idempotency-Key": "commit-fails"},
    )
    body = problem(response, 503)
    assert "nothing of it was" in body["detail"] and response.headers["retry-after"] == "1"
    assert _count(db) == before
    retry = admin.post(
        "/v1/people",
        json={"given_name": "Una", "family_name": "Saved", "email": "una.saved@example.org"},
        headers={"Idempotency-Key": "commit-fails"},
    )
    assert retry.status_code == 201 and "idempotent-replayed" not in retry.headers  # nothing was kept of it
    assert _count(db) == before + 1


def test_a_refused_write_rolls_back_what_it_did_before_the_refusal(admin, client, tokens, db):
    """An import that fails on its last row has written nothing of the rows before it."""
    csv = (
        "given_name,family_name,email,credential_code,number,issued_on\r\n"
        "Ana,One,ana.one@example.org,NC-CPSS,NC-UOW-1,2024-02-01\r\n"
        "Ben,Two,ben.two@example.org,NOPE,NC-UOW-2,2024-02-01\r\n"
    )
    before = _count(db)
    problem(admin.post("/v1/certifications/import", content=csv.encode(), headers={"Content-Type": "text/csv"}), 422)
    assert _count(db) == before


@pytest.mark.parametrize("method", ["read", "write"])
def test_every_turn_at_the_database_is_given_back(app, admin, method):
    """Failing and succeeding requests follow each other, and after each one no turn is still taken: a turn
    not given back would, once all are taken, make every later request wait forever."""
    app.state.db_gate = Gate(4)
    person = {"given_name": "Gil", "family_name": "Gate", "email": "gil.gate@example.org"}
    if method == "read":
        calls = [
            lambda: admin.get("/v1/people/999999"),
            lambda: admin.get("/v1/audit"),
            lambda: admin.get("/v1/certifications/export"),
        ]
    else:
        calls = [
            lambda: admin.post("/v1/people", json=person),
            lambda: admin.post("/v1/people", json=person | {"email": "not-an-email"}),
            lambda: admin.post("/v1/people", json=person, headers={"Idempotency-Key": "g"}),
            lambda: admin.post("/v1/people", json=person, headers={"Idempotency-Key": "g"}),
            lambda: admin.post(
                "/v1/certifications",
                json={"person_id": 999_999, "number": "X", "credential_code": "NC-CPSS", "issued_on": "2025-01-01"},
            ),
        ]
    statuses = []
    for call in calls:
        statuses.append(call().status_code)
        assert app.state.db_gate.limiter.borrowed_tokens == 0, statuses
    assert statuses == ([404, 200, 200] if method == "read" else [201, 422, 409, 409, 422])


def test_an_unreachable_database_is_answered_503_not_500(app, admin, monkeypatch):
    def refuse(*args, **kwargs):
        raise OperationalError("connect", {}, Exception("FATAL: sorry, too many clients already"))

    from sqlalchemy.orm import Session as OrmSession

    monkeypatch.setattr(OrmSession, "_connection_for_bind", refuse)  # every statement needs a connection
    person = {"given_name": "Ora", "family_name": "Offline", "email": "ora.offline@example.org"}
    for response in (
        admin.get("/v1/audit"),
        admin.post("/v1/people", json=person),
        admin.post("/v1/people", json=person, headers={"Idempotency-Key": "offline-1"}),
    ):
        body = problem(response, 503)
        assert "nothing was changed" in body["detail"] and response.headers["retry-after"] == "5"


def test_posts_that_only_ask_run_in_read_units_and_name_real_operations(app):
    from fastapi.routing import iter_route_contexts

    from app.uow import READ_ONLY_OPERATIONS, _read_only

    operations = {r.operation_id: r for r in iter_route_contexts(app.routes) if getattr(r, "operation_id", None)}
    assert set(operations) >= READ_ONLY_OPERATIONS  # a renamed operation would quietly take the write lock again
    assert _read_only({"app": app, "method": "POST", "path": "/v1/certificates/verify"})
    assert _read_only({"app": app, "method": "POST", "path": "/v1/certifications/7/compliance/simulate"})
    assert not _read_only({"app": app, "method": "POST", "path": "/v1/certifications/7/actions"})
    assert not _read_only({"app": app, "method": "POST", "path": "/v1/people"})
