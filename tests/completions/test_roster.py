"""Provider rosters: per-row outcomes, all rows or none, re-posting creates nothing new."""

import json

from sqlmodel import func, select

from app.completions.models import Completion
from tests import factories
from tests.catalog.helpers import new_course, new_provider, problem


def _roster(client, text, content_type="text/csv", dry_run=False):
    return client.post(
        "/v1/completions/import",
        params={"dry_run": str(dry_run).lower()},
        content=text.encode() if isinstance(text, str) else text,
        headers={"Content-Type": content_type},
    )


def _count(db):
    return db.exec(select(func.count()).select_from(Completion)).one()


def test_roster_by_certificate_then_by_person_id_of_a_known_learner(admin, provider_client, course, peer, db):
    holder = factories.person(admin, family_name="Zoë Dubois")
    other = factories.certification(admin, person_id=holder["id"], credential_code="PA-CPS")
    csv = (
        "person_id,credential_code,certificate_number,family_name,course_id,completed_on,hours\r\n"
        f",NC-CPSS,{peer['nc']['number']},{peer['person']['family_name']},{course['id']},2025-06-10,\r\n"
        f",PA-CPS,{other['number']},ZOË  dubois,{course['id']},2025-06-10,1.5\r\n"
    )
    dry = _roster(provider_client, csv, dry_run=True).json()
    assert (dry["created"], dry["duplicates"], dry["errors"]) == (2, 0, 0) and _count(db) == 0
    report = _roster(provider_client, csv).json()
    assert report["created"] == 2 and _count(db) == 2
    again = _roster(provider_client, csv).json()
    assert (again["created"], again["duplicates"]) == (0, 2) and _count(db) == 2
    pa = admin.get(f"/v1/certifications/{other['id']}/compliance", params={"as_of": "2025-07-01"}).json()
    assert pa["earned_hours"] == 1.5
    # learners this provider has reported may be named by person_id from now on
    by_id = f"person_id,course_id,completed_on\r\n{peer['person']['id']},{course['id']},2025-06-12\r\n"
    assert _roster(provider_client, by_id).json()["created"] == 1


def test_a_provider_cannot_tell_an_unknown_learner_from_a_wrong_name(admin, provider_client, course, peer, db):
    stranger = factories.certification(admin, credential_code="PA-CPS")  # never this provider's learner
    header = "person_id,credential_code,certificate_number,family_name,course_id,completed_on\r\n"
    rows = [
        f",NC-CPSS,{peer['nc']['number']},Somebody Else,{course['id']},2025-06-10\r\n",
        f",NC-CPSS,NC-NO-SUCH,{peer['person']['family_name']},{course['id']},2025-06-10\r\n",
        f"{stranger['person']['id']},,,,{course['id']},2025-06-10\r\n",
        f"999999,,,,{course['id']},2025-06-10\r\n",
    ]
    reasons = []
    for row in rows:
        body = problem(_roster(provider_client, header + row), 422)
        reasons.append(body["report"]["items"][0]["errors"])
    assert all(r == reasons[0] for r in reasons) and "No learner matches" in reasons[0][0]
    missing_name = f",NC-CPSS,{peer['nc']['number']},,{course['id']},2025-06-10\r\n"
    assert (
        "family_name is required"
        in problem(_roster(provider_client, header + missing_name), 422)["report"]["items"][0]["errors"][0]
    )
    assert _count(db) == 0


def test_bad_rows_are_each_explained_and_nothing_is_written(admin, provider, provider_client, course, peer, db):
    foreign = new_course(admin, new_provider(admin)["id"])
    name, number = peer["person"]["family_name"], peer["nc"]["number"]
    csv = (
        "person_id,credential_code,certificate_number,family_name,course_id,completed_on\r\n"
        f",NC-CPSS,{number},{name},{course['id']},2025-06-10\r\n"
        f",NC-CPSS,NO-SUCH,{name},{course['id']},2025-06-10\r\n"
        f",NC-CPSS,{number},{name},{foreign['id']},2025-06-10\r\n"
        f",NC-CPSS,{number},{name},{course['id']},not-a-date\r\n"
        f"999999,,,,{course['id']},2025-06-10\r\n"
    )
    body = problem(_roster(provider_client, csv), 422)
    reasons = {r["row"]: " ".join(r["errors"]) for r in body["report"]["items"]}
    assert "No learner matches" in reasons[2]
    assert "not this provider's" in reasons[3]
    assert "completed_on" in reasons[4]
    assert "No learner matches" in reasons[5]
    assert 1 not in reasons and body["report"]["errors"] == 4
    assert _count(db) == 0


def test_duplicates_inside_one_roster_are_reported_once_created(provider_client, course, peer):
    line = f"NC-CPSS,{peer['nc']['number']},{peer['person']['family_name']},{course['id']},2025-06-10\r\n"
    text = "credential_code,certificate_number,family_name,course_id,completed_on\r\n" + line + line
    dry = _roster(provider_client, text, dry_run=True).json()
    assert [r["outcome"] for r in dry["items"]] == ["created", "duplicate"]
    report = _roster(provider_client, text).json()
    assert (report["created"], report["duplicates"]) == (1, 1)
    assert [(r["row"], r["outcome"]) for r in report["items"]] == [(1, "created"), (2, "duplicate")]
    created, duplicate = report["items"]
    assert created["completion_id"] is not None and duplicate["completion_id"] == created["completion_id"]


def test_json_roster(provider_client, course, peer):
    rows = [{**factories.learner(peer["person"], peer["nc"]), "course_id": course["id"], "completed_on": "2025-06-11"}]
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
    """5,000 certified peers x 4 sessions = 20,000 rows in one request (the 100,000-row figure is in bench/)."""
    from datetime import UTC, date, datetime

    from sqlalchemy import insert

    from app.certifications.models import Certification
    from app.people.models import Person

    now = datetime.now(UTC)
    db.execute(
        insert(Person),
        [
            {
                "given_name": "P",
                "family_name": f"R{i}",
                "email": f"bulk{i}@example.org",
                "created_at": now,
                "updated_at": now,
            }
            for i in range(5000)
        ],
    )
    ids = db.exec(select(Person.id).where(Person.email.like("bulk%@example.org")).order_by(Person.id)).all()
    db.execute(
        insert(Certification),
        [
            {
                "person_id": p,
                "credential_code": "NC-CPSS",
                "state": "NC",
                "number": f"NC-BULK-{i}",
                "issued_on": date(2025, 1, 15),
                "created_at": now,
                "updated_at": now,
            }
            for i, p in enumerate(ids)
        ],
    )
    db.commit()
    courses = [new_course(provider_client, provider["id"], available_from="2024-01-01")["id"] for _ in range(4)]
    lines = ["credential_code,certificate_number,family_name,course_id,completed_on"] + [
        f"NC-CPSS,NC-BULK-{i},R{i},{c},2025-06-10" for i in range(5000) for c in courses
    ]
    report = _roster(provider_client, "\r\n".join(lines) + "\r\n")
    assert report.status_code == 200, report.text[:500]
    assert report.json()["created"] == 20_000 and _count(db) == 20_000
