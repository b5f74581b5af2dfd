"""Course sessions: scheduled by the course's provider, read and subscribed to by anyone."""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response

from app.auth import require_roles
from app.auth.deps import MaybePrincipalDep
from app.auth.principal import Principal, Role
from app.catalog import service as catalog
from app.catalog.models import Course, Provider
from app.db import SessionDep
from app.errors import problem_responses
from app.inputs import GuardedRoute
from app.pagination import CountTotal
from app.sessions import ical, service
from app.sessions.models import CourseSession
from app.sessions.schemas import SessionCreate, SessionModality, SessionPage, SessionPublic, SessionUpdate
from app.types import Day, DbId

public_sessions = APIRouter(prefix="/sessions", tags=["sessions"], route_class=GuardedRoute)
sessions_router = APIRouter(prefix="/sessions", tags=["sessions"], route_class=GuardedRoute)
public_course_sessions = APIRouter(prefix="/courses", tags=["sessions"], route_class=GuardedRoute)
course_sessions_router = APIRouter(prefix="/courses", tags=["sessions"], route_class=GuardedRoute)
public_provider_sessions = APIRouter(prefix="/providers", tags=["sessions"], route_class=GuardedRoute)

Manager = Annotated[Principal, Depends(require_roles(Role.admin, Role.provider))]
Limit = Annotated[int, Query(ge=1, le=200)]
# Sessions page in start order: the cursor holds the last item's start (UTC) and id (its own `format`, so a
# contract test can generate the values the API issues).
Cursor = Annotated[str | None, Query(max_length=512, json_schema_extra={"format": "session-cursor"},
                                     description="Opaque cursor from a previous page's `next_cursor` (only "
                                                 "values the API issued are valid; any other is 400)")]
From = Annotated[Day | None, Query(alias="from", description="Sessions starting on or after this day (local "
                                                             "date). Default, with no `to` either: those not "
                                                             "ended yet")]
To = Annotated[Day | None, Query(alias="to", description="Sessions starting on or before this day (local date)")]
State = Annotated[str | None, Query(pattern=r"^[A-Za-z]{2}$", description="Courses approved by this state's "
                                    "board for the session's date")]
CALENDAR: dict[int | str, dict[str, Any]] = {200: {"content": {"text/calendar": {"schema": {"type": "string"}}},
                  "description": "An iCalendar (RFC 5545) feed: one VEVENT per session"}}
FEED_CACHE = "public, max-age=300"


def course_in_scope(course_id: DbId, session: SessionDep, principal: MaybePrincipalDep) -> Course:
    return catalog.get_course(session, principal=principal, course_id=course_id)


def session_in_scope(session_id: DbId, session: SessionDep, principal: MaybePrincipalDep) -> CourseSession:
    return service.get_in_scope(session, principal=principal, session_id=session_id)


CourseInScope = Annotated[Course, Depends(course_in_scope)]
SessionInScope = Annotated[CourseSession, Depends(session_in_scope)]


def _now(request: Request) -> datetime:
    return request.app.state.clock.now()


def _feed(request: Request, body: bytes, filename: str) -> Response:
    etag = f'"{hashlib.sha256(body).hexdigest()[:32]}"'
    headers = {"ETag": etag, "Cache-Control": FEED_CACHE,
               "Content-Disposition": f'inline; filename="{filename}"'}
    if etag in request.headers.get("if-none-match", ""):
        return Response(status_code=304, headers=headers)
    return Response(body, media_type="text/calendar; charset=utf-8", headers=headers)


@course_sessions_router.post(
    "/{course_id}/sessions", response_model=SessionPublic, status_code=201, operation_id="createCourseSession",
    responses=problem_responses(400, 401, 403, 404, 409, 422))
def create_session(course: CourseInScope, data: SessionCreate, session: SessionDep, principal: Manager,
                   response: Response) -> SessionPublic:
    """Schedule a session of a course (admin, or the course's provider): when, in which time zone, how it is
    held, where, and the links to join and register."""
    row = service.create(session, principal=principal, course=course, data=data)
    response.headers["Location"] = f"/v1/sessions/{row.id}"
    return service.present(session, row)


