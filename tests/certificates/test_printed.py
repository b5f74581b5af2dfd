"""A printed certificate's QR code and the public check it opens (issue 19): the code holds the check page's
address with the certificate's uuid; the check says valid or withdrawn and nothing about the learner."""

from __future__ import annotations

import io

import segno

from tests.certificates.conftest import BASE
from tests.certificates.test_revocation import _certified
from tests.security.corpus import assert_problem


def test_the_qr_code_opens_the_public_check_of_that_certificate(client, tokens, provider_client, course, peer):
    _, cert = _certified(provider_client, client, tokens, peer, course)
    uuid = cert["credential_id"].removeprefix("urn:uuid:")
    response = client.get(f"/v1/certificates/{uuid}/qr")
    assert response.status_code == 200 and response.headers["content-type"].startswith("image/svg+xml")
    expected = io.BytesIO()
    segno.make(f"{BASE}/certificate-check#{uuid}", error="m", micro=False).save(
        expected,
        kind="svg",
        scale=4,
        border=2,
        xmldecl=False,
        svgns=True,
        title="QR code: check this certificate",
        dark="#000",
        light="#fff",
    )
    assert response.content == expected.getvalue()  # the same modules as a QR code of exactly that address
    assert b"<script" not in response.content and b"href" not in response.content


def test_the_check_says_valid_then_withdrawn_after_a_void_and_never_names_the_learner(
    client, tokens, provider_client, course, peer
):
    completion, cert = _certified(provider_client, client, tokens, peer, course)
    uuid = cert["credential_id"].removeprefix("urn:uuid:")
    body = client.get(f"/v1/certificates/{uuid}/check").json()
    assert body["valid"] is True and body["achievement"] == course["title"] and body["hours"] == 3
    assert peer["person"]["family_name"] not in str(body) and peer["person"]["email"] not in str(body)
    provider_client.post(f"/v1/completions/{completion['id']}/void", json={"reason": "Did not attend (J. Doe)"})
    after = client.get(f"/v1/certificates/{uuid}/check").json()
    assert after["valid"] is False and after["voided"] is True
    assert "the completion was voided" in after["reasons"] and "Did not attend" not in str(after)  # no free text


def test_an_unknown_or_malformed_id_is_a_problem(client):
    assert_problem(client.get("/v1/certificates/00000000-0000-4000-8000-000000000000/check"), 404)
    assert_problem(client.get("/v1/certificates/00000000-0000-4000-8000-000000000000/qr"), 404)
    assert_problem(client.get("/v1/certificates/not-a-uuid/check"), 422)
