"""Course sessions: scheduled by the course's provider in its own time zone, found by date and state, listed
with the course and in the catalog (what the peer's status page shows)."""

import pytest

from app.pagination import encode_cursor
from tests.catalog.helpers import audit_entries, new_course, new_provider, problem

SESSION = {
    "starts_at": "2027-01-12T13:00:00",
    "ends_at": "2027-01-12T16:00:00",
    "timezone": "America/New_York",
    "modality": "live_virtual",
    "registration_url": "https://training.example.org/mi-101/register",
    "capacity": 40,
}


def _create(client, course_id, **overrides):
    return client.post(f"/v1/courses/{course_id}/sessions", json={**SESSION, **overrides})


def test_a_session_in_local_wall_time_is_stored_in_utc_with_its_zone(admin, provider_client, course):
    response = _create(provider_client, course["id"])
    assert response.status_code == 201, response.text
    body = response.json()
    assert response.headers["location"] == f"/v1/sessions/{body['id']}"
    assert (body["starts_at"], body["ends_at"]) == ("2027-01-12T18:00:00Z", "2027-01-12T21:00:00Z")
    assert (body["local_start"], body["local_end"]) == ("2027-01-12T13:00:00-05:00", "2027-01-12T16:00:00-05:00")
    assert (body["timezone"], body["starts_on"], body["course_title"]) == (
        "America/New_York",
        "2027-01-12",
        "Motivational interviewing for peers",
    )
    # with an offset, the instant is taken as given and shown in the session's zone
    summer = _create(
        provider_client,
        course["id"],
        starts_at="2027-07-01T18:00:00+00:00",
        ends_at="2027-07-01T20:30:00Z",
        timezone="America/Los_Angeles",
    ).json()
    assert (summer["local_start"], summer["starts_on"]) == ("2027-07-01T11:00:00-07:00", "2027-07-01")
    [entry] = audit_entries(admin, "course_session", body["id"])
    assert entry["action"] == "create" and entry["changes"]["timezone"] == [None, "America/New_York"]
    assert admin.get(f"/v1/sessions/{body['id']}").json() == body


@pytest.mark.parametrize(
    "overrides,field",
    [
        ({"timezone": "Eastern"}, "timezone"),
        ({"timezone": "../../etc/passwd"}, "timezone"),
        ({"ends_at": "2027-01-12T13:00:00"}, "ends_at"),
        ({"ends_at": "2027-01-12T12:00:00"}, "ends_at"),
        ({"ends_at": "2027-03-12T12:00:00"}, "ends_at"),
        ({"starts_at": "2027-03-14T02:30:00", "ends_at": "2027-03-14T04:00:00"}, "starts_at"),
        ({"starts_at": "next tuesday"}, "starts_at"),
        ({"starts_at": "2200-01-12T13:00:00"}, "starts_at"),
        ({"join_url": "javascript:alert(1)"}, "join_url"),
        ({"registration_url": "ftp://training.example.org/register"}, "registration_url"),
        ({"registration_url": "https://example.org/" + "x" * 500}, "registration_url"),
        ({"modality": "self_paced"}, "modality"),
        ({"modality": "in_person"}, "location"),
        ({"capacity": 0}, "capacity"),
        ({"capacity": "40"}, "capacity"),
        ({"room": "204"}, "room"),
    ],
)
def test_bad_sessions_are_refused_by_field_and_nothing_is_written(admin, provider_client, course, overrides, field):
    body = problem(_create(provider_client, course["id"], **overrides), 422)
    assert any(field in e["field"] for e in body["errors"]), body
    assert admin.get(f"/v1/courses/{course['id']}/sessions", params={"from": "2000-01-01"}).json()["items"] == []


def test_only_the_courses_provider_or_an_admin_schedules_and_changes_it(admin, client, tokens, provider_client, course):
    other = client.as_(tokens.provider(new_provider(admin)["id"]))
    problem(_create(other, course["id"]), 403)
    problem(_create(client.as_(tokens.board("NC")), course["id"]), 403)
    problem(_create(client, course["id"]), 401)
    created = _create(admin, course["id"]).json()
    problem(other.patch(f"/v1/sessions/{created['id']}", json={"capacity": 10}), 403)
    problem(other.delete(f"/v1/sessions/{created['id']}"), 403)
    assert provider_client.get(f"/v1/sessions/{created['id']}").json()["capacity"] == 40
    # a draft's sessions are the provider's business until it is published; a retired course takes none
    draft = new_course(provider_client, course["provider_id"], status="draft")
    hidden = _create(provider_client, draft["id"]).json()
    problem(client.get(f"/v1/sessions/{hidden['id']}"), 404)
    problem(other.patch(f"/v1/sessions/{hidden['id']}", json={"capacity": 10}), 404)
    assert provider_client.post(f"/v1/courses/{course['id']}/retire").status_code == 200
    problem(_create(provider_client, course["id"]), 409)


def test_a_change_is_audited_and_counts_as_a_new_calendar_sequence(admin, provider_client, course):
    created = _create(provider_client, course["id"]).json()
    moved = provider_client.patch(
        f"/v1/sessions/{created['id']}",
        json={
            "starts_at": "2027-01-19T13:00:00",
            "ends_at": "2027-01-19T15:30:00",
            "modality": "hybrid",
            "location": "Room 204, 12 Main St, Raleigh NC",
            "capacity": None,
        },
    )
    assert moved.status_code == 200, moved.text
    body = moved.json()
    assert (body["starts_at"], body["ends_at"], body["capacity"]) == (
        "2027-01-19T18:00:00Z",
        "2027-01-19T20:30:00Z",
        None,
    )
    assert body["uid"] == created["uid"]
    problem(provider_client.patch(f"/v1/sessions/{created['id']}", json={"location": None}), 422)  # hybrid
    problem(provider_client.patch(f"/v1/sessions/{created['id']}", json={"ends_at": "2027-01-19T12:00:00"}), 422)
    problem(provider_client.patch(f"/v1/sessions/{created['id']}", json={"timezone": None}), 422)
    entries = audit_entries(admin, "course_session", created["id"])  # newest first
    assert [e["action"] for e in entries] == ["update", "create"]
    assert entries[0]["changes"]["capacity"] == [40, None]
    assert provider_client.delete(f"/v1/sessions/{created['id']}").status_code == 204
    problem(admin.get(f"/v1/sessions/{created['id']}"), 404)
    assert [e["action"] for e in audit_entries(admin, "course_session", created["id"])][0] == "delete"


