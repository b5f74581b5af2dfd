"""Notifications: outbox rows with each flag, signed webhooks with retries, peer emails over SMTP."""

from __future__ import annotations

import email
import email.policy
import hashlib
import hmac
import json
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlmodel import select

from app.scheduler.models import Outbox, WebhookDeliveryAttempt, WebhookSubscription
from tests import factories
from tests.scheduler.helpers import deliver, set_today, sweep, with_settings
from tests.scheduler.servers import SmtpServer, WebhookReceiver

TODAY = date(2026, 1, 5)
T0 = datetime(2026, 1, 5, 17, 0, tzinfo=UTC)


@pytest.fixture
def receiver():
    r = WebhookReceiver()
    yield r
    r.stop()


@pytest.fixture
def smtp():
    s = SmtpServer()
    yield s
    s.stop()


@pytest.fixture
def loopback(app):
    return with_settings(app, webhook_allow_loopback=True, webhook_max_attempts=3, webhook_retry_base_seconds=60)


def _subscribe(client, url: str, state: str = "KY") -> dict:
    response = client.post("/v1/webhooks", json={"state": state, "url": url})
    assert response.status_code == 201, response.text
    return response.json()


def _due_soon_ky(admin) -> dict:
    """KY-APSS issued 2025-02-01: its cycle ends 2026-01-31, so it is due soon on TODAY with 6 hours unmet."""
    return factories.certification(admin, credential_code="KY-APSS", issued_on="2025-02-01")


def verify(secret: str, timestamp: str, body: bytes, signature: str) -> bool:
    """The receiver's side, as docs/scheduler.md tells boards to do it."""
    expected = "sha256=" + hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, signature)


def test_a_loopback_receiver_gets_signed_verifiable_deliveries(app, admin, loopback, receiver, db):
    set_today(app, TODAY)
    sub = _subscribe(admin, receiver.url)
    assert len(sub["secret"]) >= 32
    assert "secret" not in admin.get(f"/v1/webhooks/{sub['id']}").json()
    cert = _due_soon_ky(admin)
    run = sweep(app)
    assert (run.flagged, run.notified) == (1, 2)  # the state's webhook and the peer's email
    report = deliver(app)
    assert report.delivered == 1 and report.not_configured == 1

    assert len(receiver.requests) == 1
    got = receiver.requests[0]
    assert got.path == "/hooks/peer-ce" and got.headers["Content-Type"] == "application/json"
    timestamp, signature = got.headers["X-PeerCE-Timestamp"], got.headers["X-PeerCE-Signature"]
    assert int(timestamp) == int(T0.timestamp())
    assert verify(sub["secret"], timestamp, got.body, signature)
    assert not verify(sub["secret"], timestamp, got.body.replace(b"due_soon", b"compliant"), signature)
    assert not verify("another-secret-of-some-length", timestamp, got.body, signature)

    payload = json.loads(got.body)
    assert payload["flag"]["status"] == "due_soon" and payload["flag"]["certification_id"] == cert["id"]
    assert payload["flag"]["state"] == "KY" and payload["flag"]["cycle_start"] == "2025-02-01"
    assert payload["deadline"] == "2026-01-31"
    assert payload["unmet"] == [
        {
            "requirement": "total",
            "label": "Total CE hours",
            "required_hours": 6.0,
            "earned_hours": 0.0,
            "remaining_hours": 6.0,
        }
    ]
    assert payload["status_url"] == f"{app.state.settings.base_url}/status"
    assert "6.00 Total CE hours" in payload["message"] and "2026-01-31" in payload["message"]
    assert payload["delivery_id"] == int(got.headers["X-PeerCE-Delivery"])

    deliveries = admin.get("/v1/webhooks/deliveries").json()["items"]
    assert [(d["status"], d["attempts"], d["url"]) for d in deliveries] == [("delivered", 1, receiver.url)]
    detail = admin.get(f"/v1/webhooks/deliveries/{deliveries[0]['id']}").json()
    assert [(a["attempt"], a["status_code"], a["error"]) for a in detail["attempt_log"]] == [(1, 200, None)]
    assert deliver(app).delivered == 0 and len(receiver.requests) == 1


