"""Webhooks any receiver can check: each delivery carries Standard Webhooks' webhook-id, webhook-timestamp and
webhook-signature, verified here with the `standardwebhooks` reference library against a real delivery."""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import UTC, date, datetime, timedelta

import pytest
from standardwebhooks import Webhook, WebhookVerificationError

from tests import factories
from tests.catalog.helpers import problem
from tests.scheduler.helpers import deliver, set_today, sweep, with_settings
from tests.scheduler.servers import WebhookReceiver

TODAY = date(2026, 1, 5)


@pytest.fixture
def receiver():
    r = WebhookReceiver()
    yield r
    r.stop()


@pytest.fixture
def loopback(app):
    return with_settings(app, webhook_allow_loopback=True, webhook_max_attempts=3, webhook_retry_base_seconds=60)


def _due_soon_delivery(app, admin, url: str, **body) -> dict:
    """A KY subscription, and a KY certification due soon on TODAY: the sweep queues one webhook."""
    set_today(app, TODAY)
    response = admin.post("/v1/webhooks", json={"state": "KY", "url": url, **body})
    assert response.status_code == 201, response.text
    factories.certification(admin, credential_code="KY-APSS", issued_on="2025-02-01")
    assert sweep(app).flagged == 1
    return response.json()


def _now() -> datetime:
    return datetime.now(UTC)  # Standard Webhooks receivers refuse timestamps more than 5 minutes off


def test_a_real_delivery_verifies_with_the_standard_webhooks_library(app, admin, loopback, receiver):
    subscription = _due_soon_delivery(app, admin, receiver.url)
    secret = subscription["secret"]
    assert secret.startswith("whsec_") and len(base64.b64decode(secret.removeprefix("whsec_"))) == 32

    receiver.status = 503  # the first attempt fails: the retry is the same message, signed anew
    assert deliver(app, at=_now()).retried == 1
    receiver.status = 200
    assert deliver(app, at=_now() + timedelta(minutes=2)).delivered == 1
    first, retry = receiver.requests

    hook = Webhook(secret)
    headers = retry.headers
    payload = hook.verify(retry.body, headers)  # raises unless the signature and the timestamp hold
    assert payload["type"] == "flag.raised" and payload["flag"]["status"] == "due_soon"
    assert headers["webhook-id"] == first.headers["webhook-id"] and headers["webhook-id"].startswith("msg_")
    assert headers["webhook-signature"].startswith("v1,")
    with pytest.raises(WebhookVerificationError):
        hook.verify(retry.body.replace(b"due_soon", b"compliant"), headers)
    with pytest.raises(WebhookVerificationError):
        Webhook("whsec_" + base64.b64encode(b"x" * 32).decode()).verify(retry.body, headers)
    with pytest.raises(WebhookVerificationError):  # a replayed request, signed long ago
        hook.verify(first.body, {**first.headers, "webhook-timestamp": str(int(_now().timestamp()) - 3600)})

    # the deprecated header still comes, for one release: HMAC over "{timestamp}.{body}" with the secret's text
    expected = hmac.new(secret.encode(), headers["X-PeerCE-Timestamp"].encode() + b"." + retry.body, hashlib.sha256)
    assert headers["X-PeerCE-Signature"] == "sha256=" + expected.hexdigest()


def test_a_subscription_with_a_secret_of_the_old_kind_keeps_working(app, admin, loopback, receiver):
    secret = "a-board-chosen-secret-from-last-year"
    _due_soon_delivery(app, admin, receiver.url, secret=secret)
    assert deliver(app, at=_now()).delivered == 1
    [got] = receiver.requests
    assert Webhook(secret.encode()).verify(got.body, got.headers)["type"] == "flag.raised"
    as_whsec = "whsec_" + base64.b64encode(secret.encode()).decode()  # what docs/scheduler.md tells them to use
    assert Webhook(as_whsec).verify(got.body, got.headers)["type"] == "flag.raised"
    expected = hmac.new(secret.encode(), got.headers["X-PeerCE-Timestamp"].encode() + b"." + got.body, hashlib.sha256)
    assert got.headers["X-PeerCE-Signature"] == "sha256=" + expected.hexdigest()


def test_a_chosen_standard_secret_must_be_base64_of_enough_bytes(admin):
    chosen = "whsec_" + base64.b64encode(bytes(range(32))).decode()
    created = admin.post("/v1/webhooks", json={"state": "KY", "url": "https://93.184.216.34/hooks", "secret": chosen})
    assert created.status_code == 201 and created.json()["secret"] == chosen
    for bad in ("whsec_not*base64*at*all!!", "whsec_" + base64.b64encode(b"short").decode() + "=" * 8):
        body = problem(
            admin.post("/v1/webhooks", json={"state": "KY", "url": "https://93.184.216.34/hooks", "secret": bad}), 422
        )
        assert "whsec_" in str(body["errors"])
