"""Non-CE renewal requirements (attestations, service and supervision hours) met from recorded activity."""

from tests import factories


def _ca_cert_with_ce(admin):
    """A CA-CMPSS holder with all 20 CE hours (6 of law and ethics) earned, through simulation-free data."""
    cert = factories.certification(admin, credential_code="CA-CMPSS", issued_on="2025-01-15")
    return cert


def _compliance(client, cert, as_of, **extra):
    url = f"/v1/certifications/{cert['id']}/compliance"
    return (
        client.post(f"{url}/simulate", json={"as_of": as_of, **extra}).json()
        if extra
        else client.get(url, params={"as_of": as_of}).json()
    )


ENOUGH_CE = {
    "completions": [
        {
            "title": "Law and ethics",
            "hours": 6,
            "modality": "live_virtual",
            "completed_on": "2025-06-01",
            "categories": ["law-and-ethics"],
        },
        {"title": "Booster", "hours": 14, "modality": "in_person", "completed_on": "2025-07-01"},
    ]
}


def test_an_unsigned_attestation_keeps_a_cycle_unmet_and_signing_it_meets_it(client, tokens, admin):
    cert = _ca_cert_with_ce(admin)
    before = _compliance(admin, cert, "2025-08-01", **ENOUGH_CE)
    assert before["earned_hours"] == 20 and before["status"] != "compliant"
    other = {o["id"]: o for o in before["other_requirements"]}
    assert other["code-of-ethics"]["met"] is False
    peer = client.as_(tokens.peer(cert["person"]["id"]))
    signed = peer.post(
        f"/v1/certifications/{cert['id']}/activities",
        json={"requirement_id": "code-of-ethics", "on": "2025-07-15", "note": "Signed"},
    )
    assert signed.status_code == 201, signed.text
    assert signed.json()["kind"] == "attestation" and signed.json()["recorded_by"].startswith("peer:")
    after = _compliance(admin, cert, "2025-08-01", **ENOUGH_CE)
    assert after["status"] == "compliant"
    assert {o["id"]: o for o in after["other_requirements"]}["code-of-ethics"]["met"] is True
    assert [a["requirement_id"] for a in admin.get(f"/v1/certifications/{cert['id']}/activities").json()] == [
        "code-of-ethics"
    ]
    events = admin.get(f"/v1/certifications/{cert['id']}/history").json()["events"]
    assert events[-1]["action"] == "record_activity"


def test_an_attestation_outside_the_cycle_does_not_count(admin):
    cert = _ca_cert_with_ce(admin)
    admin.post(
        f"/v1/certifications/{cert['id']}/activities", json={"requirement_id": "code-of-ethics", "on": "2024-12-01"}
    )
    result = _compliance(admin, cert, "2025-08-01", **ENOUGH_CE)
    assert {o["id"]: o for o in result["other_requirements"]}["code-of-ethics"]["met"] is False


def test_unknown_requirement_hours_on_an_attestation_and_future_dates_are_422(admin):
    cert = _ca_cert_with_ce(admin)
    url = f"/v1/certifications/{cert['id']}/activities"
    unknown = admin.post(url, json={"requirement_id": "service", "on": "2025-02-01"})
    assert unknown.status_code == 422 and "code-of-ethics" in unknown.json()["detail"]
    hours = admin.post(url, json={"requirement_id": "code-of-ethics", "on": "2025-02-01", "hours": 2})
    assert hours.status_code == 422 and hours.json()["errors"][0]["field"] == "body.hours"
    future = admin.post(url, json={"requirement_id": "code-of-ethics", "on": "2099-01-01"})
    assert future.status_code == 422 and future.json()["errors"][0]["field"] == "body.on"


def test_activity_scope(client, tokens, admin):
    cert = _ca_cert_with_ce(admin)
    body = {"requirement_id": "code-of-ethics", "on": "2025-02-01"}
    url = f"/v1/certifications/{cert['id']}/activities"
    assert client.as_(tokens.board("NC")).post(url, json=body).status_code == 404
    assert client.as_(tokens.peer(cert["person"]["id"] + 1)).post(url, json=body).status_code == 404
    assert client.as_(tokens.provider(1)).post(url, json=body).status_code == 403
    assert client.as_(tokens.board("CA")).post(url, json=body).status_code == 201
