"""A course's sessions: scheduled by its provider, listed and subscribed to by anyone who may see the course."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from app.auth.deps import MaybePrincipalDep
from app.clock import ClockDep
from app.db import SessionDep
from app.errors import problem_responses
from app.inputs import GuardedRoute
from app.pagination import CountTotal
from app.sessions import ical, service
from app.sessions.routers.common import (
    CALENDAR,
    CourseInScope,
    Cursor,
    From,
    Limit,
    Manager,
    To,
    feed_response,
)
from app.sessions.schemas import SessionCreate, SessionPage, SessionPublic

public_course_sessions = APIRouter(prefix="/courses", tags=["sessions"], route_class=GuardedRoute)
course_sessions_router = APIRouter(prefix="/courses", tags=["sessions"], route_class=GuardedRoute)


@course_sessions_router.post(
    "/{course_id}/sessions",
    response_model=SessionPublic,
    status_code=201,
    operation_id="createCourseSession",
    responses=problem_responses(400, 401, 403, 404, 409, 422),
)
def create_session(
    course: CourseInScope, data: SessionCreate, session: SessionDep, principal: Manager, response: Response
) -> SessionPublic:
    """Schedule a session of a course (admin, or the course's provider): when, in which time zone, how it is
    held, where, and the links to join and register."""
    row = service.create(session, principal=principal, course=course, data=data)
    response.headers["Location"] = f"/v1/sessions/{row.id}"
    return service.present(session, row)


@public_course_sessions.get(
    "/{course_id}/sessions",
    response_model=SessionPage,
    operation_id="listCourseSessions",
    responses=problem_responses(400, 404, 422),
)
def list_course_sessions(
    course: CourseInScope,
    clock: ClockDep,
    session: SessionDep,
    principal: MaybePrincipalDep,
    start: From = None,
    end: To = None,
    cursor: Cursor = None,
    limit: Limit = 50,
    count: CountTotal = False,
) -> SessionPage:
    """A course's sessions by start time (by default those not ended yet)."""
    found = service.search(
        session,
        window=service.Window(clock.now(), start, end),
        course_id=course.id,
        principal=principal,
        published_only=False,
        cursor=cursor,
        limit=limit,
        count=count,
    )
    return SessionPage(items=found.items, next_cursor=found.next_cursor, total=found.total)


@public_course_sessions.get(
    "/{course_id}/sessions.ics",
    operation_id="getCourseSessionsCalendar",
    response_class=Response,
    responses={**CALENDAR, **problem_responses(404, 422)},
)
def course_calendar(course: CourseInScope, request: Request, clock: ClockDep, session: SessionDep) -> Response:
    """A published course's sessions as an iCalendar feed, to import or subscribe to in a calendar app
    (upcoming ones and those ended in the last 90 days)."""
    items = service.feed(session, now=clock.now(), course_id=course.id) if course.status == "published" else []
    body = ical.calendar(items, name=f"{course.title}: sessions", base_url=request.app.state.settings.base_url)
    return feed_response(request, body, f"course-{course.id}-sessions.ics")
