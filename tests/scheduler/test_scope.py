"""Who may call the sweeps, flags and webhooks endpoints, and what each role sees."""

from __future__ import annotations

from datetime import date

import pytest
from sqlmodel import select

from app.scheduler.models import Outbox
from tests import factories
from tests.scheduler.helpers import set_today, sweep, with_settings


@pytest.fixture
def flagged(app, admin):
    """One due-soon certification in KY and one in NC, swept, with a webhook for each state."""
    set_today(app, date(2026, 1, 5))
    with_settings(app, webhook_allow_loopback=True)
    ky = factories.certification(admin, credential_code="KY-APSS", issued_on="2025-02-01")
    nc = factories.certification(admin, credential_code="NC-CPSS", issued_on="2024-02-10")
    hooks = {
        state: admin.post("/v1/webhooks", json={"state": state, "url": f"http://127.0.0.1:9/{state}"}).json()
        for state in ("KY", "NC")
    }
    sweep(app)
    return {"KY": ky, "NC": nc, "hooks": hooks}


def _roles(client, tokens, person_id: int = 1):
    return {
        "provider": client.as_(tokens.provider(1)),
        "peer": client.as_(tokens.peer(person_id)),
    }


@pytest.mark.parametrize(
    "method,path,body",
    [
        ("POST", "/v1/sweeps", {}),
        ("GET", "/v1/sweeps", None),
    ],
)
def test_sweeps_are_for_admins_only(client, tokens, admin, method, path, body):
    kw = {"json": body} if body is not None else {}
    assert client.request(method, path, **kw).status_code == 401
    for token in (tokens.board("NC"), tokens.provider(1), tokens.peer(1)):
        assert client.as_(token).request(method, path, **kw).status_code == 403
    assert admin.request(method, path, **kw).status_code in (200, 201)


def test_flags_admin_sees_all_boards_their_states_others_are_refused(client, tokens, admin, flagged):
    everything = admin.get("/v1/flags").json()["items"]
    assert {f["state"] for f in everything} >= {"KY", "NC"}
    ky = client.as_(tokens.board("KY")).get("/v1/flags").json()["items"]
    assert ky and {f["state"] for f in ky} == {"KY"}
    both = client.as_(tokens.board("KY", "NC")).get("/v1/flags").json()["items"]
    assert {f["state"] for f in both} == {"KY", "NC"}
    assert client.as_(tokens.board("VA")).get("/v1/flags").json()["items"] == []
    assert client.as_(tokens.board("KY")).get("/v1/flags", params={"state": "NC"}).json()["items"] == []
    assert client.as_(tokens.board("KY")).get("/v1/flags", params={"credential_code": "NC-CPSS"}).json()["items"] == []
    for other in _roles(client, tokens, flagged["KY"]["person"]["id"]).values():
        assert other.get("/v1/flags").status_code == 403
    assert client.get("/v1/flags").status_code == 401


def test_boards_manage_webhooks_of_their_states_only(client, tokens, flagged):
    ky = client.as_(tokens.board("KY"))
    assert ky.post("/v1/webhooks", json={"state": "NC", "url": "https://93.184.216.34/x"}).status_code == 403
    created = ky.post("/v1/webhooks", json={"state": "KY", "url": "https://93.184.216.34/x"})
    assert created.status_code == 201
    listed = ky.get("/v1/webhooks").json()["items"]
    assert listed and {w["state"] for w in listed} == {"KY"}
    nc_hook = flagged["hooks"]["NC"]["id"]
    assert ky.get(f"/v1/webhooks/{nc_hook}").status_code == 404
    assert ky.delete(f"/v1/webhooks/{nc_hook}").status_code == 404
    assert client.as_(tokens.board("NC")).get(f"/v1/webhooks/{nc_hook}").json()["active"] is True
    assert ky.delete(f"/v1/webhooks/{created.json()['id']}").status_code == 204
    for other in _roles(client, tokens).values():
        assert other.get("/v1/webhooks").status_code == 403
        assert other.post("/v1/webhooks", json={"state": "KY", "url": "https://93.184.216.34/x"}).status_code == 403
    assert client.get("/v1/webhooks").status_code == 401


def test_deliveries_are_seen_and_replayed_by_their_states_board(client, tokens, admin, flagged, db):
    nc_row = db.exec(select(Outbox).where(Outbox.channel == "webhook", Outbox.state == "NC")).first()
    ky_row = db.exec(select(Outbox).where(Outbox.channel == "webhook", Outbox.state == "KY")).first()
    email_row = db.exec(select(Outbox).where(Outbox.channel == "email")).first()
    ky = client.as_(tokens.board("KY"))
    seen = ky.get("/v1/webhooks/deliveries").json()["items"]
    assert seen and {d["state"] for d in seen} == {"KY"}
    assert ky.get(f"/v1/webhooks/deliveries/{nc_row.id}").status_code == 404
    assert ky.post(f"/v1/webhooks/deliveries/{nc_row.id}/replay").status_code == 404
    assert ky.post(f"/v1/webhooks/deliveries/{ky_row.id}/replay").status_code == 202
    assert admin.get(f"/v1/webhooks/deliveries/{email_row.id}").status_code == 404  # emails are not webhooks
    for other in _roles(client, tokens).values():
        assert other.get("/v1/webhooks/deliveries").status_code == 403
        assert other.post(f"/v1/webhooks/deliveries/{ky_row.id}/replay").status_code == 403


def test_a_peer_sees_the_flags_of_their_own_certification_in_its_history(client, tokens, flagged):
    ky = flagged["KY"]
    peer = client.as_(tokens.peer(ky["person"]["id"]))
    history = peer.get(f"/v1/certifications/{ky['id']}/history").json()
    assert [f["status"] for f in history["flags"]] == ["due_soon"]
    assert history["renewals"] == []
    assert (
        client.as_(tokens.peer(ky["person"]["id"])).get(f"/v1/certifications/{flagged['NC']['id']}/history").status_code
        == 404
    )
