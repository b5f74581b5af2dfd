"""Notifications: outbox rows written with each flag, then delivered by webhook or email.

Rows are written in the flag's transaction (one per active webhook subscription of the
certification's state, and one to the peer's email), so a flag is never notified twice nor
lost. The delivery job claims due rows (FOR UPDATE SKIP LOCKED on PostgreSQL, with a lease),
sends them outside any transaction, and records every attempt; failures are retried with
exponential backoff and marked `failed` after `webhook_max_attempts`.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import ipaddress
import json
import logging
import smtplib
import ssl
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from typing import Any
from urllib.parse import unquote, urlsplit

import httpx
from sqlalchemy import or_
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session, col, select

from app.clock import Clock
from app.config import Settings
from app.db import id_of, is_postgres, session_scope, table_of
from app.people.models import Person
from app.rules import engine
from app.scheduler.flags import Evaluated, NewFlag, insert_ignoring_conflicts
from app.scheduler.models import Outbox, WebhookDeliveryAttempt, WebhookSubscription
from app.scheduler.webhooks import Resolver, UnsafeUrl, check_url, system_resolver

log = logging.getLogger("peer_ce.scheduler.notify")

SIGNATURE_HEADER = "X-PeerCE-Signature"  # deprecated: Standard Webhooks' headers replace it (docs/scheduler.md)
TIMESTAMP_HEADER = "X-PeerCE-Timestamp"  # deprecated, with it
SECRET_PREFIX = "whsec_"
LEASE = timedelta(minutes=5)
_STATUS_WORDS = {
    "due_soon": "is due soon",
    "overdue": "is overdue",
    "lapsed": "has lapsed",
    "compliant": "is back in compliance",
    "renewal_review": "has a renewal for the board to review",
}


# --- writing the outbox -------------------------------------------------------------------


def _hours(value: Any) -> float:
    return float(value)


def unmet_requirements(result: engine.Evaluation) -> list[dict[str, Any]]:
    """What is still missing in the evaluated cycle: remaining hours per requirement."""
    out: list[dict[str, Any]] = []
    if result.remaining_hours > 0:
        out.append(
            {
                "requirement": "total",
                "label": "Total CE hours",
                "required_hours": _hours(result.required_hours),
                "earned_hours": _hours(result.earned_hours),
                "remaining_hours": _hours(result.remaining_hours),
            }
        )
    for cat in result.categories:
        if cat.remaining_hours > 0:
            out.append(
                {
                    "requirement": f"category:{cat.category}",
                    "label": cat.label or cat.category,
                    "required_hours": _hours(cat.required_hours),
                    "earned_hours": _hours(cat.earned_hours),
                    "remaining_hours": _hours(cat.remaining_hours),
                }
            )
    for mod in result.modality_minimums:
        if mod.remaining_hours > 0:
            out.append(
                {
                    "requirement": "modality:" + "+".join(mod.modalities),
                    "label": mod.label or " or ".join(mod.modalities),
                    "required_hours": _hours(mod.required_hours),
                    "earned_hours": _hours(mod.earned_hours),
                    "remaining_hours": _hours(mod.remaining_hours),
                }
            )
    for other in result.other_requirements:
        if not other.met:
            remaining = None
            if other.required_hours is not None and other.earned_hours is not None:
                remaining = _hours(max(other.required_hours - other.earned_hours, 0))
            out.append(
                {
                    "requirement": f"other:{other.id}",
                    "label": other.description,
                    "required_hours": None if other.required_hours is None else _hours(other.required_hours),
                    "earned_hours": None if other.earned_hours is None else _hours(other.earned_hours),
                    "remaining_hours": remaining,
                }
            )
    return out


def build_payload(flag: NewFlag, item: Evaluated, person: Person | None, base_url: str) -> dict[str, Any]:
    """The notification body: what is unmet, by when, and where the peer sees it."""
    result, cert = item.result, item.cert
    review = flag.status == "renewal_review"
    current = flag.cycle_start == result.cycle_start and not review
    unmet = unmet_requirements(result) if current and flag.status != "compliant" else []
    deadline = None
    if flag.status == "due_soon":
        deadline = result.cycle_end
    elif flag.status == "overdue":
        deadline = result.grace_ends_on
    name = f"{person.given_name} {person.family_name}" if person else None
    words = _STATUS_WORDS[flag.status]
    message = f"{cert.credential_code} certification {cert.number}" + (f" ({name})" if name else "")
    message += f" {words}: cycle {flag.cycle_start.isoformat()} to {flag.cycle_end.isoformat()}."
    if unmet:
        message += (
            " Still needed: "
            + "; ".join(
                f"{u['remaining_hours']:.2f} {u['label']} hours" if u["remaining_hours"] is not None else u["label"]
                for u in unmet
            )
            + "."
        )
    if deadline is not None:
        message += f" Complete by {deadline.isoformat()}."
    elif flag.status == "lapsed":
        message += " Only a board reinstatement starts a new cycle."
    elif review:
        message += (
            " The renewal stands; the board may reopen the cycle or leave it. " + ". ".join(flag.reasons or ()) + "."
        )
    return {
        "type": "flag.raised",
        "flag": {
            "id": flag.id,
            "certification_id": flag.certification_id,
            "credential_code": flag.credential_code,
            "state": flag.state,
            "status": flag.status,
            "cycle_start": flag.cycle_start.isoformat(),
            "cycle_end": flag.cycle_end.isoformat(),
            "raised_on": flag.raised_on.isoformat(),
            "raised_at": flag.raised_at.isoformat(),
        },
        "certification": {
            "id": cert.id,
            "number": cert.number,
            "credential_code": cert.credential_code,
            "state": cert.state,
            "person": {"id": cert.person_id, "name": name},
        },
        "deadline": deadline.isoformat() if deadline else None,
        "grace_ends_on": result.grace_ends_on.isoformat() if current else None,
        "unmet": unmet,
        "reasons": list(flag.reasons or ()),
        "message": message,
        "status_url": f"{base_url.rstrip('/')}/status",
    }


def queue(
    session: Session, flags: Sequence[NewFlag], items: dict[int, Evaluated], *, base_url: str, now: datetime
) -> int:
    """Write the outbox rows of new flags (webhooks of the state, the peer's email); count them."""
    if not flags:
        return 0
    states = sorted({f.state for f in flags})
    subs: dict[str, list[WebhookSubscription]] = {}
    for sub in session.exec(
        select(WebhookSubscription)
        .where(col(WebhookSubscription.state).in_(states), col(WebhookSubscription.active).is_(True))
        .order_by(col(WebhookSubscription.id))
    ):
        subs.setdefault(sub.state, []).append(sub)
    person_ids = sorted({items[f.certification_id].cert.person_id for f in flags})
    people = {p.id: p for p in session.exec(select(Person).where(col(Person.id).in_(person_ids)))}
    rows: list[dict[str, Any]] = []
    for flag in flags:
        item = items[flag.certification_id]
        person = people.get(item.cert.person_id)
        payload = build_payload(flag, item, person, base_url)
        common = {
            "flag_id": flag.id,
            "state": flag.state,
            "payload": payload,
            "status": "pending",
            "attempts": 0,
            "next_attempt_at": now,
            "created_at": now,
        }
        for sub in subs.get(flag.state, ()):
            rows.append(
                {
                    **common,
                    "channel": "webhook",
                    "subscription_id": sub.id,
                    "recipient_key": f"webhook:{sub.id}",
                    "recipient": sub.url,
                }
            )
        if person is not None and person.email:
            rows.append(
                {
                    **common,
                    "channel": "email",
                    "subscription_id": None,
                    "recipient_key": f"email:{person.id}",
                    "recipient": person.email,
                }
            )
    outbox = table_of(Outbox)
    inserted = insert_ignoring_conflicts(session, outbox, rows, ["flag_id", "recipient_key"], returning=[outbox.c.id])
    return len(inserted)


# --- delivering ---------------------------------------------------------------------------


@dataclass
class DeliveryReport:
    delivered: int = 0
    retried: int = 0
    failed: int = 0
    not_configured: int = 0
    cancelled: int = 0

    def as_dict(self) -> dict[str, int]:
        return dict(self.__dict__)


@dataclass
class Outcome:
    ok: bool
    status_code: int | None = None
    error: str | None = None
    duration_ms: int | None = None
    final: bool = False  # no point retrying (e.g. the row can never be sent)


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """The deprecated X-PeerCE-Signature value: HMAC-SHA256, keyed with the secret's text, over "{timestamp}.{body}"."""
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def signing_key(secret: str) -> bytes:
    """The Standard Webhooks HMAC key of a subscription's secret: the bytes after `whsec_`, base64-decoded; a
    secret of the older kind (any text, from before Standard Webhooks) keys with its UTF-8 bytes."""
    if secret.startswith(SECRET_PREFIX):
        return base64.b64decode(secret.removeprefix(SECRET_PREFIX))
    return secret.encode()


def standard_signature(secret: str, message_id: str, timestamp: str, body: bytes) -> str:
    """The `webhook-signature` value (Standard Webhooks, v1): base64 HMAC-SHA256 over "{id}.{timestamp}.{body}"."""
    mac = hmac.new(signing_key(secret), f"{message_id}.{timestamp}.".encode() + body, hashlib.sha256)
    return "v1," + base64.b64encode(mac.digest()).decode()


def message_id(row: Outbox) -> str:
    """The `webhook-id`: one per notification, the same on every retry and replay (receivers drop repeats)."""
    return f"msg_peerce_{row.id}"


def backoff(settings: Settings, attempts: int) -> timedelta:
    """Delay before the next attempt after `attempts` failures: base * 2**(attempts-1), capped."""
    seconds = settings.webhook_retry_base_seconds * 2 ** max(attempts - 1, 0)
    return timedelta(seconds=min(seconds, settings.webhook_retry_max_seconds))


def claim(session_factory: sessionmaker[Session], *, settings: Settings, now: datetime) -> list[Outbox]:
    """Take due rows under a lease, so other replicas skip them while they are being sent."""
    with session_scope(session_factory, write=True) as session:
        query = (
            select(Outbox)
            .where(col(Outbox.next_attempt_at) <= now)
            .order_by(col(Outbox.next_attempt_at), col(Outbox.id))
            .limit(settings.outbox_batch)
        )
        waiting = col(Outbox.status) == "pending"
        if settings.smtp_url:  # emails that waited for SMTP to be configured go out now
            waiting = or_(waiting, (col(Outbox.status) == "not_configured") & (col(Outbox.channel) == "email"))
        query = query.where(waiting)
        if is_postgres(session):
            query = query.with_for_update(skip_locked=True)
        rows = list(session.exec(query))
        for row in rows:
            row.next_attempt_at = now + LEASE
            session.add(row)
        session.flush()
        session.expunge_all()
        return rows


def deliver_due(
    session_factory: sessionmaker[Session],
    *,
    settings: Settings,
    clock: Clock,
    resolve: Resolver = system_resolver,
    max_rounds: int = 100,
) -> DeliveryReport:
    """Send every due outbox row once (in claims of `outbox_batch`); record attempts, schedule retries."""
    report = DeliveryReport()
    for _ in range(max_rounds):
        if not _deliver_batch(session_factory, settings=settings, clock=clock, resolve=resolve, report=report):
            break
    return report


def _deliver_batch(
    session_factory: sessionmaker[Session],
    *,
    settings: Settings,
    clock: Clock,
    resolve: Resolver,
    report: DeliveryReport,
) -> bool:
    now = clock.now()
    rows = claim(session_factory, settings=settings, now=now)
    if not rows:
        return False
    with session_scope(session_factory) as session:
        sub_ids = sorted({r.subscription_id for r in rows if r.subscription_id is not None})
        subs = (
            {s.id: s for s in session.exec(select(WebhookSubscription).where(col(WebhookSubscription.id).in_(sub_ids)))}
            if sub_ids
            else {}
        )
        session.expunge_all()
    with httpx.Client(timeout=settings.webhook_timeout_seconds, follow_redirects=False, trust_env=False) as http:
        for row in rows:
            if row.channel == "email" and not settings.smtp_url:
                _finish(session_factory, row, status="not_configured", error="PEER_CE_SMTP_URL is not set", now=now)
                report.not_configured += 1
                continue
            if row.channel == "webhook":
                sub = subs.get(row.subscription_id)
                if sub is None or not sub.active:
                    _finish(session_factory, row, status="cancelled", error="the subscription was deactivated", now=now)
                    report.cancelled += 1
                    continue
                outcome = send_webhook(http, sub=sub, row=row, settings=settings, now=clock.now(), resolve=resolve)
            else:
                outcome = send_email(row, settings=settings)
            _record(session_factory, row, outcome, settings=settings, now=clock.now(), report=report)
    return True


def _finish(
    session_factory: sessionmaker[Session], row: Outbox, *, status: str, error: str | None, now: datetime
) -> None:
    with session_scope(session_factory, write=True) as session:
        fresh = session.get(Outbox, row.id)
        if fresh is None:
            return
        fresh.status, fresh.last_error, fresh.next_attempt_at = status, error, now
        session.add(fresh)


def _record(
    session_factory: sessionmaker[Session],
    row: Outbox,
    outcome: Outcome,
    *,
    settings: Settings,
    now: datetime,
    report: DeliveryReport,
) -> None:
    with session_scope(session_factory, write=True) as session:
        fresh = session.get(Outbox, row.id)
        if fresh is None:
            return
        fresh.attempts += 1
        session.add(
            WebhookDeliveryAttempt(
                outbox_id=id_of(fresh),
                attempt=fresh.attempts,
                at=now,
                status_code=outcome.status_code,
                error=outcome.error,
                duration_ms=outcome.duration_ms,
            )
        )
        fresh.last_status_code, fresh.last_error = outcome.status_code, outcome.error
        if outcome.ok:
            fresh.status, fresh.delivered_at, fresh.next_attempt_at = "delivered", now, now
            report.delivered += 1
        elif outcome.final or fresh.attempts >= settings.webhook_max_attempts:
            fresh.status, fresh.next_attempt_at = "failed", now
            report.failed += 1
            log.warning(
                "notification %s failed after %s attempts: %s",
                fresh.id,
                fresh.attempts,
                outcome.error or outcome.status_code,
            )
        else:
            fresh.status, fresh.next_attempt_at = "pending", now + backoff(settings, fresh.attempts)
            report.retried += 1
        session.add(fresh)


def webhook_body(row: Outbox) -> bytes:
    body = {**row.payload, "delivery_id": row.id}
    return json.dumps(body, separators=(",", ":"), sort_keys=True).encode()


def send_webhook(
    http: httpx.Client,
    *,
    sub: WebhookSubscription,
    row: Outbox,
    settings: Settings,
    now: datetime,
    resolve: Resolver = system_resolver,
) -> Outcome:
    """POST one signed notification, to an address checked (again) right before connecting."""
    started = time.monotonic()
    try:
        target = check_url(sub.url, allow_loopback=settings.webhook_allow_loopback, resolve=resolve)
    except UnsafeUrl as exc:
        return Outcome(ok=False, error=f"refused: {exc}")
    body = webhook_body(row)
    timestamp = str(int(now.timestamp()))
    address = target.addresses[0]
    host_in_url = f"[{address}]" if ipaddress.ip_address(address).version == 6 else address
    default_port = 443 if target.scheme == "https" else 80
    host_header = target.host if target.port == default_port else f"{target.host}:{target.port}"
    msg_id = message_id(row)
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "peer-ce-webhooks/1",
        "Host": host_header,
        # Standard Webhooks (standardwebhooks.com): verifiable with its libraries in many languages
        "webhook-id": msg_id,
        "webhook-timestamp": timestamp,
        "webhook-signature": standard_signature(sub.secret, msg_id, timestamp, body),
        TIMESTAMP_HEADER: timestamp,
        SIGNATURE_HEADER: sign(sub.secret, timestamp, body),
        "X-PeerCE-Event": str(row.payload.get("type", "flag.raised")),
        "X-PeerCE-Delivery": str(row.id),
    }
    # Connect to the checked address (no second DNS lookup to rebind), with SNI and certificate
    # verification against the real host name.
    url = f"{target.scheme}://{host_in_url}:{target.port}{target.path}"
    try:
        response = http.post(
            url,
            content=body,
            headers=headers,
            extensions={"sni_hostname": target.host} if target.scheme == "https" else None,
        )
    except httpx.HTTPError as exc:
        return Outcome(
            ok=False, error=f"{type(exc).__name__}: {exc}"[:1000], duration_ms=int((time.monotonic() - started) * 1000)
        )
    elapsed = int((time.monotonic() - started) * 1000)
    if 200 <= response.status_code < 300:
        return Outcome(ok=True, status_code=response.status_code, duration_ms=elapsed)
    return Outcome(
        ok=False,
        status_code=response.status_code,
        duration_ms=elapsed,
        error=f"the receiver answered {response.status_code}",
    )


