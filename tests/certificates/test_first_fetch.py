"""Completions accepted without a certificate (rosters, and those from before certificates were stored) get theirs
on first fetch: stored once, by whichever request comes first, even when many fetch at once."""

from __future__ import annotations

import asyncio
from collections import defaultdict

import httpx
import pytest
from sqlalchemy import create_engine, func, select

from app.certificates.models import Certificate
from tests.catalog.helpers import audit_entries
from tests.conftest import TEST_DATABASE_URL
from tests.support.live import LiveServer, live_server

PEOPLE = 12


def test_a_roster_completion_gets_its_certificate_on_first_fetch_and_keeps_it(
    admin, client, tokens, provider_client, course, peer, db
):
    roster = (f"person_id,course_id,completed_on\r\n{peer['person']['id']},{course['id']},2025-06-10\r\n").encode()
    imported = admin.post("/v1/completions/import", content=roster, headers={"content-type": "text/csv"})
    assert imported.status_code == 200 and imported.json()["created"] == 1, imported.text
    [completion] = admin.get("/v1/completions", params={"person_id": peer["person"]["id"]}).json()["items"]
    assert db.execute(select(func.count()).select_from(Certificate)).scalar_one() == 0  # rosters sign nothing up front

    me = client.as_(tokens.peer(peer["person"]["id"]))
    first = me.get(f"/v1/completions/{completion['id']}/certificate")
    assert first.status_code == 200, first.text
    later = [
        client.as_(t).get(f"/v1/completions/{completion['id']}/certificate").json()
        for t in (tokens.board("NC"), tokens.admin(), tokens.peer(peer["person"]["id"]))
    ]
    assert all(c == first.json() for c in later)
    cert_id = db.execute(select(Certificate.id).where(Certificate.completion_id == completion["id"])).scalar_one()
    [issued] = audit_entries(admin, "certificate", cert_id)
    assert issued["action"] == "issue" and issued["actor"].startswith("peer:")


# --- many fetches at once, against a live server on the suite's database -------------------------------------


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> LiveServer:
    # A small pool (requests take turns at it): the PostgreSQL server may be shared with other suites.
    small = {
        "PEER_CE_DB_POOL_SIZE": "6",
        "PEER_CE_DB_MAX_OVERFLOW": "2",
        "PEER_CE_DB_RESERVED": "2",
        "PEER_CE_DB_READ_POOL_MIN": "1",
        "PEER_CE_DB_READ_POOL_SIZE": "2",
    }
    with live_server(TEST_DATABASE_URL, tmp_path_factory.mktemp("live-certs"), env=small) as live:
        yield live


def _roster_world(server: LiveServer) -> dict:
    admin = {"Authorization": f"Bearer {server.token('admin')}"}
    with httpx.Client(base_url=server.url, headers=admin, timeout=30) as c:
        provider = c.post("/v1/providers", json={"name": "First Fetch ATTC"}).json()
        course = c.post(
            f"/v1/providers/{provider['id']}/courses",
            json={
                "external_id": "ff-1",
                "title": "Peer ethics booster",
                "hours": 2,
                "modality": "live_virtual",
                "topics": ["ethics-and-boundaries"],
                "available_from": "2024-01-01",
            },
        ).json()
        rows = ["person_id,course_id,completed_on"]
        for i in range(PEOPLE):
            person = c.post(
                "/v1/people", json={"given_name": "Fern", "family_name": f"Fetch{i}", "email": f"fetch{i}@example.org"}
            ).json()
            assert (
                c.post(
                    "/v1/certifications",
                    json={
                        "person_id": person["id"],
                        "credential_code": "NC-CPSS",
                        "number": f"NC-FF-{i:03d}",
                        "issued_on": "2025-01-15",
                    },
                ).status_code
                == 201
            )
            rows.append(f"{person['id']},{course['id']},2025-06-{i + 1:02d}")
        imported = c.post(
            "/v1/completions/import",
            content=("\r\n".join(rows) + "\r\n").encode(),
            headers={"content-type": "text/csv"},
        )
        assert imported.status_code == 200, imported.text
        completions = c.get("/v1/completions", params={"limit": 500}).json()["items"]
    return {"admin": admin, "completions": [x["id"] for x in completions]}


def test_concurrent_first_fetches_store_one_certificate_and_a_void_meanwhile_revokes_it(server: LiveServer):
    world = _roster_world(server)
    admin, ids = world["admin"], world["completions"]
    voided = set(ids[:3])

    async def run() -> list[tuple[int, httpx.Response]]:
        async with httpx.AsyncClient(base_url=server.url, headers=admin, timeout=60) as c:

            async def fetch(cid: int) -> tuple[int, httpx.Response]:
                return cid, await c.get(f"/v1/completions/{cid}/certificate")

            async def void(cid: int) -> tuple[int, httpx.Response]:
                return -cid, await c.post(f"/v1/completions/{cid}/void", json={"reason": "Concurrent void"})

            jobs = [fetch(cid) for cid in ids for _ in range(4)] + [void(cid) for cid in voided]
            return await asyncio.gather(*jobs)

    answers = asyncio.run(run())
    tokens_by_completion: dict[int, set[str]] = defaultdict(set)
    for cid, response in answers:
        assert response.status_code < 500, (cid, response.status_code, response.text)
        if cid < 0:
            assert response.status_code == 200, response.text
        elif response.status_code == 200:
            tokens_by_completion[cid].add(response.json()["certificate"])
        else:
            assert response.status_code == 409 and cid in voided, (cid, response.text)  # voided before any fetch
    assert all(len(tokens) == 1 for tokens in tokens_by_completion.values()), "one certificate per completion"
    assert set(ids) - voided <= set(tokens_by_completion)

    engine = create_engine(server.settings.resolved_database_url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                select(Certificate.completion_id, Certificate.token, Certificate.revocation_reason)
            ).all()
    finally:
        engine.dispose()
    assert len(rows) == len({r.completion_id for r in rows})
    for completion_id, token, reason in rows:
        assert tokens_by_completion[completion_id] == {token}
        assert (reason == "voided") == (completion_id in voided), "a voided completion's certificate is revoked"
    with httpx.Client(base_url=server.url, headers=admin, timeout=30) as c:
        for cid in ids:  # and afterwards every fetch serves what was stored
            again = c.get(f"/v1/completions/{cid}/certificate")
            if cid in tokens_by_completion:
                assert again.json()["certificate"] in tokens_by_completion[cid]
            else:
                assert again.status_code == 409