def test_a_failing_receiver_is_retried_with_backoff_then_marked_failed(app, admin, loopback, receiver, db):
    receiver.status = 500
    set_today(app, TODAY)
    _subscribe(admin, receiver.url)
    _due_soon_ky(admin)
    sweep(app)
    row = db.exec(select(Outbox).where(Outbox.channel == "webhook")).one()

    assert deliver(app, at=T0).retried == 1
    db.refresh(row)
    assert (row.status, row.attempts, row.last_status_code) == ("pending", 1, 500)
    assert row.next_attempt_at == T0 + timedelta(seconds=60)
    assert deliver(app, at=T0 + timedelta(seconds=59)).retried == 0  # not due yet
    assert deliver(app, at=T0 + timedelta(seconds=60)).retried == 1
    db.refresh(row)
    assert row.next_attempt_at == T0 + timedelta(seconds=60 + 120)  # doubled
    assert deliver(app, at=T0 + timedelta(seconds=180)).failed == 1
    db.refresh(row)
    assert (row.status, row.attempts) == ("failed", 3)
    assert len(receiver.requests) == 3
    assert deliver(app, at=T0 + timedelta(days=1)).failed == 0  # failed rows stay failed
    attempts = db.exec(select(WebhookDeliveryAttempt).where(WebhookDeliveryAttempt.outbox_id == row.id)).all()
    assert [(a.attempt, a.status_code) for a in attempts] == [(1, 500), (2, 500), (3, 500)]

    # replay: a fresh retry budget, the log kept
    receiver.status = 204
    replay = admin.post(f"/v1/webhooks/deliveries/{row.id}/replay")
    assert replay.status_code == 202 and replay.json()["status"] == "pending"
    assert deliver(app, at=T0 + timedelta(days=1)).delivered == 1
    detail = admin.get(f"/v1/webhooks/deliveries/{row.id}").json()
    assert detail["status"] == "delivered"
    assert [a["status_code"] for a in detail["attempt_log"]] == [500, 500, 500, 204]


def test_an_unreachable_receiver_is_logged_as_an_error(app, admin, loopback, receiver, db):
    set_today(app, TODAY)
    url = receiver.url
    _subscribe(admin, url)
    receiver.stop()
    _due_soon_ky(admin)
    sweep(app)
    assert deliver(app).retried == 1
    attempt = db.exec(select(WebhookDeliveryAttempt)).one()
    assert attempt.status_code is None and "ConnectError" in attempt.error


def test_delivery_refuses_a_host_that_now_resolves_to_a_private_address(app, admin, db):
    """Checked again at delivery time: DNS that changed after subscribing gets no request."""
    set_today(app, TODAY)
    db.add(
        WebhookSubscription(
            state="KY", url="https://hooks.example.org/peer-ce", secret="s" * 32, created_by="admin:test"
        )
    )
    db.commit()
    _due_soon_ky(admin)
    sweep(app)
    report = deliver(app, resolve=lambda host, port: ["10.0.0.7"])
    assert report.retried == 1
    attempt = db.exec(select(WebhookDeliveryAttempt)).one()
    assert attempt.status_code is None and attempt.error.startswith("refused:") and "private" in attempt.error


def test_delivery_refuses_loopback_once_the_setting_is_off(app, admin, loopback, receiver, db):
    set_today(app, TODAY)
    _subscribe(admin, receiver.url)
    _due_soon_ky(admin)
    sweep(app)
    with_settings(app, webhook_allow_loopback=False)
    assert deliver(app).retried == 1
    assert receiver.requests == []


