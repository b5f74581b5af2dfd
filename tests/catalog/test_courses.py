"""Courses: idempotent upserts by external id, exact hours, known topics, drafts kept private, never deleted."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from app.clock import FixedClock
from tests.catalog.helpers import audit_entries, course_body, new_course, new_provider, problem


@pytest.fixture
def provider(admin) -> dict:
    return new_provider(admin)


@pytest.fixture
def own(client, tokens, provider):
    """The provider's own token."""
    return client.as_(tokens.provider(provider["id"]))


def test_provider_creates_a_course_then_the_same_external_id_updates_it(own, provider):
    body = course_body(
        external_id="TIP-101",
        description="Responding without re-traumatising.",
        hours=1.5,
        topics=["trauma-informed-practice", "peer-support-core"],
        url="https://example.org/tip",
    )
    created = own.post(f"/v1/providers/{provider['id']}/courses", json=body)
    assert created.status_code == 201, created.text
    course = created.json()
    assert created.headers["location"] == f"/v1/courses/{course['id']}"
    assert course["hours"] == 1.5 and course["status"] == "published" and course["provider_id"] == provider["id"]
    assert course["topics"] == ["peer-support-core", "trauma-informed-practice"]

    updated = own.post(f"/v1/providers/{provider['id']}/courses", json={**body, "hours": 2.25})
    assert updated.status_code == 200
    assert updated.json()["id"] == course["id"] and updated.json()["hours"] == 2.25

    unchanged = own.post(f"/v1/providers/{provider['id']}/courses", json={**body, "hours": 2.25})
    assert unchanged.status_code == 200 and unchanged.json()["updated_at"] == updated.json()["updated_at"]


def test_every_course_write_is_audited_and_unchanged_upserts_are_not(admin, own, provider):
    course = new_course(own, provider["id"], external_id="AUD-1", hours=2)
    body = course_body(external_id="AUD-1", title=course["title"], hours=3)
    own.post(f"/v1/providers/{provider['id']}/courses", json=body)
    own.post(f"/v1/providers/{provider['id']}/courses", json=body)
    own.post(f"/v1/courses/{course['id']}/retire")
    entries = audit_entries(admin, "course", course["id"])
    assert [e["action"] for e in entries] == ["retire", "update", "create"]
    assert entries[1]["changes"]["hours"] == [2.0, 3.0]
    assert entries[0]["changes"] == {"status": ["published", "retired"]}


def test_available_from_is_optional_and_can_be_set(app, own, provider):
    app.state.clock = FixedClock(datetime(2026, 3, 1, 15, 0, tzinfo=UTC))
    course = new_course(own, provider["id"])
    assert course["available_from"] is None  # no lower bound on its completion dates (backfill)
    older = new_course(own, provider["id"], available_from="2023-05-01")
    assert older["available_from"] == "2023-05-01"


@pytest.mark.parametrize("hours", [0, -1, 1.234, "abc"])
def test_hours_must_be_positive_with_at_most_two_decimals(own, provider, hours):
    body = problem(
        own.post(f"/v1/providers/{provider['id']}/courses", json=course_body(external_id="BAD-HOURS", hours=hours)), 422
    )
    assert [e["field"] for e in body["errors"]] == ["body.hours"]
    assert own.get(f"/v1/providers/{provider['id']}/courses").json()["items"] == []


def test_unknown_topics_are_named_and_nothing_is_written(own, provider):
    body = problem(
        own.post(
            f"/v1/providers/{provider['id']}/courses", json=course_body(topics=["harm-reduction", "astrology", "tarot"])
        ),
        422,
    )
    [error] = body["errors"]
    assert error["field"] == "body.topics" and "astrology, tarot" in error["message"]
    assert own.get(f"/v1/providers/{provider['id']}/courses").json()["items"] == []


def test_bad_modality_missing_topics_and_unknown_fields_are_422(own, provider):
    body = problem(
        own.post(
            f"/v1/providers/{provider['id']}/courses",
            json=course_body(modality="carrier_pigeon", topics=[], provider_id=7),
        ),
        422,
    )
    assert {"body.modality", "body.topics", "body.provider_id"} <= {e["field"] for e in body["errors"]}


def test_a_published_course_cannot_go_back_to_draft(own, provider):
    course = new_course(own, provider["id"], external_id="PUB-1")
    body = problem(
        own.post(f"/v1/providers/{provider['id']}/courses", json=course_body(external_id="PUB-1", status="draft")), 422
    )
    assert body["errors"][0]["field"] == "body.status"
    assert own.get(f"/v1/courses/{course['id']}").json()["status"] == "published"


def test_omitting_status_keeps_a_retired_course_retired(own, provider):
    course = new_course(own, provider["id"], external_id="RET-1")
    own.post(f"/v1/courses/{course['id']}/retire")
    again = own.post(f"/v1/providers/{provider['id']}/courses", json=course_body(external_id="RET-1", hours=5))
    assert again.status_code == 200 and again.json()["status"] == "retired" and again.json()["hours"] == 5


