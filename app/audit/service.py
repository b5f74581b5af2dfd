"""Recording and reading audit entries."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import insert
from sqlmodel import Session, col

from app.audit.models import AuditEntry, AuditEntryState
from app.audit.schemas import AuditEntryPublic, AuditPage
from app.auth.principal import Principal
from app.context import request_id_var
from app.db import id_of, table_of, utcnow
from app.pagination import keyset_page


def record(
    session: Session,
    *,
    actor: str,
    action: str,
    entity: str,
    entity_id: Any,
    state: str | None = None,
    states: Iterable[str] = (),
    changes: dict[str, Any] | None = None,
) -> None:
    """Append one audit entry in the caller's transaction.

    `state` is the state of the entity written; `states` every other state whose records the write
    touched (a person certified in two states, a completion that counts in both). The entry is in the
    audit log of each of them.
    """
    entry_id = session.execute(
        insert(_ENTRY)  # the Core table: an ORM-enabled insert costs more to execute, for the same statement
        .values(
            at=utcnow(),
            actor=actor,
            action=action,
            entity=entity,
            entity_id=str(entity_id),
            state=state,
            request_id=request_id_var.get(),
            changes=changes or {},
        )
        .returning(_ENTRY.c.id)
    ).scalar_one()
    touched = sorted({s for s in (state, *states) if s})
    if touched:
        session.execute(insert(_ENTRY_STATE), [{"audit_entry_id": entry_id, "state": s} for s in touched])


_ENTRY = table_of(AuditEntry)
_ENTRY_STATE = table_of(AuditEntryState)


_BOOKKEEPING = frozenset({"created_at", "updated_at", "row_version", "dirty"})


def record_many(
    session: Session,
    *,
    actor: str,
    entity: str,
    entries: list[tuple[str, Any, dict[str, Any]]],
) -> None:
    """Append many audit entries (action, entity_id, changes) of records no state owns (courses), with one
    executemany."""
    if not entries:
        return
    at, request_id = utcnow(), request_id_var.get()
    session.execute(
        insert(AuditEntry),
        [
            {
                "at": at,
                "actor": actor,
                "action": action,
                "entity": entity,
                "entity_id": str(entity_id),
                "state": None,
                "request_id": request_id,
                "changes": changes or {},
            }
            for action, entity_id, changes in entries
        ],
    )


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

    return list(
        session.exec(
            select(AuditEntry)
            .where(AuditEntry.entity == entity, AuditEntry.entity_id == str(entity_id))
            .order_by(col(AuditEntry.id))
        )
    )


def list_page(
    session: Session,
    *,
    principal: Principal,
    entity: str | None,
    entity_id: str | None,
    cursor: str | None,
    limit: int,
    count: bool = False,
) -> AuditPage:
    """One page of the audit log the caller may read, newest first."""
    from sqlmodel import select

    query = select(AuditEntry)
    if entity:
        query = query.where(AuditEntry.entity == entity)
    if entity_id:
        query = query.where(AuditEntry.entity_id == entity_id)
    if not principal.is_admin:
        query = query.where(
            col(AuditEntry.id).in_(
                select(AuditEntryState.audit_entry_id).where(col(AuditEntryState.state).in_(sorted(principal.states)))
            )
        )
    result = keyset_page(session, query, AuditEntry.id, cursor=cursor, limit=limit, newest_first=True, count=count)
    page, next_cursor = result.items, result.next_cursor
    states = _states_of(session, [id_of(e) for e in page])
    return AuditPage(
        items=[AuditEntryPublic(**e.model_dump(), states=states.get(id_of(e), [])) for e in page],
        next_cursor=next_cursor,
        total=result.total,
    )


def _states_of(session: Session, entry_ids: list[int]) -> dict[int, list[str]]:
    from sqlmodel import select

    out: dict[int, list[str]] = {}
    if entry_ids:
        for entry_id, state in session.exec(
            select(AuditEntryState.audit_entry_id, AuditEntryState.state)
            .where(col(AuditEntryState.audit_entry_id).in_(entry_ids))
            .order_by(col(AuditEntryState.state))
        ):
            out.setdefault(entry_id, []).append(state)
    return out
