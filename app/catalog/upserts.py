"""Course upserts, planned in Python and written set-based: one course or a 10,000-row upload alike.

`plan` loads the provider's existing courses and the taxonomy once, validates every item and works
out what would change; `apply` writes a plan with Core executemany statements (no ORM object per row).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import bindparam, delete, insert, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from app.audit import service as audit
from app.catalog.models import Course, CourseTopic, Topic
from app.catalog.schemas import CourseUpsert
from app.compliance import dirty
from app.db import table_of, utcnow
from app.errors import Conflict

FIELDS = ("title", "description", "hours", "modality", "topics", "url", "status", "available_from")
_COLUMNS = tuple(f for f in FIELDS if f != "topics")
_BY_IDS_UP_TO = 500  # a plan for at most this many courses loads them by external_id, else the whole provider
_course = table_of(Course)
_course_topic = table_of(CourseTopic)


@dataclass
class Item:
    """One course to upsert: validated, or the field errors that stopped it (with its external_id if any)."""

    row: int
    external_id: str | None
    course: CourseUpsert | None = None
    errors: list[dict[str, str]] = field(default_factory=list)
    topics: list[str] = field(default_factory=list)  # of an invalid item, still checked against the taxonomy


@dataclass
class PlannedRow:
    row: int
    external_id: str | None
    outcome: str  # created | updated | unchanged | error
    course_id: int | None = None
    values: dict[str, Any] | None = None
    changes: dict[str, list[Any]] | None = None
    errors: list[dict[str, str]] | None = None

    # What a row that writes (created or updated) always carries:
    @property
    def key(self) -> str:
        """Its external_id."""
        if self.external_id is None:
            raise ValueError(f"row {self.row} has no external_id")
        return self.external_id

    @property
    def written(self) -> dict[str, Any]:
        """The course's values it writes."""
        if self.values is None:
            raise ValueError(f"row {self.row} writes nothing")
        return self.values

    @property
    def saved_id(self) -> int:
        """The course's id (an updated row's, or a created row's once inserted)."""
        if self.course_id is None:
            raise ValueError(f"row {self.row} has no course id yet")
        return self.course_id


@dataclass
class Plan:
    rows: list[PlannedRow] = field(default_factory=list)

    def count(self, outcome: str) -> int:
        return sum(1 for r in self.rows if r.outcome == outcome)


def jsonable(value: Any) -> Any:
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, tuple):
        return list(value)
    return value


def _existing(session: Session, provider_id: int, external_ids: set[str]) -> dict[str, dict[str, Any]]:
    """The provider's current courses (those named, or all of them) keyed by external_id: two queries."""
    query = select(Course.id, Course.external_id, *(getattr(Course, c) for c in _COLUMNS)).where(
        Course.provider_id == provider_id
    )
    topic_query = (
        select(CourseTopic.course_id, CourseTopic.topic_id)
        .join(Course, col(Course.id) == col(CourseTopic.course_id))
        .where(Course.provider_id == provider_id)
    )
    if len(external_ids) <= _BY_IDS_UP_TO:
        query = query.where(col(Course.external_id).in_(sorted(external_ids)))
        topic_query = topic_query.where(col(Course.external_id).in_(sorted(external_ids)))
    by_id: dict[int, dict[str, Any]] = {}
    for row in session.exec(query):
        by_id[row[0]] = {"id": row[0], "external_id": row[1], **dict(zip(_COLUMNS, row[2:], strict=True)), "topics": []}
    for course_id, topic_id in session.exec(topic_query):
        by_id[course_id]["topics"].append(topic_id)
    for item in by_id.values():
        item["topics"] = tuple(sorted(item["topics"]))
    return {item["external_id"]: item for item in by_id.values()}


def plan(session: Session, *, provider_id: int, items: Sequence[Item], today: date) -> Plan:
    """What upserting these items would do, row by row; nothing is written."""
    valid = [item.course for item in items if item.course is not None]
    current = _existing(session, provider_id, {course.external_id for course in valid})
    known_topics = set(session.exec(select(Topic.id)))
    rows_by_id: dict[str, list[int]] = {}
    for item in items:
        if item.external_id:
            rows_by_id.setdefault(item.external_id, []).append(item.row)
    out = Plan()
    for item in items:
        errors = list(item.errors)
        duplicates = [r for r in rows_by_id.get(item.external_id or "", []) if r != item.row]
        if duplicates:
            errors.append(
                {
                    "field": "external_id",
                    "type": "duplicate",
                    "message": f"external_id {item.external_id!r} is also on row(s) {', '.join(map(str, duplicates))}",
                }
            )
        if item.course is None:
            if unknown := _unknown_topics(item.topics, known_topics, errors):
                errors.append(unknown)
            out.rows.append(PlannedRow(row=item.row, external_id=item.external_id, outcome="error", errors=errors))
            continue
        out.rows.append(
            _plan_one(item.row, item.course, current.get(item.course.external_id), known_topics, errors, today)
        )
    return out


