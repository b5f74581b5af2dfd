"""Revocation any verifier sees: a void or a correction sets the certificate's bit in a signed, cacheable W3C
Bitstring Status List, and peer-ce's own verification says revoked, voided or superseded."""

from __future__ import annotations

from sqlmodel import select

from app.certificates.models import Certificate
from tests.catalog.helpers import audit_entries, problem
from tests.certificates.verifier import Web, revoked, schema_errors, verify_vc_jwt
from tests.factories import learner


def _certified(provider_client, client, tokens, peer, course, on="2025-06-10") -> tuple[dict, dict]:
    completion = provider_client.post(
        "/v1/completions", json={**learner(peer["person"], peer["nc"]), "course_id": course["id"], "completed_on": on}
    ).json()
    cert = client.as_(tokens.peer(peer["person"]["id"])).get(f"/v1/completions/{completion['id']}/certificate")
    assert cert.status_code == 200, cert.text
    return completion, cert.json()


def _verify(client, cert: dict) -> dict:
    response = client.post("/v1/certificates/verify", json={"certificate": cert["certificate"]})
    assert response.status_code == 200, response.text
    return response.json()


def test_a_void_sets_the_bit_an_offline_verifier_reads(client, tokens, provider_client, course, peer):
    completion, cert = _certified(provider_client, client, tokens, peer, course)
    _, other = _certified(provider_client, client, tokens, peer, course, on="2025-07-01")
    web = Web(client, "ce.example.org")
    assert not revoked(web, cert["credential"]) and not revoked(web, other["credential"])
    assert _verify(client, cert)["valid"]

    voided = provider_client.post(f"/v1/completions/{completion['id']}/void", json={"reason": "Did not attend"})
    assert voided.status_code == 200, voided.text

    assert revoked(web, cert["credential"])  # what any verifier holding only the certificate now sees
    assert not revoked(web, other["credential"])
    verify_vc_jwt(web, cert["certificate"])  # the signature itself stays valid: the list says it is revoked
    result = _verify(client, cert)
    assert (result["valid"], result["signature_valid"], result["revoked"], result["voided"], result["superseded"]) == (
        False,
        True,
        True,
        True,
        False,
    )
    reasons = " ".join(result["reasons"])
    assert "the completion was voided" in reasons and "Did not attend" not in reasons  # never the free text
    assert peer["person"]["email"] not in str(result) and peer["person"]["family_name"] not in str(result)

    again = client.as_(tokens.peer(peer["person"]["id"])).get(f"/v1/completions/{completion['id']}/certificate")
    assert again.status_code == 200
    assert again.json()["certificate"] == cert["certificate"]  # the same token: served unchanged
    assert (again.json()["status"], again.json()["revocation_reason"]) == ("revoked", "voided")


