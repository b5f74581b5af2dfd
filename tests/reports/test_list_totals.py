"""`?count=true` adds the exact `total` of a list within the caller's scope; without it there is none."""

from __future__ import annotations

from datetime import date

import pytest

from tests.reports.helpers import pages

LISTS = [  # (path, role, filters)
    ("/v1/certifications", "admin", {}),
    ("/v1/certifications", "board", {}),
    ("/v1/certifications", "board", {"status": "due_soon"}),
    ("/v1/certifications", "board", {"state": "VA"}),  # outside its states: 0
    ("/v1/certifications", "peer", {}),
    ("/v1/completions", "admin", {}),
    ("/v1/completions", "board", {"status": "accepted"}),
    ("/v1/completions", "provider", {}),
    ("/v1/flags", "admin", {}),
    ("/v1/flags", "board", {}),
    ("/v1/audit", "board", {"entity": "certification"}),
    ("/v1/audit", "admin", {}),
    ("/v1/sweeps", "admin", {}),
    ("/v1/webhooks", "board", {"include_inactive": "true"}),
    ("/v1/webhooks/deliveries", "board", {}),
    ("/v1/webhooks/deliveries", "admin", {}),
    ("/v1/providers", None, {}),
    ("/v1/providers/{alder}/courses", "provider", {}),
    ("/v1/providers/{alder}/courses", None, {}),
    ("/v1/courses", None, {"credential_code": "NC-CPSS"}),
    ("/v1/reports/due", "board", {"within_days": 366}),
]


def _client(env, role: str | None):
    w = env.world
    return {
        None: env.client,
        "admin": env.admin,
        "board": env.board("NC", "PA"),
        "provider": env.provider("alder"),
        "peer": env.as_(env.tokens.peer(w["sam"])),
    }[role]


@pytest.fixture
def hooked(env):
    """Webhooks of NC, PA and VA, and a sweep on a later day that queues deliveries to them."""
    for state in ("NC", "PA", "VA"):
        response = env.admin.post("/v1/webhooks", json={"state": state, "url": f"https://93.184.216.34/{state}-hook"})
        assert response.status_code == 201, response.text
    env.sweep(date(2026, 2, 3))
    return env


@pytest.mark.parametrize("path,role,filters", LISTS, ids=[f"{p}-{r}-{'-'.join(f) or 'all'}" for p, r, f in LISTS])
def test_total_counts_every_page_within_the_callers_scope(hooked, path, role, filters):
    env = hooked
    client = _client(env, role)
    url = path.format(alder=env.world["alder"])
    every = pages(client, url, limit=2, **filters)
    first = client.get(url, params={**filters, "limit": 2, "count": "true"})
    assert first.status_code == 200, first.text
    assert first.json()["total"] == len(every)
    assert "total" not in client.get(url, params={**filters, "limit": 2}).json()
    plain = client.get(url, params={**filters, "limit": 2, "count": "false"}).json()
    assert plain.keys() == {"items", "next_cursor"} | ({"as_of", "within_days"} if "due" in path else set())
    if len(every) > 2:  # the total is of every page, whichever page carries it
        second = client.get(url, params={**filters, "limit": 2, "count": "true", "cursor": first.json()["next_cursor"]})
        assert second.json()["total"] == len(every)
    assert len(every) > 0 or filters.get("state") == "VA", f"{url} as {role}: the world should give it something"


def test_a_boards_total_is_its_states_own(env):
    nc = env.board("NC").get("/v1/certifications", params={"count": "true"}).json()["total"]
    pa = env.board("PA").get("/v1/certifications", params={"count": "true"}).json()["total"]
    va = env.board("VA").get("/v1/certifications", params={"count": "true"}).json()["total"]
    assert nc + pa + va == env.admin.get("/v1/certifications", params={"count": "true"}).json()["total"]
    assert env.board("NC").get("/v1/certifications", params={"count": "true", "state": "VA"}).json()["total"] == 0
