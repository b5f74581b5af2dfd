"""Concurrent use is normal use: many clients writing at once to a live server never see a 5xx.

A real server (`python -m app serve`, its scheduler delivering the outbox every second) on a
throwaway database of the suite's kind (SQLite file or PostgreSQL), loaded from 127.0.0.1 with a
bounded number of requests: completions reported on the same people at once, people registered and
certified, peer self-reports, overlapping rosters, and duplicates of the same Idempotency-Key sent
side by side. Every acknowledged write must be there exactly once, every retry must replay, and no
key may be left in progress.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from datetime import date, timedelta

import httpx
import pytest
from sqlalchemy import create_engine, func, select

from app.completions.models import Completion, IdempotencyRecord
from app.people.models import Person
from tests.conftest import TEST_DATABASE_URL
from tests.support.live import LiveServer, live_server

PEOPLE = 20


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> LiveServer:
    # A pool smaller than the default: 155 writes queue for 16 turns at the database (the gate), and the
    # server stays well inside PostgreSQL's connection limit beside the rest of the suite.
    env = {
        "PEER_CE_DELIVERY_INTERVAL_SECONDS": "1",
        "PEER_CE_DB_POOL_SIZE": "10",
        "PEER_CE_DB_MAX_OVERFLOW": "10",
        "PEER_CE_DB_READ_POOL_SIZE": "4",
    }
    with live_server(TEST_DATABASE_URL, tmp_path_factory.mktemp("live"), env=env) as live:
        yield live


def _setup(server: LiveServer) -> dict:
    admin = {"Authorization": f"Bearer {server.token('admin')}"}
    with httpx.Client(base_url=server.url, headers=admin, timeout=30) as c:
        provider = c.post("/v1/providers", json={"name": "Concurrency ATTC"}).json()
        course = c.post(
            f"/v1/providers/{provider['id']}/courses",
            json={
                "external_id": "conc-1",
                "title": "Recovery-oriented practice booster",
                "hours": 2,
                "modality": "live_virtual",
                "topics": ["recovery-oriented-practice"],
                "available_from": "2024-01-01",
            },
        ).json()
        people, numbers = [], []
        for i in range(PEOPLE):
            person = c.post(
                "/v1/people",
                json={"given_name": "Cora", "family_name": f"Current{i}", "email": f"current{i}@example.org"},
            ).json()
            number = f"NC-CONC-{i:03d}"
            assert (
                c.post(
                    "/v1/certifications",
                    json={
                        "person_id": person["id"],
                        "credential_code": "NC-CPSS",
                        "number": number,
                        "issued_on": "2025-01-15",
                    },
                ).status_code
                == 201
            )
            people.append(person["id"])
            numbers.append(number)
        webhook = c.post("/v1/webhooks", json={"state": "NC", "url": "https://93.184.216.34/hooks"})
        assert webhook.status_code == 201, webhook.text
    return {"provider": provider["id"], "course": course["id"], "people": people, "numbers": numbers}


def _requests(server: LiveServer, world: dict) -> list[tuple[str, str, dict, dict]]:
    """(key, url, json body, headers) of every write; keys are unique per distinct request."""
    admin = {"Authorization": f"Bearer {server.token('admin')}"}
    provider = {"Authorization": f"Bearer {server.token('provider', provider_id=world['provider'])}"}
    course, people = world["course"], world["people"]
    day = date(2025, 3, 1)
    out: list[tuple[str, str, dict, dict]] = []
    for i in range(40):  # two completions per person, reported at once by admin and provider
        completed = (day + timedelta(days=i)).isoformat()
        who = admin if i % 2 else provider
        body = {"person_id": people[i % PEOPLE], "course_id": course, "completed_on": completed}
        if who is provider:
            body = {
                "credential_code": "NC-CPSS",
                "certificate_number": world["numbers"][i % PEOPLE],
                "family_name": f"Current{i % PEOPLE}",
                "course_id": course,
                "completed_on": completed,
            }
        out.append((f"completion-{i}", "/v1/completions", body, who))
    for i in range(20):  # new people
        out.append(
            (
                f"person-{i}",
                "/v1/people",
                {"given_name": "Nia", "family_name": f"New{i}", "email": f"new{i}@example.org"},
                admin,
            )
        )
    for i in range(20):  # peers' own reports of CE taken elsewhere
        peer = {"Authorization": f"Bearer {server.token('peer', person_id=people[i])}"}
        out.append(
            (
                f"self-{i}",
                "/v1/completions",
                {
                    "title": "Conference session on peer ethics",
                    "provider_name": "State conference",
                    "hours": 1.5,
                    "modality": "in_person",
                    "completed_on": "2025-09-01",
                },
                peer,
            )
        )
    for i in range(10):  # overlapping rosters: rows of the same people, course and dates
        rows = [
            {
                "credential_code": "NC-CPSS",
                "certificate_number": world["numbers"][(i + k) % PEOPLE],
                "family_name": f"Current{(i + k) % PEOPLE}",
                "course_id": course,
                "completed_on": (day + timedelta(days=100 + (i + k) % 5)).isoformat(),
            }
            for k in range(4)
        ]
        out.append((f"roster-{i}", "/v1/completions/import", rows, provider))
    return out


async def _send(client: httpx.AsyncClient, key: str, url: str, body, headers: dict) -> httpx.Response:
    return await client.post(url, json=body, headers={**headers, "Idempotency-Key": key})


def test_mixed_concurrent_writes_never_fail_and_land_exactly_once(server: LiveServer):
    world = _setup(server)
    requests = _requests(server, world)
    duplicates = requests[:15] + requests[40:45] + requests[80:85]  # the same key and body, sent at once

    async def load() -> tuple[list[httpx.Response], list[httpx.Response], float]:
        async with httpx.AsyncClient(base_url=server.url, timeout=120) as client:
            started = time.monotonic()
            answers = await asyncio.gather(*(_send(client, *r) for r in requests + duplicates))
            elapsed = time.monotonic() - started
            failed = [
                (r[0], a.status_code, a.text[:300])
                for r, a in zip(requests + duplicates, answers, strict=True)
                if a.status_code not in (200, 201)
            ]
            assert failed == [], failed
            # after a new person is registered, certify them, all at once too
            certify = [
                (
                    f"certify-{i}",
                    "/v1/certifications",
                    {
                        "person_id": a.json()["id"],
                        "credential_code": "NC-CPSS",
                        "number": f"NC-NEW-{i:03d}",
                        "issued_on": "2025-06-01",
                    },
                    {"Authorization": f"Bearer {server.token('admin')}"},
                )
                for i, a in enumerate(answers[40:60])
            ]
            answers += await asyncio.gather(*(_send(client, *r) for r in certify))
            requests.extend(certify)
            retries = await asyncio.gather(*(_send(client, *r) for r in requests))
            return answers, retries, elapsed

    answers, retries, elapsed = asyncio.run(load())
    statuses = Counter(a.status_code for a in answers)
    print(f"\n{len(answers)} concurrent writes in {elapsed:.2f} s: {dict(statuses)}")
    assert not [a for a in answers if a.status_code >= 500], [a.text for a in answers if a.status_code >= 500][:3]
    assert set(statuses) <= {200, 201}, {a.status_code: a.text for a in answers if a.status_code not in (200, 201)}

    first = answers[: len(requests) - 20]
    # the duplicates got the very same answer as the request they repeat
    for original, duplicate in zip(
        requests[:15] + requests[40:45] + requests[80:85],
        answers[len(requests) - 20 : len(requests) - 20 + len(duplicates)],
        strict=True,
    ):
        twin = first[requests.index(original)]
        assert duplicate.json() == twin.json(), original[0]
    # every retry replays, and says so
    for request, retry, answer in zip(requests, retries, first + answers[-20:], strict=True):
        assert retry.status_code == answer.status_code and retry.json() == answer.json(), request[0]
        assert retry.headers.get("idempotent-replayed") == "true", request[0]

    engine = create_engine(server.settings.resolved_database_url)
    try:
        with engine.connect() as conn:
            completions = conn.execute(
                select(
                    Completion.id,
                    Completion.person_id,
                    Completion.course_id,
                    Completion.completed_on,
                    Completion.source,
                )
            ).all()
            emails = [e for (e,) in conn.execute(select(Person.email).where(Person.email.like("new%")))]
            left = conn.execute(
                select(func.count()).select_from(IdempotencyRecord).where(IdempotencyRecord.state != "done")
            ).scalar()
            keys = conn.execute(select(func.count()).select_from(IdempotencyRecord)).scalar()
    finally:
        engine.dispose()
    ids = Counter(c.id for c in completions)
    reported = [a.json()["id"] for a in first[:40]] + [a.json()["id"] for a in first[60:80]]
    assert all(ids[i] == 1 for i in reported)
    catalog = Counter((c.person_id, c.course_id, c.completed_on) for c in completions if c.course_id is not None)
    assert max(catalog.values()) == 1  # no completion of a course twice on one day
    roster_rows = {
        (world["people"][(i + k) % PEOPLE], date(2025, 3, 1) + timedelta(days=100 + (i + k) % 5))
        for i in range(10)
        for k in range(4)
    }
    rosters = [a.json() for a in first[80:90]]
    assert sum(r["created"] for r in rosters) == len(roster_rows)  # overlapping rosters: each row once
    assert sum(r["created"] + r["duplicates"] for r in rosters) == 40
    assert sorted(emails) == sorted(f"new{i}@example.org" for i in range(20))
    assert left == 0 and keys == len(requests)
    errors = [line for line in server.log_lines() if '"level": "error"' in line]
    assert errors == []
