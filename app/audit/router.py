from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from app.audit import service
from app.audit.schemas import AuditPage
from app.auth import AdminOrBoardDep
from app.db import SessionDep
from app.errors import problem_responses
from app.inputs import GuardedRoute
from app.pagination import CountTotal, Cursor

router = APIRouter(prefix="/audit", tags=["audit"], route_class=GuardedRoute)


@router.get(
    "",
    response_model=AuditPage,
    operation_id="listAuditEntries",
    responses=problem_responses(400, 401, 403, 422),
)
def list_audit_entries(
    session: SessionDep,
    principal: AdminOrBoardDep,
    entity: Annotated[str | None, Query(max_length=40)] = None,
    id: Annotated[str | None, Query(max_length=64, description="The entity's id")] = None,
    cursor: Cursor = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    count: CountTotal = False,
) -> AuditPage:
    """The audit log, newest first. A board sees every entry that touched one of its states."""
    return service.list_page(
        session, principal=principal, entity=entity, entity_id=id, cursor=cursor, limit=limit, count=count
    )
