"""Decisions that stay decided (docs/compliance.md): a migrated record's stated cycle and the renewals a board
records with it, a board's reopen of a renewed cycle, and the checks of a reinstatement's stated start.

A recorded renewal is an input of every later evaluation; only a board undoes one (`reopen`, or `revoke`).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlmodel import Session, col, select

from app.certifications.models import Certification
from app.db import id_of
from app.errors import Unprocessable
from app.rules import engine
from app.rules import service as rules_service
from app.scheduler.models import Renewal


def field_error(field: str, message: str, detail: str | None = None, *, prefix: str = "body") -> Unprocessable:
    """A 422 naming one field."""
    return Unprocessable(
        detail or f"{field}: {message}.",
        errors=[{"loc": [prefix, field], "field": f"{prefix}.{field}", "message": message, "type": "value_error"}],
    )


def check_stated_cycle(
    *,
    issued_on: date,
    start: date | None,
    end: date | None,
    carryover: Decimal | None,
    today: date,
    prefix: str = "body",
) -> list[dict]:
    """Field errors of a migrated record's stated cycle (none: valid)."""
    errors = []

    def error(field: str, message: str) -> None:
        errors.append({"loc": [prefix, field], "field": f"{prefix}.{field}", "message": message, "type": "value_error"})

    if start is None:
        if end is not None:
            error("current_cycle_end", "needs current_cycle_start")
        if carryover is not None:
            error("carryover_hours", "needs current_cycle_start")
        return errors
    if start < issued_on:
        error("current_cycle_start", f"before the issue date {issued_on}")
    if start > today:
        error("current_cycle_start", f"after the board's today ({today})")
    if end is not None and end < start:
        error("current_cycle_end", "before current_cycle_start")
    return errors


def record_stated_cycle(
    session: Session, *, cert: Certification, start: date, end: date | None, carryover: Decimal | None, today: date
) -> list[tuple[date, date]]:
    """Register a migrated record in its current cycle: the cycles before `start` count as renewed by the
    board today (renewal rows, source 'board'); earlier board renewals the statement no longer makes are
    reopened today. Returns the cycles renewed."""
    versions = rules_service.engine_versions(rules_service.versions_of(session, cert.credential_code))
    from app.compliance.facts import split_variants

    facts = engine.CertificationFacts(
        issued_on=cert.issued_on,
        credential_code=cert.credential_code,
        cycle_option=cert.cycle_option,
        variants=split_variants(cert.variants),
        birth_month_day=_birthday(session, cert),
    )
    try:
        cycles = engine.cycles_before(versions=versions, facts=facts, until=start)
    except engine.RuleError as exc:
        raise field_error("current_cycle_start", f"the rules cannot place the earlier cycles: {exc}") from exc
    rows = list(
        session.exec(
            select(Renewal)
            .where(Renewal.certification_id == cert.id)
            .order_by(col(Renewal.cycle_start), col(Renewal.generation))
        )
    )
    wanted = set(cycles)
    for row in rows:
        if row.source == "board" and row.reopened_on is None and (row.cycle_start, row.cycle_end) not in wanted:
            row.reopened_on = today
            session.add(row)
    standing = {r.cycle_start for r in rows if r.reopened_on is None}
    generation = {r.cycle_start: r.generation for r in rows}  # the highest, rows being in generation order
    for s, e in cycles:
        if s in standing:
            continue
        session.add(
            Renewal(
                certification_id=id_of(cert),
                cycle_start=s,
                cycle_end=e,
                met_on=None,
                recorded_on=today,
                source="board",
                generation=generation[s] + 1 if s in generation else 0,
            )
        )
    cert.registered_cycle_start, cert.registered_cycle_end = start, end
    cert.registered_carryover_hours = None if carryover is None else carryover.quantize(Decimal("0.01"))
    cert.registered_on = today
    session.flush()
    return cycles


def reopen(session: Session, *, cert: Certification, cycle_start: date, on: date) -> Renewal:
    """Set aside the renewal of the cycle starting `cycle_start` that stands on `on`: from that day the plain
    derivation decides the cycle again (the sweep records a new renewal if the data meets it)."""
    rows = list(
        session.exec(
            select(Renewal)
            .where(Renewal.certification_id == cert.id, col(Renewal.reopened_on).is_(None))
            .order_by(col(Renewal.cycle_start), col(Renewal.generation))
        )
    )
    row = next((r for r in reversed(rows) if r.cycle_start == cycle_start), None)
    if row is None or row.recorded_on > on:
        standing = ", ".join(f"{r.cycle_start} to {r.cycle_end}" for r in rows if r.recorded_on <= on) or "none"
        raise field_error(
            "cycle_start",
            f"no recorded renewal of a cycle starting on {cycle_start} stands on {on}",
            f"Certification {cert.id} has no recorded renewal of a cycle starting on {cycle_start} "
            f"that stands on {on} (renewed cycles: {standing}).",
        )
    row.reopened_on = on
    session.add(row)
    return row


def check_reinstatement_start(cert: Certification, *, cycle_start: date, effective_on: date) -> None:
    """A reinstatement's stated start of its chain lies between the issue date and the reinstatement."""
    if cycle_start < cert.issued_on:
        raise field_error("cycle_start", f"before the issue date {cert.issued_on}")
    if cycle_start > effective_on:
        raise field_error("cycle_start", f"after the reinstatement's effective_on {effective_on}")


def _birthday(session: Session, cert: Certification) -> tuple[int, int] | None:
    from app.people.models import Person

    person = session.get(Person, cert.person_id)
    if person is None or person.birth_month is None or person.birth_day is None:
        return None
    return person.birth_month, person.birth_day
