"""A certificate as a wallet receives it: valid against the official OB 3.0 schema, verified by an independent
library with the key its `kid` resolves to, the same on every fetch, and saying nothing personal in clear."""

from __future__ import annotations

import hashlib

from sqlmodel import func, select

from app.certificates.models import Certificate
from tests import factories
from tests.catalog.helpers import audit_entries
from tests.certificates.conftest import BASE
from tests.certificates.verifier import Web, did_web_url, schema_errors, verify_vc_jwt
from tests.factories import learner
from tests.support.spec import app_spec


def _report(provider_client, peer, course, on="2025-06-10", **extra) -> dict:
    response = provider_client.post(
        "/v1/completions",
        json={**learner(peer["person"], peer["nc"]), "course_id": course["id"], "completed_on": on, **extra},
    )
    assert response.status_code == 201, response.text
    return response.json()


def test_a_fetched_certificate_validates_against_the_official_schema_and_verifies_independently(
    client, tokens, provider_client, course, peer
):
    completion = _report(provider_client, peer, course)
    me = client.as_(tokens.peer(peer["person"]["id"]))
    response = me.get(f"/v1/completions/{completion['id']}/certificate")
    assert response.status_code == 200, response.text
    cert = response.json()

    web = Web(client, "ce.example.org")
    verified = verify_vc_jwt(web, cert["certificate"])
    assert web.fetched == ["https://ce.example.org/.well-known/did.json"]  # the key came from the kid alone
    assert verified.header["kid"].startswith("did:web:ce.example.org#")
    assert verified.credential["issuer"]["id"] == "did:web:ce.example.org"
    assert did_web_url(verified.claims["iss"]) == "https://ce.example.org/.well-known/did.json"

    # the official OB 3.0 schema (VC Data Model 2.0), on the credential and on the whole JWT payload
    assert schema_errors(verified.credential) == []
    assert schema_errors(verified.claims) == []
    assert verified.credential["@context"][0] == "https://www.w3.org/ns/credentials/v2"
    assert "OpenBadgeCredential" in verified.credential["type"]
    assert verified.credential == cert["credential"]  # what the API shows is what is signed

    subject = verified.credential["credentialSubject"]
    assert subject["id"].startswith("urn:uuid:") and verified.claims["sub"] == subject["id"]
    for personal in (peer["person"]["email"], peer["person"]["family_name"], peer["nc"]["number"]):
        assert personal not in cert["certificate"] and personal not in str(cert["credential"])
    identity = subject["identifier"][0]
    expected = hashlib.sha256((peer["person"]["email"].lower() + identity["salt"]).encode()).hexdigest()
    assert identity == {
        "type": "IdentityObject",
        "identityType": "emailAddress",
        "hashed": True,
        "identityHash": f"sha256${expected}",
        "salt": identity["salt"],
    }


def test_the_achievement_names_the_course_its_hours_and_the_approving_board(
    admin, client, tokens, provider_client, course, peer
):
    approved = admin.post(
        f"/v1/courses/{course['id']}/approvals",
        json={"credential_code": "VA-RPRS", "categories": ["ethics"], "valid_from": "2025-01-01"},
    )
    assert approved.status_code == 201, approved.text
    completion = _report(provider_client, peer, course, hours=2)
    cert = client.as_(tokens.board("VA")).get(f"/v1/completions/{completion['id']}/certificate").json()
    subject = cert["credential"]["credentialSubject"]
    achievement = subject["achievement"]
    assert achievement["id"] == f"{BASE}/v1/courses/{course['id']}"
    assert achievement["name"] == course["title"] and achievement["achievementType"] == "Course"
    assert achievement["creditsAvailable"] == 3 and subject["creditsEarned"] == 2
    assert subject["activityEndDate"].startswith("2025-06-10T")
    assert achievement["creator"]["id"] == f"{BASE}/v1/providers/{course['provider_id']}"
    [board] = achievement["alignment"]
    assert board["targetCode"] == "VA-RPRS" and board["targetUrl"] == f"{BASE}/v1/credentials/VA-RPRS"
    va_body = admin.get("/v1/credentials/VA-RPRS").json()["current"]["rules"]["body"]
    assert board["targetFramework"] == va_body and "(ethics)" in board["targetDescription"]
    assert schema_errors(cert["credential"]) == []


