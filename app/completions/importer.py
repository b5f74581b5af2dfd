"""Provider rosters: many completions in one request, set-based, all rows or none.

Rows name the peer by person_id, or by credential_code + certificate_number, and the course
by course_id or (a provider) by its own course_external_id. A re-posted roster creates nothing new
(the dedupe key of person, course and date already exists). The report gives every row's outcome
and the id of the completion it created (or of the one already recorded). Reads are a fixed number
of chunked queries; writes are one Core INSERT executemany, never one ORM object per row.

The stages of `app.bulk`: `parse` (the file, and each row checked on its own), `plan` (the rows' learners,
courses and existing completions, read set-based), `apply` (the inserts, marking the learners' certifications
for the sweep, one audit entry).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, Field, TypeAdapter, ValidationError
from sqlalchemy import Integer, String
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from app import bulk
from app.audit import service as audit
from app.auth.principal import Principal, Role
from app.catalog import service as catalog
from app.clock import Clock
from app.completions import learners
from app.completions.models import Completion
from app.completions.service import board_today, check_course, dedupe_key
from app.compliance import dirty
from app.csvio import cell_decimal, cell_int
from app.db import bulk_insert, in_values, table_of, utcnow
from app.errors import AppError, Conflict, Forbidden, Unprocessable
from app.people import service as people_service
from app.people.models import Person
from app.types import Day, DbId, HoursIn, RequestModel

COLUMNS = (
    "person_id",
    "credential_code",
    "certificate_number",
    "family_name",
    "course_id",
    "course_external_id",
    "completed_on",
    "hours",
)
_REQUIRED = ("completed_on",)
_INT_COLUMNS = ("person_id", "course_id")
_CHUNK = 5000  # keys per IN (...) query: well under SQLite's and PostgreSQL's bind limits
_MAX_REPORTED_ERRORS = 1000


class RosterRow(BaseModel):
    row: int
    outcome: Literal["created", "duplicate", "error"]
    person_id: int | None = None
    course_id: int | None = None
    course_external_id: str | None = None
    completed_on: date | None = None
    completion_id: int | None = Field(
        default=None,
        description="The completion this row created, or (a "
        "duplicate) the one already recorded; none on a dry run or for an error",
    )
    errors: list[str] = Field(default_factory=list)


class RosterReport(BaseModel):
    dry_run: bool
    rows: int
    created: int
    duplicates: int
    errors: int
    items: list[RosterRow] = Field(
        description="Every row's outcome, in roster order, with the id of the "
        "completion it created or duplicates; the failing rows when refused"
    )


class RosterLine(RequestModel):
    """One roster row as sent: strict JSON types (CSV cells are converted first), no unknown fields."""

    person_id: DbId | None = None
    credential_code: str | None = Field(default=None, min_length=1, max_length=32)
    certificate_number: str | None = Field(default=None, min_length=1, max_length=64)
    family_name: str | None = Field(default=None, max_length=100)
    course_id: DbId | None = None
    course_external_id: str | None = Field(default=None, min_length=1, max_length=100)
    completed_on: Day
    hours: HoursIn | None = None


def import_completions(
    session: Session, *, principal: Principal, body: bytes, content_type: str | None, dry_run: bool, clock: Clock
) -> RosterReport:
    """Record a roster's completions: all rows or none; rows already recorded are duplicates, not errors."""
    return bulk.run(
        parse=lambda: parse(body, content_type),
        plan=lambda rows: plan(session, principal=principal, rows=rows, dry_run=dry_run, clock=clock),
        apply=lambda planned: apply(session, principal=principal, planned=planned),
        dry_run=dry_run,
    ).report


_REPORT = TypeAdapter(RosterReport)


