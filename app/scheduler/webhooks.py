"""Boards' webhook subscriptions, SSRF-safe URL checks, and their delivery log."""

from __future__ import annotations

import base64
import ipaddress
import secrets
import socket
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

from sqlalchemy import ColumnElement, and_
from sqlalchemy.orm import Mapped
from sqlmodel import Session, col, select

from app.audit import service as audit
from app.auth.principal import Principal
from app.db import get_scoped
from app.errors import Conflict, Forbidden, NotFound, Unprocessable
from app.pagination import KeysetPage, keyset_page
from app.scheduler.models import Outbox, WebhookDeliveryAttempt, WebhookSubscription
from app.scheduler.schemas import WebhookCreate

Resolver = Callable[[str, int], list[str]]
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class WebhookNotFound(NotFound):
    pass


class DeliveryNotFound(NotFound):
    pass


class UnsafeUrl(ValueError):
    """The URL may not receive webhooks (scheme, credentials, or where it resolves)."""


@dataclass(frozen=True)
class Target:
    """A checked webhook URL and the addresses it may be connected to."""

    scheme: str
    host: str
    port: int
    path: str
    addresses: tuple[str, ...]


def system_resolver(host: str, port: int) -> list[str]:
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]).split("%")[0] for info in infos))


def _address(raw: str) -> IPAddress:
    ip = ipaddress.ip_address(raw)
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    return ip


def _refusal(ip: IPAddress, allow_loopback: bool) -> str | None:
    """Why this address may not be called, or None when it may."""
    if ip.is_loopback:
        return None if allow_loopback else "a loopback address"
    if ip.is_link_local:
        return "a link-local address"
    if ip.is_multicast:
        return "a multicast address"
    if ip.is_unspecified or ip.is_reserved:
        return "a reserved address"
    if ip.is_private or not ip.is_global:
        return "a private address"
    return None


def _resolve(host: str, port: int, resolve: Resolver) -> list[str]:
    try:
        addresses = [str(_address(a)) for a in resolve(host, port)]
    except (OSError, UnicodeError, ValueError) as exc:
        raise UnsafeUrl(f"the host {host} does not resolve") from exc
    if not addresses:
        raise UnsafeUrl(f"the host {host} does not resolve")
    return addresses


def check_url(url: str, *, allow_loopback: bool, resolve: Resolver = system_resolver) -> Target:
    """Validate a webhook URL and resolve it; raise UnsafeUrl if any address is off limits.

    https only; plain http only to loopback and only when loopback is allowed (development).
    Every address the host resolves to must be public (or loopback, when allowed): one private
    answer is enough to refuse, so a DNS name cannot point part of its answers inside.
    """
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError as exc:
        raise UnsafeUrl(f"not a valid URL: {exc}") from exc
    scheme = parts.scheme.lower()
    if scheme not in ("https", "http"):
        raise UnsafeUrl("the URL must use https")
    if parts.username is not None or parts.password is not None:
        raise UnsafeUrl("credentials in the URL are not accepted; use the signing secret")
    host = (parts.hostname or "").rstrip(".")
    if not host:
        raise UnsafeUrl("the URL has no host")
    port = port or (443 if scheme == "https" else 80)
    try:
        addresses = [str(_address(host))]
    except ValueError:
        addresses = _resolve(host, port, resolve)
    ips = [ipaddress.ip_address(a) for a in addresses]
    for ip in ips:
        why = _refusal(ip, allow_loopback)
        if why:
            raise UnsafeUrl(f"the host {host} resolves to {why} ({ip}); webhooks go to public https endpoints")
    if scheme == "http" and not (allow_loopback and all(ip.is_loopback for ip in ips)):
        raise UnsafeUrl("the URL must use https (plain http is allowed only to loopback in development)")
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    return Target(scheme=scheme, host=host, port=port, path=path, addresses=tuple(addresses))


# --- subscriptions ------------------------------------------------------------------------


def _require_state(principal: Principal, state: str) -> None:
    if not principal.sees_state(state):
        raise Forbidden(f"Only an admin or the {state} board may manage {state} webhooks.")


def create(
    session: Session,
    *,
    principal: Principal,
    data: WebhookCreate,
    allow_loopback: bool,
    resolve: Resolver = system_resolver,
) -> tuple[WebhookSubscription, str]:
    """Subscribe a URL to a state's flags; returns the subscription and its secret (shown once)."""
    state = data.state.upper()
    _require_state(principal, state)
    try:
        check_url(data.url, allow_loopback=allow_loopback, resolve=resolve)
    except UnsafeUrl as exc:
        raise Unprocessable(
            f"The webhook URL is not accepted: {exc}.",
            errors=[{"loc": ["body", "url"], "field": "body.url", "message": str(exc), "type": "value_error"}],
        ) from exc
    secret = data.secret or new_secret()
    sub = WebhookSubscription(state=state, url=data.url.strip(), secret=secret, created_by=principal.actor)
    session.add(sub)
    session.flush()
    audit.record(
        session,
        actor=principal.actor,
        action="create",
        entity="webhook_subscription",
        entity_id=sub.id,
        state=state,
        changes={"url": [None, sub.url], "state": [None, state]},
    )
    return sub, secret


