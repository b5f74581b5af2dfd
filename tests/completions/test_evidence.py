"""Self-reports with an evidence file (multipart/form-data): stored by peer-ce, typed by content, readable only
by the peer and the boards of the peer's states; the board's review queue (issue 19)."""

from __future__ import annotations

import pytest

from tests import factories
from tests.security.corpus import assert_problem

PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
FORM = {
    "title": "Trauma-informed peer support (conference session)",
    "provider_name": "State peer conference",
    "hours": "1.5",
    "modality": "in_person",
    "completed_on": "2025-09-14",
}


def _send(client, token, *, fields=None, file=None):
    files = {"evidence": file} if file is not None else None
    return client.as_(token).post("/v1/completions", data=fields if fields is not None else FORM, files=files)


def test_a_peer_reports_outside_ce_with_a_file_and_sees_it_waiting(client, tokens, peer):
    token = tokens.peer(peer["person"]["id"])
    response = _send(client, token, file=("certificate.pdf", PDF, "application/pdf"))
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["status"] == "pending" and body["source"] == "self_report" and body["has_evidence"] is True
    assert body["hours"] == 1.5 and body["title"] == FORM["title"]
    mine = client.as_(token).get("/v1/completions").json()["items"]
    assert [(x["id"], x["has_evidence"]) for x in mine] == [(body["id"], True)]
    got = client.as_(token).get(f"/v1/completions/{body['id']}/evidence")
    assert got.status_code == 200 and got.content == PDF
    assert got.headers["content-type"] == "application/pdf" and got.headers["x-content-type-options"] == "nosniff"
    assert 'filename="certificate.pdf"' in got.headers["content-disposition"]
    trail = (
        client.as_(tokens.admin())
        .get("/v1/audit", params={"entity": "completion", "entity_id": str(body["id"])})
        .json()["items"]
    )
    attached = [e for e in trail if e["action"] == "attach_evidence"]
    assert len(attached) == 1 and attached[0]["changes"]["evidence"]["size_bytes"] == len(PDF)


def test_the_form_without_a_file_is_a_plain_self_report(client, tokens, peer):
    response = _send(client, tokens.peer(peer["person"]["id"]), file=("", b"", "application/octet-stream"))
    assert response.status_code == 201, response.text
    assert response.json()["has_evidence"] is False


def test_only_the_peer_and_the_boards_of_their_states_read_the_file(client, tokens, peer, provider):
    cid = _send(client, tokens.peer(peer["person"]["id"]), file=("c.png", PNG, "image/png")).json()["id"]
    url = f"/v1/completions/{cid}/evidence"
    assert client.as_(tokens.board("NC")).get(url).content == PNG
    assert client.as_(tokens.board("VA")).get(url).status_code == 200
    assert client.as_(tokens.admin()).get(url).status_code == 200
    other = factories.person(client.as_(tokens.admin()))
    for token in (tokens.board("PA"), tokens.peer(other["id"]), tokens.provider(provider["id"])):
        assert_problem(client.as_(token).get(url), 404)
    assert_problem(client.get(url), 401)


@pytest.mark.parametrize(
    ("name", "content", "claimed"),
    [
        ("certificate.pdf", b"MZ\x90\x00 not a pdf at all", "application/pdf"),  # the name and type lie
        ("notes.txt", b"plain text", "text/plain"),
        ("page.html", b"<html><script>alert(1)</script>", "image/png"),
    ],
)
def test_a_file_that_is_not_pdf_png_or_jpeg_is_415_and_nothing_is_written(client, tokens, peer, name, content, claimed):
    token = tokens.peer(peer["person"]["id"])
    assert_problem(_send(client, token, file=(name, content, claimed)), 415)
    assert client.as_(token).get("/v1/completions").json()["items"] == []


def test_a_file_past_the_limit_is_413(app, client, tokens, peer, monkeypatch):
    monkeypatch.setattr(app.state.settings, "evidence_max_bytes", 2048)
    token = tokens.peer(peer["person"]["id"])
    response = _send(client, token, file=("big.pdf", PDF + b"0" * 4096, "application/pdf"))
    assert_problem(response, 413)
    assert "2,048" in response.json()["detail"]
    assert client.as_(token).get("/v1/completions").json()["items"] == []


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"hours": "1e3"}, "hours"),
        ({"hours": "abc"}, "hours"),
        ({"completed_on": "14/09/2025"}, "completed_on"),
        ({"modality": "carrier pigeon"}, "modality"),
        ({"title": ""}, "body"),
        ({"surprise": "x"}, "surprise"),
    ],
)
def test_bad_form_fields_are_422_naming_the_field(client, tokens, peer, change, field):
    fields = {k: v for k, v in {**FORM, **change}.items() if v != ""}
    response = _send(client, tokens.peer(peer["person"]["id"]), fields=fields, file=("c.pdf", PDF, "application/pdf"))
    assert_problem(response, 422)
    assert any(field in e["field"] for e in response.json()["errors"]), response.json()


