"""No input reaches a 500: every bad input to a write endpoint is a 4xx problem+json naming what is wrong,
and nothing is written (the row count of every table is unchanged).

The corpus (tests/security/corpus.py) holds the cases of issue 16's "500s" and "Loose input" lists and more:
JSON values of the wrong type, JSON nested past the limit or not JSON at all, NUL characters, dates outside
1950-01-01..2100-12-31, CSV files that are not UTF-8, have oversized cells, duplicate headers, lines with
more or fewer cells than the header, and cells that only look like numbers.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Connection, Engine
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session

from app.config import Settings
from app.main import create_app
from tests import factories
from tests.catalog.helpers import new_course, new_provider
from tests.conftest import rolled_back
from tests.security.corpus import CORPUS, assert_problem, row_counts, said
from tests.support.client import ApiClient


@pytest.fixture(scope="module")
def module_connection(engine: Engine) -> Iterator[Connection]:
    """The module's transaction: the world below is built in it once, and rolled back when the module ends."""
    with rolled_back(engine) as conn:
        yield conn


@pytest.fixture
def connection(module_connection: Connection, world: dict) -> Iterator[Connection]:
    """Each test's transaction (the suite's `connection`, which the app, `db` and the clients use): a savepoint
    of the module's, rolled back after the test, so every case starts from the world as built."""
    savepoint = module_connection.begin_nested()
    try:
        yield module_connection
    finally:
        if savepoint.is_active:
            savepoint.rollback()


@pytest.fixture(scope="module")
def world(module_connection: Connection, settings: Settings, engine: Engine, tokens) -> Iterator[dict]:
    """A person certified in NC, a provider with a course, a board approval of it and a completion."""
    app = create_app(settings, engine=engine)
    app.state.session_factory = sessionmaker(
        bind=module_connection, class_=Session, expire_on_commit=False, join_transaction_mode="create_savepoint"
    )
    admin = ApiClient(app, tokens.admin())
    try:
        yield _build(admin)
    finally:
        admin.close()


def _build(admin: ApiClient) -> dict:
    person = factories.person(admin)
    cert = factories.certification(admin, person_id=person["id"], credential_code="NC-CPSS", issued_on="2025-03-15")
    provider = new_provider(admin)
    course = new_course(admin, provider["id"], available_from="2024-01-01")
    approval = admin.post(f"/v1/courses/{course['id']}/approvals", json={"credential_code": "NC-CPSS"})
    assert approval.status_code == 201, approval.text
    completion = admin.post(
        "/v1/completions", json={"person_id": person["id"], "course_id": course["id"], "completed_on": "2025-06-01"}
    )
    assert completion.status_code == 201, completion.text
    rules = admin.get("/v1/credentials/NC-CPSS").json()["current"]["rules"]
    session = admin.post(
        f"/v1/courses/{course['id']}/sessions",
        json={
            "starts_at": "2026-02-10T13:00:00",
            "ends_at": "2026-02-10T15:00:00",
            "timezone": "America/New_York",
            "modality": "live_virtual",
        },
    )
    assert session.status_code == 201, session.text
    return {
        "person": person["id"],
        "cert": cert["id"],
        "provider": provider["id"],
        "course": course["id"],
        "approval": approval.json()["id"],
        "completion": completion.json()["id"],
        "rules": rules,
        "session": session.json()["id"],
        "topic": "trauma-informed-practice",
    }


@pytest.mark.parametrize("case", CORPUS, ids=[c.id for c in CORPUS])
def test_bad_input_is_refused_with_a_problem_and_writes_nothing(case, admin, world, db):
    before = row_counts(db)
    response = case.request(admin, world)
    body = assert_problem(response, case.status)
    text = said(body).lower()
    for fragment in case.expect:
        assert fragment.lower() in text, f"{fragment!r} not in the problem: {body}"
    if case.line is not None:
        lines = [e.get("line") for e in body.get("errors") or ()]
        assert case.line in lines, f"no error names line {case.line}: {body}"
    assert row_counts(db) == before


def test_the_corpus_covers_every_write_endpoint_with_a_body(app):
    """Each operation that takes a request body has at least one case (a new endpoint needs its own)."""
    spec = app.openapi()
    with_body = {
        (method.upper(), path)
        for path, operations in spec["paths"].items()
        for method, operation in operations.items()
        if "requestBody" in operation
    }
    covered = {(case.method, case.path.split("?")[0].replace("{person}%00", "{person}")) for case in CORPUS}
    templates = {
        "{person}": "{person_id}",
        "{cert}": "{certification_id}",
        "{provider}": "{provider_id}",
        "{course}": "{course_id}",
        "{approval}": "{approval_id}",
        "{completion}": "{completion_id}",
        "{session}": "{session_id}",
        "{topic}": "{topic_id}",
        "NC-CPSS": "{code}",
    }
    normalised = set()
    for method, path in covered:
        for ours, theirs in templates.items():
            path = path.replace(ours, theirs)
        normalised.add((method, path))
    missing = sorted(with_body - normalised - {("POST", "/v1/certificates/verify")})
    assert not missing, f"no bad-input case for {missing}"


