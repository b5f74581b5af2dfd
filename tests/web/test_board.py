"""End to end in headless Chromium: the board dashboard against a live server with demo data.

It shows the API's own numbers, downloads the API's CSV, works from the keyboard, names its charts and
controls, fits a phone, and says when it is loading, empty or failed. `make screenshots` saves each state, on a
desktop and a phone, as test-artifacts/board-<state>-<size>.png.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
from playwright.sync_api import expect  # noqa: E402  (test_browser skips without it)

from app.auth.tokens import mint_dev_token
from tests.web.conftest import LiveDemo, screenshot
from tests.web.test_browser import CHROMIUM  # noqa: F401  (skips this module where Chromium is missing)

SIZES = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 390, "height": 844}}
SECTIONS = ("counts", "trend", "due", "topics", "providers")
WORDS = {
    "compliant": "Compliant",
    "in_progress": "In progress",
    "due_soon": "Due soon",
    "overdue": "Overdue",
    "lapsed": "Lapsed",
    "suspended": "Suspended",
    "revoked": "Revoked",
    "inactive": "Inactive",
}


def _board(live: LiveDemo, *states: str) -> str:
    return mint_dev_token(live.settings, role="board", states=list(states or (live.report.board_state,)))


def _api(live: LiveDemo, token: str, path: str, **params) -> httpx.Response:
    response = httpx.get(f"{live.base_url}{path}", params=params, headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200, response.text
    return response


def _open(browser, live: LiveDemo, token: str, size: str = "desktop", *, settle: bool = True):
    page = browser.new_page(viewport=SIZES[size])
    page.goto(f"{live.base_url}/board#token={token}")
    if settle:
        for section in SECTIONS:
            expect(page.locator(f"#{section}")).to_have_attribute("data-state", "data")
    return page


def _shot(page, name: str) -> None:
    screenshot(page, f"board-{name}.png", full_page=True)


def _path(path: str):
    """A route matcher for exactly this path (whatever the query)."""
    matchers = _path.__dict__.setdefault("made", {})
    return matchers.setdefault(path, lambda url: urlsplit(url).path == path)


def _numbers(text: str) -> float:
    return float(text.replace(",", ""))


@pytest.mark.parametrize("size", list(SIZES))
def test_the_dashboard_shows_the_apis_numbers_for_the_board(browser, live_demo: LiveDemo, size):
    token = _board(live_demo)
    page = _open(browser, live_demo, token, size)
    assert "token" not in page.url and page.evaluate("sessionStorage.getItem('peer-ce.board-token')") == token
    assert page.locator("#who").inner_text() == f"Signed in as the board of {live_demo.report.board_state}."

    compliance = _api(live_demo, token, "/v1/reports/compliance").json()
    totals: dict[str, int] = {}
    for item in compliance["items"]:
        totals[item["status"]] = totals.get(item["status"], 0) + item["count"]
    tiles = page.locator("#counts .tile")
    assert tiles.count() == len(totals) >= 3
    for n in range(tiles.count()):
        tile = tiles.nth(n)
        status = tile.get_attribute("data-status")
        assert _numbers(tile.locator(".tile-count").inner_text()) == totals[status]
        assert WORDS[status] in tile.inner_text()  # the word, not only the colour
    chart = page.locator("#counts svg[role=img]")
    assert "Certifications by status" in chart.locator("title").text_content()
    for status, n in totals.items():
        assert f"{WORDS[status]}: {n}" in chart.locator("desc").text_content()

    trend = _api(live_demo, token, "/v1/reports/compliance/trend", interval="month").json()
    periods = sorted({p["period"] for p in trend["items"]})
    assert len(periods) >= 6, "the demo records a year of monthly history"
    assert page.locator("#trend tbody tr").count() == len(periods)
    assert page.locator("#trend svg[role=img] polyline").count() == len({p["status"] for p in trend["items"]})

    due = _api(live_demo, token, "/v1/reports/due", limit=25, count="true").json()
    rows = page.locator("#due tbody tr")
    assert rows.count() == len(due["items"]) > 0
    assert f"of {due['total']} certifications" in page.locator("#due .state-line").inner_text()
    for n, item in enumerate(due["items"]):
        row = rows.nth(n)
        assert row.get_attribute("data-certification") == str(item["certification_id"])
        assert item["number"] in row.inner_text() and WORDS[item["status"]] in row.inner_text()
        for unmet in item["unmet"]:
            assert unmet["label"].lower() in row.inner_text().lower()

    topics = _api(live_demo, token, "/v1/reports/topics").json()
    active = [t for t in topics["items"] if t["completed_hours"] or t["unmet_hours"] or t["supply_hours"]]
    topic_rows = page.locator("#topics table").first.locator("tbody tr")
    assert topic_rows.count() == len(active)
    shown = {}
    for n in range(topic_rows.count()):
        row = topic_rows.nth(n)
        shown[row.locator("th").inner_text()] = [_numbers(c) for c in row.locator("td").all_inner_texts()]
    for t in active:
        assert shown[t["name"]] == [
            t["completed_hours"],
            t["completions"],
            t["learners"],
            t["unmet_hours"],
            t["supply_hours"],
            t["supply_courses"],
        ]
    assert page.locator("#topics svg[role=img] pattern").count() == 2  # still needed and on offer are patterned

    providers = _api(live_demo, token, "/v1/reports/providers").json()
    provider_rows = page.locator("#providers tr.provider-row")
    assert provider_rows.count() == len(providers["items"]) > 0
    assert providers["items"][0]["name"] in provider_rows.first.inner_text()
    if size == "phone":
        assert page.evaluate("document.documentElement.scrollWidth") <= SIZES["phone"]["width"]
    _shot(page, f"data-{size}")
    page.close()


def test_each_section_downloads_the_apis_csv(browser, live_demo: LiveDemo):
    token = _board(live_demo)
    page = _open(browser, live_demo, token)
    for section, path, params in (
        ("counts", "/v1/reports/compliance", {}),
        ("trend", "/v1/reports/compliance/trend", {"interval": "month"}),
        ("due", "/v1/reports/due", {"within_days": 90}),
        ("topics", "/v1/reports/topics", {}),
        ("providers", "/v1/reports/providers", {}),
    ):
        with page.expect_download() as info:
            page.locator(f"#{section} button.csv").click()
        download = info.value
        content = Path(download.path()).read_text(encoding="utf-8")
        expected = _api(live_demo, token, path, format="csv", **params).text
        assert list(csv.reader(io.StringIO(content))) == list(csv.reader(io.StringIO(expected)))
        assert download.suggested_filename.endswith(".csv")
        expect(page.locator("#message")).to_contain_text(download.suggested_filename)
    page.close()


def test_keyboard_alone_filters_expands_and_every_control_is_named(browser, live_demo: LiveDemo):
    page = _open(browser, live_demo, _board(live_demo))
    unnamed = page.evaluate("""() => [...document.querySelectorAll('input, select, textarea')]
        .filter(e => !e.labels.length && !e.getAttribute('aria-label')).map(e => e.outerHTML)""")
    assert unnamed == []
    assert page.evaluate(
        "[...document.querySelectorAll('svg.chart')].every(s => s.getAttribute('role') === 'img' "
        "&& s.querySelector('title').textContent && s.querySelector('desc').textContent)"
    )
    # the filters, from the keyboard: the credential and the due window, then Apply
    page.locator("#credential").focus()
    for _ in range(10):  # down the board's credentials to the one the demo certified people in
        page.keyboard.press("ArrowDown")
        if page.locator("#credential").input_value() == "PA-CPS":
            break
    page.keyboard.press("Tab")
    page.keyboard.press("ArrowUp")  # from 90 days to 60
    for _ in range(20):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.textContent") == "Apply filters":
            break
    page.keyboard.press("Enter")
    expect(page.locator("#due .state-line")).to_contain_text("within 60 days")
    code = page.locator("#credential").input_value()
    assert code
    # the sections re-render one by one: wait for the counts table too, not only the due list
    expect(page.locator("#counts tbody tr")).to_have_count(1)
    expect(page.locator("#counts tbody")).to_contain_text(code)
    # a provider's courses open from the keyboard, and say so
    toggle = page.locator("#providers tr.provider-row button").first
    toggle.focus()
    page.keyboard.press("Enter")
    expect(toggle).to_have_attribute("aria-expanded", "true")
    assert page.locator("#providers tr.course-row:not([hidden])").count() >= 1
    page.keyboard.press("Space")
    expect(toggle).to_have_attribute("aria-expanded", "false")
    # the trend by day, from its radio buttons
    page.locator("input[name=interval][value=month]").focus()
    page.keyboard.press("ArrowDown")
    expect(page.locator("#trend .state-line")).to_contain_text("one point per day")
    page.close()


@pytest.mark.parametrize("size", list(SIZES))
def test_a_board_without_data_sees_each_section_say_so(browser, live_demo: LiveDemo, size):
    page = _open(browser, live_demo, _board(live_demo, "WY"), size, settle=False)
    for section in SECTIONS:
        expect(page.locator(f"#{section}")).to_have_attribute("data-state", "empty")
    assert "No certifications in your states yet" in page.locator("#counts").inner_text()
    assert "Nobody in your states" in page.locator("#due").inner_text()
    _shot(page, f"empty-{size}")
    page.close()


@pytest.mark.parametrize("size", list(SIZES))
def test_sections_say_they_are_loading(browser, live_demo: LiveDemo, size):
    page = browser.new_page(viewport=SIZES[size])
    held = []
    page.route("**/v1/reports/**", lambda route: held.append(route))
    page.goto(f"{live_demo.base_url}/board#token={_board(live_demo)}")
    for section in SECTIONS:
        expect(page.locator(f"#{section}")).to_have_attribute("aria-busy", "true")
        expect(page.locator(f"#{section} .state-line")).to_have_text("Loading…")
    _shot(page, f"loading-{size}")
    for route in held:
        route.continue_()
    page.unroute("**/v1/reports/**")
    for section in SECTIONS:
        expect(page.locator(f"#{section}")).to_have_attribute("data-state", "data")
    page.close()


@pytest.mark.parametrize("size", list(SIZES))
def test_a_failure_is_explained_in_its_section_and_a_retry_recovers(browser, live_demo: LiveDemo, size):
    page = browser.new_page(viewport=SIZES[size])
    page.route(_path("/v1/reports/compliance"), lambda route: route.abort())
    page.route(
        _path("/v1/reports/topics"),
        lambda route: route.fulfill(
            status=503,
            content_type="application/problem+json",
            body='{"type": "about:blank", "title": "Service unavailable", "status": 503, '
            '"detail": "The database is restarting.", "request_id": "req-board-503"}',
        ),
    )
    page.goto(f"{live_demo.base_url}/board#token={_board(live_demo)}")
    expect(page.locator("#counts")).to_have_attribute("data-state", "error")
    expect(page.locator("#topics")).to_have_attribute("data-state", "error")
    assert "could not reach peer-ce" in page.locator("#counts .state-line").inner_text()
    topics_error = page.locator("#topics .state-line").inner_text()
    assert "503 Service unavailable" in topics_error and "req-board-503" in topics_error
    for section in ("trend", "due", "providers"):  # the others load regardless
        expect(page.locator(f"#{section}")).to_have_attribute("data-state", "data")
    _shot(page, f"error-{size}")
    page.unroute(_path("/v1/reports/compliance"))
    page.get_by_role("button", name="Try again").first.click()
    expect(page.locator("#counts")).to_have_attribute("data-state", "data")
    page.close()


def test_a_wrong_token_or_a_peers_token_asks_for_a_board_token(browser, live_demo: LiveDemo):
    for token, words in (
        ("not-a-token", "expired or is not valid"),
        (live_demo.peer_token(), "not a board's or an admin's"),
    ):
        page = browser.new_page(viewport=SIZES["desktop"])
        page.goto(f"{live_demo.base_url}/board#token={token}")
        alert = page.locator("#message[role=alert]")
        alert.wait_for()
        assert words in alert.inner_text()
        assert page.locator("#signin").is_visible() and not page.locator("#dashboard").is_visible()
        assert page.evaluate("sessionStorage.getItem('peer-ce.board-token')") is None
        if token == "not-a-token":
            _shot(page, "signed-out-desktop")
        page.close()
    page = browser.new_page(viewport=SIZES["phone"])
    page.goto(f"{live_demo.base_url}/board")
    page.get_by_role("textbox", name="Access token").fill(live_demo.admin_token())
    page.get_by_role("button", name="Open the dashboard").click()
    expect(page.locator("#who")).to_have_text("Signed in as an administrator: every state.")
    expect(page.locator("#counts")).to_have_attribute("data-state", "data")
    page.get_by_role("button", name="Forget my token").click()
    assert page.locator("#signin").is_visible()
    _shot(page, "signed-out-phone")
    page.close()