def new_secret() -> str:
    """A Standard Webhooks secret: `whsec_` and 32 random bytes in base64."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


def _scope(principal: Principal, column: Mapped[str]) -> ColumnElement[bool] | None:
    return None if principal.is_admin else column.in_(sorted(principal.states))


def get_in_scope(session: Session, *, principal: Principal, subscription_id: int) -> WebhookSubscription:
    return get_scoped(
        session,
        WebhookSubscription,
        subscription_id,
        scope=_scope(principal, col(WebhookSubscription.state)),
        missing=WebhookNotFound(f"Webhook {subscription_id} was not found."),
    )


def list_page(
    session: Session,
    *,
    principal: Principal,
    state: str | None = None,
    include_inactive: bool = False,
    cursor: str | None = None,
    limit: int = 50,
    count: bool = False,
) -> KeysetPage[WebhookSubscription]:
    """The caller's subscriptions, oldest first, with a keyset cursor."""
    query = select(WebhookSubscription)
    clause = _scope(principal, col(WebhookSubscription.state))
    if clause is not None:
        query = query.where(clause)
    if state:
        query = query.where(WebhookSubscription.state == state.upper())
    if not include_inactive:
        query = query.where(col(WebhookSubscription.active).is_(True))
    return keyset_page(session, query, WebhookSubscription.id, cursor=cursor, limit=limit, count=count)


def deactivate(session: Session, *, principal: Principal, sub: WebhookSubscription, now: datetime) -> None:
    """Stop sending to a subscription; its pending notifications are cancelled, the log is kept."""
    if not sub.active:
        return
    sub.active, sub.deactivated_at = False, now
    session.add(sub)
    for row in session.exec(select(Outbox).where(Outbox.subscription_id == sub.id, Outbox.status == "pending")):
        row.status, row.last_error = "cancelled", "the subscription was deactivated"
        session.add(row)
    audit.record(
        session,
        actor=principal.actor,
        action="deactivate",
        entity="webhook_subscription",
        entity_id=sub.id,
        state=sub.state,
        changes={"active": [True, False]},
    )


# --- deliveries ---------------------------------------------------------------------------


def delivery_in_scope(session: Session, *, principal: Principal, delivery_id: int) -> Outbox:
    scope = _scope(principal, col(Outbox.state))
    is_webhook = col(Outbox.channel) == "webhook"
    return get_scoped(
        session,
        Outbox,
        delivery_id,
        scope=is_webhook if scope is None else and_(is_webhook, scope),
        missing=DeliveryNotFound(f"Webhook delivery {delivery_id} was not found."),
    )


def list_deliveries(
    session: Session,
    *,
    principal: Principal,
    subscription_id: int | None = None,
    status: str | None = None,
    cursor: str | None = None,
    limit: int = 50,
    count: bool = False,
) -> KeysetPage[Outbox]:
    """Webhook deliveries the caller may see, newest first."""
    query = select(Outbox).where(Outbox.channel == "webhook")
    clause = _scope(principal, col(Outbox.state))
    if clause is not None:
        query = query.where(clause)
    if subscription_id is not None:
        query = query.where(Outbox.subscription_id == subscription_id)
    if status:
        query = query.where(Outbox.status == status)
    return keyset_page(session, query, Outbox.id, cursor=cursor, limit=limit, newest_first=True, count=count)


def attempts_of(session: Session, delivery: Outbox) -> list[WebhookDeliveryAttempt]:
    return list(
        session.exec(
            select(WebhookDeliveryAttempt)
            .where(WebhookDeliveryAttempt.outbox_id == delivery.id)
            .order_by(col(WebhookDeliveryAttempt.id))
        )
    )


def replay(session: Session, *, principal: Principal, delivery: Outbox, now: datetime) -> Outbox:
    """Queue one delivery again, with a fresh retry budget; earlier attempts stay in the log."""
    sub = session.get(WebhookSubscription, delivery.subscription_id)
    if sub is None or not sub.active:
        raise Conflict(f"Webhook delivery {delivery.id} belongs to a deactivated subscription.")
    before = delivery.status
    delivery.status, delivery.attempts, delivery.next_attempt_at = "pending", 0, now
    delivery.recipient = sub.url
    session.add(delivery)
    session.flush()
    audit.record(
        session,
        actor=principal.actor,
        action="replay",
        entity="webhook_delivery",
        entity_id=delivery.id,
        state=delivery.state,
        changes={"status": [before, "pending"]},
    )
    return delivery