def test_two_files_or_another_body_type_are_refused(client, tokens, peer):
    token = tokens.peer(peer["person"]["id"])
    two = client.as_(token).post(
        "/v1/completions",
        data=FORM,
        files=[("evidence", ("a.pdf", PDF, "application/pdf")), ("evidence", ("b.pdf", PDF, "application/pdf"))],
    )
    assert two.status_code in (400, 422)
    xml = client.as_(token).post("/v1/completions", content=b"<completion/>", headers={"Content-Type": "text/xml"})
    assert_problem(xml, 415)


def test_the_board_review_queue_accepts_or_rejects_with_a_reason_the_peer_sees(client, tokens, peer):
    token = tokens.peer(peer["person"]["id"])
    first = _send(client, token, file=("c.pdf", PDF, "application/pdf")).json()
    second = _send(client, token, fields={**FORM, "title": "Another conference session"}).json()
    board = client.as_(tokens.board("NC"))
    queue = board.get("/v1/completions", params={"status": "pending"}).json()["items"]
    assert [(x["id"], x["has_evidence"]) for x in queue] == [(first["id"], True), (second["id"], False)]
    assert client.as_(tokens.board("PA")).get("/v1/completions", params={"status": "pending"}).json()["items"] == []
    ok = board.post(
        f"/v1/completions/{first['id']}/review", json={"decision": "approve", "reason": "Certificate checked"}
    )
    no = board.post(
        f"/v1/completions/{second['id']}/review",
        json={"decision": "reject", "reason": "No certificate of attendance: send one with a new report"},
    )
    assert ok.status_code == 200 and no.status_code == 200
    mine = {x["id"]: x for x in client.as_(token).get("/v1/completions").json()["items"]}
    assert mine[first["id"]]["status"] == "accepted"
    assert mine[second["id"]]["status"] == "rejected"
    assert mine[second["id"]]["review_reason"] == "No certificate of attendance: send one with a new report"
    assert board.get("/v1/completions", params={"status": "pending"}).json()["items"] == []


def test_a_file_named_beyond_latin_1_downloads_under_its_own_name(client, tokens, peer):
    """Names like "John’s certificate.pdf" (a curly apostrophe from a word processor) are common: the header
    carries an ASCII fallback and the exact name as RFC 5987 `filename*`, never a 500."""
    token = tokens.peer(peer["person"]["id"])
    cid = _send(client, token, file=("John’s CE – 2025.pdf", PDF, "application/pdf")).json()["id"]
    for reader in (token, tokens.board("NC")):
        got = client.as_(reader).get(f"/v1/completions/{cid}/evidence")
        assert got.status_code == 200 and got.content == PDF
        disposition = got.headers["content-disposition"]
        assert disposition.startswith('inline; filename="Johns CE  2025.pdf"')
        assert "filename*=UTF-8''John%E2%80%99s%20CE%20%E2%80%93%202025.pdf" in disposition


def test_a_corrected_self_report_keeps_its_evidence(client, tokens, peer):
    token = tokens.peer(peer["person"]["id"])
    original = _send(client, token, file=("certificate.pdf", PDF, "application/pdf")).json()
    response = client.as_(token).post(
        f"/v1/completions/{original['id']}/correct", json={"reason": "typo in the hours", "hours": 1}
    )
    assert response.status_code == 201, response.text
    corrected = response.json()
    assert corrected["has_evidence"] is True
    got = client.as_(tokens.board("NC")).get(f"/v1/completions/{corrected['id']}/evidence")
    assert got.status_code == 200 and got.content == PDF


def test_a_streamed_form_past_the_request_limit_is_413(app, client, tokens, peer):
    """A form sent chunked (no Content-Length) is cut off at the request size limit while it streams: 413,
    the answer a declared length gets, not a 400 about an unreadable form."""
    boundary = "peerceboundary"
    limit = app.state.settings.max_body_bytes

    async def body():
        yield (
            f'--{boundary}\r\nContent-Disposition: form-data; name="evidence"; filename="big.pdf"\r\n'
            "Content-Type: application/pdf\r\n\r\n%PDF-1.4\n"
        ).encode()
        for _ in range(limit // 65536 + 2):
            yield b"0" * 65536
        yield f"\r\n--{boundary}--\r\n".encode()

    response = client.as_(tokens.peer(peer["person"]["id"])).post(
        "/v1/completions", content=body(), headers={"Content-Type": f"multipart/form-data; boundary={boundary}"}
    )
    assert_problem(response, 413)
