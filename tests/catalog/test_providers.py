"""Course providers: registered by admins, listed publicly, each provider token scoped to itself."""

from __future__ import annotations

import pytest

from app.pagination import encode_cursor
from tests.catalog.helpers import audit_entries, new_provider, problem


def test_admin_registers_a_provider_and_anyone_can_read_it(admin, client):
    response = admin.post(
        "/v1/providers",
        json={
            "name": "Northwest Regional Training Center",
            "kind": "attc_region",
            "region": "HHS Region 10",
            "contact_email": "CE@Northwest.example.org",
        },
    )
    assert response.status_code == 201, response.text
    provider = response.json()
    assert response.headers["location"] == f"/v1/providers/{provider['id']}"
    assert provider["kind"] == "attc_region" and provider["contact_email"] == "ce@northwest.example.org"
    assert client.get(f"/v1/providers/{provider['id']}").json() == provider
    [entry] = audit_entries(admin, "provider", provider["id"])
    assert entry["action"] == "create" and entry["actor"].startswith("admin:")


def test_provider_names_are_unique(admin):
    new_provider(admin, name="Unique Peer Academy")
    body = problem(admin.post("/v1/providers", json={"name": "Unique Peer Academy"}), 409)
    assert "Unique Peer Academy" in body["detail"]


@pytest.mark.parametrize("role", ["board", "provider", "peer"])
def test_only_admins_register_providers(client, tokens, role):
    token = {
        "board": lambda: tokens.board("NC"),
        "provider": lambda: tokens.provider(1),
        "peer": lambda: tokens.peer(1),
    }[role]()
    problem(client.as_(token).post("/v1/providers", json={"name": "Not Allowed Center"}), 403)


def test_registering_a_provider_needs_a_token(client):
    problem(client.post("/v1/providers", json={"name": "Anonymous Center"}), 401)


def test_provider_kind_and_email_are_validated(admin):
    body = problem(
        admin.post(
            "/v1/providers", json={"name": "Odd Center", "kind": "spaceship", "contact_email": "nope", "owner": "me"}
        ),
        422,
    )
    assert {"body.kind", "body.contact_email", "body.owner"} <= {e["field"] for e in body["errors"]}


def test_providers_are_listed_publicly_page_by_page(admin, client):
    mine = [new_provider(admin, name=f"Paging Peer Center {i}", kind="peer_run_organization")["id"] for i in range(3)]
    seen, cursor = [], None
    while True:
        params = {"q": "paging peer", "limit": 2, **({"cursor": cursor} if cursor else {})}
        page = client.get("/v1/providers", params=params).json()
        seen += [p["id"] for p in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert seen == mine
    kinds = {p["kind"] for p in client.get("/v1/providers", params={"kind": "attc_region"}).json()["items"]}
    assert kinds == {"attc_region"}


def test_unknown_provider_is_404(client):
    problem(client.get("/v1/providers/999999"), 404)


def test_a_bad_cursor_is_400(client):
    problem(client.get("/v1/providers", params={"cursor": "not-a-cursor"}), 400)
    # JSON true is an int to Python, never an id: a 400, not a 500 from the database layer
    problem(client.get("/v1/providers", params={"cursor": encode_cursor(True)}), 400)
