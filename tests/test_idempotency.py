"""Idempotency-Key: replays of what committed, nothing kept of what failed, one fingerprint per request."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func
from sqlmodel import select

from app.completions.models import IdempotencyRecord
from app.db import utcnow
from app.people.models import Person
from tests.catalog.helpers import problem


def _person(n: int) -> dict:
    return {"given_name": "Idem", "family_name": f"Potent{n}", "email": f"idem{n}@example.org"}


def _people(db) -> int:
    return db.exec(select(func.count()).select_from(Person)).one()


def test_a_retry_replays_the_committed_response_and_writes_nothing(admin, db):
    first = admin.post("/v1/people", json=_person(1), headers={"Idempotency-Key": "add-person-1"})
    assert first.status_code == 201
    count = _people(db)
    again = admin.post("/v1/people", json=_person(1), headers={"Idempotency-Key": "add-person-1"})
    assert again.status_code == 201 and again.json() == first.json()
    assert again.headers["idempotent-replayed"] == "true"
    assert again.headers["location"] == first.headers["location"]
    assert _people(db) == count
    record = db.exec(select(IdempotencyRecord).where(IdempotencyRecord.key == "add-person-1")).one()
    assert record.state == "done" and record.response_status == 201


def test_a_failed_request_leaves_no_record_and_its_retry_runs_anew(admin, db):
    taken = admin.post("/v1/people", json=_person(2))
    assert taken.status_code == 201
    clash = admin.post(
        "/v1/people", json={**_person(3), "email": _person(2)["email"]}, headers={"Idempotency-Key": "k-409"}
    )
    problem(clash, 409)
    assert db.exec(select(IdempotencyRecord).where(IdempotencyRecord.key == "k-409")).first() is None
    # the caller fixes what was wrong elsewhere and retries with the same key and body: it runs again
    admin.patch(f"/v1/people/{taken.json()['id']}", json={"email": "moved@example.org"})
    retry = admin.post(
        "/v1/people", json={**_person(3), "email": _person(2)["email"]}, headers={"Idempotency-Key": "k-409"}
    )
    assert retry.status_code == 201 and "idempotent-replayed" not in retry.headers


def test_the_same_key_with_another_query_string_is_refused_not_replayed(admin):
    csv = (
        "given_name,family_name,email,credential_code,number,issued_on\r\n"
        "Dry,Run,dry.run@example.org,NC-CPSS,NC-IDEM-1,2025-01-15\r\n"
    )
    headers = {"Idempotency-Key": "import-1", "Content-Type": "text/csv"}
    dry = admin.post("/v1/certifications/import?dry_run=true", content=csv, headers=headers)
    assert dry.status_code == 200 and dry.json()["dry_run"] is True
    real = admin.post("/v1/certifications/import?dry_run=false", content=csv, headers=headers)
    body = problem(real, 422)
    assert "another request" in body["detail"]
    fresh = admin.post(
        "/v1/certifications/import?dry_run=false", content=csv, headers={**headers, "Idempotency-Key": "import-2"}
    )
    assert fresh.status_code == 200 and fresh.json()["created"] == 1


def test_the_same_key_with_another_body_or_path_is_422(admin):
    assert admin.post("/v1/people", json=_person(4), headers={"Idempotency-Key": "k"}).status_code == 201
    problem(admin.post("/v1/people", json=_person(5), headers={"Idempotency-Key": "k"}), 422)
    problem(admin.post("/v1/providers", json={"name": "Idem ATTC"}, headers={"Idempotency-Key": "k"}), 422)


def test_keys_are_per_caller(admin, client, tokens):
    assert admin.post("/v1/people", json=_person(6), headers={"Idempotency-Key": "shared"}).status_code == 201
    other_admin = client.as_(tokens.admin(subject="another-admin"))
    response = other_admin.post("/v1/people", json=_person(7), headers={"Idempotency-Key": "shared"})
    assert response.status_code == 201 and response.json()["email"] == _person(7)["email"]


def test_keys_that_are_too_long_or_not_visible_ascii_are_400_and_write_nothing(admin, db):
    count = _people(db)
    body = problem(admin.post("/v1/people", json=_person(8), headers={"Idempotency-Key": "k" * 256}), 400)
    assert "255" in body["detail"]
    problem(admin.post("/v1/people", json=_person(8), headers={"Idempotency-Key": "two words"}), 400)
    assert _people(db) == count
    assert admin.post("/v1/people", json=_person(8), headers={"Idempotency-Key": "k" * 255}).status_code == 201


def test_an_expired_key_can_be_used_again(admin, db):
    assert admin.post("/v1/people", json=_person(9), headers={"Idempotency-Key": "old"}).status_code == 201
    record = db.exec(select(IdempotencyRecord).where(IdempotencyRecord.key == "old")).one()
    record.created_at = utcnow() - timedelta(hours=25)
    db.add(record)
    db.commit()
    fresh = admin.post("/v1/people", json=_person(10), headers={"Idempotency-Key": "old"})
    assert fresh.status_code == 201 and fresh.json()["email"] == _person(10)["email"]


def test_a_record_left_in_progress_by_an_older_version_does_not_block_the_key(admin, db, tokens, client):
    db.add(
        IdempotencyRecord(
            owner="admin:legacy",
            key="stuck",
            method="POST",
            path="/v1/people",
            fingerprint="0" * 64,
            state="in_progress",
        )
    )
    db.commit()
    legacy = client.as_(tokens.admin(subject="legacy"))
    response = legacy.post("/v1/people", json=_person(11), headers={"Idempotency-Key": "stuck"})
    assert response.status_code == 201
    assert (
        legacy.post("/v1/people", json=_person(11), headers={"Idempotency-Key": "stuck"}).headers["idempotent-replayed"]
        == "true"
    )


def test_without_a_valid_token_the_key_is_ignored_and_the_answer_is_401(client, db):
    response = client.post("/v1/people", json=_person(12), headers={"Idempotency-Key": "anon"})
    problem(response, 401)
    assert db.exec(select(IdempotencyRecord).where(IdempotencyRecord.key == "anon")).first() is None


def test_every_operation_that_honours_the_key_declares_it_in_the_openapi_document(app):
    from app.idempotency import honouring

    spec = app.openapi()
    honoured = {(route.path, "post") for route in honouring(app)}
    assert ("/v1/completions", "post") in honoured and ("/v1/sweeps", "post") not in honoured
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            declared = any(
                p["name"] == "Idempotency-Key" and p["in"] == "header" for p in operation.get("parameters", [])
            )
            assert declared == ((path, method) in honoured), (method, path)
