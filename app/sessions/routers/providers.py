"""A provider's sessions as one calendar feed."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from app.catalog import service as catalog
from app.clock import ClockDep
from app.db import SessionDep
from app.errors import problem_responses
from app.inputs import GuardedRoute
from app.sessions import ical, service
from app.sessions.routers.common import CALENDAR, feed_response
from app.types import DbId

public_provider_sessions = APIRouter(prefix="/providers", tags=["sessions"], route_class=GuardedRoute)


@public_provider_sessions.get(
    "/{provider_id}/sessions.ics",
    operation_id="getProviderSessionsCalendar",
    response_class=Response,
    responses={**CALENDAR, **problem_responses(404, 422)},
)
def provider_calendar(provider_id: DbId, request: Request, clock: ClockDep, session: SessionDep) -> Response:
    """Every session of a provider's published courses as an iCalendar feed (upcoming ones and those ended
    in the last 90 days)."""
    provider = catalog.get_provider(session, provider_id)
    items = service.feed(session, now=clock.now(), provider_id=provider.id)
    body = ical.calendar(items, name=f"{provider.name}: course sessions", base_url=request.app.state.settings.base_url)
    return feed_response(request, body, f"provider-{provider.id}-sessions.ics")