def email_message(row: Outbox, settings: Settings) -> EmailMessage:
    payload = row.payload
    flag = payload["flag"]
    msg = EmailMessage()
    msg["From"] = settings.smtp_from
    msg["To"] = row.recipient
    msg["Subject"] = f"Your {flag['credential_code']} CE status {_STATUS_WORDS[flag['status']]}"
    lines = [payload["message"], ""]
    for u in payload.get("unmet", ()):
        if u["remaining_hours"] is not None:
            lines.append(
                f"- {u['label']}: {u['earned_hours']:.2f} of {u['required_hours']:.2f} hours earned, "
                f"{u['remaining_hours']:.2f} still needed"
            )
        else:
            lines.append(f"- {u['label']}: not yet recorded")
    if payload.get("deadline"):
        lines.append(f"\nDeadline: {payload['deadline']}")
    lines.append(f"\nSee your status and approved courses that close the gap:\n{payload['status_url']}")
    msg.set_content("\n".join(lines))
    return msg


def send_email(row: Outbox, *, settings: Settings) -> Outcome:
    """Send one peer email through the configured SMTP server."""
    started = time.monotonic()
    assert settings.smtp_url
    url = urlsplit(settings.smtp_url)
    scheme = url.scheme.lower()
    if scheme not in ("smtp", "smtps", "smtp+starttls") or not url.hostname:
        return Outcome(ok=False, error=f"unsupported PEER_CE_SMTP_URL scheme {scheme!r}", final=True)
    port = url.port or (465 if scheme == "smtps" else 587 if scheme == "smtp+starttls" else 25)
    timeout = settings.webhook_timeout_seconds * 2
    try:
        smtp_class = smtplib.SMTP_SSL if scheme == "smtps" else smtplib.SMTP
        kwargs: dict[str, Any] = {"context": ssl.create_default_context()} if scheme == "smtps" else {}
        with smtp_class(url.hostname, port, timeout=timeout, **kwargs) as smtp:
            if scheme == "smtp+starttls":
                smtp.starttls(context=ssl.create_default_context())
            if url.username:
                smtp.login(unquote(url.username), unquote(url.password or ""))
            smtp.send_message(email_message(row, settings))
    except (OSError, smtplib.SMTPException) as exc:
        return Outcome(
            ok=False, error=f"{type(exc).__name__}: {exc}"[:1000], duration_ms=int((time.monotonic() - started) * 1000)
        )
    return Outcome(ok=True, duration_ms=int((time.monotonic() - started) * 1000))
