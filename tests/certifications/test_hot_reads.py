"""The compliance read: one query with warm caches, and every change seen by the next read."""

from __future__ import annotations

import asyncio
from datetime import date

import pytest

from app.certifications import service
from app.compliance import facts as compliance
from app.reads import fetch_sync
from tests import factories
from tests.catalog.helpers import new_course, new_provider
from tests.conftest import TEST_DATABASE_URL


def _queries(db, certification_id: int) -> int:
    """How many queries the compliance read of one certification sends (what the caches did not hold)."""
    plan = compliance.one_plan(certification_id, lambda cert: True)
    sent = 0
    try:
        query, params = next(plan)
        while True:
            sent += 1
            query, params = plan.send(fetch_sync(db, query, params))
    except StopIteration:
        return sent


@pytest.fixture
def approved_completion(admin):
    """A VA-RPRS holder (approved courses only) with a 5-hour completion of a course approved for VA-RPRS."""
    course = new_course(admin, new_provider(admin)["id"], hours=5, available_from="2026-01-01")
    approval = admin.post(f"/v1/courses/{course['id']}/approvals", json={"credential_code": "VA-RPRS"})
    assert approval.status_code == 201, approval.text
    cert = factories.certification(admin, credential_code="VA-RPRS", issued_on="2026-01-15")
    done = admin.post(
        "/v1/completions",
        json={"person_id": cert["person"]["id"], "course_id": course["id"], "completed_on": "2026-03-01"},
    )
    assert done.status_code == 201, done.text
    return cert, course, approval.json()


def test_a_warm_compliance_read_is_one_query(db, approved_completion):
    cert, _, _ = approved_completion
    _queries(db, cert["id"])  # fills the caches: rule versions, the course's topics and approvals
    assert _queries(db, cert["id"]) == 1


def test_a_withdrawn_approval_is_seen_by_the_next_read(admin, db, approved_completion):
    cert, course, approval = approved_completion
    url = f"/v1/certifications/{cert['id']}/compliance?as_of=2026-06-01"
    assert admin.get(url).json()["earned_hours"] == 5
    withdrawn = admin.post(
        f"/v1/courses/{course['id']}/approvals/{approval['id']}/withdraw",
        json={"withdrawn_on": "2026-02-01", "reason": "Replaced by a newer course"},
    )
    assert withdrawn.status_code == 200, withdrawn.text
    body = admin.get(url).json()
    assert body["earned_hours"] == 0
    assert "not approved for VA-RPRS on 2026-03-01" in {o["reason"] for o in body["completions"]}
    assert _queries(db, cert["id"]) == 1  # the course's new facts are cached again


def test_new_topics_of_a_course_mark_its_completers_for_the_sweep(admin, db, approved_completion):
    from app.certifications.models import Certification

    cert, course, _ = approved_completion
    db.get(Certification, cert["id"]).dirty = False
    db.flush()
    changed = admin.post(
        f"/v1/providers/{course['provider_id']}/courses",
        json={
            "external_id": course["external_id"],
            "title": course["title"],
            "hours": 5,
            "modality": course["modality"],
            "topics": ["ethics-and-boundaries"],
        },
    )
    assert changed.status_code in (200, 201), changed.text
    db.expire_all()
    assert db.get(Certification, cert["id"]).dirty is True


def test_a_new_rule_version_is_seen_by_the_next_read(admin, approved_completion):
    cert, _, _ = approved_completion
    url = f"/v1/certifications/{cert['id']}/compliance?as_of=2026-06-01"
    before = admin.get(url).json()
    rules = admin.get("/v1/credentials/VA-RPRS").json()["current"]["rules"]
    requirements = {**rules["requirements"], "total_hours": 4}
    published = admin.put(
        "/v1/credentials/VA-RPRS", json={**rules, "effective_from": "2025-01-01", "requirements": requirements}
    )
    assert published.status_code in (200, 201), published.text
    after = admin.get(url).json()
    assert (before["required_hours"], after["required_hours"]) == (8, 4)
    assert after["rule_version"] == before["rule_version"] + 1


def test_the_read_refuses_what_the_caller_may_not_see_like_what_does_not_exist(client, tokens, approved_completion):
    cert, _, _ = approved_completion
    for token in (tokens.board("NC"), tokens.peer(cert["person"]["id"] + 1)):
        response = client.as_(token).get(f"/v1/certifications/{cert['id']}/compliance")
        assert response.status_code == 404
        assert response.json()["detail"] == f"Certification {cert['id']} was not found."
    for token in (tokens.board("VA"), tokens.peer(cert["person"]["id"])):
        assert client.as_(token).get(f"/v1/certifications/{cert['id']}/compliance").status_code == 200


