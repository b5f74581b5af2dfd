"""A certification's own choices under its rules: the cycle length the holder chose (NY-NYCPS), the variants
it holds (NC's military designation, NY CRPA-Family), and the move off a superseded credential (WV-PRSS)."""

from __future__ import annotations

import csv
import io

from tests import factories


def _create(client, **body):
    person = factories.person(client)
    return client.post(
        "/v1/certifications",
        json={"person_id": person["id"], "issued_on": "2025-03-15", "number": f"N-{person['id']}", **body},
    )


def _compliance(client, cert_id, as_of="2025-06-01"):
    response = client.get(f"/v1/certifications/{cert_id}/compliance", params={"as_of": as_of})
    assert response.status_code == 200, response.text
    return response.json()


def test_the_holders_cycle_option_sets_the_cycle_and_shows_in_compliance(admin):
    created = _create(admin, credential_code="NY-NYCPS", cycle_option="two-year")
    assert created.status_code == 201, created.text
    cert = created.json()
    assert (cert["cycle_option"], cert["variants"]) == ("two-year", [])
    body = _compliance(admin, cert["id"])
    assert (body["cycle_option"], body["cycle_start"], body["cycle_end"], body["required_hours"]) == (
        "two-year",
        "2025-03-15",
        "2027-03-15",
        20,
    )
    assert any(r.startswith("Cycle option two-year renewal (20 credits): 24-month cycles") for r in body["reasons"])

    changed = admin.patch(f"/v1/certifications/{cert['id']}", json={"cycle_option": "one-year"})
    assert changed.status_code == 200, changed.text
    assert changed.json()["cycle_end"] == "2026-03-15"  # the stored status follows the new choice
    body = _compliance(admin, cert["id"])
    assert (body["cycle_option"], body["cycle_end"], body["required_hours"]) == ("one-year", "2026-03-15", 10)
    audit = admin.get("/v1/audit", params={"entity": "certification", "id": cert["id"]}).json()["items"]
    assert any(e["changes"].get("cycle_option") == ["two-year", "one-year"] for e in audit)


def test_a_cycle_option_is_required_where_the_rules_offer_some_and_refused_elsewhere(admin):
    missing = _create(admin, credential_code="NY-NYCPS")
    assert missing.status_code == 422
    assert missing.json()["errors"][0]["field"] == "body.cycle_option"
    assert "one of one-year, two-year" in missing.json()["errors"][0]["message"]
    unknown = _create(admin, credential_code="NY-NYCPS", cycle_option="three-year")
    assert unknown.status_code == 422  # the older page's three-year renewal is gone
    elsewhere = _create(admin, credential_code="NC-CPSS", cycle_option="two-year")
    assert elsewhere.status_code == 422 and "NC-CPSS offers no cycle options" in elsewhere.text


def test_a_variant_adds_its_hours_and_minimums(admin):
    created = _create(admin, credential_code="NY-CRPA", variants=["family"])
    assert created.status_code == 201, created.text
    body = _compliance(admin, created.json()["id"])
    assert (body["variants"], body["required_hours"]) == (["family"], 34)
    assert {c["category"]: c["required_hours"] for c in body["categories"]} == {
        "ethics": 4,
        "medication-supported-recovery": 4,
        "family-oriented": 6,
        "cultural-competence": 1,
    }
    msr = next(c for c in body["categories"] if c["category"] == "medication-supported-recovery")
    assert msr["once"] is True
    assert body["filing_due_on"] == "2028-01-29"  # 45 days before the expiry on 2028-03-14

    military = _create(admin, credential_code="NC-CPSS", variants=["military"]).json()
    body = _compliance(admin, military["id"])
    assert body["required_hours"] == 20 and body["categories"][0]["category"] == "military-specific"
    cleared = admin.patch(f"/v1/certifications/{military['id']}", json={"variants": []})
    assert cleared.status_code == 200 and cleared.json()["variants"] == []
    assert _compliance(admin, military["id"])["categories"] == []


