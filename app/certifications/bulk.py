"""Boards' CSV import of people and certifications (`app.bulk`'s parse, plan, apply) and the filtered CSV export."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, EmailStr, Field, ValidationError
from sqlalchemy import tuple_
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session, col, select
from starlette.concurrency import run_in_threadpool

from app import bulk
from app.audit import service as audit
from app.auth.principal import Principal
from app.bulk import ImportReport, Outcome, RowError
from app.certifications import decisions, service
from app.certifications.models import Certification
from app.clock import Clock
from app.compliance import facts as compliance
from app.csvio import cell_decimal
from app.db import id_of, utcnow
from app.errors import AppError
from app.people import service as people_service
from app.people.models import Person
from app.rules import service as rules_service
from app.types import Day, HoursIn, RequestModel

REQUIRED = ("given_name", "family_name", "email", "credential_code", "number", "issued_on")
OPTIONAL = ("external_ref", "cycle_option", "variants", "current_cycle_start", "current_cycle_end", "carryover_hours")
EXPORT_COLUMNS = (
    "id",
    "given_name",
    "family_name",
    "email",
    "external_ref",
    "credential_code",
    "state",
    "number",
    "issued_on",
    "cycle_option",
    "variants",
    "current_cycle_start",
    "current_cycle_end",
    "carryover_hours",
    "status",
    "cycle_start",
    "cycle_end",
    "grace_ends_on",
    "evaluated_on",
)
# The export's columns that the import reads but never writes: `id` and `state` are checked against the
# certification they name (a file edited into another record is refused); the status columns are what
# the service computed as of `evaluated_on`, and are ignored. So an export re-imports as it is.
CHECKED = ("id", "state")
COMPUTED = ("status", "cycle_start", "cycle_end", "grace_ends_on", "evaluated_on")


class ImportRow(RequestModel):
    given_name: str = Field(min_length=1, max_length=100)
    family_name: str = Field(min_length=1, max_length=100)
    email: EmailStr
    external_ref: str | None = Field(default=None, max_length=100)
    credential_code: str = Field(min_length=2, max_length=32)
    number: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9./ -]*$")
    issued_on: Day
    cycle_option: str | None = Field(default=None, max_length=64, pattern=r"^[a-z][a-z0-9_-]*$")
    variants: str | None = Field(
        default=None,
        max_length=200,
        pattern=r"^[a-z][a-z0-9_-]*( *; *[a-z][a-z0-9_-]*)*$",
        description="variant ids separated by semicolons",
    )
    current_cycle_start: Day | None = None
    current_cycle_end: Day | None = None
    carryover_hours: HoursIn | None = None

    def variant_ids(self) -> list[str]:
        return sorted({v.strip() for v in (self.variants or "").split(";") if v.strip()})


class RowOutcome(BaseModel):
    row: int = Field(description="1-based data row (the header is row 0)")
    credential_code: str | None = None
    number: str | None = None
    outcome: Outcome
    certification_id: int | None = None
    errors: list[RowError] = Field(default_factory=list)


class CertificationsImportReport(ImportReport[RowOutcome]):
    """What a certification import did (or, a dry run, would do): counts by outcome and every row."""


@dataclass
class Parsed:
    """The rows of an upload, each validated on its own: the row (None when invalid) and its errors, what
    it says it is even when invalid (credential code, number), and the export's checked cells it has."""

    rows: list[tuple[int, ImportRow | None, list[RowError]]]
    named: dict[int, tuple[str | None, str | None]]
    checked: dict[int, dict[str, str]]


@dataclass
class Plan:
    """What importing the rows would do: the report, and the rows to write with the records they touch."""

    report: CertificationsImportReport
    work: list[tuple[RowOutcome, ImportRow, Certification | None]]
    people: dict[str, Person]
    states: dict[str, str]
    held: dict[int, set[str]]
    forbidden: bool

    def refusal(self) -> AppError | None:
        report = self.report
        if not report.errors:
            return None
        return bulk.refusal(
            f"{report.errors} of {len(report.rows)} row(s) have errors; nothing was imported.",
            errors=[bulk.row_problem(o.row, e.message, field=e.field) for o in report.rows for e in o.errors],
            report=report.model_dump(mode="json"),
            forbidden=self.forbidden,
        )


