"""Provider rosters: many completions in one request, set-based, all rows or none.

Rows name the peer by person_id, or by credential_code + certificate_number, and the course
by course_id or (a provider) by its own course_external_id. A re-posted roster creates nothing new
(the dedupe key of person, course and date already exists). The report gives every row's outcome
and the id of the completion it created (or of the one already recorded). Reads are a fixed number
of chunked queries; writes are one COPY (PostgreSQL; an executemany elsewhere), never one ORM object per row.

The stages of `app.bulk`: `parse` (the file, and each row checked on its own: `app.completions.roster_rows`),
`plan` (the rows' learners, courses and existing completions, read set-based), `apply` (the inserts, marking
the learners' certifications for the sweep, one audit entry). A row is one dict from parse to report (no
model per row: at 10,000 rows those cost more than the rest of the request's Python; bench/README.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from operator import itemgetter
from typing import Any, Literal

from pydantic import BaseModel, Field
from pydantic_core import to_json
from sqlalchemy import Integer, String
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from app import bulk
from app.audit import service as audit
from app.auth.principal import Principal, Role
from app.catalog import service as catalog
from app.clock import Clock
from app.completions import learners, roster_rows
from app.completions.models import Completion
from app.completions.service import board_today, check_course, dedupe_key
from app.compliance import dirty
from app.db import bulk_insert, in_values, reserve_ids, table_of, utcnow
from app.errors import AppError, Conflict, Forbidden, Unprocessable
from app.people import service as people_service
from app.people.models import Person

_CHUNK = 5000  # keys per IN (...) query: well under SQLite's and PostgreSQL's bind limits
# Dedupe keys per lookup: few enough that PostgreSQL reads them from the unique index. At 5,000 its planner
# scanned all of completion instead (at 300,000 completions: ~120 ms a scan and two parallel workers, twice a
# roster of 10,000 rows, against ~40 ms for the 10 lookups by the index).
_KEY_CHUNK = 1000
_MAX_REPORTED_ERRORS = 1000
# the plan's own fields of each item (`roster_rows._item`), left out of the report
_NOT_REPORTED = {"items": {"__all__": {"cert", "family_name", "hours", "learner_certification_id", "key"}}}


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


def import_completions(
    session: Session, *, principal: Principal, body: bytes, content_type: str | None, dry_run: bool, clock: Clock
) -> Plan:
    """Record a roster's completions: all rows or none; rows already recorded are duplicates, not errors.
    Returns the plan, whose `report` (or `report_json`) says what each row did."""
    return bulk.run(
        parse=lambda: parse(body, content_type),
        plan=lambda rows: plan(session, principal=principal, rows=rows, dry_run=dry_run, clock=clock),
        apply=lambda planned: apply(session, principal=principal, planned=planned),
        dry_run=dry_run,
    )


def import_unit(
    session: Session, principal: Principal, body: bytes, content_type: str | None, dry_run: bool, clock: Clock
) -> tuple[int, bytes]:
    """`import_completions` as a unit run in a worker process (`app.offload`): the answer's status and its
    JSON, the report the route renders in process (`Plan.report_json`)."""
    planned = import_completions(
        session, principal=principal, body=body, content_type=content_type, dry_run=dry_run, clock=clock
    )
    return 200, planned.report_json()


def parse(body: bytes, content_type: str | None) -> list[dict[str, Any]]:
    """The roster's rows, each checked on its own (`app.completions.roster_rows`); 415 for another media type,
    422 for a file that is not a roster table."""
    return roster_rows.parse(body, content_type)


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


def _ids_by_key(session: Session, keys: list[str]) -> dict[str, int]:
    """dedupe_key -> id of the completions recorded with these keys."""
    found: dict[str, int] = {}
    for start in range(0, len(keys), _KEY_CHUNK):
        found.update(
            dict(
                session.exec(
                    select(Completion.dedupe_key, Completion.id).where(  # type: ignore[arg-type]
                        in_values(session, col(Completion.dedupe_key), keys[start : start + _KEY_CHUNK], String)
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
    """What the roster would record: every row's item (`roster_rows`) with its outcome, and the completions to
    insert. The report is built from the items when asked, after `apply` has given the new rows their ids."""

    items: list[dict[str, Any]]  # every row, in roster order
    to_insert: list[dict[str, Any]]
    created: dict[str, dict[str, Any]]  # the item of each new completion, by dedupe key
    dry_run: bool
    new: int  # rows that create a completion (fewer if a concurrent roster recorded some meanwhile)
    duplicates: int
    errors: int
    actor: str
    source: str
    now: datetime

    def counts(self) -> dict[str, Any]:
        return {
            "dry_run": self.dry_run,
            "rows": len(self.items),
            "created": self.new,
            "duplicates": self.duplicates,
            "errors": self.errors,
        }

    @property
    def report(self) -> RosterReport:
        return RosterReport.model_validate({**self.counts(), "items": self.items})

    def report_json(self) -> bytes:
        """`report` as JSON, straight from the items (whose report fields come first, in `RosterRow`'s order):
        the route's answer. A large roster's report as 10,000 models cost more than its parse stage;
        tests/completions/test_roster_rows.py proves the bytes are those `report` serializes to."""
        return to_json({**self.counts(), "items": self.items}, exclude=_NOT_REPORTED)

    def refusal(self) -> AppError | None:
        if not self.errors:
            return None
        shown = [i for i in self.items if i["outcome"] == "error"][:_MAX_REPORTED_ERRORS]
        return bulk.refusal(
            f"{self.errors} of {len(self.items)} row(s) have errors; nothing was recorded.",
            errors=[bulk.row_problem(i["row"], "; ".join(i["errors"])) for i in shown],
            report=RosterReport.model_validate({**self.counts(), "items": shown}).model_dump(mode="json"),
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
    courses = catalog.course_facts(session, {i["course_id"] for i in parsed if i["course_id"]})
    today = board_today(session, clock)
    provider = principal.role is Role.provider

    for item in parsed:
        if item["errors"]:
            continue
        course = courses.get(item["course_id"])
        if course is not None and provider and course.provider_id != principal.provider_id:
            item["errors"].append(f"course {item['course_id']} is not this provider's")
        elif (problem := check_course(course, item["completed_on"], today=today)) is not None:
            item["errors"].append(
                f"course {item['course_id']}: {problem}" if course else f"unknown course {item['course_id']}"
            )
        elif item["hours"] is not None and item["hours"] > course.hours:  # type: ignore[union-attr]
            item["errors"].append(f"hours exceed the course's {course.hours}")  # type: ignore[union-attr]
        else:
            item["key"] = dedupe_key(item["person_id"], item["course_id"], item["completed_on"])

    existing = _ids_by_key(session, sorted({i["key"] for i in parsed if i["key"] is not None}))
    created: dict[str, dict[str, Any]] = {}
    to_insert: list[dict[str, Any]] = []
    duplicates = errors = 0
    for item in parsed:
        key = item["key"]
        if key is None:  # outcome "error", as `roster_rows` made it
            errors += 1
        elif key in existing or key in created:
            item["outcome"], item["completion_id"] = "duplicate", existing.get(key)
            duplicates += 1
        else:
            item["outcome"] = "created"
            created[key] = item
            course = courses[item["course_id"]]
            to_insert.append(  # the other columns are the same for every row (`_insert_new`)
                {
                    "person_id": item["person_id"],
                    "course_id": course.id,
                    "title": course.title,
                    "hours": item["hours"] if item["hours"] is not None else course.hours,
                    "modality": course.modality,
                    "completed_on": item["completed_on"],
                    "dedupe_key": key,
                    "learner_certification_id": item["learner_certification_id"],
                }
            )
    return Plan(
        items=parsed,
        to_insert=to_insert,
        created=created,
        dry_run=dry_run,
        new=len(to_insert),
        duplicates=duplicates,
        errors=errors,
        actor=principal.actor,
        source=principal.role.value,
        now=utcnow(),
    )


def apply(session: Session, *, principal: Principal, planned: Plan) -> None:
    """Insert the new completions (`_insert_new`), mark their learners' certifications for the sweep, and
    audit the roster in the log of every state its learners hold a certification of."""
    if not planned.to_insert:
        return
    inserted = _insert_new(session, planned)
    if inserted and "id" in inserted[0]:  # PostgreSQL: inserted with the ids reserved for them
        ids = {r["dedupe_key"]: r["id"] for r in inserted}
    else:
        ids = _ids_by_key(session, sorted(r["dedupe_key"] for r in inserted))
    taken = sorted(key for key in planned.created if key not in ids)  # recorded by a concurrent roster meanwhile
    if taken:
        for key in taken:
            planned.created[key]["outcome"] = "duplicate"
        ids.update(_ids_by_key(session, taken))
    for item in planned.items:  # the new rows, and those repeating one of them in the file
        if item["completion_id"] is None and item["key"] is not None:
            item["completion_id"] = ids.get(item["key"])
    touched = sorted({r["person_id"] for r in inserted})
    dirty.mark(session, person_ids=touched)
    audit.record(
        session,
        actor=principal.actor,
        action="import",
        entity="roster",
        entity_id=f"{principal.actor}@{planned.now.isoformat()}",
        states=people_service.states_held_by(session, touched),
        changes={
            "rows": len(planned.items),
            "created": len(inserted),
            "duplicates": planned.duplicates,
            "people": len(touched),
            "completion_ids": _id_ranges(sorted(ids[r["dedupe_key"]] for r in inserted)),
        },
    )


def _insert_new(session: Session, planned: Plan) -> list[dict[str, Any]]:
    """Insert the roster's new completions; returns those inserted (`planned` counts the rest as duplicates).

    Rows go in dedupe-key order, so two rosters that overlap wait for each other on the same key first
    instead of deadlocking; on PostgreSQL with ids reserved in that order (`reserve_ids`), so the rows are
    numbered as their inserts would number them and the report needs no second read. If a concurrent roster
    committed some of the same completions meanwhile, the insert fails on their keys after waiting for it:
    those rows become duplicates and the rest go in again.
    """
    table = table_of(Completion)
    rows = sorted(planned.to_insert, key=itemgetter("dedupe_key"))
    reserved = reserve_ids(session, table, len(rows))
    if reserved is not None:
        for row, new_id in zip(rows, reserved, strict=True):
            row["id"] = new_id
    constants = {
        "status": "accepted",
        "source": planned.source,
        "reported_by": planned.actor,
        "review_categories": [],
        "created_at": planned.now,
    }
    for _ in range(5):
        try:
            with session.begin_nested():
                bulk_insert(session, table, rows, constants=constants)
            break
        except IntegrityError:
            taken = set(_ids_by_key(session, sorted(r["dedupe_key"] for r in rows)))
            if not taken:
                raise
            planned.duplicates += len(taken)
            planned.new -= len(taken)
            rows = [r for r in rows if r["dedupe_key"] not in taken]
    else:
        raise Conflict("Concurrent rosters kept recording the same completions; post this roster again.")
    return rows
