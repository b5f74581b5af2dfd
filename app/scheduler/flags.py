"""Flags and renewals: what the sweep records from an evaluation, and how they are read back.

Flag rule (compliance.md, "Flags"): after evaluating a certification as of D, its current cycle
gets a flag for its status when that status is `due_soon`, `overdue` or `lapsed`. A cycle gets a
`compliant` flag only when it is met after it had been flagged `due_soon` or `overdue`: "back to
compliant", whether it is still the current cycle or was met late (in grace) and rolled over.
A cycle met before anyone was warned raises nothing. The unique constraint (certification_id,
cycle_start, status) keeps one flag per certification, cycle and status, however often and on
however many replicas the sweep runs; inserts are INSERT ... ON CONFLICT DO NOTHING.

Renewals: every cycle the derivation passes over (met, and ended before D) is a renewal; the
stored rows of an evaluated certification are reconciled with the derivation (missing ones
inserted, changed ones corrected, ones the data no longer supports withdrawn, with an audit entry).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, NamedTuple

from sqlalchemy import delete, update
from sqlalchemy import select as sa_select
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col, select

from app.audit import service as audit
from app.auth.principal import Principal
from app.certifications.evaluation import Inputs
from app.certifications.models import Certification
from app.pagination import KeysetPage, keyset_page
from app.reads import Query, fetch_sync, in_
from app.rules import engine
from app.scheduler.models import Flag, Renewal

WARNINGS = frozenset({"due_soon", "overdue", "lapsed"})
BACK_FROM = frozenset({"due_soon", "overdue"})
_CHUNK = 500


@dataclass
class Evaluated:
    """One certification evaluated by the sweep, as of its board's today (or the explicit date)."""

    cert: Certification
    day: date
    result: engine.Evaluation
    renewals: dict[date, tuple[date, date]] = field(default_factory=dict)  # start -> (end, met_on)


class _StoredRenewal(NamedTuple):
    id: int
    cycle_end: date
    met_on: date


# What the sweep reads back per batch, as plain columns on the raw driver (app.reads).
STORED_RENEWALS = Query(lambda d: (
    sa_select(Renewal.id, Renewal.certification_id, Renewal.cycle_start, Renewal.cycle_end, Renewal.met_on)
    .where(in_(d, Renewal.certification_id, "ids"))
))
EXISTING_FLAGS = Query(lambda d: (
    sa_select(Flag.certification_id, Flag.cycle_start, Flag.status).where(in_(d, Flag.certification_id, "ids"))
))


@dataclass
class NewFlag:
    id: int
    certification_id: int
    credential_code: str
    state: str
    status: str
    cycle_start: date
    cycle_end: date
    raised_on: date
    raised_at: datetime


def derive_renewals(inputs: Inputs, result: engine.Evaluation, day: date) -> dict[date, tuple[date, date]]:
    """Every rolled-over cycle, of the current chain and of the chains before each reinstatement."""
    out: dict[date, tuple[date, date]] = {}
    facts = inputs.facts
    for action in facts.board_actions:
        if action.kind == "reinstate" and facts.issued_on < action.effective_on <= day:
            earlier = engine.evaluate(versions=inputs.versions, facts=facts, completions=inputs.completions,
                                      activities=inputs.activities,
                                      as_of=action.effective_on - timedelta(days=1), explain=False,
                                      requirements=False)
            out.update(_passed_over(earlier))
    out.update(_passed_over(result))
    return out


def _passed_over(result: engine.Evaluation) -> dict[date, tuple[date, date]]:
    return {c.start: (c.end, c.met_on) for c in result.cycles[:-1] if c.met_on is not None}


def insert_ignoring_conflicts(session: Session, table: Any, rows: Sequence[dict[str, Any]],
                              conflict: Sequence[str], returning: Sequence[Any] = ()) -> list[Any]:
    """INSERT ... ON CONFLICT (conflict) DO NOTHING on PostgreSQL and SQLite; the inserted rows."""
    if not rows:
        return []
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    out: list[Any] = []
    for i in range(0, len(rows), _CHUNK):
        stmt = insert(table).values(list(rows[i:i + _CHUNK])).on_conflict_do_nothing(index_elements=list(conflict))
        if returning:
            out.extend(session.execute(stmt.returning(*returning)).all())
        else:
            session.execute(stmt)
    return out


