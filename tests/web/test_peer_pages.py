"""The peer's pages in headless Chromium, at phone and desktop sizes: every status says what to do next and by
when; the self-report form; the transcript and a certificate page (issue 19). `make screenshots` saves them in
test-artifacts/.

Runs against the live demo on SQLite, or on PostgreSQL with PEER_CE_TEST_DATABASE_URL set.
"""

from __future__ import annotations

from datetime import date

import httpx
import pytest
from playwright.sync_api import expect

from tests.web.conftest import LiveDemo, artifact, screenshot
from tests.web.test_browser import CHROMIUM  # noqa: F401  (skips this module where Chromium is missing)

PHONE, DESKTOP = {"width": 390, "height": 844}, {"width": 1280, "height": 900}
SIZES = [pytest.param(PHONE, id="phone"), pytest.param(DESKTOP, id="desktop")]
STATUSES = ["compliant", "in_progress", "due_soon", "overdue", "lapsed", "suspended", "revoked", "inactive"]
HOLD_ACTIONS = {"revoked": "revoke", "inactive": "inactivate", "suspended": "suspend"}


def _get(live: LiveDemo, path: str, token: str, **params) -> dict:
    response = httpx.get(f"{live.base_url}{path}", params=params, headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200, response.text
    return response.json()


def _plain(iso: str) -> str:
    d = date.fromisoformat(iso)
    return f"{d:%b} {d.day}, {d.year}"


_CHOSEN: dict[str, dict] = {}


def _certification_in(live: LiveDemo, status: str) -> dict:
    """A demo certification in this status; a hold the demo has none of is put on an in-progress one."""
    if status in _CHOSEN:
        return _CHOSEN[status]
    admin = live.admin_token()
    used = {c["id"] for c in _CHOSEN.values()}
    listed = _get(live, "/v1/certifications", admin, status=status, limit=20)["items"]
    found = [c for c in listed if c["id"] not in used]
    if not found and status in HOLD_ACTIONS:
        candidates = _get(live, "/v1/certifications", admin, status="in_progress", limit=50)["items"]
        cert = next(c for c in reversed(candidates) if c["id"] not in used)
        response = httpx.post(
            f"{live.base_url}/v1/certifications/{cert['id']}/actions",
            headers={"Authorization": f"Bearer {admin}"},
            json={
                "kind": HOLD_ACTIONS[status],
                "effective_on": live.report.today.isoformat(),
                "reason": "Browser test: a hold",
            },
        )
        assert response.status_code == 201, response.text
        found = [cert]
    assert found, f"the demo has no {status} certification"
    _CHOSEN[status] = found[0]
    return found[0]


def _open_status(browser, live: LiveDemo, token: str, viewport: dict):
    page = browser.new_page(viewport=viewport)
    page.goto(f"{live.base_url}/status#token={token}")
    page.wait_for_selector("article.cert")
    expect(page.get_by_text("Looking for approved courses")).to_have_count(0)
    return page


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("status", STATUSES)
def test_every_status_says_what_to_do_next_and_by_when(browser, live_demo: LiveDemo, status, size):
    cert = _certification_in(live_demo, status)
    token = live_demo.peer_token(cert["person"]["id"])
    page = _open_status(browser, live_demo, token, size)
    card = page.locator(f"article.cert:has-text('No. {cert['number']}')")
    assert card.get_attribute("data-status") == status
    compliance = _get(live_demo, f"/v1/certifications/{cert['id']}/compliance", live_demo.admin_token())
    assert card.locator(".badge svg.icon").count() == 1  # drawn, not a font glyph
    text = card.inner_text()
    assert not any(f"{y}-" in text for y in ("2023", "2024", "2025", "2026", "2027")), "ISO dates leak"
    assert "Completion #" not in text and ".00 " not in text
    nxt = card.locator(".next")
    if status in ("in_progress", "due_soon") and compliance["remaining_hours"] > 0:
        assert (
            _plain(compliance["filing_due_on"]) in nxt.inner_text().replace("\n", " ")
            or f"{date.fromisoformat(compliance['filing_due_on']):%B}" in nxt.inner_text()
        )
    if status == "overdue":
        words = nxt.inner_text()
        assert "late" in words.lower()
        if compliance["as_of"] > compliance["cycle_end"]:
            assert f"{date.fromisoformat(compliance['grace_ends_on']):%B} " in words  # the grace end is the deadline
    if status in ("lapsed", "suspended", "revoked", "inactive"):
        words = nxt.inner_text()
        assert "Contact" in words and card.locator(".gap").count() == 0
        assert "Courses that would close your gap" not in text
        if status == "lapsed":
            assert "only your board can reinstate it" in words
    if status == "compliant":
        assert "Nothing for now" in nxt.inner_text()
    assert page.evaluate("document.documentElement.scrollWidth") <= size["width"]
    screenshot(card, f"status-{status}-{'phone' if size is PHONE else 'desktop'}.png")
    page.close()


PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


@pytest.mark.parametrize("size", SIZES)
def test_a_peer_reports_outside_ce_with_a_file_and_sees_it_waiting(
    browser,
    live_demo: LiveDemo,
    size,
    tmp_path,
):
    cert = _certification_in(live_demo, "in_progress")
    token = live_demo.peer_token(cert["person"]["id"])
    page = _open_status(browser, live_demo, token, size)
    label = "phone" if size is PHONE else "desktop"
    title = f"Regional peer conference: ethics panel ({label})"
    bogus = tmp_path / "certificate.pdf"
    bogus.write_bytes(b"GIF89a not a pdf")
    form = page.locator("#report-form")
    form.get_by_label("Course or session title").fill(title)
    form.get_by_label("Who gave it").fill("Regional Peer Network")
    form.get_by_label("Hours").fill("1.5")
    form.get_by_label("Date completed").fill(live_demo.report.today.replace(day=1).isoformat())
    form.get_by_label("How it was given").select_option("in_person")
    form.get_by_label("Certificate of attendance (optional)").set_input_files(str(bogus))
    form.get_by_role("button", name="Send for review").click()
    alert = page.locator("#message[role=alert]")
    alert.wait_for()
    assert "PDF, PNG or JPEG" in alert.inner_text()  # the content was read, not the name
    assert _get(live_demo, "/v1/completions", token)["items"] == [] or all(
        x["title"] != title for x in _get(live_demo, "/v1/completions", token)["items"]
    )
    good = tmp_path / "attendance.pdf"
    good.write_bytes(PDF)
    form.get_by_label("Certificate of attendance (optional)").set_input_files(str(good))
    form.get_by_role("button", name="Send for review").click()
    expect(page.locator("#message")).to_contain_text("waiting for board review")
    row = page.locator(f"#reports li.report:has-text('{title}')")
    expect(row).to_contain_text("Waiting for board review")
    expect(row).to_contain_text("Certificate attached")
    mine = [x for x in _get(live_demo, "/v1/completions", token)["items"] if x["title"] == title]
    assert len(mine) == 1 and mine[0]["status"] == "pending" and mine[0]["has_evidence"] and mine[0]["hours"] == 1.5
    evidence = httpx.get(
        f"{live_demo.base_url}/v1/completions/{mine[0]['id']}/evidence", headers={"Authorization": f"Bearer {token}"}
    )
    assert evidence.content == PDF
    assert page.evaluate("document.documentElement.scrollWidth") <= size["width"]
    screenshot(page.locator("#self-report"), f"self-report-{label}.png")
    page.close()


@pytest.mark.parametrize("size", SIZES)
def test_the_board_reviews_a_self_report_and_the_peer_reads_the_reason(
    browser,
    live_demo: LiveDemo,
    size,
):
    from app.auth.tokens import mint_dev_token

    state = live_demo.report.board_state
    admin = live_demo.admin_token()
    cert = next(
        c
        for c in _get(live_demo, "/v1/certifications", admin, state=state, status="in_progress", limit=50)["items"]
        if c["id"] not in {x["id"] for x in _CHOSEN.values()}
    )
    peer = live_demo.peer_token(cert["person"]["id"])
    label = "phone" if size is PHONE else "desktop"
    sent = httpx.post(
        f"{live_demo.base_url}/v1/completions",
        headers={"Authorization": f"Bearer {peer}"},
        data={
            "title": f"Peer supervision workshop ({label})",
            "provider_name": "County network",
            "hours": "2",
            "modality": "live_virtual",
            "completed_on": live_demo.report.today.replace(day=2).isoformat(),
        },
        files={"evidence": ("c.pdf", PDF, "application/pdf")},
    )
    assert sent.status_code == 201, sent.text
    cid = sent.json()["id"]
    board = mint_dev_token(live_demo.settings, role="board", states=[state])
    page = browser.new_page(viewport=size)
    page.goto(f"{live_demo.base_url}/board#token={board}")
    item = page.locator(f"#reviews li[data-completion='{cid}']")
    expect(item).to_contain_text(f"{cert['person']['given_name']} {cert['person']['family_name']}")
    expect(item.get_by_role("button", name="Open the certificate")).to_be_visible()
    item.get_by_label("Reason the peer will see").fill("Please send the certificate with your hours on it")
    screenshot(page.locator("#reviews"), f"board-review-{label}.png")
    item.get_by_role("button", name="Reject").click()
    expect(item).to_contain_text("Rejected")
    mine = {x["id"]: x for x in _get(live_demo, "/v1/completions", peer)["items"]}
    assert mine[cid]["status"] == "rejected"
    page.close()
    status = _open_status(browser, live_demo, peer, size)
    row = status.locator(f"#reports li.report:has-text('Peer supervision workshop ({label})')")
    expect(row).to_contain_text("Not accepted")
    expect(row).to_contain_text("Please send the certificate with your hours on it")
    status.close()


@pytest.mark.parametrize("size", SIZES)
def test_the_transcript_prints_cleanly(browser, live_demo: LiveDemo, size):
    token = live_demo.peer_token()
    page = _open_status(browser, live_demo, token, size)
    page.get_by_role("link", name="See and print my transcript").click()
    page.locator(".paper-section").first.wait_for()
    api = _get(live_demo, f"/v1/people/{live_demo.report.featured_person_id}/transcript", token)
    assert page.locator(".paper-section").count() == len(api["certifications"])
    text = page.locator("#paper").inner_text()
    first = next(line for c in api["certifications"] for cycle in c["cycles"] for line in cycle["completions"])
    assert first["title"] in text and api["name"] in page.locator("#who").inner_text()
    assert "Completion #" not in text and not any(f"{y}-" in text for y in ("2024", "2025", "2026"))
    assert page.evaluate("document.documentElement.scrollWidth") <= size["width"]
    label = "phone" if size is PHONE else "desktop"
    screenshot(page, f"transcript-{label}.png", full_page=True)
    page.emulate_media(media="print")
    assert not page.locator("header.site").is_visible() and not page.locator("#print").is_visible()
    assert page.locator("#printed").is_visible()
    if size is DESKTOP:
        pdf = page.pdf(path=artifact("transcript.pdf"), format="Letter")
        assert pdf.startswith(b"%PDF-") and len(pdf) > 5000
    page.close()


@pytest.mark.parametrize("size", SIZES)
def test_a_certificate_page_has_a_qr_code_to_its_public_check(browser, live_demo: LiveDemo, size):
    token = live_demo.peer_token()
    accepted = [x for x in _get(live_demo, "/v1/completions", token, limit=500)["items"] if x["status"] == "accepted"]
    completion = accepted[-1]
    cert = _get(live_demo, f"/v1/completions/{completion['id']}/certificate", token)
    page = _open_status(browser, live_demo, token, size)  # signs in this tab
    page.goto(f"{live_demo.base_url}/certificate#id={completion['id']}")
    article = page.locator("article.certificate")
    article.wait_for()
    assert article.get_attribute("data-status") == "active"
    text = article.inner_text()
    assert completion["title"] in text and "Jordan Rivera" in text and cert["credential_id"] in text
    qr = article.locator("img.qr")
    qr.wait_for()
    assert qr.evaluate("img => img.decode().then(() => img.naturalWidth)") > 50  # the QR code loaded and drew
    uuid = cert["credential_id"].removeprefix("urn:uuid:")
    svg = httpx.get(f"{live_demo.base_url}/v1/certificates/{uuid}/qr")
    assert svg.status_code == 200 and svg.headers["content-type"].startswith("image/svg+xml") and b"<svg" in svg.content
    assert page.evaluate("document.documentElement.scrollWidth") <= size["width"]
    label = "phone" if size is PHONE else "desktop"
    screenshot(page, f"certificate-{label}.png", full_page=True)
    if size is DESKTOP:
        page.emulate_media(media="print")
        assert not page.locator("header.site").is_visible() and not page.locator("#print").is_visible()
        screenshot(page, "certificate-print.png", full_page=True)
        page.pdf(path=artifact("certificate.pdf"), format="Letter")
    # what the QR code opens: the public check, no token needed
    check = browser.new_page(viewport=size)
    check.goto(f"{live_demo.base_url}/certificate-check#{uuid}")
    verdict = check.locator(".check")
    verdict.wait_for()
    assert verdict.get_attribute("data-valid") == "true" and completion["title"] in verdict.inner_text()
    assert "Jordan" not in check.locator("main").inner_text()
    screenshot(check, f"certificate-check-{label}.png", full_page=True)
    check.goto(f"{live_demo.base_url}/certificate-check#00000000-0000-4000-8000-000000000000")
    check.reload()
    expect(check.locator("#message[role=alert]")).to_contain_text("No certificate has this id")
    check.close()
    page.close()