def import_certifications(
    session: Session, *, principal: Principal, body: bytes, content_type: str | None, dry_run: bool, clock: Clock
) -> CertificationsImportReport:
    """Create or update people and certifications by (credential_code, number): all rows or none."""
    return bulk.run(
        parse=lambda: parse(body, content_type),
        plan=lambda parsed: plan(session, principal=principal, parsed=parsed, dry_run=dry_run, clock=clock),
        apply=lambda planned: apply(session, principal=principal, planned=planned, clock=clock),
        dry_run=dry_run,
    ).report


def parse(body: bytes, content_type: str | None) -> Parsed:
    """The CSV's rows, each validated on its own (no database read); 415 for another media type."""
    raw_rows = bulk.read_upload(
        body,
        content_type,
        required=REQUIRED,
        optional=(*OPTIONAL, *CHECKED, *COMPUTED),
        json=False,
        unsupported="Send the file as text/csv.",
    ).data
    parsed: list[tuple[int, ImportRow | None, list[RowError]]] = []
    checked: dict[int, dict[str, str]] = {}
    named: dict[int, tuple[str | None, str | None]] = {}  # what each row says it is, even when it is invalid
    for i, raw in enumerate(raw_rows, start=1):
        named[i] = ((raw.get("credential_code") or "").upper() or None, raw.get("number") or None)
        checked[i] = {k: raw[k] for k in CHECKED if raw.get(k)}
        try:
            cells: dict[str, Any] = {k: (v or None) for k, v in raw.items() if k not in (*CHECKED, *COMPUTED)}
            carryover = cells.get("carryover_hours")
            if carryover is not None:  # a number written as digits; other text stays text
                cells["carryover_hours"] = cell_decimal(carryover)
            valid = ImportRow.model_validate(cells)
            valid.credential_code = valid.credential_code.upper()
            valid.email = valid.email.lower()
            parsed.append((i, valid, []))
        except ValidationError as exc:
            parsed.append((i, None, [RowError(field=str(e["loc"][0]), message=e["msg"]) for e in exc.errors()]))
    return Parsed(rows=parsed, named=named, checked=checked)


