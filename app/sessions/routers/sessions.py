"""One session: read by anyone who may see its course; changed and called off by the course's provider; and the
public search over the catalog's sessions."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response

from app.clock import ClockDep
from app.db import SessionDep
from app.errors import problem_responses
from app.inputs import GuardedRoute
from app.pagination import CountTotal
from app.sessions import service
from app.sessions.routers.common import Cursor, From, Limit, Manager, SessionInScope, To
from app.sessions.schemas import SessionModality, SessionPage, SessionPublic, SessionUpdate
from app.types import DbId

public_sessions = APIRouter(prefix="/sessions", tags=["sessions"], route_class=GuardedRoute)
sessions_router = APIRouter(prefix="/sessions", tags=["sessions"], route_class=GuardedRoute)

State = Annotated[
    str | None,
    Query(pattern=r"^[A-Za-z]{2}$", description="Courses approved by this state's board for the session's date"),
]


@public_sessions.get("", response_model=SessionPage, operation_id="listSessions", responses=problem_responses(400, 422))
def list_sessions(
    clock: ClockDep,
    session: SessionDep,
    start: From = None,
    end: To = None,
    state: State = None,
    credential_code: Annotated[
        str | None, Query(max_length=32, description="Courses approved for this credential for the session's date")
    ] = None,
    provider_id: DbId | None = None,
    course_id: DbId | None = None,
    modality: SessionModality | None = None,
    cursor: Cursor = None,
    limit: Limit = 50,
    count: CountTotal = False,
) -> SessionPage:
    """Sessions of published courses by start time, narrowed by dates, the approving state or credential,
    provider, course and modality."""
    found = service.search(
        session,
        window=service.Window(clock.now(), start, end),
        state=state,
        credential_code=credential_code,
        provider_id=provider_id,
        course_id=course_id,
        modality=modality,
        cursor=cursor,
        limit=limit,
        count=count,
    )
    return SessionPage(items=found.items, next_cursor=found.next_cursor, total=found.total)


@public_sessions.get(
    "/{session_id}", response_model=SessionPublic, operation_id="getSession", responses=problem_responses(404, 422)
)
def get_session(row: SessionInScope, session: SessionDep) -> SessionPublic:
    """One session."""
    return service.present(session, row)


@sessions_router.patch(
    "/{session_id}",
    response_model=SessionPublic,
    operation_id="updateSession",
    responses=problem_responses(400, 401, 403, 404, 422),
)
def update_session(row: SessionInScope, data: SessionUpdate, session: SessionDep, principal: Manager) -> SessionPublic:
    """Change a session (admin, or the course's provider); calendars that subscribed get the change."""
    return service.present(session, service.update(session, principal=principal, row=row, data=data))


@sessions_router.delete(
    "/{session_id}",
    status_code=204,
    response_class=Response,
    operation_id="deleteSession",
    responses=problem_responses(401, 403, 404, 422),
)
def delete_session(row: SessionInScope, session: SessionDep, principal: Manager) -> Response:
    """Call a session off (admin, or the course's provider): it leaves the catalog and the feeds."""
    service.delete(session, principal=principal, row=row)
    return Response(status_code=204)