def test_provider_cannot_create_or_update_another_providers_courses(admin, client, tokens, provider):
    other = new_provider(admin)
    theirs = new_course(admin, other["id"], external_id="THEIRS")
    intruder = client.as_(tokens.provider(provider["id"]))
    problem(intruder.post(f"/v1/providers/{other['id']}/courses", json=course_body(external_id="THEIRS")), 403)
    problem(intruder.post(f"/v1/providers/{other['id']}/courses", json=course_body()), 403)
    assert admin.get(f"/v1/courses/{theirs['id']}").json()["title"] == theirs["title"]


@pytest.mark.parametrize("who", ["board", "peer"])
def test_boards_and_peers_cannot_publish_courses(client, tokens, provider, who):
    token = tokens.board("NC") if who == "board" else tokens.peer(1)
    problem(client.as_(token).post(f"/v1/providers/{provider['id']}/courses", json=course_body()), 403)


def test_publishing_a_course_needs_a_token(client, provider):
    problem(client.post(f"/v1/providers/{provider['id']}/courses", json=course_body()), 401)


def test_courses_of_an_unknown_provider_are_404(admin):
    problem(admin.post("/v1/providers/999999/courses", json=course_body()), 404)


def test_drafts_are_seen_only_by_admins_and_their_own_provider(admin, client, tokens, own, provider):
    draft = new_course(own, provider["id"], status="draft")
    published = new_course(own, provider["id"])
    other = client.as_(tokens.provider(new_provider(admin)["id"]))
    for viewer in (client, other, client.as_(tokens.board("NC")), client.as_(tokens.peer(1))):
        problem(viewer.get(f"/v1/courses/{draft['id']}"), 404)
        assert viewer.get(f"/v1/courses/{published['id']}").status_code == 200
        listed = [c["id"] for c in viewer.get(f"/v1/providers/{provider['id']}/courses").json()["items"]]
        assert listed == [published["id"]]
    for viewer in (own, admin):
        assert viewer.get(f"/v1/courses/{draft['id']}").json()["status"] == "draft"
        listed = [c["id"] for c in viewer.get(f"/v1/providers/{provider['id']}/courses").json()["items"]]
        assert listed == [draft["id"], published["id"]]
    drafts = own.get(f"/v1/providers/{provider['id']}/courses", params={"status": "draft"}).json()["items"]
    assert [c["id"] for c in drafts] == [draft["id"]]


def test_an_invalid_token_on_a_public_route_is_401_not_anonymous(client, own, provider):
    course = new_course(own, provider["id"])
    problem(client.as_("not-a-jwt").get(f"/v1/courses/{course['id']}"), 401)


def test_retiring_keeps_the_course_and_retiring_again_changes_nothing(admin, client, own, provider):
    course = new_course(own, provider["id"])
    retired = own.post(f"/v1/courses/{course['id']}/retire")
    assert retired.status_code == 200 and retired.json()["status"] == "retired"
    assert own.post(f"/v1/courses/{course['id']}/retire").json()["status"] == "retired"
    assert client.get(f"/v1/courses/{course['id']}").json()["status"] == "retired"
    assert len(audit_entries(admin, "course", course["id"])) == 2  # create, retire
    problem(admin.delete(f"/v1/courses/{course['id']}"), 405)


def test_provider_cannot_retire_another_providers_course(admin, client, tokens, own, provider):
    other = client.as_(tokens.provider(new_provider(admin)["id"]))
    published = new_course(own, provider["id"])
    draft = new_course(own, provider["id"], status="draft")
    problem(other.post(f"/v1/courses/{published['id']}/retire"), 403)  # seen, not theirs to change
    problem(other.post(f"/v1/courses/{draft['id']}/retire"), 404)  # not even seen
    problem(client.as_(tokens.board("NC")).post(f"/v1/courses/{published['id']}/retire"), 403)
    problem(client.as_(tokens.peer(1)).post(f"/v1/courses/{published['id']}/retire"), 403)
    problem(client.post(f"/v1/courses/{published['id']}/retire"), 401)
    assert admin.post(f"/v1/courses/{published['id']}/retire").json()["status"] == "retired"


def test_provider_course_lists_page_with_a_cursor(own, provider):
    ids = [new_course(own, provider["id"])["id"] for _ in range(5)]
    first = own.get(f"/v1/providers/{provider['id']}/courses", params={"limit": 3}).json()
    second = own.get(
        f"/v1/providers/{provider['id']}/courses", params={"limit": 3, "cursor": first["next_cursor"]}
    ).json()
    assert [c["id"] for c in first["items"] + second["items"]] == ids and second["next_cursor"] is None
