from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from app.pagination import Total


class AuditEntryPublic(BaseModel):
    id: int
    at: datetime
    actor: str
    action: str
    entity: str
    entity_id: str
    state: str | None = Field(description="The state of the entity written (none for courses and providers)")
    states: list[str] = Field(description="Every state whose records the write touched: the boards that see it")
    request_id: str | None
    changes: dict[str, Any]


class AuditPage(BaseModel):
    items: list[AuditEntryPublic]
    next_cursor: str | None
    total: Total = None