def test_the_status_list_is_a_signed_credential_verifiers_may_cache(client, tokens, provider_client, course, peer):
    completion, cert = _certified(provider_client, client, tokens, peer, course)
    url = cert["credential"]["credentialStatus"]["statusListCredential"]
    path = url.removeprefix("https://ce.example.org")
    first = client.get(path)
    assert first.status_code == 200 and first.headers["content-type"].startswith("application/vc+jwt")
    assert first.headers["cache-control"] == "public, max-age=300"
    etag = first.headers["etag"]
    listed = verify_vc_jwt(Web(client, "ce.example.org"), first.text).credential
    assert listed["issuer"] == "did:web:ce.example.org" and listed["credentialSubject"]["ttl"] == 300_000
    assert listed["@context"] == ["https://www.w3.org/ns/credentials/v2"]

    assert client.get(path).text == first.text  # the same list, the same signed bytes
    unchanged = client.get(path, headers={"If-None-Match": etag})
    assert unchanged.status_code == 304 and unchanged.headers["etag"] == etag and not unchanged.content

    provider_client.post(f"/v1/completions/{completion['id']}/void", json={"reason": "Reported twice"})
    changed = client.get(path, headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["etag"] != etag
    problem(client.get("/v1/certificates/status/999999"), 404)


def test_a_correction_reissues_and_the_old_certificate_is_superseded(
    client, tokens, provider_client, course, peer, admin, db
):
    completion, old = _certified(provider_client, client, tokens, peer, course)
    corrected = provider_client.post(
        f"/v1/completions/{completion['id']}/correct", json={"reason": "Attended 2 of the 3 hours", "hours": 2}
    )
    assert corrected.status_code == 201, corrected.text
    new_completion = corrected.json()
    assert new_completion["id"] != completion["id"] and new_completion["hours"] == 2
    assert corrected.headers["location"] == f"/v1/completions/{new_completion['id']}"
    assert admin.get(f"/v1/completions/{completion['id']}").json()["status"] == "voided"

    me = client.as_(tokens.peer(peer["person"]["id"]))
    new = me.get(f"/v1/completions/{new_completion['id']}/certificate").json()
    assert new["credential"]["credentialSubject"]["creditsEarned"] == 2 and new["status"] == "active"
    assert new["credential"]["credentialSubject"]["id"] == old["credential"]["credentialSubject"]["id"]
    assert schema_errors(new["credential"]) == []
    web = Web(client, "ce.example.org")
    assert revoked(web, old["credential"]) and not revoked(web, new["credential"])

    before = me.get(f"/v1/completions/{completion['id']}/certificate").json()
    assert (before["status"], before["revocation_reason"], before["superseded_by"]) == (
        "revoked",
        "superseded",
        new["credential_id"],
    )
    result = _verify(client, old)
    assert (result["valid"], result["revoked"], result["voided"], result["superseded"]) == (False, True, True, True)
    assert result["superseded_by"] == new["credential_id"]
    assert _verify(client, new)["valid"]
    old_id = db.exec(select(Certificate.id).where(Certificate.completion_id == completion["id"])).one()
    assert [e["action"] for e in audit_entries(admin, "certificate", old_id)] == ["supersede", "revoke", "issue"]


def test_a_correction_keeps_the_callers_rules(client, tokens, provider_client, course, peer, admin):
    completion, _ = _certified(provider_client, client, tokens, peer, course)
    me = client.as_(tokens.peer(peer["person"]["id"]))
    problem(
        me.post(
            f"/v1/completions/{completion['id']}/correct", json={"reason": "Wrong date", "completed_on": "2025-06-11"}
        ),
        403,
    )
    problem(
        client.as_(tokens.board("OH")).post(
            f"/v1/completions/{completion['id']}/correct", json={"reason": "Wrong date"}
        ),
        404,
    )
    problem(
        provider_client.post(f"/v1/completions/{completion['id']}/correct", json={"reason": "Too long", "hours": 4}),
        422,
    )  # more than the course's 3 hours
    assert admin.get(f"/v1/completions/{completion['id']}").json()["status"] == "accepted"  # nothing changed
    provider_client.post(f"/v1/completions/{completion['id']}/void", json={"reason": "Not there"})
    problem(provider_client.post(f"/v1/completions/{completion['id']}/correct", json={"reason": "Again"}), 409)


def test_verification_refuses_what_this_issuer_did_not_sign(client, tokens, provider_client, course, peer):
    _, cert = _certified(provider_client, client, tokens, peer, course)
    header, payload, signature = cert["certificate"].split(".")
    tampered = f"{header}.{payload}.{signature[:-4]}{'AAAA' if not signature.endswith('AAAA') else 'BBBB'}"
    for token in (tampered, "eyJhbGciOiJSUzI1NiJ9.e30.c2lnbmF0dXJl", "not-a-token-at-all"):
        result = client.post("/v1/certificates/verify", json={"certificate": token}).json()
        assert not result["valid"] and not result["signature_valid"], result
