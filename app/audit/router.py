from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel
from sqlmodel import col, select

from app.audit.models import AuditEntry
from app.auth import AdminOrBoardDep
from app.db import SessionDep
from app.errors import problem_responses
from app.inputs import GuardedRoute
from app.pagination import Cursor, keyset_page

router = APIRouter(prefix="/audit", tags=["audit"], route_class=GuardedRoute)


class AuditEntryPublic(BaseModel):
    id: int
    at: datetime
    actor: str
    action: str
    entity: str
    entity_id: str
    state: str | None
    request_id: str | None
    changes: dict[str, Any]


class AuditPage(BaseModel):
    items: list[AuditEntryPublic]
    next_cursor: str | None


@router.get(
    "", response_model=AuditPage, operation_id="listAuditEntries",
    responses=problem_responses(400, 401, 403, 422),
)
def list_audit_entries(
    session: SessionDep,
    principal: AdminOrBoardDep,
    entity: str | None = None,
    id: Annotated[str | None, Query(description="The entity's id")] = None,
    cursor: Cursor = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> AuditPage:
    """The audit log, newest first. Boards see the entries of their states only."""
    query = select(AuditEntry)
    if entity:
        query = query.where(AuditEntry.entity == entity)
    if id:
        query = query.where(AuditEntry.entity_id == id)
    if not principal.is_admin:
        query = query.where(col(AuditEntry.state).in_(sorted(principal.states)))
    page, next_cursor = keyset_page(session, query, AuditEntry.id, cursor=cursor, limit=limit, newest_first=True)
    return AuditPage(items=[AuditEntryPublic.model_validate(r, from_attributes=True) for r in page],
                     next_cursor=next_cursor)