def _plan_one(
    row: int,
    data: CourseUpsert,
    current: dict[str, Any] | None,
    known_topics: set[str],
    errors: list[dict[str, str]],
    today: date,
) -> PlannedRow:
    if unknown := _unknown_topics(data.topics, known_topics, errors):
        errors.append(unknown)
    values = {
        "title": data.title,
        "description": data.description,
        "hours": data.hours,
        "modality": data.modality,
        "topics": tuple(sorted(data.topics)),
        "url": str(data.url) if data.url is not None else None,
        "status": data.status or (current["status"] if current else "published"),
        # none for a new course: no lower bound on its completion dates (its approvals' own dates decide credit)
        "available_from": data.available_from or (current["available_from"] if current else None),
    }
    if current and current["status"] != "draft" and values["status"] == "draft":
        errors.append(
            {
                "field": "status",
                "type": "status_transition",
                "message": f"a {current['status']} course cannot go back to draft; retire it instead",
            }
        )
    if errors:
        return PlannedRow(
            row=row,
            external_id=data.external_id,
            outcome="error",
            course_id=current["id"] if current else None,
            errors=errors,
        )
    if current is None:
        return PlannedRow(row=row, external_id=data.external_id, outcome="created", values=values)
    changes = {f: [jsonable(current[f]), jsonable(values[f])] for f in FIELDS if current[f] != values[f]}
    return PlannedRow(
        row=row,
        external_id=data.external_id,
        outcome="updated" if changes else "unchanged",
        course_id=current["id"],
        values=values,
        changes=changes or None,
    )


def _unknown_topics(topics: list[str], known: set[str], errors: list[dict[str, str]]) -> dict[str, str] | None:
    unknown = [t for t in topics if t not in known]
    if not unknown or any(e["field"] == "topics" for e in errors):
        return None
    return {
        "field": "topics",
        "type": "unknown_topic",
        "message": f"unknown topic(s): {', '.join(unknown)}; see GET /v1/topics (a topic proposed with "
        "POST /v1/topics counts once an admin accepts it)",
    }


def apply(session: Session, *, provider_id: int, plan: Plan, actor: str) -> None:
    """Write a plan without errors: executemany inserts and updates, topics, one audit entry per course."""
    created = [r for r in plan.rows if r.outcome == "created"]
    updated = [r for r in plan.rows if r.outcome == "updated"]
    assert not any(r.outcome == "error" for r in plan.rows), "a plan with errors is never written"
    stamp = utcnow()
    session.flush()
    try:
        with session.begin_nested():
            if created:
                params = [
                    {
                        "provider_id": provider_id,
                        "external_id": r.external_id,
                        "created_at": stamp,
                        "updated_at": stamp,
                        **{c: r.written[c] for c in _COLUMNS},
                    }
                    for r in created
                ]
                session.execute(insert(_course), params)  # executemany (RETURNING would defeat psycopg's pipeline)
                ids = _ids(session, provider_id, {r.key for r in created})
                for r in created:
                    r.course_id = ids[r.key]
            if updated:
                statement = (
                    update(_course)
                    .where(_course.c.id == bindparam("b_id"))
                    .values({c: bindparam(f"b_{c}") for c in (*_COLUMNS, "updated_at")})
                )
                session.execute(
                    statement,
                    [
                        {"b_id": r.course_id, "b_updated_at": stamp, **{f"b_{c}": r.written[c] for c in _COLUMNS}}
                        for r in updated
                    ],
                )
            retopic = [r for r in updated if r.changes and "topics" in r.changes]
            if retopic:
                session.execute(
                    delete(_course_topic).where(_course_topic.c.course_id == bindparam("b_id")),
                    [{"b_id": r.course_id} for r in retopic],
                )
                # topics can map completions to required categories: new facts for every credential
                dirty.courses_changed(session, [r.saved_id for r in retopic])
            pairs = [
                {"course_id": r.course_id, "topic_id": t} for r in (*created, *retopic) for t in r.written["topics"]
            ]
            if pairs:
                session.execute(insert(_course_topic), pairs)
    except IntegrityError as exc:  # the same external_id created concurrently
        raise Conflict("Another upload changed these courses at the same time; retry.") from exc
    audit.record_many(
        session,
        actor=actor,
        entity="course",
        entries=[
            *(
                (
                    "create",
                    r.course_id,
                    {
                        "provider_id": [None, provider_id],
                        "external_id": [None, r.external_id],
                        **{f: [None, jsonable(r.written[f])] for f in FIELDS},
                    },
                )
                for r in created
            ),
            *(("update", r.course_id, r.changes or {}) for r in updated),  # an updated row has changes
        ],
    )


def _ids(session: Session, provider_id: int, external_ids: set[str]) -> dict[str, int]:
    """The provider's course ids by external_id (those named, or all of them for a large set)."""
    query = select(col(Course.external_id), col(Course.id)).where(col(Course.provider_id) == provider_id)
    if len(external_ids) <= _BY_IDS_UP_TO:
        query = query.where(col(Course.external_id).in_(sorted(external_ids)))
    return {external_id: course_id for external_id, course_id in session.exec(query) if course_id is not None}