def import_unit(
    session: Session, principal: Principal, body: bytes, content_type: str | None, dry_run: bool, clock: Clock
) -> tuple[int, bytes]:
    """`import_completions` as a unit run in a worker process (`app.offload`): the answer's status and its
    JSON, rendered as the route renders a `RosterReport`."""
    report = import_completions(
        session, principal=principal, body=body, content_type=content_type, dry_run=dry_run, clock=clock
    )
    return 200, _REPORT.dump_json(report, by_alias=True)


def parse(body: bytes, content_type: str | None) -> list[dict[str, Any]]:
    """The roster's rows, each checked on its own (`_parse_row`); 415 for another media type, 422 for a file
    that is not a roster table."""
    return [_parse_row(n, raw) for n, raw in enumerate(_read(body, content_type), start=1)]


def _read(body: bytes, content_type: str | None) -> list[dict[str, Any]]:
    """The roster's rows as JSON-typed dicts (not validated yet); 422 for a file that is not a roster table."""
    upload = bulk.read_upload(
        body,
        content_type,
        required=_REQUIRED,
        optional=[c for c in COLUMNS if c not in _REQUIRED],
        unsupported="Send the roster as text/csv or application/json.",
    )
    if upload.format == "csv":
        rows = upload.data
        header = set(rows[0])
        if not ("person_id" in header or {"credential_code", "certificate_number"} <= header):
            raise Unprocessable(
                f"Roster columns must be {', '.join(COLUMNS)} (person_id or credential_code + certificate_number).",
                errors=[
                    {
                        "loc": ["body", "header"],
                        "field": "body.header",
                        "type": "csv_header",
                        "line": 1,
                        "message": "missing column(s): person_id, or credential_code and certificate_number",
                    }
                ],
            )
        if not header & {"course_id", "course_external_id"}:
            raise Unprocessable(
                "A roster names each course by course_id or by course_external_id.",
                errors=[
                    {
                        "loc": ["body", "header"],
                        "field": "body.header",
                        "type": "csv_header",
                        "line": 1,
                        "message": "missing column: course_id or course_external_id",
                    }
                ],
            )
        return [_from_csv(row) for row in rows]
    data = upload.data
    if not isinstance(data, list) or not all(isinstance(r, dict) for r in data):
        raise Unprocessable("A JSON roster is an array of objects.")
    return data


def _from_csv(row: dict[str, str]) -> dict[str, Any]:
    """CSV cells as the JSON a roster would hold: empty cells absent, ids and hours as numbers when written so."""
    out: dict[str, Any] = {k: v for k, v in row.items() if v}
    for column in _INT_COLUMNS:
        if column in out:
            out[column] = cell_int(out[column])
    if "hours" in out:
        out["hours"] = cell_decimal(out["hours"])
    return out


def _parse_row(n: int, raw: dict[str, Any]) -> dict[str, Any]:
    """Row `n` as the plan works with it: its values, or the reasons it has none."""
    item: dict[str, Any] = {
        "row": n,
        "errors": [],
        "person_id": None,
        "cert": None,
        "family_name": None,
        "course_id": None,
        "course_external_id": None,
        "completed_on": None,
        "hours": None,
        "learner_certification_id": None,
    }
    try:
        line = RosterLine.model_validate(raw)
    except ValidationError as exc:
        item["errors"] = [
            f"unknown field {e['loc'][0]}"
            if e["type"] == "extra_forbidden"
            else f"{'.'.join(map(str, e['loc']))}: {e['msg']}"
            for e in exc.errors(include_url=False)
        ]
        return item
    item.update(
        person_id=line.person_id,
        course_id=line.course_id,
        course_external_id=line.course_external_id,
        completed_on=line.completed_on,
        hours=line.hours,
    )
    if (line.course_id is None) == (line.course_external_id is None):
        item["errors"].append("give course_id or course_external_id (one of them)")
    if line.credential_code and line.certificate_number:
        item["cert"] = (line.credential_code.upper(), line.certificate_number)
    item["family_name"] = (line.family_name or "").strip() or None
    if item["person_id"] is None and item["cert"] is None:
        item["errors"].append("give person_id, or credential_code and certificate_number")
    return item


