from tests import factories


def test_anyone_can_verify_a_number_and_learns_nothing_else(client, admin):
    person = factories.person(admin, given_name="Casey", family_name="Lee", email="casey@example.org")
    cert = factories.certification(admin, person_id=person["id"], number="NC-0042", issued_on="2025-03-15")
    response = client.get("/v1/verify/NC-CPSS/NC-0042")
    assert response.status_code == 200
    body = response.json()
    assert body == {
        "name": "Casey Lee",
        "credential_code": "NC-CPSS",
        "credential_name": "Certified Peer Support Specialist",
        "state": "NC",
        "number": "NC-0042",
        "status": body["status"],
        "current_cycle_end": "2027-03-31",
    }
    assert "casey@example.org" not in response.text
    assert str(cert["person"]["id"]) not in response.text.split('"number"')[0]


def test_unknown_number_is_404(client):
    assert client.get("/v1/verify/NC-CPSS/NOPE-1").status_code == 404