def plan(session: Session, *, principal: Principal, parsed: Parsed, dry_run: bool, clock: Clock) -> Plan:
    """Each row against the records: its outcome, or its errors (unknown or superseded credential, another
    state's, a duplicate, a person of another state's records, ...); nothing is written."""
    named, checked = parsed.named, parsed.checked
    rows = [r for _, r, _ in parsed.rows if r is not None]
    states = {code: state for state, codes in rules_service.codes_by_state(session).items() for code in codes}
    keys = {(r.credential_code, r.number) for r in rows}
    existing = (
        {
            (c.credential_code, c.number): c
            for c in session.exec(
                select(Certification).where(
                    tuple_(col(Certification.credential_code), col(Certification.number)).in_(list(keys))
                )
            )
        }
        if keys
        else {}
    )
    rules_of, todays = _rules_in_effect(
        session, {r.credential_code for r in rows if r.credential_code in states}, clock
    )
    emails = {r.email for r in rows}
    people = {p.email: p for p in session.exec(select(Person).where(col(Person.email).in_(emails)))} if emails else {}
    held = people_service.held_states(session, [id_of(p) for p in people.values()])
    visible = _visible_ids(session, principal, [id_of(p) for p in people.values()])

    seen: dict[tuple[str, str], int] = {}
    names: dict[str, tuple[int, tuple[str, str, str | None]]] = {}
    outcomes: list[RowOutcome] = []
    work: list[tuple[RowOutcome, ImportRow, Certification | None]] = []
    forbidden = False
    for i, row, errors in parsed.rows:
        outcome = RowOutcome(row=i, credential_code=named[i][0], number=named[i][1], outcome="error", errors=errors)
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
            errors.append(
                RowError(
                    field="credential_code",
                    message=f"{row.credential_code} is a {state} credential; not yours to import",
                )
            )
            forbidden = True
        if key in seen:
            errors.append(RowError(field="number", message=f"same credential and number as row {seen[key]}"))
        seen.setdefault(key, i)
        name = (row.given_name, row.family_name, row.external_ref)
        first = names.setdefault(row.email, (i, name))
        if first[1] != name:
            errors.append(RowError(field="email", message=f"same email as row {first[0]} with another name"))
        cert = existing.get(key)
        errors.extend(_disagreements(checked[i], cert, state))
        rules = rules_of.get(row.credential_code)
        if rules is not None:
            if cert is None and rules.superseded_by:
                errors.append(
                    RowError(
                        field="credential_code",
                        message=f"{row.credential_code} is superseded by {', '.join(rules.superseded_by)}",
                    )
                )
            for e in service.check_choices(rules, cycle_option=row.cycle_option, variants=row.variant_ids()):
                errors.append(RowError(field=e["loc"][-1], message=e["message"]))
            today = todays[row.credential_code]
            for e in service.check_issued_on(row.issued_on, today) + decisions.check_stated_cycle(
                issued_on=row.issued_on,
                start=row.current_cycle_start,
                end=row.current_cycle_end,
                carryover=row.carryover_hours,
                today=today,
            ):
                errors.append(RowError(field=e["loc"][-1], message=e["message"]))
        person = people.get(row.email)
        if cert is not None and (person is None or person.id != cert.person_id):
            errors.append(
                RowError(field="email", message="this certificate number belongs to a person with another email")
            )
        if errors:
            continue
        person_changes = person is not None and _person_changes(person, row)
        if person is not None and (cert is None or person_changes):  # attaching or correcting changes the person
            person_states = held.get(person.id) or (  # type: ignore[arg-type]
                {person.registered_by_state} if person.registered_by_state else set()
            )
            if not people_service.may_change(principal, person_states):
                forbidden = True
                errors.append(
                    RowError(
                        field="email",
                        message=(
                            people_service.who_may_change(person.id, person_states)
                            if person.id in visible
                            else "this email belongs to a person of another state's records; only an admin may add to "
                            "or change them"
                        ),
                    )
                )
                continue
        changed = (
            cert is None
            or bool(_cert_changes(cert, row))
            or _states_another_cycle(cert, row)
            or person is None
            or bool(person_changes)
        )
        outcome.outcome = "created" if cert is None else ("updated" if changed else "unchanged")
        outcome.certification_id = cert.id if cert else None
        work.append((outcome, row, cert))

    return Plan(
        report=CertificationsImportReport.of(outcomes, dry_run=dry_run),
        work=work,
        people=people,
        states=states,
        held=held,
        forbidden=forbidden,
    )


def _disagreements(given: dict[str, str], cert: Certification | None, state: str | None) -> list[RowError]:
    """The export's `id` and `state` of a row, checked against the certification the row names."""
    out = []
    if "state" in given and state is not None and given["state"].upper() != state:
        out.append(RowError(field="state", message=f"the credential is {state}'s, not {given['state']}"))
    if "id" in given and given["id"] != (str(cert.id) if cert is not None else given["id"]):
        out.append(
            RowError(
                field="id",
                message=f"this credential and number are certification {cert.id}, "  # type: ignore[union-attr]
                f"not {given['id']}",
            )
        )
    if "id" in given and cert is None:
        out.append(RowError(field="id", message=f"no certification {given['id']} has this credential and number"))
    return out


def _person_changes(person: Person, row: ImportRow) -> dict[str, Any]:
    """What a row would change of an existing person: names, and the board's own id when the row gives one."""
    wanted = {"given_name": row.given_name, "family_name": row.family_name}
    if row.external_ref:
        wanted["external_ref"] = row.external_ref
    return {field: value for field, value in wanted.items() if getattr(person, field) != value}


