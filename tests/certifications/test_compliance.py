"""Compliance through the API: the engine's answer with every field of the contract."""

from datetime import UTC, datetime

from app.clock import FixedClock
from tests import factories

CONTRACT_FIELDS = {
    "status",
    "cycle_start",
    "cycle_end",
    "grace_ends_on",
    "required_hours",
    "earned_hours",
    "remaining_hours",
    "categories",
    "discarded_hours",
    "carryover_hours",
    "rule_version",
    "next_change_on",
    "previous_cycle",
    "reasons",
}


def test_compliance_carries_every_contract_field_with_numeric_hours(admin):
    cert = factories.certification(admin, credential_code="PA-CPS", issued_on="2025-01-10")
    body = admin.get(f"/v1/certifications/{cert['id']}/compliance", params={"as_of": "2025-06-01"}).json()
    assert set(body) >= CONTRACT_FIELDS
    assert body["status"] == "in_progress"
    assert body["cycle_start"] == "2025-01-10" and body["cycle_end"] == "2027-01-10"  # PA: expires on the anniversary
    assert body["required_hours"] == 36 and body["earned_hours"] == 0 and body["remaining_hours"] == 36
    assert {c["category"]: c["required_hours"] for c in body["categories"]}["ethics"] == 3
    assert body["next_change_on"] == "2026-10-12"  # 90 days before the cycle end
    assert any("36.00" in r for r in body["reasons"])


def test_status_walks_through_due_soon_overdue_and_lapsed(admin):
    cert = factories.certification(admin, credential_code="NC-CPSS", issued_on="2024-03-15")

    def status(day):
        return admin.get(f"/v1/certifications/{cert['id']}/compliance", params={"as_of": day}).json()

    assert status("2025-12-30")["status"] == "in_progress"
    assert status("2025-12-31")["status"] == "due_soon"  # 2026-03-31 minus 90 days
    assert status("2026-03-31")["status"] == "due_soon"
    overdue = status("2026-04-01")
    assert overdue["status"] == "overdue" and overdue["grace_ends_on"] == "2026-04-30"
    lapsed = status("2026-05-01")
    assert lapsed["status"] == "lapsed" and lapsed["next_change_on"] is None


def test_compliance_default_date_is_the_boards_today(app, admin):
    from datetime import UTC, datetime

    from app.clock import FixedClock

    cert = factories.certification(admin, issued_on="2024-03-15")
    # 03:00 UTC on April 1st is still March 31st in New York: the cycle's last day.
    app.state.clock = FixedClock(datetime(2026, 4, 1, 3, 0, tzinfo=UTC))
    body = admin.get(f"/v1/certifications/{cert['id']}/compliance").json()
    assert body["as_of"] == "2026-03-31" and body["status"] == "due_soon"


def test_birthday_anchored_credential_needs_the_birthday(admin):
    person = factories.person(admin)
    cert = factories.certification(admin, person_id=person["id"], credential_code="WA-CPSS")
    response = admin.get(f"/v1/certifications/{cert['id']}/compliance", params={"as_of": "2025-06-01"})
    assert response.status_code == 409 and "birth_month" in response.json()["detail"]
    admin.patch(f"/v1/people/{person['id']}", json={"birth_month": 7, "birth_day": 4})
    body = admin.get(f"/v1/certifications/{cert['id']}/compliance", params={"as_of": "2025-06-01"}).json()
    assert body["cycle_end"][5:] == "07-04"


def test_simulation_with_hypothetical_courses_writes_nothing(admin):
    cert = factories.certification(admin, credential_code="VA-RPRS", issued_on="2025-02-01")
    url = f"/v1/certifications/{cert['id']}/compliance"
    plan = {
        "as_of": "2025-12-01",
        "completions": [
            {
                "title": "Ethics for peers",
                "hours": 2,
                "modality": "live_virtual",
                "completed_on": "2025-11-01",
                "categories": ["ethics"],
            },
            {"title": "Harm reduction", "hours": 6, "modality": "in_person", "completed_on": "2025-11-02"},
        ],
    }
    simulated = admin.post(f"{url}/simulate", json=plan).json()
    assert simulated["status"] == "compliant" and simulated["earned_hours"] == 8
    actual = admin.get(url, params={"as_of": "2025-12-01"}).json()
    assert actual["status"] != "compliant" and actual["earned_hours"] == 0