def test_a_verification_request_with_a_wrong_type_or_a_nul_is_refused(client):
    """The public certificate check takes a body too: a number for the certificate, a NUL in it."""
    assert "body.certificate" in said(
        assert_problem(client.post("/v1/certificates/verify", json={"certificate": 12345678901}), 422)
    )
    assert "NUL" in said(
        assert_problem(client.post("/v1/certificates/verify", json={"certificate": "eyJ\u0000" * 4}), 422)
    )


@pytest.mark.parametrize(
    ("path", "parameter"),
    [
        ("/v1/certifications/{cert}/compliance?as_of=9999-12-31", "query.as_of"),
        ("/v1/certifications?due_before=9998-06-01", "query.due_before"),
        ("/v1/certifications/export?due_before=1949-12-31", "query.due_before"),
        ("/v1/flags?since=2101-01-01", "query.since"),
        ("/v1/courses?as_of=9999-12-31", "query.as_of"),
        ("/v1/certifications/{cert}/compliance?as_of=2025-6-1", "query.as_of"),
    ],
)
def test_dates_in_query_strings_are_bounded_too(admin, world, path, parameter):
    body = assert_problem(admin.get(path.format(**world)), 422)
    assert parameter in said(body)


@pytest.mark.parametrize(
    "path",
    [
        "/v1/certifications?state=N%00",
        "/v1/credentials/NC%00",
        "/v1/courses?q=a%00b",
        "/v1/audit?entity=certification%00",
    ],
)
def test_a_nul_in_a_read_url_is_refused_on_both_databases(admin, path):
    body = assert_problem(admin.get(path), 422)
    assert "NUL characters are not allowed" in body["detail"]


def test_the_limits_themselves_are_accepted(admin, world, db):
    """32 levels of JSON, a 10,000-character cell, 2100-12-31 and 1950-01-01, a BOM: all within the limits."""
    deep = {"given_name": "Jordan", "family_name": "Deep", "email": "deep@example.org"}
    text = '{"given_name": ' + "[" * 31 + '"x"' + "]" * 31 + "}"
    assert_problem(admin.post("/v1/people", content=text, headers={"Content-Type": "application/json"}), 422)
    assert admin.post("/v1/people", json=deep).status_code == 201
    # an issue date is never after the board's today: the last day of the range is for reading, as_of
    cert = admin.post(
        "/v1/certifications",
        json={
            "person_id": world["person"],
            "credential_code": "PA-CPS",
            "number": "PA-LIMIT-1",
            "issued_on": "2025-01-01",
        },
    )
    assert cert.status_code == 201, cert.text
    compliance = admin.get(f"/v1/certifications/{cert.json()['id']}/compliance", params={"as_of": "2100-12-31"})
    assert compliance.status_code == 200, compliance.text
    early = admin.post(
        "/v1/certifications",
        json={
            "person_id": world["person"],
            "credential_code": "VA-RPRS",
            "number": "VA-LIMIT-1",
            "issued_on": "1950-01-01",
        },
    )
    assert early.status_code == 201, early.text
    csv = (
        "\ufeffexternal_id,title,description,hours,modality,topics\r\n"
        f"LIMIT-1,Long description course,{'d' * 5000},1.25,live_virtual,trauma-informed-practice\r\n"
    )
    upload = admin.post(
        f"/v1/providers/{world['provider']}/courses/import", content=csv.encode(), headers={"Content-Type": "text/csv"}
    )
    assert upload.status_code == 200, upload.text[:500]
    assert upload.json()["created"] == 1


def test_csv_problems_name_the_line_of_the_file_not_the_row(admin, world, db):
    """A quoted cell may span lines: the line reported is the file's, where an editor would show it."""
    before = row_counts(db)
    text = (
        "given_name,family_name,email,credential_code,number,issued_on\r\n"
        '"Jordan\nJo",Bad,multi@example.org,NC-CPSS,NC-LINE-1,2025-01-01\r\n'
        "Sam,Bad,sam@example.org,NC-CPSS,NC-LINE-2,2025-01-01\r\n"
        "Ana,Bad,ana@example.org,NC-CPSS,NC-LINE-3,2025-01-01,extra\r\n"
    )
    body = assert_problem(
        admin.post("/v1/certifications/import", content=text.encode(), headers={"Content-Type": "text/csv"}), 422
    )
    assert [e["line"] for e in body["errors"]] == [5] and "line 5" in body["errors"][0]["field"]
    assert row_counts(db) == before
