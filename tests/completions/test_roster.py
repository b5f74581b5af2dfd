"""Provider rosters: per-row outcomes, all rows or none, re-posting creates nothing new."""

import json

from sqlmodel import func, select

from app.completions.models import Completion
from tests import factories
from tests.catalog.helpers import new_course, new_provider, problem


def _roster(client, text, content_type="text/csv", dry_run=False):
    return client.post("/v1/completions/import", params={"dry_run": str(dry_run).lower()},
                       content=text.encode() if isinstance(text, str) else text,
                       headers={"Content-Type": content_type})


def _count(db):
    return db.exec(select(func.count()).select_from(Completion)).one()


def test_roster_by_person_id_and_certificate_number(admin, provider_client, course, peer, db):
    other = factories.certification(admin, credential_code="PA-CPS")
    csv = ("person_id,credential_code,certificate_number,course_id,completed_on,hours\r\n"
           f"{peer['person']['id']},,,{course['id']},2025-06-10,\r\n"
           f",PA-CPS,{other['number']},{course['id']},2025-06-10,1.5\r\n")
    dry = _roster(provider_client, csv, dry_run=True).json()
    assert (dry["created"], dry["duplicates"], dry["errors"]) == (2, 0, 0) and _count(db) == 0
    report = _roster(provider_client, csv).json()
    assert report["created"] == 2 and _count(db) == 2
    again = _roster(provider_client, csv).json()
    assert (again["created"], again["duplicates"]) == (0, 2) and _count(db) == 2
    pa = admin.get(f"/v1/certifications/{other['id']}/compliance", params={"as_of": "2025-07-01"}).json()
    assert pa["earned_hours"] == 1.5


def test_bad_rows_are_each_explained_and_nothing_is_written(admin, provider, provider_client, course, peer, db):
    foreign = new_course(admin, new_provider(admin)["id"])
    pid = peer["person"]["id"]
    csv = ("person_id,credential_code,certificate_number,course_id,completed_on\r\n"
           f"{pid},,,{course['id']},2025-06-10\r\n"
           f",NC-CPSS,NO-SUCH,{course['id']},2025-06-10\r\n"
           f"{pid},,,{foreign['id']},2025-06-10\r\n"
           f"{pid},,,{course['id']},not-a-date\r\n"
           f"999999,,,{course['id']},2025-06-10\r\n")
    body = problem(_roster(provider_client, csv), 422)
    reasons = {r["row"]: " ".join(r["errors"]) for r in body["report"]["items"]}
    assert "unknown certificate number NO-SUCH" in reasons[2]
    assert "not this provider's" in reasons[3]
    assert "completed_on" in reasons[4]
    assert "unknown person 999999" in reasons[5]
    assert 1 not in reasons and body["report"]["errors"] == 4
    assert _count(db) == 0


def test_duplicates_inside_one_roster_are_reported_once_created(provider_client, course, peer):
    line = f"{peer['person']['id']},{course['id']},2025-06-10\r\n"
    text = "person_id,course_id,completed_on\r\n" + line + line
    dry = _roster(provider_client, text, dry_run=True).json()
    assert [r["outcome"] for r in dry["items"]] == ["created", "duplicate"]
    report = _roster(provider_client, text).json()
    assert (report["created"], report["duplicates"]) == (1, 1)
    assert [(r["row"], r["outcome"]) for r in report["items"]] == [(2, "duplicate")]


def test_json_roster(provider_client, course, peer):
    rows = [{"person_id": peer["person"]["id"], "course_id": course["id"], "completed_on": "2025-06-11"}]
    report = _roster(provider_client, json.dumps(rows), content_type="application/json")
    assert report.status_code == 200 and report.json()["created"] == 1


def test_bad_columns_and_media_types(provider_client):
    problem(_roster(provider_client, "who,what\r\n1,2\r\n"), 422)
    problem(_roster(provider_client, "<xml/>", content_type="application/xml"), 415)
    problem(_roster(provider_client, "{}", content_type="application/json"), 422)


def test_peers_cannot_post_rosters(client, tokens, peer, course):
    csv = f"person_id,course_id,completed_on\r\n{peer['person']['id']},{course['id']},2025-06-10\r\n"
    problem(_roster(client.as_(tokens.peer(peer["person"]["id"])), csv), 403)


def test_large_roster_is_written_set_based(admin, provider, provider_client, db):
    """5,000 peers x 4 sessions = 20,000 rows in one request (the 100,000-row figure is in bench/)."""
    from datetime import UTC, datetime

    from sqlalchemy import insert

    from app.people.models import Person

    now = datetime.now(UTC)
    db.execute(insert(Person), [{"given_name": "P", "family_name": f"R{i}", "email": f"bulk{i}@example.org",
                                 "created_at": now, "updated_at": now} for i in range(5000)])
    db.commit()
    ids = db.exec(select(Person.id).where(Person.email.like("bulk%@example.org"))).all()
    courses = [new_course(provider_client, provider["id"], available_from="2024-01-01")["id"] for _ in range(4)]
    lines = ["person_id,course_id,completed_on"] + [f"{p},{c},2025-06-10" for p in ids for c in courses]
    report = _roster(provider_client, "\r\n".join(lines) + "\r\n")
    assert report.status_code == 200, report.text[:500]
    assert report.json()["created"] == 20_000 and _count(db) == 20_000
