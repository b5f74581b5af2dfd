"""A board's CSV round trip: what the export writes, the import reads back unchanged."""

from __future__ import annotations

import csv
import io

from tests import factories
from tests.catalog.helpers import problem


def _import(client, text: str, **params):
    return client.post(
        "/v1/certifications/import", params=params, content=text.encode("utf-8"), headers={"Content-Type": "text/csv"}
    )


def _export(client, **params) -> str:
    response = client.get("/v1/certifications/export", params={"state": "NC", **params})
    assert response.status_code == 200
    return response.text


def test_export_import_export_is_byte_identical_and_changes_nothing(admin, client, tokens):
    nc = client.as_(tokens.board("NC"))
    tricky = [("+Zoë", "@Dubois"), ("=cmd", "-Lee"), ("Ana", "O'Neil")]
    for given, family in tricky:
        person = factories.person(admin, given_name=given, family_name=family)
        factories.certification(admin, person_id=person["id"], credential_code="NC-CPSS", issued_on="2025-03-15")
    first = _export(nc)
    assert "'+Zoë" in first and "'@Dubois" in first  # escaped for spreadsheets on the way out
    report = _import(nc, first)
    assert report.status_code == 200, report.text
    assert (report.json()["created"], report.json()["updated"], report.json()["errors"]) == (0, 0, 0)
    assert report.json()["unchanged"] == len(list(csv.DictReader(io.StringIO(first))))
    assert _export(nc) == first
    names = {
        (i["person"]["given_name"], i["person"]["family_name"])
        for i in nc.get("/v1/certifications", params={"state": "NC"}).json()["items"]
    }
    assert set(tricky) <= names  # the escape never reaches the record (or /verify)


def test_an_edited_export_updates_what_changed_and_audits_it(admin, client, tokens):
    nc = client.as_(tokens.board("NC"))
    person = factories.person(admin, family_name="Byrne")
    cert = factories.certification(admin, person_id=person["id"], credential_code="NC-CPSS", issued_on="2025-03-15")
    rows = list(csv.DictReader(io.StringIO(_export(nc))))
    mine = next(r for r in rows if r["id"] == str(cert["id"]))
    mine["family_name"], mine["issued_on"] = "Byrne-Cole", "2025-04-01"
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(rows[0]), lineterminator="\r\n")
    writer.writeheader()
    writer.writerow(mine)
    report = _import(nc, buffer.getvalue())
    assert report.json()["updated"] == 1
    log = nc.get("/v1/audit", params={"entity": "certification", "id": cert["id"]}).json()["items"]
    assert log[0]["changes"] == {"issued_on": ["2025-03-15", "2025-04-01"]}
    person_log = nc.get("/v1/audit", params={"entity": "person", "id": person["id"]}).json()["items"]
    assert person_log[0]["changes"] == {"family_name": ["Byrne", "Byrne-Cole"]}


def test_an_excel_export_starts_with_a_byte_order_mark_and_imports_as_it_is(admin, client, tokens):
    nc = client.as_(tokens.board("NC"))
    factories.certification(admin, credential_code="NC-CPSS", issued_on="2025-03-15")
    response = nc.get("/v1/certifications/export", params={"state": "NC", "excel": "true"})
    assert response.content.startswith("\ufeff".encode())
    report = nc.post("/v1/certifications/import", content=response.content, headers={"Content-Type": "text/csv"})
    assert report.status_code == 200 and report.json()["created"] == 0


def test_rows_that_disagree_with_the_record_or_fail_keep_their_identifiers(admin, client, tokens):
    nc = client.as_(tokens.board("NC"))
    cert = factories.certification(admin, credential_code="NC-CPSS", issued_on="2025-03-15")
    header = "id,given_name,family_name,email,credential_code,state,number,issued_on\r\n"
    text = (
        header
        + f"{cert['id'] + 1000},A,B,ab@example.org,NC-CPSS,NC,{cert['number']},2025-03-15\r\n"
        + "2,C,D,not-an-email,NC-CPSS,VA,NC-NEW-77,03/15/2025\r\n"
    )
    body = problem(_import(nc, text), 422)
    first, second = body["report"]["rows"]
    assert (first["credential_code"], first["number"]) == ("NC-CPSS", cert["number"])
    assert any(e["field"] == "id" for e in first["errors"])
    assert (second["credential_code"], second["number"]) == ("NC-CPSS", "NC-NEW-77")
    messages = {e["field"]: e["message"] for e in second["errors"]}
    assert "YYYY-MM-DD" in messages["issued_on"] and "email" in messages


def test_a_migrated_record_round_trips_with_its_current_cycle(app, admin, client, tokens):
    from datetime import date

    from tests.scheduler.helpers import set_today

    set_today(app, date(2026, 1, 5))
    nc = client.as_(tokens.board("NC"))
    person = factories.person(admin)
    created = admin.post(
        "/v1/certifications",
        json={
            "person_id": person["id"],
            "credential_code": "NC-CPSS",
            "number": "NC-MIG-1",
            "issued_on": "2021-02-01",
            "current_cycle_start": "2025-02-01",
            "carryover_hours": 2.5,
        },
    )
    assert created.status_code == 201, created.text
    first = _export(nc)
    row = next(r for r in csv.DictReader(io.StringIO(first)) if r["number"] == "NC-MIG-1")
    assert (row["current_cycle_start"], row["carryover_hours"]) == ("2025-02-01", "2.50")
    report = _import(nc, first)
    assert (report.json()["created"], report.json()["updated"], report.json()["errors"]) == (0, 0, 0)
    assert _export(nc) == first
