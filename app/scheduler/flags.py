"""Flags and renewals: what the sweep records from an evaluation, and how they are read back.

Flag rule (docs/compliance.md, "Flags"): after evaluating a certification as of D, its current cycle
gets a flag for its status when that status is `due_soon`, `overdue` or `lapsed`. A cycle gets a
`compliant` flag only when it is met after it had been flagged `due_soon` or `overdue`: "back to
compliant", whether it is still the current cycle or was met late (in grace) and rolled over.
A cycle met before anyone was warned raises nothing. The unique constraint (certification_id,
cycle_start, status) keeps one flag per certification, cycle and status, however often and on
however many replicas the sweep runs; inserts are INSERT ... ON CONFLICT DO NOTHING.

Renewals (docs/compliance.md, "Decisions that stay decided"): every cycle the derivation passes over (met,
and ended before D) without a standing renewal is recorded as one, on D. A recorded renewal is never
withdrawn nor corrected: it is an input of every later evaluation. When later facts mean a cycle renewed
by the sweep would no longer be met, or that it is no longer a cycle of the derivation at all, the
renewal stays and the cycle gets one `renewal_review` flag, with its reasons (`app.scheduler.reviews`).
Only a board's `reopen` (or `revoke`) undoes a renewal.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import select as sa_select
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col, select

from app.compliance.facts import Inputs
from app.compliance.rows import CertRow
from app.db import table_of
from app.reads import Query, fetch_sync, in_
from app.rules import engine
from app.scheduler.models import Flag, Renewal

WARNINGS = frozenset({"due_soon", "overdue", "lapsed"})
BACK_FROM = frozenset({"due_soon", "overdue"})
REVIEW = "renewal_review"


@dataclass
class Evaluated:
    """One certification evaluated by the sweep, as of its board's today (or the explicit date)."""

    cert: CertRow
    day: date
    result: engine.Evaluation
    inputs: Inputs | None = None
    # cycles the derivation passed over that no standing renewal records yet: start -> its summary
    renewals: dict[date, engine.CycleSummary] = field(default_factory=dict)
    # renewed cycles to review: (start, end, stranded) where stranded means no longer a cycle of the derivation
    reviews: list[tuple[date, date, bool]] = field(default_factory=list)


# What the sweep reads back per batch, as plain columns on the raw driver (app.reads).
EXISTING_FLAGS = Query(
    lambda d: sa_select(col(Flag.certification_id), col(Flag.cycle_start), col(Flag.status)).where(
        in_(d, Flag.certification_id, "ids")
    )
)


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
    reasons: list[str] | None = None


def derive_renewals(inputs: Inputs, result: engine.Evaluation, day: date) -> dict[date, engine.CycleSummary]:
    """Every cycle the derivation passed over (met) that no standing renewal decided: of the current chain,
    and of the chains before each reinstatement that began a new one."""
    out: dict[date, engine.CycleSummary] = {}
    facts = inputs.facts
    for action in facts.board_actions:
        if action.kind == "reinstate" and facts.issued_on < action.effective_on <= day:
            earlier = engine.evaluate(
                versions=inputs.versions,
                facts=facts,
                completions=inputs.completions,
                activities=inputs.activities,
                as_of=action.effective_on - timedelta(days=1),
                explain=False,
                requirements=False,
            )
            out.update(_passed_over(earlier))
    out.update(_passed_over(result))
    return out


def _passed_over(result: engine.Evaluation) -> dict[date, engine.CycleSummary]:
    return {c.start: c for c in result.cycles[:-1] if c.met_on is not None and c.renewed_on is None}


def reviews_of(result: engine.Evaluation) -> list[tuple[date, date, bool]]:
    """The sweep's renewals this evaluation calls into question: renewed cycles the data no longer meets, and
    standing renewals of cycles that are no longer cycles of the derivation (a board's renewals aside)."""
    out = [
        (c.start, c.end, False)
        for c in result.cycles[:-1]
        if c.renewed_on is not None and not c.renewed_by_board and not c.met
    ]
    out += [(x.cycle_start, x.cycle_end, True) for x in result.stranded_renewals]
    return out


def insert_ignoring_conflicts(
    session: Session, table: Any, rows: Sequence[dict[str, Any]], conflict: Sequence[str], returning: Sequence[Any] = ()
) -> list[Any]:
    """INSERT ... ON CONFLICT (conflict) DO NOTHING on PostgreSQL and SQLite; the inserted rows.

    One statement for every batch size, executed with the rows as parameters: SQLAlchemy sends them as
    multi-row INSERTs ("insertmanyvalues") from one cached compilation, instead of compiling a new
    statement of hundreds of VALUES per call (most of a first sweep's batch time went there)."""
    if not rows:
        return []
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    stmt = insert(table).on_conflict_do_nothing(index_elements=list(conflict))
    if returning:
        return list(session.execute(stmt.returning(*returning), list(rows)).all())
    session.execute(stmt, list(rows))
    return []