def test_one_outbox_row_per_recipient_and_deactivated_webhooks_get_nothing(app, admin, loopback, receiver, db):
    set_today(app, TODAY)
    first = _subscribe(admin, receiver.url)
    second = _subscribe(admin, receiver.url + "/second")
    _subscribe(admin, receiver.url, state="NC")
    assert admin.delete(f"/v1/webhooks/{second['id']}").status_code == 204
    assert admin.get(f"/v1/webhooks/{second['id']}").json()["active"] is False
    listed = admin.get("/v1/webhooks").json()["items"]
    assert second["id"] not in [w["id"] for w in listed]
    everything = admin.get("/v1/webhooks", params={"include_inactive": True}).json()["items"]
    assert second["id"] in [w["id"] for w in everything]
    _due_soon_ky(admin)
    sweep(app)
    rows = db.exec(select(Outbox)).all()
    assert sorted((r.channel, r.subscription_id) for r in rows) == [("email", None), ("webhook", first["id"])]

    # deactivating cancels what is still pending for it
    assert admin.delete(f"/v1/webhooks/{first['id']}").status_code == 204
    db.expire_all()
    assert db.exec(select(Outbox).where(Outbox.channel == "webhook")).one().status == "cancelled"
    assert deliver(app).delivered == 0 and receiver.requests == []
    webhook_row = next(r for r in rows if r.channel == "webhook")
    assert admin.post(f"/v1/webhooks/deliveries/{webhook_row.id}/replay").status_code == 409


def test_peer_emails_wait_as_not_configured_then_go_out_over_smtp(app, admin, smtp, db):
    set_today(app, TODAY)
    person = factories.person(admin)
    factories.certification(admin, person_id=person["id"], credential_code="KY-APSS", issued_on="2025-02-01")
    sweep(app)
    assert deliver(app).not_configured == 1
    row = db.exec(select(Outbox)).one()
    assert row.channel == "email" and row.recipient == person["email"]
    db.refresh(row)
    assert row.status == "not_configured"
    assert deliver(app).not_configured == 0  # it waits, it is not lost

    with_settings(app, smtp_url=smtp.url)
    assert deliver(app).delivered == 1
    db.refresh(row)
    assert row.status == "delivered" and row.attempts == 1
    [mail] = smtp.messages
    assert mail.recipients == [row.recipient]
    message = email.message_from_string(mail.data, policy=email.policy.default)
    assert message["Subject"] == "Your KY-APSS CE status is due soon" and message["To"] == person["email"]
    text = message.get_content()
    assert "Total CE hours: 0.00 of 6.00 hours earned, 6.00 still needed" in text
    assert "Deadline: 2026-01-31" in text
    assert f"{app.state.settings.base_url}/status" in text


def test_an_unreachable_smtp_server_is_retried(app, admin, smtp, db):
    set_today(app, TODAY)
    url = smtp.url
    smtp.stop()
    with_settings(app, smtp_url=url, webhook_max_attempts=2)
    _due_soon_ky(admin)
    sweep(app)
    assert deliver(app, at=T0).retried == 1
    assert deliver(app, at=T0 + timedelta(hours=1)).failed == 1
    assert db.exec(select(Outbox)).one().status == "failed"


def test_back_to_compliant_notifications_say_so_without_a_deadline(app, admin, db):
    from tests.catalog.helpers import new_course, new_provider

    set_today(app, TODAY)
    cert = _due_soon_ky(admin)
    sweep(app)
    provider = new_provider(admin)
    course = new_course(admin, provider["id"], hours=6, available_from="2024-01-01")
    set_today(app, TODAY + timedelta(days=1))
    admin.post(
        "/v1/completions",
        json={
            "person_id": cert["person"]["id"],
            "course_id": course["id"],
            "completed_on": (TODAY + timedelta(days=1)).isoformat(),
        },
    )
    run = sweep(app)
    assert run.flagged == 1
    row = db.exec(select(Outbox).order_by(Outbox.id.desc())).first()  # type: ignore[union-attr]
    assert row.payload["flag"]["status"] == "compliant"
    assert row.payload["deadline"] is None and row.payload["unmet"] == []
    assert "is back in compliance" in row.payload["message"]
