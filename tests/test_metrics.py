"""/metrics: off by default, protected by its token, and showing what an operator needs to see."""

from __future__ import annotations

import re
from datetime import date

import pytest
from pydantic import SecretStr
from sqlmodel import select

from app.scheduler.models import Outbox
from tests import factories
from tests.scheduler.helpers import set_today, sweep, with_settings
from tests.support.apps import routed_app
from tests.support.client import ApiClient

TOKEN = "metrics-token-" + "x" * 20
PROBLEM = "application/problem+json"


@pytest.fixture
def metrics_app(settings, engine, session_factory):
    app = routed_app(settings.model_copy(update={"metrics_enabled": True, "metrics_token": SecretStr(TOKEN)}), engine)
    app.state.session_factory = session_factory
    return app


@pytest.fixture
def metrics_client(metrics_app):
    client = ApiClient(metrics_app)
    yield client
    client.close()


def scrape(client: ApiClient) -> str:
    response = client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain")
    assert response.headers["cache-control"] == "no-store"
    return response.text


def value(text: str, name: str, **labels: str) -> float:
    """The sample `name{labels}` of an exposition (0 when absent)."""
    wanted = ",".join(f'{k}="{v}"' for k, v in sorted(labels.items()))
    for line in text.splitlines():
        match = re.fullmatch(r"([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)", line)
        if match and match[1] == name and ",".join(sorted((match[2] or "").split(","))) == wanted:
            return float(match[3])
    return 0.0


def test_metrics_are_off_by_default(client):
    response = client.get("/metrics")
    assert response.status_code == 404 and response.headers["content-type"] == PROBLEM


def test_metrics_need_the_token(metrics_client):
    for headers in (
        {},
        {"Authorization": "Bearer wrong-token-of-some-length"},
        {"Authorization": f"Basic {TOKEN}"},
        {"Authorization": f"Bearer {TOKEN}x"},
    ):
        response = metrics_client.get("/metrics", headers=headers)
        assert response.status_code == 401, headers
        assert response.headers["content-type"] == PROBLEM and response.headers["www-authenticate"].startswith("Bearer")
        assert "peer_ce_" not in response.text


def test_metrics_stay_out_of_the_openapi_document(metrics_app):
    assert "/metrics" not in metrics_app.openapi()["paths"]


def test_a_request_shows_up_by_route_template_method_and_status(metrics_client, tokens):
    route = "/v1/verify/{credential_code}/{number}"
    before = scrape(metrics_client)
    assert metrics_client.get("/v1/verify/NC-CPSS/NO-SUCH-NUMBER").status_code == 404
    assert metrics_client.get("/v1/verify/NC-CPSS/ANOTHER-ONE").status_code == 404
    after = scrape(metrics_client)
    labels = {"method": "GET", "route": route, "status": "404"}
    assert (
        value(after, "peer_ce_http_requests_total", **labels)
        == value(before, "peer_ce_http_requests_total", **labels) + 2
    )
    assert value(after, "peer_ce_http_request_duration_seconds_count", **labels) >= 2
    assert value(after, "peer_ce_http_request_duration_seconds_bucket", **labels, le="+Inf") >= 2
    assert "NO-SUCH-NUMBER" not in after  # templates, never raw paths
    metrics_client.get("/no/such/path/at/all")
    assert (
        value(scrape(metrics_client), "peer_ce_http_requests_total", method="GET", route="unmatched", status="404") >= 1
    )


def test_pool_use_is_read_at_scrape_time(metrics_client, metrics_app):
    text = scrape(metrics_client)
    pool = metrics_app.state.engine.pool
    assert value(text, "peer_ce_db_pool_size") == pool.size()
    assert "peer_ce_db_pool_checked_out" in text and "peer_ce_db_pool_overflow" in text
    assert value(text, "peer_ce_metrics_database_up") == 1


def test_sweeps_and_the_outbox_backlog_show_up(metrics_app, metrics_client, db, tokens):
    admin = metrics_client.as_(tokens.admin())
    with_settings(metrics_app, webhook_allow_loopback=True)
    set_today(metrics_app, date(2026, 1, 5))
    hook = admin.post("/v1/webhooks", json={"state": "KY", "url": "http://127.0.0.1:9/hooks"})
    assert hook.status_code == 201, hook.text
    factories.certification(admin, credential_code="KY-APSS", issued_on="2025-02-01")  # due soon on that day
    before = scrape(metrics_client)
    sweep(metrics_app)
    after = scrape(metrics_client)
    assert (
        value(after, "peer_ce_sweep_runs_total", outcome="done")
        == value(before, "peer_ce_sweep_runs_total", outcome="done") + 1
    )
    assert value(after, "peer_ce_sweep_duration_seconds_count", outcome="done") >= 1
    assert (
        value(after, "peer_ce_outbox_pending", channel="webhook")
        == value(before, "peer_ce_outbox_pending", channel="webhook") + 1
    )

    row = db.exec(select(Outbox).where(Outbox.channel == "webhook")).one()
    row.status = "failed"
    db.add(row)
    db.commit()
    text = scrape(metrics_client)
    assert (
        value(text, "peer_ce_outbox_failed", channel="webhook")
        == value(after, "peer_ce_outbox_failed", channel="webhook") + 1
    )
    assert value(text, "peer_ce_outbox_pending", channel="webhook") == value(
        before, "peer_ce_outbox_pending", channel="webhook"
    )