def test_a_certificate_is_issued_once_and_identical_on_every_fetch(
    client, tokens, provider_client, course, peer, admin, db
):
    completion = _report(provider_client, peer, course)
    path = f"/v1/completions/{completion['id']}/certificate"
    fetches = [
        client.as_(token).get(path).json()
        for token in (
            tokens.peer(peer["person"]["id"]),
            tokens.board("NC"),
            tokens.board("VA"),
            tokens.provider(course["provider_id"]),
            tokens.admin(),
            tokens.peer(peer["person"]["id"]),
        )
    ]
    assert all(f == fetches[0] for f in fetches[1:])
    assert fetches[0]["status"] == "active" and fetches[0]["revoked_at"] is None
    assert (
        db.exec(
            select(func.count()).select_from(Certificate).where(Certificate.completion_id == completion["id"])
        ).one()
        == 1
    )
    [issued] = [
        e
        for e in audit_entries(
            admin,
            "certificate",
            db.exec(select(Certificate.id).where(Certificate.completion_id == completion["id"])).one(),
        )
        if e["action"] == "issue"
    ]
    assert issued["changes"]["credential_id"] == fetches[0]["credential_id"]


def test_a_learner_has_one_subject_id_in_all_their_certificates_and_another_learner_another(
    admin, client, tokens, provider_client, course, peer
):
    first = _report(provider_client, peer, course, on="2025-06-10")
    second = _report(provider_client, peer, course, on="2025-07-10")
    me = client.as_(tokens.peer(peer["person"]["id"]))
    ids = {
        me.get(f"/v1/completions/{c['id']}/certificate").json()["credential"]["credentialSubject"]["id"]
        for c in (first, second)
    }
    other = admin.post(
        "/v1/completions",
        json={
            "person_id": admin.post(
                "/v1/people", json={"given_name": "Sam", "family_name": "Okafor", "email": "sam.okafor@example.org"}
            ).json()["id"],
            "course_id": course["id"],
            "completed_on": "2025-06-10",
        },
    ).json()
    theirs = admin.get(f"/v1/completions/{other['id']}/certificate").json()["credential"]["credentialSubject"]["id"]
    assert len(ids) == 1 and theirs not in ids


def test_an_approved_self_report_gets_a_certificate_naming_the_reviewing_board(admin, client, tokens):
    va_peer = factories.certification(admin, credential_code="VA-RPRS", issued_on="2025-02-01")["person"]
    me = client.as_(tokens.peer(va_peer["id"]))
    reported = me.post(
        "/v1/completions",
        json={
            "title": "Ethics in peer work (state conference)",
            "provider_name": "Virginia peer conference",
            "hours": 1.5,
            "modality": "in_person",
            "completed_on": "2025-09-14",
        },
    ).json()
    assert me.get(f"/v1/completions/{reported['id']}/certificate").status_code == 409  # pending: none yet
    board = client.as_(tokens.board("VA"))
    assert (
        board.post(
            f"/v1/completions/{reported['id']}/review",
            json={"decision": "approve", "reason": "Agenda checked", "categories": ["ethics"]},
        ).status_code
        == 200
    )
    cert = me.get(f"/v1/completions/{reported['id']}/certificate").json()
    achievement = cert["credential"]["credentialSubject"]["achievement"]
    assert achievement["id"].startswith("urn:uuid:") and "creator" not in achievement
    assert "Virginia peer conference" in achievement["criteria"]["narrative"]
    assert [a["targetCode"] for a in achievement["alignment"]] == ["VA-RPRS"]
    assert cert["credential"]["credentialSubject"]["creditsEarned"] == 1.5
    assert schema_errors(cert["credential"]) == []


def test_the_jwks_and_the_did_document_publish_the_same_keys(client):
    did = client.get("/.well-known/did.json")
    jwks = client.get("/.well-known/jwks.json")
    assert did.status_code == jwks.status_code == 200
    assert "public" in did.headers["cache-control"]
    methods = did.json()["verificationMethod"]
    keys = jwks.json()["keys"]
    assert [m["id"] for m in methods] == [k["kid"] for k in keys] == did.json()["assertionMethod"]
    for method, key in zip(methods, keys, strict=True):
        assert method["type"] == "JsonWebKey2020" and method["publicKeyJwk"]["n"] == key["n"]
        assert key["kty"] == "RSA" and key["alg"] == "RS256" and "d" not in key and "d" not in method["publicKeyJwk"]
    assert client.get("/v1/certificates/keys").json() == jwks.json()


def test_the_documented_example_is_a_valid_credential():
    schemas = app_spec()["components"]["schemas"]
    [example] = schemas["AchievementCredential"]["examples"]
    assert schema_errors(example) == []
