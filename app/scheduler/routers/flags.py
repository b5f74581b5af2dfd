"""The flags the sweeps raised, in the caller's scope."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from app.auth import AdminOrBoardDep
from app.db import SessionDep
from app.errors import problem_responses
from app.inputs import GuardedRoute
from app.pagination import CountTotal, Cursor
from app.scheduler import service
from app.scheduler.schemas import (
    FlagPage,
    FlagPublic,
    FlagStatus,
)
from app.types import Day, DbId

flags_router = APIRouter(prefix="/flags", tags=["scheduler"], route_class=GuardedRoute)


@flags_router.get(
    "", response_model=FlagPage, operation_id="listFlags", responses=problem_responses(400, 401, 403, 422)
)
def list_flags(
    session: SessionDep,
    principal: AdminOrBoardDep,
    credential_code: str | None = None,
    status: FlagStatus | None = None,
    state: Annotated[str | None, Query(pattern=r"^[A-Za-z]{2}$")] = None,
    since: Annotated[Day | None, Query(description="Raised on or after this date")] = None,
    certification_id: DbId | None = None,
    cursor: Cursor = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    count: CountTotal = False,
) -> FlagPage:
    """Flags raised by the sweep, newest first. Boards see their states' flags only."""
    found = service.list_flags(
        session,
        principal=principal,
        credential_code=credential_code,
        status=status,
        state=state,
        since=since,
        certification_id=certification_id,
        cursor=cursor,
        limit=limit,
        count=count,
    )
    return FlagPage(
        items=[FlagPublic.model_validate(f) for f in found.items], next_cursor=found.next_cursor, total=found.total
    )
