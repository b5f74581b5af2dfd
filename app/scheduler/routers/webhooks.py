"""Webhook subscriptions of a state's flags, and their deliveries."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response

from app.auth import AdminOrBoardDep
from app.clock import ClockDep
from app.db import SessionDep
from app.errors import problem_responses
from app.inputs import GuardedRoute
from app.pagination import CountTotal, Cursor
from app.scheduler import webhooks
from app.scheduler.models import Outbox, WebhookSubscription
from app.scheduler.schemas import (
    DeliveryAttemptPublic,
    DeliveryDetail,
    DeliveryPage,
    DeliveryPublic,
    DeliveryStatus,
    WebhookCreate,
    WebhookCreated,
    WebhookPage,
    WebhookPublic,
)
from app.types import DbId

webhooks_router = APIRouter(prefix="/webhooks", tags=["webhooks"], route_class=GuardedRoute)


def subscription_in_scope(webhook_id: DbId, session: SessionDep, principal: AdminOrBoardDep) -> WebhookSubscription:
    return webhooks.get_in_scope(session, principal=principal, subscription_id=webhook_id)


def delivery_in_scope(delivery_id: DbId, session: SessionDep, principal: AdminOrBoardDep) -> Outbox:
    return webhooks.delivery_in_scope(session, principal=principal, delivery_id=delivery_id)


SubscriptionInScope = Annotated[WebhookSubscription, Depends(subscription_in_scope)]
DeliveryInScope = Annotated[Outbox, Depends(delivery_in_scope)]


@webhooks_router.post(
    "",
    response_model=WebhookCreated,
    status_code=201,
    operation_id="createWebhook",
    responses=problem_responses(400, 401, 403, 422),
)
def create_webhook(
    data: WebhookCreate, request: Request, response: Response, session: SessionDep, principal: AdminOrBoardDep
) -> WebhookCreated:
    """Subscribe an https URL to a state's flags. The signing secret is in this answer only."""
    sub, secret = webhooks.create(
        session, principal=principal, data=data, allow_loopback=request.app.state.settings.webhook_allow_loopback
    )
    response.headers["Location"] = f"/v1/webhooks/{sub.id}"
    return WebhookCreated(**WebhookPublic.model_validate(sub).model_dump(), secret=secret)


@webhooks_router.get(
    "", response_model=WebhookPage, operation_id="listWebhooks", responses=problem_responses(400, 401, 403, 422)
)
def list_webhooks(
    session: SessionDep,
    principal: AdminOrBoardDep,
    state: Annotated[str | None, Query(pattern=r"^[A-Za-z]{2}$")] = None,
    include_inactive: bool = False,
    cursor: Cursor = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    count: CountTotal = False,
) -> WebhookPage:
    """Webhook subscriptions of the caller's states (admins: all), oldest first."""
    found = webhooks.list_page(
        session,
        principal=principal,
        state=state,
        include_inactive=include_inactive,
        cursor=cursor,
        limit=limit,
        count=count,
    )
    return WebhookPage(
        items=[WebhookPublic.model_validate(s) for s in found.items], next_cursor=found.next_cursor, total=found.total
    )


@webhooks_router.get(
    "/deliveries",
    response_model=DeliveryPage,
    operation_id="listWebhookDeliveries",
    responses=problem_responses(400, 401, 403, 422),
)
def list_deliveries(
    session: SessionDep,
    principal: AdminOrBoardDep,
    subscription_id: DbId | None = None,
    status: DeliveryStatus | None = None,
    cursor: Cursor = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    count: CountTotal = False,
) -> DeliveryPage:
    """Webhook deliveries of the caller's states, newest first."""
    found = webhooks.list_deliveries(
        session,
        principal=principal,
        subscription_id=subscription_id,
        status=status,
        cursor=cursor,
        limit=limit,
        count=count,
    )
    return DeliveryPage(
        items=[DeliveryPublic.model_validate(d) for d in found.items], next_cursor=found.next_cursor, total=found.total
    )


@webhooks_router.get(
    "/deliveries/{delivery_id}",
    response_model=DeliveryDetail,
    operation_id="getWebhookDelivery",
    responses=problem_responses(401, 403, 404, 422),
)
def get_delivery(delivery: DeliveryInScope, session: SessionDep) -> DeliveryDetail:
    """One delivery with its payload and the log of every attempt."""
    return _detail(session, delivery)


@webhooks_router.post(
    "/deliveries/{delivery_id}/replay",
    response_model=DeliveryDetail,
    status_code=202,
    operation_id="replayWebhookDelivery",
    responses=problem_responses(401, 403, 404, 409, 422),
)
def replay_delivery(
    delivery: DeliveryInScope, clock: ClockDep, session: SessionDep, principal: AdminOrBoardDep
) -> DeliveryDetail:
    """Queue a delivery again (e.g. after a failure); the next delivery run sends it."""
    webhooks.replay(session, principal=principal, delivery=delivery, now=clock.now())
    return _detail(session, delivery)


@webhooks_router.get(
    "/{webhook_id}",
    response_model=WebhookPublic,
    operation_id="getWebhook",
    responses=problem_responses(401, 403, 404, 422),
)
def get_webhook(sub: SubscriptionInScope) -> WebhookPublic:
    """One subscription (never its secret)."""
    return WebhookPublic.model_validate(sub)


@webhooks_router.delete(
    "/{webhook_id}", status_code=204, operation_id="deleteWebhook", responses=problem_responses(401, 403, 404, 422)
)
def delete_webhook(
    sub: SubscriptionInScope, clock: ClockDep, session: SessionDep, principal: AdminOrBoardDep
) -> Response:
    """Deactivate a subscription: nothing more is sent to it; its delivery log is kept."""
    webhooks.deactivate(session, principal=principal, sub=sub, now=clock.now())
    return Response(status_code=204)


def _detail(session: SessionDep, delivery: Outbox) -> DeliveryDetail:
    base = DeliveryPublic.model_validate(delivery).model_dump()
    return DeliveryDetail(
        **base,
        payload=delivery.payload,
        attempt_log=[DeliveryAttemptPublic.model_validate(a) for a in webhooks.attempts_of(session, delivery)],
    )
