"""Scope: every certification endpoint, every role. Out of scope reads are 404, as if absent."""

import pytest

from tests import factories

READS = ["/v1/certifications/{id}", "/v1/certifications/{id}/compliance", "/v1/certifications/{id}/history"]


@pytest.fixture
def nc_cert(admin):
    return factories.certification(admin, credential_code="NC-CPSS")


@pytest.mark.parametrize("path", READS)
def test_other_states_board_gets_404(client, tokens, nc_cert, path):
    assert client.as_(tokens.board("VA")).get(path.format(id=nc_cert["id"])).status_code == 404
    assert client.as_(tokens.board("NC")).get(path.format(id=nc_cert["id"])).status_code == 200
    assert client.as_(tokens.board("VA", "NC")).get(path.format(id=nc_cert["id"])).status_code == 200


@pytest.mark.parametrize("path", READS)
def test_provider_and_anonymous_are_refused(client, tokens, nc_cert, path):
    assert client.as_(tokens.provider(1)).get(path.format(id=nc_cert["id"])).status_code == 403
    assert client.get(path.format(id=nc_cert["id"])).status_code == 401


def test_other_states_board_cannot_write(client, tokens, nc_cert):
    va = client.as_(tokens.board("VA"))
    cid = nc_cert["id"]
    assert va.patch(f"/v1/certifications/{cid}", json={"number": "X-1"}).status_code == 404
    assert (
        va.post(
            f"/v1/certifications/{cid}/actions",
            json={"kind": "suspend", "effective_on": "2025-01-01", "reason": "nope"},
        ).status_code
        == 404
    )
    assert va.post(f"/v1/certifications/{cid}/compliance/simulate", json={}).status_code == 404


def test_lists_and_counts_exclude_other_states(client, tokens, admin, nc_cert):
    factories.certification(admin, credential_code="VA-RPRS")
    va_items = client.as_(tokens.board("VA")).get("/v1/certifications", params={"limit": 200}).json()["items"]
    assert va_items and all(c["state"] == "VA" for c in va_items)
    assert (
        client.as_(tokens.board("VA")).get("/v1/certifications", params={"credential_code": "NC-CPSS"}).json()["items"]
        == []
    )
    assert client.as_(tokens.provider(1)).get("/v1/certifications").status_code == 403


def test_audit_is_scoped_to_the_boards_states(client, tokens, nc_cert):
    nc = (
        client.as_(tokens.board("NC"))
        .get("/v1/audit", params={"entity": "certification", "id": nc_cert["id"]})
        .json()["items"]
    )
    assert [e["action"] for e in nc] == ["create"]
    va = (
        client.as_(tokens.board("VA"))
        .get("/v1/audit", params={"entity": "certification", "id": nc_cert["id"]})
        .json()["items"]
    )
    assert va == []