def _visible_ids(session: Session, principal: Principal, person_ids: list[int]) -> set[int]:
    scope = people_service.visible_to(principal)
    if scope is None or not person_ids:
        return set(person_ids)
    found = session.exec(select(col(Person.id)).where(col(Person.id).in_(person_ids), scope))
    return {i for i in found if i is not None}


def apply(session: Session, *, principal: Principal, planned: Plan, clock: Clock) -> None:
    """Write a plan without errors: people first, in id order, then certifications; every change audited with
    its before and after, in the log of every state whose records it touched."""
    people, states, held = planned.people, planned.states, planned.held
    work = [(outcome, row, cert) for outcome, row, cert in planned.work if outcome.outcome != "unchanged"]
    rows_by_email = {row.email: row for _, row, _ in work}
    corrected = sorted(
        (p for email, p in people.items() if email in rows_by_email and _person_changes(p, rows_by_email[email])),
        key=id_of,
    )
    for person in corrected:
        changes = _person_changes(person, rows_by_email[person.email])
        before = {field: getattr(person, field) for field in changes}
        for field, value in changes.items():
            setattr(person, field, value)
        person.updated_at = utcnow()
        session.add(person)
        session.flush()
        audit.record(
            session,
            actor=principal.actor,
            action="import:updated",
            entity="person",
            entity_id=person.id,
            state=person.registered_by_state,
            states=held.get(person.id, set()),  # type: ignore[arg-type]
            changes={field: [before[field], value] for field, value in changes.items()},
        )
    for email, row in rows_by_email.items():
        if email not in people:
            person = Person(
                given_name=row.given_name,
                family_name=row.family_name,
                email=row.email,
                external_ref=row.external_ref,
                registered_by_state=states[row.credential_code],
            )
            people[email] = person
            session.add(person)
    session.flush()
    touched: list[tuple[RowOutcome, Certification, dict[str, Any], ImportRow]] = []
    for outcome, row, cert in work:
        person = people[row.email]
        if cert is None:
            cert = Certification(
                person_id=id_of(person),
                credential_code=row.credential_code,
                state=states[row.credential_code],
                number=row.number,
                issued_on=row.issued_on,
                cycle_option=row.cycle_option,
                variants=compliance.join_variants(row.variant_ids()),
            )
            changes = {
                "person_id": [None, person.id],
                "credential_code": [None, row.credential_code],
                "number": [None, row.number],
                "issued_on": [None, str(row.issued_on)],
                "cycle_option": [None, cert.cycle_option],
                "variants": [None, cert.variants],
            }
        else:
            changed_fields = _cert_changes(cert, row)
            changes = {
                name: [_jsonable(getattr(cert, name)), _jsonable(value)] for name, value in changed_fields.items()
            }
            if changed_fields:
                for name, value in changed_fields.items():
                    setattr(cert, name, value)
                cert.row_version += 1
                cert.updated_at = utcnow()
        session.add(cert)
        touched.append((outcome, cert, changes, row))
    session.flush()
    for _, cert, changes, row in touched:
        _restate(session, cert, row, changes, clock)
    service.refresh_status(session, [cert for _, cert, _, _ in touched], clock=clock)
    for outcome, cert, changes, _ in touched:
        outcome.certification_id = cert.id
        if changes:
            audit.record(
                session,
                actor=principal.actor,
                action=f"import:{outcome.outcome}",
                entity="certification",
                entity_id=cert.id,
                state=cert.state,
                changes=changes,
            )


def _jsonable(value: Any) -> Any:
    if isinstance(value, date):
        return value.isoformat()
    return str(value) if isinstance(value, Decimal) else value


def _cert_changes(cert: Certification, row: ImportRow) -> dict[str, Any]:
    """What a row changes on an existing certification (issue date, cycle option, variants; a migrated record's
    stated cycle: `_states_another_cycle`)."""
    wanted = {
        "issued_on": row.issued_on,
        "cycle_option": row.cycle_option,
        "variants": compliance.join_variants(row.variant_ids()),
    }
    return {k: v for k, v in wanted.items() if getattr(cert, k) != v}