def _resolve_learners(session: Session, principal: Principal, parsed: list[dict[str, Any]]) -> None:
    """Set each row's `person_id` from how it names the learner, as the caller's role may name them
    (`app.completions.learners`); a row naming no one it may report for gets an error. Set-based reads."""
    provider = principal.role is Role.provider
    found = learners.certificates(session, {i["cert"] for i in parsed if i["cert"] and not i["errors"]})
    for item in parsed:
        if item["errors"] or not item["cert"]:
            continue
        if provider and item["family_name"] is None:
            item["errors"].append("family_name is required with credential_code and certificate_number")
            continue
        person_id, family_name, cert_id = found.get(item["cert"], (None, "", None))
        if person_id is None or (
            item["family_name"] is not None and not learners.same_name(family_name, item["family_name"])
        ):
            item["errors"].append(
                learners.UNKNOWN_LEARNER
                if provider
                else f"no {item['cert'][0]} certification has number {item['cert'][1]}"
                + (" and that family name" if item["family_name"] else "")
            )
            continue
        item["person_id"], item["learner_certification_id"] = person_id, cert_id
    named = [i for i in parsed if not i["errors"] and not i["cert"]]  # by person_id
    ids = {i["person_id"] for i in named}
    before: dict[int, int] = {}
    if provider:
        allowed = learners.reported_by(session, principal.provider_id, ids)  # type: ignore[arg-type]
        before = learners.named_before(session, principal.provider_id, allowed)  # type: ignore[arg-type]
    else:
        allowed = _people_in_scope(session, principal, ids)
    for item in named:
        if item["person_id"] not in allowed:
            item["errors"].append(learners.UNKNOWN_LEARNER if provider else f"unknown person {item['person_id']}")
        else:
            item["learner_certification_id"] = before.get(item["person_id"])
    if not provider:  # a board names, by certificate too, only people of its states
        by_certificate = [i for i in parsed if not i["errors"] and i["cert"]]
        visible = _people_in_scope(session, principal, {i["person_id"] for i in by_certificate})
        for item in by_certificate:
            if item["person_id"] not in visible:
                item["errors"].append(f"no {item['cert'][0]} certification has number {item['cert'][1]}")


def _resolve_courses(session: Session, principal: Principal, parsed: list[dict[str, Any]]) -> None:
    """Set `course_id` of the rows that name their course by the provider's own external_id."""
    by_external = [i for i in parsed if not i["errors"] and i["course_external_id"] is not None]
    if not by_external:
        return
    if principal.role is not Role.provider:
        for item in by_external:
            item["errors"].append("course_external_id names a course of the calling provider; give course_id")
        return
    found = catalog.course_ids_by_external(
        session,
        principal.provider_id,  # type: ignore[arg-type]
        {i["course_external_id"] for i in by_external},
    )
    for item in by_external:
        if item["course_external_id"] in found:
            item["course_id"] = found[item["course_external_id"]]
        else:
            item["errors"].append(f"you have no course with external_id {item['course_external_id']!r}")


def _row(
    item: dict[str, Any], outcome: Literal["created", "duplicate", "error"], completion_id: int | None = None
) -> RosterRow:
    return RosterRow(
        row=item["row"],
        outcome=outcome,
        person_id=item.get("person_id"),
        course_id=item.get("course_id"),
        course_external_id=item.get("course_external_id"),
        completed_on=item.get("completed_on"),
        completion_id=completion_id,
        errors=item["errors"],
    )


def _ids_by_key(session: Session, keys: list[str]) -> dict[str, int]:
    """dedupe_key -> id of the completions recorded with these keys."""
    found: dict[str, int] = {}
    for start in range(0, len(keys), _CHUNK):
        found.update(
            dict(
                session.exec(
                    select(Completion.dedupe_key, Completion.id).where(  # type: ignore[arg-type]
                        in_values(session, col(Completion.dedupe_key), keys[start : start + _CHUNK], String)
                    )
                ).all()
            )
        )
    return found