def test_an_unknown_variant_is_refused_with_the_ones_that_exist(admin):
    response = _create(admin, credential_code="NC-CPSS", variants=["family"])
    assert response.status_code == 422
    assert response.json()["errors"][0]["message"] == "NC-CPSS has no variant family (variants: military)"


def test_no_new_certification_on_a_superseded_credential(admin):
    response = _create(admin, credential_code="WV-PRSS")
    assert response.status_code == 422
    assert "WV-PRSS is superseded by WV-PRSS-MH and WV-PRSS-SUD" in response.json()["detail"]


def test_a_wv_prss_certification_moves_to_its_successor_keeping_number_and_issue_date(admin, db, tokens, client):
    from app.certifications.models import Certification

    created = _create(admin, credential_code="WV-PRSS-MH").json()
    # a certification registered before the split: the record as the migration left it
    legacy = db.get(Certification, created["id"])
    legacy.credential_code = "WV-PRSS"
    db.add(legacy)
    db.flush()
    before = _compliance(admin, created["id"], "2026-09-01")
    assert (before["credential_code"], before["cycle_end"], before["filing_due_on"], before["status"]) == (
        "WV-PRSS",
        "2025-09-30",
        "2025-08-30",
        "lapsed",
    )

    wv = client.as_(tokens.board("WV"))
    refused = wv.patch(f"/v1/certifications/{created['id']}", json={"credential_code": "NC-CPSS"})
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["message"] == "one of: WV-PRSS-MH, WV-PRSS-SUD"
    moved = wv.patch(f"/v1/certifications/{created['id']}", json={"credential_code": "WV-PRSS-SUD"})
    assert moved.status_code == 200, moved.text
    assert (moved.json()["credential_code"], moved.json()["number"], moved.json()["issued_on"]) == (
        "WV-PRSS-SUD",
        created["number"],
        "2025-03-15",
    )
    after = _compliance(admin, created["id"], "2025-06-01")
    assert (after["credential_code"], after["cycle_end"], after["filing_due_on"]) == (
        "WV-PRSS-SUD",
        "2025-09-30",
        "2025-08-30",
    )
    back = wv.patch(f"/v1/certifications/{created['id']}", json={"credential_code": "WV-PRSS"})
    assert back.status_code == 422  # WV-PRSS-SUD names no successor


def test_the_csv_import_and_export_carry_cycle_option_and_variants(client, tokens):
    header = "given_name,family_name,email,credential_code,number,issued_on,cycle_option,variants\r\n"
    ny = client.as_(tokens.board("NY"))
    roster = header + (
        "Ana,Silva,ana@example.org,NY-NYCPS,NYCPS-1,2024-03-15,two-year,\r\n"
        "Ben,Okafor,ben@example.org,NY-CRPA,CRPA-1,2024-06-01,,family; vsr\r\n"
    )
    done = ny.post("/v1/certifications/import", content=roster.encode(), headers={"Content-Type": "text/csv"})
    assert done.status_code == 200, done.text
    assert done.json()["created"] == 2
    again = ny.post(
        "/v1/certifications/import",
        content=roster.replace("two-year", "one-year").encode(),
        headers={"Content-Type": "text/csv"},
    ).json()
    assert (again["updated"], again["unchanged"]) == (1, 1)
    rows = {r["number"]: r for r in csv.DictReader(io.StringIO(ny.get("/v1/certifications/export").text))}
    assert (rows["NYCPS-1"]["cycle_option"], rows["CRPA-1"]["variants"]) == ("one-year", "family;vsr")

    bad = header + "Cy,Doe,cy@example.org,NY-NYCPS,NYCPS-2,2024-03-15,,\r\n"
    refused = ny.post("/v1/certifications/import", content=bad.encode(), headers={"Content-Type": "text/csv"})
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["field"] == "row 1.cycle_option"