def record_renewals(session: Session, items: Sequence[Evaluated], *, now: datetime) -> int:
    """Record the renewals these evaluations derived that no renewal of the same cycle records yet (a reopened
    one aside: the cycle's next generation); count the new ones. Recorded renewals are never changed here."""
    rows: list[dict[str, Any]] = []
    for item in items:
        if not item.renewals:
            continue
        stored = item.inputs.renewals if item.inputs is not None else []
        recorded = {r.cycle_start for r in stored if r.reopened_on is None}
        generation: dict[date, int] = {}
        for r in stored:
            generation[r.cycle_start] = max(generation.get(r.cycle_start, -1), r.generation)
        for start, c in sorted(item.renewals.items()):
            if start in recorded:
                continue
            rows.append(
                {
                    "certification_id": item.cert.id,
                    "cycle_start": start,
                    "cycle_end": c.end,
                    "met_on": c.met_on,
                    "recorded_on": item.day,
                    "source": "sweep",
                    "generation": generation.get(start, -1) + 1,
                    "earned_hours": c.earned_hours,
                    "required_hours": c.required_hours,
                    "rule_version": c.rule_version,
                    "recorded_at": now,
                }
            )
    table = table_of(Renewal)
    inserted = insert_ignoring_conflicts(
        session, table, rows, ["certification_id", "cycle_start", "generation"], returning=[table.c.id]
    )
    return len(inserted)


def raise_flags(
    session: Session, items: Sequence[Evaluated], *, now: datetime, review_reasons: Any = None
) -> list[NewFlag]:
    """Insert the flags these evaluations imply; returns only the ones this call created.

    `review_reasons(item, start, end, stranded)` gives a renewal review's reasons; it is called only for
    reviews not already flagged."""
    by_cert = {item.cert.id: item for item in items}
    if not by_cert:
        return []
    rows_read = fetch_sync(session, EXISTING_FLAGS, {"ids": sorted(by_cert)})
    existing: set[tuple[int, date, str]] = {(cert_id, start, status) for cert_id, start, status in rows_read}
    warned = {(cert_id, start) for cert_id, start, status in existing if status in BACK_FROM}
    rows: list[dict[str, Any]] = []
    for cert_id, item in by_cert.items():
        cert, result = item.cert, item.result
        base = {
            "certification_id": cert_id,
            "credential_code": cert.credential_code,
            "state": cert.state,
            "raised_on": item.day,
            "raised_at": now,
            "reasons": None,
        }
        if result.status in WARNINGS:
            rows.append(
                {**base, "status": result.status, "cycle_start": result.cycle_start, "cycle_end": result.cycle_end}
            )
        if result.status == "compliant" and (cert_id, result.cycle_start) in warned:
            rows.append(
                {**base, "status": "compliant", "cycle_start": result.cycle_start, "cycle_end": result.cycle_end}
            )
        for start, c in item.renewals.items():
            if (cert_id, start) in warned:
                rows.append({**base, "status": "compliant", "cycle_start": start, "cycle_end": c.end})
        for start, end, stranded in item.reviews:
            if (cert_id, start, REVIEW) in existing:
                continue
            reasons = review_reasons(item, start, end, stranded) if review_reasons else []
            rows.append({**base, "status": REVIEW, "cycle_start": start, "cycle_end": end, "reasons": reasons})
    # Skip what is already recorded; the unique constraint still guards against concurrent sweeps.
    rows = [r for r in rows if (r["certification_id"], r["cycle_start"], r["status"]) not in existing]
    if not rows:
        return []
    table = table_of(Flag)
    t = table.c
    inserted = insert_ignoring_conflicts(
        session,
        table,
        rows,
        ["certification_id", "cycle_start", "status"],
        returning=[
            t.id,
            t.certification_id,
            t.credential_code,
            t.state,
            t.status,
            t.cycle_start,
            t.cycle_end,
            t.raised_on,
            t.raised_at,
            t.reasons,
        ],
    )
    return [NewFlag(*row) for row in inserted]


# --- reading ------------------------------------------------------------------------------


def flags_of(session: Session, certification_ids: Iterable[int]) -> list[Flag]:
    """Every flag of these certifications, oldest first."""
    ids = sorted(set(certification_ids))
    if not ids:
        return []
    return list(session.exec(select(Flag).where(col(Flag.certification_id).in_(ids)).order_by(col(Flag.id))))


def renewals_of(session: Session, certification_id: int) -> list[Renewal]:
    """A certification's recorded renewals, reopened ones too, oldest cycle (then generation) first."""
    return list(
        session.exec(
            select(Renewal)
            .where(Renewal.certification_id == certification_id)
            .order_by(col(Renewal.cycle_start), col(Renewal.generation))
        )
    )
