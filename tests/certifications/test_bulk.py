"""Boards' CSV import (all rows or none, idempotent) and export (formula-safe)."""

import csv
import io

HEADER = "given_name,family_name,email,credential_code,number,issued_on,external_ref\r\n"


def _post(client, text, dry_run=False):
    return client.post(
        "/v1/certifications/import",
        params={"dry_run": str(dry_run).lower()},
        content=text.encode(),
        headers={"Content-Type": "text/csv"},
    )


ROSTER = HEADER + (
    "Ana,Silva,ana@example.org,NC-CPSS,NC-9001,2024-03-15,R1\r\n"
    "Ben,Okafor,ben@example.org,NC-CPSS,NC-9002,2025-06-01,R2\r\n"
)


def test_import_creates_then_is_idempotent_then_updates(client, tokens):
    nc = client.as_(tokens.board("NC"))
    first = _post(nc, ROSTER)
    assert first.status_code == 200, first.text
    assert (first.json()["created"], first.json()["updated"]) == (2, 0)
    again = _post(nc, ROSTER).json()
    assert (again["created"], again["updated"], again["unchanged"]) == (0, 0, 2)
    changed = _post(nc, ROSTER.replace("2025-06-01", "2025-07-01")).json()
    assert (changed["updated"], changed["unchanged"]) == (1, 1)
    listed = nc.get("/v1/certifications", params={"q": "NC-9002"}).json()["items"]
    assert listed[0]["issued_on"] == "2025-07-01" and listed[0]["person"]["family_name"] == "Okafor"


def test_dry_run_reports_without_writing(client, tokens):
    nc = client.as_(tokens.board("NC"))
    report = _post(nc, ROSTER, dry_run=True).json()
    assert report["dry_run"] and report["created"] == 2
    assert [r["outcome"] for r in report["rows"]] == ["created", "created"]
    assert nc.get("/v1/certifications", params={"q": "NC-900"}).json()["items"] == []


def test_one_bad_row_writes_nothing_and_names_each_problem(client, tokens):
    nc = client.as_(tokens.board("NC"))
    bad = ROSTER + (
        "Cy,Diaz,not-an-email,NC-CPSS,NC-9003,2024-13-01,\r\n"
        "Di,Eze,di@example.org,VA-RPRS,VA-1,2024-01-01,\r\n"
        "Ed,Fox,ed@example.org,NC-CPSS,NC-9001,2024-01-01,\r\n"
    )
    response = _post(nc, bad)
    assert response.status_code == 403  # a row of another state's credential: not this board's to import
    body = response.json()
    rows = {r["row"]: r for r in body["report"]["rows"]}
    assert rows[1]["outcome"] == "created" and rows[2]["outcome"] == "created"
    assert {e["field"] for e in rows[3]["errors"]} == {"email", "issued_on"}
    assert "VA credential" in rows[4]["errors"][0]["message"]
    assert "row 1" in rows[5]["errors"][0]["message"]
    assert nc.get("/v1/certifications", params={"q": "NC-900"}).json()["items"] == []


def test_wrong_columns_and_media_type(client, tokens):
    nc = client.as_(tokens.board("NC"))
    response = _post(nc, "name,email\r\nA,a@example.org\r\n")
    assert response.status_code == 422
    assert "missing column(s): given_name" in response.json()["detail"]
    assert "unknown column(s): name" in response.json()["detail"]
    as_json = nc.post("/v1/certifications/import", json=[{"a": 1}])
    assert as_json.status_code in (415, 422)
    assert (
        client.as_(tokens.peer(1))
        .post("/v1/certifications/import", content=ROSTER.encode(), headers={"Content-Type": "text/csv"})
        .status_code
        == 403
    )


def test_export_is_scoped_and_formula_safe(client, tokens):
    nc = client.as_(tokens.board("NC"))
    _post(nc, HEADER + '=HYPERLINK("http://x"),@Evil,evil@example.org,NC-CPSS,NC-7777,2024-01-01,+1\r\n')
    _post(client.as_(tokens.board("PA")), HEADER + "Pat,Penn,pat@example.org,PA-CPS,PA-1,2024-01-01,\r\n")
    response = nc.get("/v1/certifications/export")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert {r["state"] for r in rows} == {"NC"}
    evil = next(r for r in rows if r["number"] == "NC-7777")
    assert evil["given_name"].startswith("'=") and evil["family_name"] == "'@Evil"
    assert evil["external_ref"] == "'+1" and evil["status"]
