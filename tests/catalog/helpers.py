"""Arranging catalog data through the public API, as an admin, a provider or a board would."""

from __future__ import annotations

import itertools
from contextlib import contextmanager

from sqlalchemy import event

PROBLEM = "application/problem+json"
_seq = itertools.count(1)


def problem(response, status: int) -> dict:
    """Assert an RFC 9457 problem with this status and return its body."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM
    body = response.json()
    assert body["status"] == status and body["title"]
    assert body["type"].startswith("https://peer-ce.org/problems/")
    return body


def new_provider(admin, **overrides) -> dict:
    body = {"name": f"Test Training Center {next(_seq)}", "kind": "training_center", **overrides}
    response = admin.post("/v1/providers", json=body)
    assert response.status_code == 201, response.text
    return response.json()


def course_body(**overrides) -> dict:
    n = next(_seq)
    return {
        "external_id": f"C-{n}",
        "title": f"Booster course {n}",
        "hours": 2,
        "modality": "live_virtual",
        "topics": ["trauma-informed-practice"],
        **overrides,
    }


def new_course(client, provider_id: int, **overrides) -> dict:
    response = client.post(f"/v1/providers/{provider_id}/courses", json=course_body(**overrides))
    assert response.status_code == 201, response.text
    return response.json()


def audit_entries(admin, entity: str, entity_id) -> list[dict]:
    response = admin.get("/v1/audit", params={"entity": entity, "id": str(entity_id)})
    assert response.status_code == 200, response.text
    return response.json()["items"]


@contextmanager
def counting_selects(engine):
    """Count the SELECT statements sent to the database inside the block."""
    statements: list[str] = []

    def before(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith("SELECT"):
            statements.append(statement)

    event.listen(engine, "before_cursor_execute", before)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", before)