def _id_ranges(ids: list[int]) -> list[list[int]]:
    """Sorted ids as [first, last] runs: a roster's new ids are mostly one run, so the audit entry stays short."""
    runs: list[list[int]] = []
    for value in ids:
        if runs and value == runs[-1][1] + 1:
            runs[-1][1] = value
        else:
            runs.append([value, value])
    return runs


def _people_in_scope(session: Session, principal: Principal, person_ids: set[int]) -> set[int]:
    """Which of these people exist and the caller may see."""
    from app.people.service import visible_to

    ids, scope, found = sorted(person_ids), visible_to(principal), set()
    for start in range(0, len(ids), _CHUNK):
        query = select(col(Person.id)).where(in_values(session, col(Person.id), ids[start : start + _CHUNK], Integer))
        found |= {i for i in session.exec(query if scope is None else query.where(scope)) if i is not None}
    return found


@dataclass
class Plan:
    """What the roster would record: the report, and the completions to insert."""

    report: RosterReport
    to_insert: list[dict[str, Any]]
    created: dict[str, RosterRow]  # the report's row of each new completion, by dedupe key
    actor: str
    now: datetime

    def refusal(self) -> AppError | None:
        errors = [r for r in self.report.items if r.outcome == "error"]
        if not errors:
            return None
        shown = errors[:_MAX_REPORTED_ERRORS]
        return bulk.refusal(
            f"{len(errors)} of {self.report.rows} row(s) have errors; nothing was recorded.",
            errors=[bulk.row_problem(r.row, "; ".join(r.errors)) for r in shown],
            report={
                **self.report.model_dump(mode="json", exclude={"items"}),
                "items": [r.model_dump(mode="json") for r in shown],
            },
        )


def plan(session: Session, *, principal: Principal, rows: list[dict[str, Any]], dry_run: bool, clock: Clock) -> Plan:
    """Each row's learner (as the caller may name them), course and date checked, and whether it is already
    recorded (a duplicate); nothing is written."""
    if principal.role not in (Role.admin, Role.board, Role.provider):
        raise Forbidden("Only providers, boards and admins post rosters.")
    if not rows:
        raise Unprocessable("The roster has no rows.")
    parsed = rows

    _resolve_learners(session, principal, parsed)
    _resolve_courses(session, principal, parsed)
    courses = catalog.course_facts(session, {i["course_id"] for i in parsed if i.get("course_id")})
    today = board_today(session, clock)

    for item in parsed:
        if item["errors"]:
            continue
        course = courses.get(item["course_id"])
        if course is not None and principal.role is Role.provider and course.provider_id != principal.provider_id:
            item["errors"].append(f"course {item['course_id']} is not this provider's")
        elif (problem := check_course(course, item["completed_on"], today=today)) is not None:
            item["errors"].append(
                f"course {item['course_id']}: {problem}" if course else f"unknown course {item['course_id']}"
            )
        elif item["hours"] is not None and item["hours"] > course.hours:  # type: ignore[union-attr]
            item["errors"].append(f"hours exceed the course's {course.hours}")  # type: ignore[union-attr]
        if not item["errors"]:
            item["key"] = dedupe_key(item["person_id"], item["course_id"], item["completed_on"])

    keys = sorted({i["key"] for i in parsed if "key" in i})
    existing = _ids_by_key(session, keys)
    seen: set[str] = set()
    report_rows: list[RosterRow] = []  # every row, in order
    created: dict[str, RosterRow] = {}
    to_insert: list[dict[str, Any]] = []
    now = utcnow()
    source, actor = principal.role.value, principal.actor
    for item in parsed:
        if item["errors"]:
            report_rows.append(_row(item, "error"))
            continue
        outcome: Literal["created", "duplicate"] = (
            "duplicate" if item["key"] in existing or item["key"] in seen else "created"
        )
        seen.add(item["key"])
        report_rows.append(_row(item, outcome, existing.get(item["key"])))
        if outcome == "created":
            created[item["key"]] = report_rows[-1]
            course = courses[item["course_id"]]
            to_insert.append(
                {
                    "person_id": item["person_id"],
                    "course_id": course.id,
                    "title": course.title,
                    "hours": item["hours"] if item["hours"] is not None else course.hours,
                    "modality": course.modality,
                    "completed_on": item["completed_on"],
                    "status": "accepted",
                    "source": source,
                    "dedupe_key": item["key"],
                    "reported_by": actor,
                    "review_categories": [],
                    "learner_certification_id": item["learner_certification_id"],
                    "created_at": now,
                }
            )
    errors = [r for r in report_rows if r.outcome == "error"]
    report = RosterReport(
        dry_run=dry_run,
        rows=len(parsed),
        created=len(to_insert),
        duplicates=sum(r.outcome == "duplicate" for r in report_rows),
        errors=len(errors),
        items=report_rows,
    )
    return Plan(report=report, to_insert=to_insert, created=created, actor=actor, now=now)


