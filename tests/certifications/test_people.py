from tests import factories


def test_board_registers_a_person_and_reads_it_back(client, tokens):
    board = client.as_(tokens.board("NC"))
    created = factories.person(board, email="Casey.Lee@Example.org", external_ref="NC-77")
    assert created["email"] == "casey.lee@example.org"
    fetched = board.get(f"/v1/people/{created['id']}")
    assert fetched.status_code == 200 and fetched.json()["external_ref"] == "NC-77"


def test_duplicate_email_is_409(admin):
    factories.person(admin, email="same@example.org")
    response = admin.post("/v1/people", json={"given_name": "A", "family_name": "B", "email": "SAME@example.org"})
    assert response.status_code == 409
    assert "already registered" in response.json()["detail"]


def test_invalid_email_and_unknown_fields_are_422(admin):
    response = admin.post(
        "/v1/people", json={"given_name": "A", "family_name": "B", "email": "nope", "ssn": "123-45-6789"}
    )
    assert response.status_code == 422
    fields = {e["field"] for e in response.json()["errors"]}
    assert {"body.email", "body.ssn"} <= fields


def test_birthday_needs_month_and_day_together(admin):
    response = admin.post(
        "/v1/people", json={"given_name": "A", "family_name": "B", "email": "b@example.org", "birth_month": 4}
    )
    assert response.status_code == 422


def test_patch_updates_and_is_audited(admin):
    person = factories.person(admin)
    response = admin.patch(f"/v1/people/{person['id']}", json={"family_name": "Nguyen"})
    assert response.status_code == 200 and response.json()["family_name"] == "Nguyen"
    audit = admin.get(f"/v1/audit?entity=person&id={person['id']}").json()["items"]
    assert audit[0]["action"] == "update"
    assert audit[0]["changes"]["family_name"][1] == "Nguyen"
    assert audit[0]["request_id"]


def test_patch_cannot_blank_a_name(admin):
    person = factories.person(admin)
    assert admin.patch(f"/v1/people/{person['id']}", json={"given_name": None}).status_code == 422


def test_people_scope(client, tokens):
    nc = client.as_(tokens.board("NC"))
    va = client.as_(tokens.board("VA"))
    person = factories.person(nc)
    assert va.get(f"/v1/people/{person['id']}").status_code == 404
    assert va.patch(f"/v1/people/{person['id']}", json={"family_name": "X"}).status_code == 404
    assert client.as_(tokens.peer(person["id"])).get(f"/v1/people/{person['id']}").status_code == 200
    assert client.as_(tokens.peer(person["id"] + 1)).get(f"/v1/people/{person['id']}").status_code == 404
    assert (
        client.as_(tokens.peer(person["id"])).patch(f"/v1/people/{person['id']}", json={"family_name": "X"}).status_code
        == 403
    )
    assert client.as_(tokens.provider(1)).get(f"/v1/people/{person['id']}").status_code == 404
    assert (
        client.as_(tokens.provider(1))
        .post("/v1/people", json={"given_name": "A", "family_name": "B", "email": "p@example.org"})
        .status_code
        == 403
    )
    assert client.get(f"/v1/people/{person['id']}").status_code == 401


def test_a_board_cannot_certify_another_states_person_but_sees_them_once_certified(client, tokens, admin):
    nc = client.as_(tokens.board("NC"))
    pa = client.as_(tokens.board("PA"))
    person = factories.person(nc)
    assert pa.get(f"/v1/people/{person['id']}").status_code == 404
    attach = pa.post(
        "/v1/certifications",
        json={
            "person_id": person["id"],
            "credential_code": "PA-CPS",
            "number": "PA-ATTACH-1",
            "issued_on": "2025-01-15",
        },
    )
    absent = pa.post(
        "/v1/certifications",
        json={"person_id": 999_999, "credential_code": "PA-CPS", "number": "PA-ATTACH-1", "issued_on": "2025-01-15"},
    )
    assert attach.status_code == absent.status_code == 422  # another state's person reads as no one
    assert attach.json()["detail"].replace(str(person["id"]), "N") == absent.json()["detail"].replace("999999", "N")
    factories.certification(admin, person_id=person["id"], credential_code="PA-CPS")
    assert pa.get(f"/v1/people/{person['id']}").status_code == 200