def _states_another_cycle(cert: Certification | None, row: ImportRow) -> bool:
    """Whether a row states a current cycle other than the one recorded (an empty current_cycle_start keeps it)."""
    if row.current_cycle_start is None:
        return False
    if cert is None or cert.registered_on is None:
        return True
    return (cert.registered_cycle_start, cert.registered_cycle_end, cert.registered_carryover_hours) != (
        row.current_cycle_start,
        row.current_cycle_end,
        row.carryover_hours,
    )


_REGISTERED = ("registered_cycle_start", "registered_cycle_end", "registered_carryover_hours", "registered_on")


def _restate(session: Session, cert: Certification, row: ImportRow, changes: dict[str, Any], clock: Clock) -> None:
    """Record a row's stated current cycle (a migrated record), or record the recorded one again when the issue
    date it counts from changed; the audit entry gets what changed of it and the cycles the board renews."""
    stated = _states_another_cycle(cert, row)
    moved = cert.registered_on is not None and "issued_on" in changes and row.current_cycle_start is None
    if not (stated or moved):
        return
    if "person_id" not in changes and not changes:  # an existing record whose other fields stay
        cert.row_version += 1
        cert.updated_at = utcnow()
        session.add(cert)
    before = {k: _jsonable(getattr(cert, k)) for k in _REGISTERED}
    if stated:
        statement = {"start": row.current_cycle_start, "end": row.current_cycle_end, "carryover": row.carryover_hours}
    else:
        statement = {
            "start": cert.registered_cycle_start,
            "end": cert.registered_cycle_end,
            "carryover": cert.registered_carryover_hours,
        }
    zone = rules_service.engine_versions(rules_service.versions_of(session, cert.credential_code))[-1].rules.timezone
    renewed = decisions.record_stated_cycle(session, cert=cert, today=clock.today(zone), **statement)  # type: ignore[arg-type]
    for k in _REGISTERED:
        if before[k] != _jsonable(getattr(cert, k)):
            changes[k] = [before[k], _jsonable(getattr(cert, k))]
    changes["renewed_by_board"] = [f"{s} to {e}" for s, e in renewed]


def _rules_in_effect(session: Session, codes: set[str], clock: Clock) -> tuple[dict[str, Any], dict[str, date]]:
    """Each credential's rule set in effect today (for its cycle options, variants and successors), and its
    board's today."""
    from app.rules import engine

    out, todays = {}, {}
    for code in sorted(codes):
        parsed = rules_service.engine_versions(rules_service.versions_of(session, code))
        todays[code] = clock.today(parsed[-1].rules.timezone)
        out[code] = engine.select_version(parsed, todays[code]).rules
    return out, todays


async def export_rows(
    state: Any, *, principal: Principal, filters: dict[str, Any], batch: int = 1000
) -> AsyncIterator[list[Any]]:
    """Stream the filtered certifications in keyset batches, each read in a short session, in turn at the
    app's database gate (`state` is the app's state)."""
    cursor: str | None = None
    while True:
        async with state.db_gate.turn():
            page, people, cursor = await run_in_threadpool(
                _export_batch, state.session_factory, principal, filters, cursor, batch
            )
        for c in page:
            p = people[c.person_id]
            yield [
                c.id,
                p.given_name,
                p.family_name,
                p.email,
                p.external_ref,
                c.credential_code,
                c.state,
                c.number,
                c.issued_on,
                c.cycle_option,
                ";".join(compliance.split_variants(c.variants)),
                c.registered_cycle_start,
                c.registered_cycle_end,
                c.registered_carryover_hours,
                c.status,
                c.cycle_start,
                c.cycle_end,
                c.grace_ends_on,
                c.evaluated_on,
            ]
        if cursor is None:
            return


def _export_batch(
    session_factory: sessionmaker[Session],
    principal: Principal,
    filters: dict[str, Any],
    cursor: str | None,
    batch: int,
) -> tuple[list[Certification], dict[int, Person], str | None]:
    with session_factory() as session:
        page, next_cursor = service.list_page(session, principal=principal, cursor=cursor, limit=batch, **filters)
        return page, service.people_of(session, page), next_cursor
