import csv
import io

from tests.catalog.helpers import problem
from tests.factories import learner


def test_transcript_per_cycle_in_json_and_csv(admin, client, tokens, provider_client, course, peer):
    pid = peer["person"]["id"]
    provider_client.post("/v1/completions", json={**learner(peer["person"], peer["nc"]), "course_id": course["id"],
                                                  "completed_on": "2025-06-10"})
    me = client.as_(tokens.peer(pid))
    transcript = me.get(f"/v1/people/{pid}/transcript").json()
    nc = next(c for c in transcript["certifications"] if c["credential_code"] == "NC-CPSS")
    line = nc["cycles"][-1]["completions"][0]
    assert line["counted_hours"] == 3 and line["outcome"] == "counted"
    va = next(c for c in transcript["certifications"] if c["credential_code"] == "VA-RPRS")
    assert any(li["outcome"] == "not_counted" for cyc in va["cycles"] for li in cyc["completions"])
    as_csv = me.get(f"/v1/people/{pid}/transcript", headers={"Accept": "text/csv"})
    rows = list(csv.DictReader(io.StringIO(as_csv.text)))
    assert as_csv.headers["content-type"].startswith("text/csv")
    assert any(r["credential_code"] == "NC-CPSS" and r["counted_hours"] == "3.00" for r in rows)
    assert client.as_(tokens.board("OH")).get(f"/v1/people/{pid}/transcript").status_code == 404


def test_certificate_is_a_signed_open_badge_that_verifies_until_voided(client, tokens, provider_client, course, peer):
    import jwt

    cid = provider_client.post("/v1/completions", json={**learner(peer["person"], peer["nc"]),
                                                         "course_id": course["id"],
                                                         "completed_on": "2025-06-10"}).json()["id"]
    me = client.as_(tokens.peer(peer["person"]["id"]))
    cert = me.get(f"/v1/completions/{cid}/certificate").json()
    vc = cert["credential"]
    assert "OpenBadgeCredential" in vc["type"] and vc["credentialSubject"]["achievement"]["name"] == course["title"]
    assert peer["person"]["email"] not in str(vc)
    header = jwt.get_unverified_header(cert["certificate"])
    assert header["alg"] == "ES256"
    keys = client.get("/v1/certificates/keys").json()["keys"]
    key = jwt.PyJWK(keys[0]).key
    claims = jwt.decode(cert["certificate"], key, algorithms=["ES256"], options={"verify_aud": False})
    assert claims["vc"]["id"] == vc["id"]
    ok = client.post("/v1/certificates/verify", json={"certificate": cert["certificate"]}).json()
    assert ok["valid"] and ok["hours"] == 3 and not ok["voided"]
    tampered = cert["certificate"][:-4] + ("AAAA" if not cert["certificate"].endswith("AAAA") else "BBBB")
    assert not client.post("/v1/certificates/verify", json={"certificate": tampered}).json()["signature_valid"]
    provider_client.post(f"/v1/completions/{cid}/void", json={"reason": "Did not attend"})
    after = client.post("/v1/certificates/verify", json={"certificate": cert["certificate"]}).json()
    assert not after["valid"] and after["voided"] and "Did not attend" in " ".join(after["reasons"])
    problem(me.get(f"/v1/completions/{cid}/certificate"), 409)
