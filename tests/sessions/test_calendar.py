"""iCalendar feeds of sessions, per course and per provider, parsed back the way a calendar app reads them."""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from icalendar import Calendar

from tests.catalog.helpers import new_course, new_provider, problem
from tests.sessions.test_sessions import SESSION, _create


def _parse(response) -> Calendar:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "text/calendar; charset=utf-8"
    raw = response.content
    assert raw.startswith(b"BEGIN:VCALENDAR\r\n") and raw.endswith(b"END:VCALENDAR\r\n")
    assert all(len(line) <= 75 for line in raw.split(b"\r\n")), "lines are folded at 75 octets"
    return Calendar.from_ical(raw)


def test_a_course_feed_has_one_event_per_session_with_every_field(admin, client, provider_client, course):
    online = _create(provider_client, course["id"]).json()
    room = _create(
        provider_client,
        course["id"],
        starts_at="2027-02-09T09:30:00",
        ends_at="2027-02-09T12:00:00",
        timezone="America/Chicago",
        modality="in_person",
        location="Room 204, 12 Main St, Durham NC",
        registration_url=None,
        join_url="https://meet.example.org/mi-101",
    ).json()
    feed = _parse(client.get(f"/v1/courses/{course['id']}/sessions.ics"))
    assert (str(feed["VERSION"]), str(feed["PRODID"]), str(feed["METHOD"])) == (
        "2.0",
        "-//peer-ce//Course sessions//EN",
        "PUBLISH",
    )
    assert str(feed["X-WR-CALNAME"]) == "Motivational interviewing for peers: sessions"
    assert {str(tz["TZID"]) for tz in feed.walk("VTIMEZONE")} == {"America/New_York", "America/Chicago"}
    events = {str(e["UID"]): e for e in feed.walk("VEVENT")}
    assert set(events) == {online["uid"], room["uid"]}

    first = events[online["uid"]]
    assert first["DTSTART"].params["TZID"] == "America/New_York"
    assert first.decoded("DTSTART") == datetime(2027, 1, 12, 13, 0, tzinfo=ZoneInfo("America/New_York"))
    assert first.decoded("DTEND") == datetime(2027, 1, 12, 21, 0, tzinfo=UTC)
    assert first.decoded("DTSTAMP") == datetime.fromisoformat(online["updated_at"]).replace(microsecond=0)
    assert str(first["SUMMARY"]) == "Motivational interviewing for peers"
    assert str(first["LOCATION"]) == "Online"
    assert str(first["URL"]) == SESSION["registration_url"]
    assert int(first["SEQUENCE"]) == 0 and str(first["STATUS"]) == "CONFIRMED"
    description = str(first["DESCRIPTION"])
    assert "Piedmont Peer Training Center" in description and "3 CE hours" in description
    assert f"Register: {SESSION['registration_url']}" in description and "Seats: 40" in description

    second = events[room["uid"]]
    assert second["DTSTART"].params["TZID"] == "America/Chicago"
    assert second.decoded("DTSTART").astimezone(UTC) == datetime(2027, 2, 9, 15, 30, tzinfo=UTC)
    assert str(second["LOCATION"]) == "Room 204, 12 Main St, Durham NC"
    assert str(second["URL"]) == "https://meet.example.org/mi-101"  # no registration link: where to join


def test_a_change_is_a_new_sequence_of_the_same_event_and_a_deleted_session_leaves(client, provider_client, course):
    created = _create(provider_client, course["id"]).json()
    url = f"/v1/courses/{course['id']}/sessions.ics"
    before = client.get(url)
    assert client.get(url, headers={"If-None-Match": before.headers["etag"]}).status_code == 304
    assert (
        provider_client.patch(
            f"/v1/sessions/{created['id']}", json={"starts_at": "2027-01-12T14:00:00", "ends_at": "2027-01-12T17:00:00"}
        ).status_code
        == 200
    )
    after = client.get(url, headers={"If-None-Match": before.headers["etag"]})
    [event] = _parse(after).walk("VEVENT")
    assert (str(event["UID"]), int(event["SEQUENCE"])) == (created["uid"], 1)
    assert event.decoded("DTSTART").astimezone(UTC) == datetime(2027, 1, 12, 19, 0, tzinfo=UTC)
    assert provider_client.delete(f"/v1/sessions/{created['id']}").status_code == 204
    assert _parse(client.get(url)).walk("VEVENT") == []


def test_a_provider_feed_holds_its_published_courses_sessions_only(admin, client, provider, provider_client, course):
    draft = new_course(provider_client, provider["id"], status="draft", title="Not yet announced")
    shown = _create(provider_client, course["id"]).json()
    _create(provider_client, draft["id"])
    _create(provider_client, course["id"], starts_at="2026-06-01T10:00:00", ends_at="2026-06-01T12:00:00")  # old
    feed = _parse(client.get(f"/v1/providers/{provider['id']}/sessions.ics"))
    assert [str(e["UID"]) for e in feed.walk("VEVENT")] == [shown["uid"]]
    assert str(feed["X-WR-CALNAME"]) == "Piedmont Peer Training Center: course sessions"
    assert b"Not yet announced" not in client.get(f"/v1/providers/{provider['id']}/sessions.ics").content
    problem(client.get(f"/v1/courses/{draft['id']}/sessions.ics"), 404)
    problem(client.get(f"/v1/providers/{provider['id'] + 1000}/sessions.ics"), 404)
    # the provider itself may see its draft's (empty) feed while it prepares the course, never through a shared
    # cache; the public feed may be cached
    own = provider_client.get(f"/v1/courses/{draft['id']}/sessions.ics")
    assert _parse(own).walk("VEVENT") == [] and own.headers["cache-control"] == "private, no-store"
    assert client.get(f"/v1/courses/{course['id']}/sessions.ics").headers["cache-control"] == "public, max-age=300"


def test_names_with_line_breaks_and_control_characters_still_make_a_valid_feed(admin, client, tokens):
    """A provider or course named with a line break or a control character (the API stores what it is sent)
    gets a feed calendar apps read: every name on one line, no control character left."""
    odd = new_provider(admin, name="Peer\nAcademy\x07 West")
    odd_client = client.as_(tokens.provider(odd["id"]))
    course = new_course(odd_client, odd["id"], title="Ethics\r\nrefresher\x04", hours=2)
    _create(odd_client, course["id"], modality="in_person", location="Room 1\nNorth wing", join_url=None)
    for url in (f"/v1/providers/{odd['id']}/sessions.ics", f"/v1/courses/{course['id']}/sessions.ics"):
        response = client.get(url)
        feed = _parse(response)
        assert not any(0 < b < 32 and b not in (9, 10, 13) for b in response.content)
        (event,) = feed.walk("VEVENT")
        assert str(event["SUMMARY"]) == "Ethics refresher"
        assert str(event["LOCATION"]) == "Room 1 North wing"
        assert str(event["DESCRIPTION"]).startswith("Peer Academy West. In person")
    assert str(_parse(client.get(f"/v1/providers/{odd['id']}/sessions.ics"))["X-WR-CALNAME"]) == (
        "Peer Academy West: course sessions"
    )