def apply(session: Session, *, principal: Principal, planned: Plan) -> None:
    """Insert the new completions (`_insert_new`), mark their learners' certifications for the sweep, and
    audit the roster in the log of every state its learners hold a certification of."""
    report = planned.report
    if not planned.to_insert:
        return
    to_insert = _insert_new(session, planned.to_insert, report)
    inserted = {r["dedupe_key"] for r in to_insert}
    ids = _ids_by_key(session, sorted(planned.created))  # the new ids, and those a concurrent roster took
    for key, row in planned.created.items():
        if key not in inserted:
            row.outcome = "duplicate"  # recorded by a concurrent roster meanwhile
    for row in report.items:  # the new rows, and those repeating one of them in the file
        if row.completion_id is None and row.outcome != "error":
            row.completion_id = ids.get(dedupe_key(row.person_id, row.course_id, row.completed_on))  # type: ignore[arg-type]
    touched = sorted({r["person_id"] for r in to_insert})
    dirty.mark(session, person_ids=touched)
    states = set().union(*people_service.held_states(session, touched).values())
    audit.record(
        session,
        actor=principal.actor,
        action="import",
        entity="roster",
        entity_id=f"{principal.actor}@{planned.now.isoformat()}",
        states=states,
        changes={
            "rows": report.rows,
            "created": len(to_insert),
            "duplicates": report.duplicates,
            "people": len(touched),
            "completion_ids": _id_ranges(sorted(ids[k] for k in inserted if k in ids)),
        },
    )


def _insert_new(session: Session, rows: list[dict[str, Any]], report: RosterReport) -> list[dict[str, Any]]:
    """Insert the roster's new completions; returns those inserted (`report` counts the rest as duplicates).

    Rows go in dedupe-key order, so two rosters that overlap wait for each other on the same key first
    instead of deadlocking. If a concurrent roster committed some of the same completions meanwhile, the
    insert fails on their keys after waiting for it: those rows become duplicates and the rest go in again.
    """
    rows = sorted(rows, key=lambda r: r["dedupe_key"])
    for _ in range(5):
        try:
            with session.begin_nested():
                bulk_insert(session, table_of(Completion), rows)
            break
        except IntegrityError:
            keys = [r["dedupe_key"] for r in rows]
            taken: set[str] = set()
            for start in range(0, len(keys), _CHUNK):
                taken |= {
                    k
                    for k in session.exec(
                        select(col(Completion.dedupe_key)).where(
                            in_values(session, col(Completion.dedupe_key), keys[start : start + _CHUNK], String)
                        )
                    )
                    if k is not None
                }
            if not taken:
                raise
            report.duplicates += len(taken)
            report.created -= len(taken)
            rows = [r for r in rows if r["dedupe_key"] not in taken]
    else:
        raise Conflict("Concurrent rosters kept recording the same completions; post this roster again.")
    return rows