def test_simulation_with_a_draft_rule_set(admin):
    cert = factories.certification(admin, credential_code="KY-APSS", issued_on="2025-02-01")
    draft = admin.get("/v1/credentials/KY-APSS").json()["current"]["rules"]
    draft["requirements"]["total_hours"] = 9
    draft["effective_from"] = "2025-01-01"
    body = admin.post(
        f"/v1/certifications/{cert['id']}/compliance/simulate", json={"as_of": "2025-03-01", "rule_set": draft}
    ).json()
    assert body["required_hours"] == 9
    draft["code"] = "NC-CPSS"
    wrong = admin.post(f"/v1/certifications/{cert['id']}/compliance/simulate", json={"rule_set": draft})
    assert wrong.status_code == 422 and wrong.json()["errors"][0]["field"] == "body.rule_set.code"


def test_a_peer_sees_exactly_their_own_certifications(client, tokens, admin):
    mine = factories.person(admin)
    other = factories.person(admin)
    a = factories.certification(admin, person_id=mine["id"], credential_code="NC-CPSS")
    b = factories.certification(admin, person_id=mine["id"], credential_code="PA-CPS")
    c = factories.certification(admin, person_id=other["id"])
    peer = client.as_(tokens.peer(mine["id"]))
    items = peer.get("/v1/me/certifications").json()["items"]
    assert {i["certification"]["id"] for i in items} == {a["id"], b["id"]}
    assert all("status" in i["compliance"] for i in items)
    assert {i["id"] for i in peer.get("/v1/certifications").json()["items"]} == {a["id"], b["id"]}
    assert peer.get(f"/v1/certifications/{c['id']}").status_code == 404
    assert peer.get(f"/v1/certifications/{c['id']}/compliance").status_code == 404
    assert peer.get(f"/v1/certifications/{a['id']}/compliance").status_code == 200
    assert (
        peer.post(
            f"/v1/certifications/{a['id']}/actions",
            json={"kind": "reinstate", "effective_on": "2025-01-01", "reason": "please"},
        ).status_code
        == 403
    )
    assert client.as_(tokens.board("NC")).get("/v1/me/certifications").status_code == 403


def test_a_what_if_with_a_course_next_week_is_evaluated_on_its_date(app, admin):
    """Without as_of, a planned course dated after today is not 'after the evaluation date': the what-if is
    evaluated as of the latest planned date (issue 19)."""
    app.state.clock = FixedClock(datetime(2025, 11, 20, 15, tzinfo=UTC))
    cert = factories.certification(admin, credential_code="VA-RPRS", issued_on="2025-02-01")
    url = f"/v1/certifications/{cert['id']}/compliance/simulate"
    plan = {
        "completions": [
            {
                "title": "Ethics for peers",
                "hours": 2,
                "modality": "live_virtual",
                "completed_on": "2025-11-27",
                "categories": ["ethics"],
            },
            {"title": "Harm reduction", "hours": 6, "modality": "in_person", "completed_on": "2025-11-26"},
        ]
    }
    body = admin.post(url, json=plan).json()
    assert body["as_of"] == "2025-11-27" and body["status"] == "compliant" and body["earned_hours"] == 8
    past = admin.post(url, json={"completions": [{**plan["completions"][1], "completed_on": "2025-11-02"}]}).json()
    assert past["as_of"] == "2025-11-20" and past["earned_hours"] == 6
    pinned = admin.post(url, json={"as_of": "2025-11-20", **plan}).json()
    assert pinned["earned_hours"] == 0  # an explicit as_of still wins


def test_a_peer_token_for_a_person_with_no_record_is_404(client, tokens):
    response = client.as_(tokens.peer(987654)).get("/v1/me/certifications")
    assert response.status_code == 404 and "987654" in response.json()["detail"]
