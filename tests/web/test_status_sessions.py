"""The status page's suggested courses show when they are next held and where to register (issue 19), in
headless Chromium against the live demo (whose live courses have sessions)."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import httpx

from tests.web.conftest import LiveDemo, screenshot
from tests.web.test_browser import _open_status


def _next_sessions(live: LiveDemo, course_id: int) -> list[dict]:
    return httpx.get(f"{live.base_url}/v1/courses/{course_id}").json()["next_sessions"]


def test_suggested_courses_show_their_next_sessions_with_a_registration_link(browser, live_demo):
    for viewport, name in (({"width": 1280, "height": 900}, "desktop"), ({"width": 390, "height": 844}, "phone")):
        page = _open_status(browser, live_demo, live_demo.peer_token(), viewport)
        sessions = page.locator(".gap li.session")
        assert sessions.count() > 0, page.locator(".gap").first.inner_text()
        shown = sessions.first
        session_id = int(shown.get_attribute("data-session-id"))
        api = httpx.get(f"{live_demo.base_url}/v1/sessions/{session_id}").json()
        start = datetime.fromisoformat(api["starts_at"].replace("Z", "+00:00")).astimezone(ZoneInfo(api["timezone"]))
        text = shown.inner_text()
        assert text.startswith("Next: ") and f"{start:%b} {start.day}, {start.year}" in text
        assert start.strftime("%-I:%M") in text  # the hour in the session's own time zone
        link = shown.get_by_role("link", name="Register")
        assert link.get_attribute("href") == api["registration_url"]
        assert api["id"] in [s["id"] for s in _next_sessions(live_demo, api["course_id"])]
        if name == "phone":
            assert page.evaluate("document.documentElement.scrollWidth") <= 390
        shown.scroll_into_view_if_needed()
        screenshot(page, f"status-sessions-{name}.png", full_page=name == "desktop")
        page.close()
