"""Sessions as an iCalendar feed (RFC 5545) that calendar apps import or subscribe to.

One VEVENT per session: a stable UID (stored with the session), DTSTAMP and LAST-MODIFIED from its last
change, DTSTART/DTEND in the session's own zone (TZID, with the VTIMEZONE it needs), SEQUENCE (one more on
every change), SUMMARY (the course), LOCATION, URL (where to register, else to join, else the course's
page) and a DESCRIPTION with the provider, hours and links.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date, timedelta
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event

from app.sessions.service import FeedItem

PRODID = "-//peer-ce//Course sessions//EN"
MODALITY = {"in_person": "In person", "live_virtual": "Live virtual", "hybrid": "Hybrid (in person and online)"}
REFRESH = timedelta(hours=6)
# RFC 5545 (3.3.11) admits no control character in TEXT but the tab; names and titles are one line.
_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]+")


def one_line(text: str) -> str:
    """A name or title as a single TEXT line: control characters and line breaks become spaces, and runs of
    spaces one."""
    return " ".join(_CONTROL.sub(" ", text).split())


def calendar(items: Sequence[FeedItem], *, name: str, base_url: str) -> bytes:
    """The feed's bytes (CRLF lines, folded at 75 octets, UTF-8)."""
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("name", one_line(name))
    cal.add("x-wr-calname", one_line(name))
    cal.add("refresh-interval", REFRESH, parameters={"VALUE": "DURATION"})
    cal.add("x-published-ttl", "PT6H")
    for item in items:
        cal.add_component(_event(item, base_url))
    if items:  # each zone's definition (VTIMEZONE) covering the feed's years, so every app reads the TZIDs alike
        first = min(i.row.starts_at for i in items).date()
        last = max(i.row.ends_at for i in items).date()
        cal.add_missing_timezones(first_date=date(first.year - 1, 1, 1), last_date=date(last.year + 2, 1, 1))
    return cal.to_ical()


def _event(item: FeedItem, base_url: str) -> Event:
    row, course = item.row, item.course
    zone = ZoneInfo(row.timezone)
    course_page = f"{base_url}/v1/courses/{course.id}"
    event = Event()
    event.add("uid", row.uid)
    event.add("dtstamp", row.updated_at)
    event.add("created", row.created_at)
    event.add("last-modified", row.updated_at)
    event.add("sequence", row.sequence)
    event.add("dtstart", row.starts_at.astimezone(zone))
    event.add("dtend", row.ends_at.astimezone(zone))
    event.add("summary", one_line(course.title))
    event.add("location", one_line(row.location or "Online"))  # in person and hybrid sessions always have one
    event.add("url", row.registration_url or row.join_url or course.url or course_page)
    event.add("status", "CONFIRMED")
    event.add("transp", "OPAQUE")
    hours = f"{course.hours.normalize():f}"
    lines = [
        f"{one_line(item.provider_name)}. {MODALITY.get(row.modality, row.modality)}, {hours} CE "
        f"hour{'' if course.hours == 1 else 's'}."
    ]
    if row.registration_url:
        lines.append(f"Register: {row.registration_url}")
    if row.join_url:
        lines.append(f"Join: {row.join_url}")
    if row.capacity:
        lines.append(f"Seats: {row.capacity}")
    lines.append(f"Course: {course.url or course_page}")
    event.add("description", "\n".join(lines))
    return event
