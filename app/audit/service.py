"""Recording and reading audit entries."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from app.audit.models import AuditEntry
from app.context import request_id_var
from app.db import utcnow


def record(
    session: Session,
    *,
    actor: str,
    action: str,
    entity: str,
    entity_id: Any,
    state: str | None = None,
    changes: dict[str, Any] | None = None,
) -> None:
    """Append one audit entry in the caller's transaction."""
    session.add(
        AuditEntry(
            actor=actor,
            action=action,
            entity=entity,
            entity_id=str(entity_id),
            state=state,
            request_id=request_id_var.get(),
            changes=changes or {},
        )
    )


_BOOKKEEPING = frozenset({"created_at", "updated_at", "row_version", "dirty"})


def record_many(
    session: Session,
    *,
    actor: str,
    entity: str,
    entries: list[tuple[str, Any, dict[str, Any]]],
    state: str | None = None,
) -> None:
    """Append many audit entries (action, entity_id, changes) with one executemany."""
    if not entries:
        return
    from sqlalchemy import insert

    at, request_id = utcnow(), request_id_var.get()
    session.execute(insert(AuditEntry), [
        {"at": at, "actor": actor, "action": action, "entity": entity, "entity_id": str(entity_id),
         "state": state, "request_id": request_id, "changes": changes or {}}
        for action, entity_id, changes in entries
    ])


def diff(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    """Changed fields as {field: [old, new]}, JSON-friendly."""
    return {
        key: [_jsonable(before.get(key)), _jsonable(after.get(key))]
        for key in sorted(set(before) | set(after))
        if key not in _BOOKKEEPING and before.get(key) != after.get(key)
    }


def _jsonable(value: Any) -> Any:
    if value is None or isinstance(value, (str, int, float, bool, list, dict)):
        return value
    return str(value)


def entries_for(session: Session, *, entity: str, entity_id: Any) -> list[AuditEntry]:
    """One entity's audit entries, oldest first."""
    from sqlmodel import col, select

    return list(session.exec(
        select(AuditEntry).where(AuditEntry.entity == entity, AuditEntry.entity_id == str(entity_id))
        .order_by(col(AuditEntry.id))
    ))
