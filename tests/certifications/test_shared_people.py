"""A person certified in two states is a record of both: one board alone may not change it, and every
change to it shows in the audit log of each state."""

from __future__ import annotations

from sqlmodel import select

from app.people.models import Person
from tests import factories
from tests.catalog.helpers import problem

HEADER = "given_name,family_name,email,credential_code,number,issued_on\r\n"


def _import(client, text: str):
    return client.post(
        "/v1/certifications/import", content=(HEADER + text).encode(), headers={"Content-Type": "text/csv"}
    )


def _people(admin):
    va_only = factories.person(admin, family_name="Vance")
    factories.certification(admin, person_id=va_only["id"], credential_code="VA-RPRS")
    shared = factories.person(admin, family_name="Shared")
    factories.certification(admin, person_id=shared["id"], credential_code="NC-CPSS")
    factories.certification(admin, person_id=shared["id"], credential_code="VA-RPRS")
    return va_only, shared


def test_a_board_changes_a_person_only_when_it_holds_every_state_of_theirs(admin, client, tokens, db):
    va_only, shared = _people(admin)
    nc, va, both = (client.as_(tokens.board(*s)) for s in (["NC"], ["VA"], ["NC", "VA"]))
    problem(nc.patch(f"/v1/people/{va_only['id']}", json={"family_name": "Hacked"}), 404)
    refused = problem(nc.patch(f"/v1/people/{shared['id']}", json={"family_name": "Hacked"}), 403)
    assert "NC, VA" in refused["detail"] and "admin" in refused["detail"]
    problem(va.patch(f"/v1/people/{shared['id']}", json={"family_name": "Hacked"}), 403)
    assert db.get(Person, shared["id"]).family_name == "Shared"
    assert both.patch(f"/v1/people/{shared['id']}", json={"family_name": "Shared-Lee"}).status_code == 200
    for board in (nc, va):  # the correction is in both states' logs
        log = board.get("/v1/audit", params={"entity": "person", "id": shared["id"]}).json()["items"]
        assert log[0]["action"] == "update" and log[0]["changes"]["family_name"] == ["Shared", "Shared-Lee"]
        assert log[0]["states"] == ["NC", "VA"]


def test_a_board_attaches_a_certification_only_to_a_person_it_holds_whole(admin, client, tokens):
    va_only, shared = _people(admin)
    nc = client.as_(tokens.board("NC"))
    body = {"credential_code": "NC-CPSS", "number": "NC-ATTACH-9", "issued_on": "2025-01-15"}
    unknown = problem(nc.post("/v1/certifications", json={**body, "person_id": va_only["id"]}), 422)
    assert unknown["errors"][0]["field"] == "body.person_id"
    problem(nc.post("/v1/certifications", json={**body, "person_id": shared["id"]}), 403)
    assert nc.get("/v1/certifications", params={"q": "NC-ATTACH-9"}).json()["items"] == []


def test_an_import_cannot_rename_or_extend_another_states_person(admin, client, tokens, db):
    va_only, shared = _people(admin)
    nc = client.as_(tokens.board("NC"))
    for person in (va_only, shared):
        response = _import(nc, f"Hacked,ByNC,{person['email']},NC-CPSS,NC-IMP-{person['id']},2024-02-01\r\n")
        body = problem(response, 403)
        [row] = body["report"]["rows"]
        assert row["outcome"] == "error" and row["credential_code"] == "NC-CPSS"
        assert row["number"] == f"NC-IMP-{person['id']}"
        db.expire_all()
        assert db.get(Person, person["id"]).family_name == person["family_name"]
    assert (
        "VA"
        not in problem(_import(nc, f"X,Y,{va_only['email']},NC-CPSS,NC-IMP-X,2024-02-01\r\n"), 403)["report"]["rows"][
            0
        ]["errors"][0]["message"]
    )  # another state's person: no more said about them
    assert db.exec(select(Person).where(Person.family_name == "ByNC")).first() is None
    assert (
        client.as_(tokens.board("VA"))
        .get("/v1/audit", params={"entity": "person", "id": va_only["id"]})
        .json()["items"]
        == []
    )


def test_an_import_that_corrects_a_persons_name_is_audited_before_and_after(admin, client, tokens):
    nc = client.as_(tokens.board("NC"))
    created = _import(nc, "Ada,Byrne,ada.byrne@example.org,NC-CPSS,NC-REN-1,2024-02-01\r\n")
    assert created.status_code == 200 and created.json()["created"] == 1
    renamed = _import(nc, "Ada,Byrne-Cole,ada.byrne@example.org,NC-CPSS,NC-REN-1,2024-02-01\r\n")
    assert renamed.json()["updated"] == 1
    person_id = nc.get("/v1/certifications", params={"q": "NC-REN-1"}).json()["items"][0]["person"]["id"]
    log = nc.get("/v1/audit", params={"entity": "person", "id": person_id}).json()["items"]
    assert log[0]["action"] == "import:updated"
    assert log[0]["changes"] == {"family_name": ["Byrne", "Byrne-Cole"]} and log[0]["states"] == ["NC"]