@pytest.mark.parametrize("role", ["admin", "board", "peer", "provider"])
def test_may_see_agrees_with_the_listing_scope(admin, db, role, approved_completion):
    """The compliance read checks scope on the row it read; lists use SQL. Both say the same."""
    from sqlmodel import select

    from app.auth.principal import Principal
    from app.certifications.models import Certification

    cert, _, _ = approved_completion
    other = factories.certification(admin, credential_code="NC-CPSS")
    scope = {
        "admin": {},
        "board": {"states": frozenset({"VA"})},
        "peer": {"person_id": cert["person"]["id"]},
        "provider": {"provider_id": 1},
    }[role]
    principal = Principal(subject="t", role=role, **scope)
    query = select(Certification.id).where(Certification.id.in_([cert["id"], other["id"]]))  # type: ignore[attr-defined]
    clause = service.visible_to(principal)
    listed = set(db.exec(query.where(clause) if clause is not None else query))
    for row in (db.get(Certification, cert["id"]), db.get(Certification, other["id"])):
        assert service.may_see(principal, state=row.state, person_id=row.person_id) == (row.id in listed)


@pytest.mark.skipif(not TEST_DATABASE_URL, reason="the async pool of hot reads exists on PostgreSQL only")
def test_the_async_pool_answers_exactly_like_a_session(settings, tmp_path):
    """On PostgreSQL a running app reads compliance through its async pool; the answer is the session's."""
    import httpx

    from app.auth.tokens import mint_dev_token
    from app.main import create_app
    from app.reads import PoolReads, SessionReads
    from tests.support.databases import throwaway_database

    async def scenario(app) -> tuple[list[dict], list[dict]]:
        transport = httpx.ASGITransport(app=app)
        headers = {"Authorization": f"Bearer {mint_dev_token(app.state.settings, role='admin')}"}
        async with (
            app.router.lifespan_context(app),
            httpx.AsyncClient(transport=transport, base_url="http://test", headers=headers) as client,
        ):
            assert isinstance(app.state.reads, PoolReads)
            ids = []
            for n, code in enumerate(["NC-CPSS", "PA-CPS", "TX-PS"]):
                person = (
                    await client.post(
                        "/v1/people",
                        json={"given_name": "Pat", "family_name": f"Lee{n}", "email": f"pat{n}@example.org"},
                    )
                ).json()
                cert = (
                    await client.post(
                        "/v1/certifications",
                        json={
                            "person_id": person["id"],
                            "credential_code": code,
                            "number": f"N-{n}",
                            "issued_on": "2024-05-02",
                        },
                    )
                ).json()
                await client.post(
                    "/v1/completions",
                    json={
                        "person_id": person["id"],
                        "title": "Outside CE",
                        "hours": 3,
                        "modality": "live_virtual",
                        "completed_on": "2025-01-10",
                    },
                )
                ids.append(cert["id"])
            urls = [f"/v1/certifications/{i}/compliance?as_of=2026-01-01" for i in [*ids, 999_999]]
            pooled = [(await client.get(url)) for url in urls]
            app.state.reads = SessionReads(app.state)
            sessions = [(await client.get(url)) for url in urls]
        return ([(r.status_code, r.json()) for r in pooled], [(r.status_code, r.json()) for r in sessions])

    with throwaway_database(TEST_DATABASE_URL, tmp_path) as url:
        live = settings.model_copy(
            update={"database_url": url, "migrate_on_start": True, "load_content_on_start": True, "data_dir": tmp_path}
        )
        pooled, sessions = asyncio.run(scenario(create_app(live)))
    assert [status for status, _ in pooled] == [200, 200, 200, 404]
    strip = [
        (status, {k: v for k, v in body.items() if k not in ("instance", "request_id")}) for status, body in pooled
    ]
    assert strip == [
        (status, {k: v for k, v in body.items() if k not in ("instance", "request_id")}) for status, body in sessions
    ]
    assert date.fromisoformat(pooled[0][1]["as_of"]) == date(2026, 1, 1)


def test_rule_documents_are_read_again_only_when_a_version_is_published(admin, db, monkeypatch):
    import app.reads
    from app.rules import service as rules_service

    sent: list[str] = []
    real = app.reads.fetch_sync

    def counting(session, query, params):
        sent.append(str(query.statement(session.get_bind().dialect.name)))
        return real(session, query, params)

    monkeypatch.setattr(app.reads, "fetch_sync", counting)
    codes = ["NC-CPSS", "TX-PS"]
    first = rules_service.engine_versions_of(db, codes)
    sent.clear()
    assert rules_service.engine_versions_of(db, codes) == first
    assert len(sent) == 1  # the keys alone: both credentials' documents are cached
    rules = admin.get("/v1/credentials/TX-PS").json()["current"]["rules"]
    renamed = admin.put("/v1/credentials/TX-PS", json={**rules, "name": "Peer Specialist (renamed)"})
    assert renamed.status_code in (200, 201), renamed.text
    sent.clear()
    after = rules_service.engine_versions_of(db, codes)
    assert len(sent) == 2 and "TX-PS" in str(after["TX-PS"][-1].rules.code)
    assert after["NC-CPSS"] is first["NC-CPSS"] and len(after["TX-PS"]) == len(first["TX-PS"]) + 1
    assert after["TX-PS"][-1].rules.name == "Peer Specialist (renamed)"
