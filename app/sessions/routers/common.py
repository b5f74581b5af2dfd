"""What the session routers share: who manages sessions, the course and session looked up, paging, dates, the
calendar response."""

from __future__ import annotations

import hashlib
from typing import Annotated, Any

from fastapi import Depends, Query, Request, Response

from app.auth import require_roles
from app.auth.deps import MaybePrincipalDep
from app.auth.principal import Principal, Role
from app.catalog import service as catalog
from app.catalog.models import Course
from app.db import SessionDep
from app.sessions import service
from app.sessions.models import CourseSession
from app.types import Day, DbId

Manager = Annotated[Principal, Depends(require_roles(Role.admin, Role.provider))]
Limit = Annotated[int, Query(ge=1, le=200)]
# Sessions page in start order: the cursor holds the last item's start (UTC) and id (its own `format`, so a
# contract test can generate the values the API issues).
Cursor = Annotated[
    str | None,
    Query(
        max_length=512,
        json_schema_extra={"format": "session-cursor"},
        description="Opaque cursor from a previous page's `next_cursor` (only "
        "values the API issued are valid; any other is 400)",
    ),
]
From = Annotated[
    Day | None,
    Query(
        alias="from",
        description="Sessions starting on or after this day (local "
        "date). Default, with no `to` either: those not "
        "ended yet",
    ),
]
To = Annotated[Day | None, Query(alias="to", description="Sessions starting on or before this day (local date)")]
CALENDAR: dict[int | str, dict[str, Any]] = {
    200: {
        "content": {"text/calendar": {"schema": {"type": "string"}}},
        "description": "An iCalendar (RFC 5545) feed: one VEVENT per session",
    }
}
FEED_CACHE = "public, max-age=300"


def course_in_scope(course_id: DbId, session: SessionDep, principal: MaybePrincipalDep) -> Course:
    return catalog.get_course(session, principal=principal, course_id=course_id)


def session_in_scope(session_id: DbId, session: SessionDep, principal: MaybePrincipalDep) -> CourseSession:
    return service.get_in_scope(session, principal=principal, session_id=session_id)


CourseInScope = Annotated[Course, Depends(course_in_scope)]
SessionInScope = Annotated[CourseSession, Depends(session_in_scope)]


def feed_response(request: Request, body: bytes, filename: str) -> Response:
    """An iCalendar answer, with an ETag (304 to a matching If-None-Match) and a short public cache life."""
    etag = f'"{hashlib.sha256(body).hexdigest()[:32]}"'
    # A feed read with a token may hold what only its owner sees (a draft's sessions): never in shared caches.
    cache = "private, no-store" if request.headers.get("authorization") else FEED_CACHE
    headers = {"ETag": etag, "Cache-Control": cache, "Content-Disposition": f'inline; filename="{filename}"'}
    if etag in request.headers.get("if-none-match", ""):
        return Response(status_code=304, headers=headers)
    return Response(body, media_type="text/calendar; charset=utf-8", headers=headers)