def test_sessions_are_listed_with_the_course_and_in_catalog_results(admin, client, provider_client, course):
    _create(provider_client, course["id"], starts_at="2026-12-01T10:00:00", ends_at="2026-12-01T12:00:00")  # past
    first = _create(
        provider_client, course["id"], starts_at="2027-02-02T13:00:00", ends_at="2027-02-02T16:00:00"
    ).json()
    soonest = _create(provider_client, course["id"]).json()
    march = [
        _create(
            provider_client, course["id"], starts_at=f"2027-03-{day}T09:00:00", ends_at=f"2027-03-{day}T12:00:00"
        ).json()["id"]
        for day in ("03", "04")
    ]
    detail = client.get(f"/v1/courses/{course['id']}").json()
    assert [s["id"] for s in detail["next_sessions"]] == [soonest["id"], first["id"], march[0]]
    assert detail["next_sessions"][0]["registration_url"] == SESSION["registration_url"]
    listed = client.get(f"/v1/courses/{course['id']}/sessions").json()["items"]
    assert [s["starts_on"] for s in listed] == ["2027-01-12", "2027-02-02", "2027-03-03", "2027-03-04"]
    everything = client.get(f"/v1/courses/{course['id']}/sessions", params={"from": "2026-01-01"}).json()
    assert len(everything["items"]) == 5
    assert admin.post(f"/v1/courses/{course['id']}/approvals", json={"credential_code": "NC-CPSS"}).status_code == 201
    [entry] = client.get("/v1/courses", params={"credential_code": "NC-CPSS", "q": "Motivational"}).json()["items"]
    assert [(s["id"], s["local_start"], s["modality"]) for s in entry["next_sessions"]] == [
        (soonest["id"], "2027-01-12T13:00:00-05:00", "live_virtual"),
        (first["id"], "2027-02-02T13:00:00-05:00", "live_virtual"),
        (march[0], "2027-03-03T09:00:00-05:00", "live_virtual"),
    ]


def test_sessions_are_searched_by_dates_and_by_the_approving_state(admin, client, provider, provider_client, course):
    other = new_course(provider_client, provider["id"], title="Ethics refresher")
    assert (
        admin.post(
            f"/v1/courses/{course['id']}/approvals", json={"credential_code": "NC-CPSS", "valid_until": "2027-02-28"}
        ).status_code
        == 201
    )
    assert admin.post(f"/v1/courses/{other['id']}/approvals", json={"credential_code": "VA-RPRS"}).status_code == 201
    jan = _create(provider_client, course["id"]).json()
    mar = _create(provider_client, course["id"], starts_at="2027-03-02T10:00:00", ends_at="2027-03-02T12:00:00").json()
    va = _create(
        provider_client,
        other["id"],
        starts_at="2027-01-20T19:00:00",
        ends_at="2027-01-20T21:00:00",
        timezone="America/Chicago",
        modality="in_person",
        location="Richmond Public Library",
    ).json()

    def found(**params):
        response = client.get("/v1/sessions", params=params)
        assert response.status_code == 200, response.text
        return [s["id"] for s in response.json()["items"]]

    assert found() == [jan["id"], va["id"], mar["id"]]
    assert found(**{"from": "2027-01-15", "to": "2027-01-31"}) == [va["id"]]
    assert found(state="NC") == [jan["id"]]  # the approval ends before the March session
    assert found(state="va", modality="in_person") == [va["id"]]
    assert found(credential_code="VA-RPRS") == [va["id"]]
    assert found(course_id=course["id"], **{"from": "2027-01-01"}) == [jan["id"], mar["id"]]
    assert found(provider_id=provider["id"] + 1000) == []
    page = client.get("/v1/sessions", params={"limit": 2, "count": "true"}).json()
    assert page["total"] == 3 and len(page["items"]) == 2
    rest = client.get("/v1/sessions", params={"limit": 2, "cursor": page["next_cursor"]}).json()
    assert [s["id"] for s in rest["items"]] == [mar["id"]] and rest["next_cursor"] is None
    problem(client.get("/v1/sessions", params={"from": "2027-02-01", "to": "2027-01-01"}), 422)
    problem(client.get("/v1/sessions", params={"state": "North Carolina"}), 422)
    problem(client.get("/v1/sessions", params={"cursor": "bm90LWEtY3Vyc29y"}), 400)
    # a time at the edge of the calendar, or JSON true for the id: 400, not a 500 from the database layer
    for edge in (
        ["0001-01-01T00:00:00+01:00", 1],
        ["9999-12-31T23:59:59-01:00", 1],
        ["2027-01-01T00:00:00+00:00", True],
    ):
        problem(client.get("/v1/sessions", params={"cursor": encode_cursor(*edge)}), 400)
    # a retired course's sessions leave the search
    assert provider_client.post(f"/v1/courses/{other['id']}/retire").status_code == 200
    assert found() == [jan["id"], mar["id"]]