@public_course_sessions.get(
    "/{course_id}/sessions", response_model=SessionPage, operation_id="listCourseSessions",
    responses=problem_responses(400, 404, 422))
def list_course_sessions(course: CourseInScope, request: Request, session: SessionDep,
                         principal: MaybePrincipalDep, start: From = None, end: To = None, cursor: Cursor = None,
                         limit: Limit = 50, count: CountTotal = False) -> SessionPage:
    """A course's sessions by start time (by default those not ended yet)."""
    found = service.search(session, window=service.Window(_now(request), start, end), course_id=course.id,
                           principal=principal, published_only=False, cursor=cursor, limit=limit, count=count)
    return SessionPage(items=found.items, next_cursor=found.next_cursor, total=found.total)


@public_course_sessions.get("/{course_id}/sessions.ics", operation_id="getCourseSessionsCalendar",
                            response_class=Response, responses={**CALENDAR, **problem_responses(404, 422)})
def course_calendar(course: CourseInScope, request: Request, session: SessionDep) -> Response:
    """A published course's sessions as an iCalendar feed, to import or subscribe to in a calendar app
    (upcoming ones and those ended in the last 90 days)."""
    items = service.feed(session, now=_now(request), course_id=course.id) if course.status == "published" else []
    body = ical.calendar(items, name=f"{course.title}: sessions", base_url=request.app.state.settings.base_url)
    return _feed(request, body, f"course-{course.id}-sessions.ics")


@public_provider_sessions.get("/{provider_id}/sessions.ics", operation_id="getProviderSessionsCalendar",
                              response_class=Response, responses={**CALENDAR, **problem_responses(404, 422)})
def provider_calendar(provider_id: DbId, request: Request, session: SessionDep) -> Response:
    """Every session of a provider's published courses as an iCalendar feed (upcoming ones and those ended
    in the last 90 days)."""
    provider: Provider = catalog.get_provider(session, provider_id)
    items = service.feed(session, now=_now(request), provider_id=provider.id)
    body = ical.calendar(items, name=f"{provider.name}: course sessions",
                         base_url=request.app.state.settings.base_url)
    return _feed(request, body, f"provider-{provider.id}-sessions.ics")


@public_sessions.get("", response_model=SessionPage, operation_id="listSessions",
                     responses=problem_responses(400, 422))
def list_sessions(
    request: Request, session: SessionDep, start: From = None, end: To = None, state: State = None,
    credential_code: Annotated[str | None, Query(max_length=32, description="Courses approved for this "
                                                 "credential for the session's date")] = None,
    provider_id: DbId | None = None, course_id: DbId | None = None, modality: SessionModality | None = None,
    cursor: Cursor = None, limit: Limit = 50, count: CountTotal = False,
) -> SessionPage:
    """Sessions of published courses by start time, narrowed by dates, the approving state or credential,
    provider, course and modality."""
    found = service.search(session, window=service.Window(_now(request), start, end), state=state,
                           credential_code=credential_code, provider_id=provider_id, course_id=course_id,
                           modality=modality, cursor=cursor, limit=limit, count=count)
    return SessionPage(items=found.items, next_cursor=found.next_cursor, total=found.total)


@public_sessions.get("/{session_id}", response_model=SessionPublic, operation_id="getSession",
                     responses=problem_responses(404, 422))
def get_session(row: SessionInScope, session: SessionDep) -> SessionPublic:
    """One session."""
    return service.present(session, row)


@sessions_router.patch("/{session_id}", response_model=SessionPublic, operation_id="updateSession",
                       responses=problem_responses(400, 401, 403, 404, 422))
def update_session(row: SessionInScope, data: SessionUpdate, session: SessionDep,
                   principal: Manager) -> SessionPublic:
    """Change a session (admin, or the course's provider); calendars that subscribed get the change."""
    return service.present(session, service.update(session, principal=principal, row=row, data=data))


@sessions_router.delete("/{session_id}", status_code=204, response_class=Response, operation_id="deleteSession",
                        responses=problem_responses(401, 403, 404, 422))
def delete_session(row: SessionInScope, session: SessionDep, principal: Manager) -> Response:
    """Call a session off (admin, or the course's provider): it leaves the catalog and the feeds."""
    service.delete(session, principal=principal, row=row)
    return Response(status_code=204)
