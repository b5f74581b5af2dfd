"""Boards' CSV roster import (people + certifications) and filtered CSV export."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any, Literal

from pydantic import BaseModel, EmailStr, Field, ValidationError
from sqlalchemy import tuple_
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session, col, select

from app.audit import service as audit
from app.auth.principal import Principal
from app.certifications import evaluation, service
from app.certifications.models import Certification
from app.clock import Clock
from app.csvio import read_rows
from app.db import utcnow
from app.errors import Unprocessable
from app.people.models import Person
from app.rules import service as rules_service

REQUIRED = ("given_name", "family_name", "email", "credential_code", "number", "issued_on")
OPTIONAL = ("external_ref", "cycle_option", "variants")
EXPORT_COLUMNS = ("id", "given_name", "family_name", "email", "external_ref", "credential_code", "state",
                  "number", "issued_on", "cycle_option", "variants", "status", "cycle_start", "cycle_end",
                  "grace_ends_on", "evaluated_on")


class ImportRow(BaseModel):
    given_name: str = Field(min_length=1, max_length=100)
    family_name: str = Field(min_length=1, max_length=100)
    email: EmailStr
    external_ref: str | None = Field(default=None, max_length=100)
    credential_code: str = Field(min_length=2, max_length=32)
    number: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9./ -]*$")
    issued_on: date
    cycle_option: str | None = Field(default=None, max_length=64, pattern=r"^[a-z][a-z0-9_-]*$")
    variants: str | None = Field(default=None, max_length=200, pattern=r"^[a-z][a-z0-9_-]*( *; *[a-z][a-z0-9_-]*)*$",
                                 description="variant ids separated by semicolons")

    def variant_ids(self) -> list[str]:
        return sorted({v.strip() for v in (self.variants or "").split(";") if v.strip()})


class RowError(BaseModel):
    field: str
    message: str


class RowOutcome(BaseModel):
    row: int = Field(description="1-based data row (the header is row 0)")
    credential_code: str | None = None
    number: str | None = None
    outcome: Literal["created", "updated", "unchanged", "error"]
    certification_id: int | None = None
    errors: list[RowError] = Field(default_factory=list)


class ImportReport(BaseModel):
    dry_run: bool
    created: int
    updated: int
    unchanged: int
    errors: int
    rows: list[RowOutcome]


def import_roster(session: Session, *, principal: Principal, body: bytes, dry_run: bool, clock: Clock) -> ImportReport:
    """Create or update people and certifications by (credential_code, number): all rows or none."""
    raw_rows = read_rows(body, required=REQUIRED, optional=OPTIONAL)
    parsed: list[tuple[int, ImportRow | None, list[RowError]]] = []
    for i, raw in enumerate(raw_rows, start=1):
        try:
            row = ImportRow.model_validate({k: (v or None) for k, v in raw.items()})
            row.credential_code = row.credential_code.upper()
            row.email = row.email.lower()
            parsed.append((i, row, []))
        except ValidationError as exc:
            parsed.append((i, None, [RowError(field=str(e["loc"][0]), message=e["msg"]) for e in exc.errors()]))

    rows = [r for _, r, _ in parsed if r is not None]
    states = {code: state for state, codes in rules_service.codes_by_state(session).items() for code in codes}
    keys = {(r.credential_code, r.number) for r in rows}
    existing = {
        (c.credential_code, c.number): c
        for c in session.exec(select(Certification).where(
            tuple_(col(Certification.credential_code), col(Certification.number)).in_(list(keys))))
    } if keys else {}
    rules_of = _rules_in_effect(session, {r.credential_code for r in rows if r.credential_code in states}, clock)
    emails = {r.email for r in rows}
    people = {p.email: p for p in session.exec(select(Person).where(col(Person.email).in_(emails)))} if emails else {}

    seen: dict[tuple[str, str], int] = {}
    outcomes: list[RowOutcome] = []
    plan: list[tuple[RowOutcome, ImportRow, Certification | None]] = []
    for i, row, errors in parsed:
        outcome = RowOutcome(row=i, outcome="error", errors=errors)
        outcomes.append(outcome)
        errors = outcome.errors  # pydantic copied the list: collect into the outcome's own
        if row is None:
            continue
        outcome.credential_code, outcome.number = row.credential_code, row.number
        key = (row.credential_code, row.number)
        state = states.get(row.credential_code)
        if state is None:
            errors.append(RowError(field="credential_code", message=f"unknown credential {row.credential_code}"))
        elif not principal.sees_state(state):
            errors.append(RowError(field="credential_code",
                                   message=f"{row.credential_code} is a {state} credential; not yours to import"))
        if key in seen:
            errors.append(RowError(field="number", message=f"same credential and number as row {seen[key]}"))
        seen.setdefault(key, i)
        cert = existing.get(key)
        rules = rules_of.get(row.credential_code)
        if rules is not None:
            if cert is None and rules.superseded_by:
                errors.append(RowError(field="credential_code", message=f"{row.credential_code} is superseded by "
                                       f"{', '.join(rules.superseded_by)}"))
            for e in service.check_choices(rules, cycle_option=row.cycle_option, variants=row.variant_ids()):
                errors.append(RowError(field=e["loc"][-1], message=e["message"]))
        person = people.get(row.email)
        if cert is not None and (person is None or person.id != cert.person_id):
            errors.append(RowError(field="email",
                                   message="this certificate number belongs to a person with another email"))
        if errors:
            continue
        changed = cert is None or _cert_changes(cert, row) or person is None or any(
            getattr(person, f) != getattr(row, f) for f in ("given_name", "family_name", "external_ref"))
        outcome.outcome = "created" if cert is None else ("updated" if changed else "unchanged")
        outcome.certification_id = cert.id if cert else None
        plan.append((outcome, row, cert))

    report = ImportReport(
        dry_run=dry_run,
        created=sum(o.outcome == "created" for o in outcomes),
        updated=sum(o.outcome == "updated" for o in outcomes),
        unchanged=sum(o.outcome == "unchanged" for o in outcomes),
        errors=sum(o.outcome == "error" for o in outcomes),
        rows=outcomes,
    )
    if report.errors:
        raise Unprocessable(
            f"{report.errors} of {len(outcomes)} row(s) have errors; nothing was imported.",
            errors=[{"loc": ["body", o.row, e.field], "field": f"row {o.row}.{e.field}", "message": e.message,
                     "type": "row_error"} for o in outcomes for e in o.errors],
            extensions={"report": report.model_dump(mode="json")},
        )
    if not dry_run:
        _apply(session, principal=principal, plan=plan, people=people, states=states, clock=clock)
    return report


def _apply(session: Session, *, principal: Principal, plan: list[tuple[RowOutcome, ImportRow, Certification | None]],
           people: dict[str, Person], states: dict[str, str], clock: Clock) -> None:
    touched: list[Certification] = []
    for outcome, row, cert in plan:
        if outcome.outcome == "unchanged":
            continue
        person = people.get(row.email)
        if person is None:
            person = Person(given_name=row.given_name, family_name=row.family_name, email=row.email,
                            external_ref=row.external_ref, registered_by_state=states[row.credential_code])
            people[row.email] = person
            session.add(person)
        else:
            person.given_name, person.family_name = row.given_name, row.family_name
            person.external_ref = row.external_ref or person.external_ref
            person.updated_at = utcnow()
            session.add(person)
        session.flush()
        if cert is None:
            cert = Certification(person_id=person.id, credential_code=row.credential_code,  # type: ignore[arg-type]
                                 state=states[row.credential_code], number=row.number, issued_on=row.issued_on,
                                 cycle_option=row.cycle_option, variants=evaluation.join_variants(row.variant_ids()))
        elif changes := _cert_changes(cert, row):
            for name, value in changes.items():
                setattr(cert, name, value)
            cert.row_version += 1
            cert.updated_at = utcnow()
        session.add(cert)
        touched.append(cert)
    session.flush()
    service.refresh_status(session, touched, clock=clock)
    for (outcome, row, _), cert in zip([p for p in plan if p[0].outcome != "unchanged"], touched, strict=True):
        outcome.certification_id = cert.id
        audit.record(session, actor=principal.actor, action=f"import:{outcome.outcome}", entity="certification",
                     entity_id=cert.id, state=cert.state,
                     changes={"number": cert.number, "issued_on": str(cert.issued_on), "email": row.email,
                              "cycle_option": cert.cycle_option, "variants": cert.variants})


def _cert_changes(cert: Certification, row: ImportRow) -> dict[str, Any]:
    """What a row changes on an existing certification (issue date, cycle option, variants)."""
    wanted = {"issued_on": row.issued_on, "cycle_option": row.cycle_option,
              "variants": evaluation.join_variants(row.variant_ids())}
    return {k: v for k, v in wanted.items() if getattr(cert, k) != v}


def _rules_in_effect(session: Session, codes: set[str], clock: Clock) -> dict[str, Any]:
    """Each credential's rule set in effect today (for its cycle options, variants and successors)."""
    from app.rules import engine

    out = {}
    for code in sorted(codes):
        parsed = rules_service.engine_versions(rules_service.versions_of(session, code))
        out[code] = engine.select_version(parsed, clock.today(parsed[-1].rules.timezone)).rules
    return out


def export_rows(session_factory: sessionmaker[Session], *, principal: Principal, filters: dict[str, Any],
                batch: int = 1000) -> Iterator[list[Any]]:
    """Stream the filtered certifications in keyset batches, each in a short read session."""
    cursor = None
    while True:
        with session_factory() as session:
            page, cursor = service.list_page(session, principal=principal, cursor=cursor, limit=batch, **filters)
            people = service.people_of(session, page)
        for c in page:
            p = people[c.person_id]
            yield [c.id, p.given_name, p.family_name, p.email, p.external_ref, c.credential_code, c.state,
                   c.number, c.issued_on, c.cycle_option, ";".join(evaluation.split_variants(c.variants)), c.status,
                   c.cycle_start, c.cycle_end, c.grace_ends_on, c.evaluated_on]
        if cursor is None:
            return