def sync_renewals(session: Session, items: Sequence[Evaluated], *, now: datetime, actor: str) -> int:
    """Make the stored renewals of these certifications equal their derivation; count the new ones."""
    by_cert = {item.cert.id: item for item in items}
    if not by_cert:
        return 0
    stored: dict[int, dict[date, _StoredRenewal]] = defaultdict(dict)
    for row_id, cert_id, start, end, met_on in fetch_sync(session, STORED_RENEWALS, {"ids": sorted(by_cert)}):
        stored[cert_id][start] = _StoredRenewal(row_id, end, met_on)
    new_rows: list[dict[str, Any]] = []
    withdrawn: list[int] = []
    for cert_id, item in by_cert.items():
        have = stored.get(cert_id, {})
        for start, (end, met_on) in sorted(item.renewals.items()):
            row = have.get(start)
            if row is None:
                new_rows.append({"certification_id": cert_id, "cycle_start": start, "cycle_end": end,
                                 "met_on": met_on, "recorded_at": now})
            elif (row.cycle_end, row.met_on) != (end, met_on):
                session.execute(update(Renewal).where(col(Renewal.id) == row.id)
                                .values(cycle_end=end, met_on=met_on))
                audit.record(session, actor=actor, action="renewal_corrected", entity="certification",
                             entity_id=cert_id, state=item.cert.state,
                             changes={"cycle_start": str(start), "cycle_end": [str(row.cycle_end), str(end)],
                                      "met_on": [str(row.met_on), str(met_on)]})
        for start, row in have.items():
            if start not in item.renewals:
                withdrawn.append(row.id)  # type: ignore[arg-type]
                audit.record(session, actor=actor, action="renewal_withdrawn", entity="certification",
                             entity_id=cert_id, state=item.cert.state,
                             changes={"cycle_start": str(start), "cycle_end": str(row.cycle_end),
                                      "reason": "the data no longer shows this cycle as met and rolled over"})
    if withdrawn:
        session.execute(delete(Renewal).where(col(Renewal.id).in_(withdrawn)))
    inserted = insert_ignoring_conflicts(session, Renewal.__table__, new_rows, ["certification_id", "cycle_start"],
                                         returning=[Renewal.__table__.c.id])
    return len(inserted)


def raise_flags(session: Session, items: Sequence[Evaluated], *, now: datetime) -> list[NewFlag]:
    """Insert the flags these evaluations imply; returns only the ones this call created."""
    by_cert = {item.cert.id: item for item in items}
    if not by_cert:
        return []
    rows_read = fetch_sync(session, EXISTING_FLAGS, {"ids": sorted(by_cert)})
    existing: set[tuple[int, date, str]] = {(cert_id, start, status) for cert_id, start, status in rows_read}
    warned = {(cert_id, start) for cert_id, start, status in existing if status in BACK_FROM}
    rows: list[dict[str, Any]] = []
    for cert_id, item in by_cert.items():
        cert, result = item.cert, item.result
        base = {"certification_id": cert_id, "credential_code": cert.credential_code, "state": cert.state,
                "raised_on": item.day, "raised_at": now}
        if result.status in WARNINGS:
            rows.append({**base, "status": result.status, "cycle_start": result.cycle_start,
                         "cycle_end": result.cycle_end})
        if result.status == "compliant" and (cert_id, result.cycle_start) in warned:
            rows.append({**base, "status": "compliant", "cycle_start": result.cycle_start,
                         "cycle_end": result.cycle_end})
        for start, (end, _met_on) in item.renewals.items():
            if (cert_id, start) in warned:
                rows.append({**base, "status": "compliant", "cycle_start": start, "cycle_end": end})
    # Skip what is already recorded; the unique constraint still guards against concurrent sweeps.
    rows = [r for r in rows if (r["certification_id"], r["cycle_start"], r["status"]) not in existing]
    if not rows:
        return []
    t = Flag.__table__.c
    inserted = insert_ignoring_conflicts(
        session, Flag.__table__, rows, ["certification_id", "cycle_start", "status"],
        returning=[t.id, t.certification_id, t.credential_code, t.state, t.status, t.cycle_start, t.cycle_end,
                   t.raised_on, t.raised_at],
    )
    return [NewFlag(*row) for row in inserted]


# --- reading ------------------------------------------------------------------------------


def list_page(session: Session, *, principal: Principal, credential_code: str | None = None,
              status: str | None = None, state: str | None = None, since: date | None = None,
              certification_id: int | None = None, cursor: str | None = None,
              limit: int = 50, count: bool = False) -> KeysetPage[Flag]:
    """Flags the caller may see (admins all, boards their states), newest first, keyset-paged."""
    query = select(Flag)
    if not principal.is_admin:
        query = query.where(col(Flag.state).in_(sorted(principal.states)))
    if credential_code:
        query = query.where(Flag.credential_code == credential_code.upper())
    if status:
        query = query.where(Flag.status == status)
    if state:
        query = query.where(Flag.state == state.upper())
    if since:
        query = query.where(col(Flag.raised_on) >= since)
    if certification_id is not None:
        query = query.where(Flag.certification_id == certification_id)
    return keyset_page(session, query, Flag.id, cursor=cursor, limit=limit, newest_first=True, count=count)


def flags_of(session: Session, certification_ids: Iterable[int]) -> list[Flag]:
    """Every flag of these certifications, oldest first."""
    ids = sorted(set(certification_ids))
    if not ids:
        return []
    return list(session.exec(select(Flag).where(col(Flag.certification_id).in_(ids)).order_by(col(Flag.id))))


def renewals_of(session: Session, certification_id: int) -> list[Renewal]:
    """A certification's stored renewals, oldest cycle first."""
    return list(session.exec(select(Renewal).where(Renewal.certification_id == certification_id)
                             .order_by(col(Renewal.cycle_start))))
