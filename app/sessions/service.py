"""Scheduling, changing and finding course sessions; every write audited, every read scoped to the catalog."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any, cast
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, and_, exists, func, or_
from sqlmodel import Session, col, select

from app.audit import service as audit
from app.auth.principal import Principal
from app.catalog import service as catalog
from app.catalog.models import Course, CourseApproval, Provider
from app.db import id_of, utcnow
from app.errors import BadRequest, Conflict, NotFound, Unprocessable
from app.pagination import KeysetPage, count_rows, decode_cursor, encode_cursor
from app.sessions.models import CourseSession
from app.sessions.schemas import (
    MAX_LENGTH,
    SessionCreate,
    SessionModality,
    SessionPublic,
    SessionSummary,
    SessionUpdate,
    to_utc,
)

NEXT_PER_COURSE = 3  # upcoming sessions shown with a course in the catalog and on the status page
FEED_PAST_DAYS = 90  # a feed keeps sessions that ended this recently, so calendars do not lose them at once
FEED_MAX = 2000


class SessionNotFound(NotFound):
    pass


class RetiredCourse(Conflict):
    pass


def _invalid(field: str, message: str) -> Unprocessable:
    return Unprocessable(
        f"{field}: {message}",
        errors=[{"loc": ["body", field], "field": f"body.{field}", "message": message, "type": "value_error"}],
    )


# --- writes -------------------------------------------------------------------------------


def _validated(values: dict[str, Any], given: dict[str, Any]) -> dict[str, Any]:
    """The session's stored columns from merged values; times given without an offset are read in its zone."""
    zone = values["timezone"]
    out = dict(values)
    for field in ("starts_at", "ends_at"):
        value = given.get(field, values[field])
        if value.tzinfo is None:
            try:
                value = to_utc(value, zone, field)
            except ValueError as exc:
                raise _invalid(field, str(exc)) from None
        out[field] = value.astimezone(ZoneInfo("UTC"))
    if out["ends_at"] <= out["starts_at"]:
        raise _invalid("ends_at", "must be after starts_at")
    if out["ends_at"] - out["starts_at"] > MAX_LENGTH:
        raise _invalid("ends_at", f"a session lasts at most {MAX_LENGTH.days} days")
    if out["modality"] in ("in_person", "hybrid") and not out.get("location"):
        raise _invalid("location", f"required for a session held {out['modality'].replace('_', ' ')}")
    out["starts_on"] = out["starts_at"].astimezone(ZoneInfo(zone)).date()
    return out


def _plain(value: Any) -> Any:
    return value.isoformat() if isinstance(value, (datetime, date)) else value


def create(session: Session, *, principal: Principal, course: Course, data: SessionCreate) -> CourseSession:
    """Schedule a session of the course (admin, or the course's provider); a retired course takes none."""
    catalog.require_manager(principal, course.provider_id)
    if course.status == "retired":
        raise RetiredCourse(f"Course {course.id} is retired: it takes no new sessions.")
    given = data.model_dump()
    values = _validated(
        {**given, **{k: str(v) for k in ("join_url", "registration_url") if (v := given.get(k)) is not None}}, given
    )
    row = CourseSession(course_id=course.id, **values)  # type: ignore[arg-type]
    session.add(row)
    session.flush()
    audit.record(
        session,
        actor=principal.actor,
        action="create",
        entity="course_session",
        entity_id=row.id,
        changes={"course_id": course.id, **{k: [None, _plain(v)] for k, v in values.items() if v is not None}},
    )
    return row


def update(session: Session, *, principal: Principal, row: CourseSession, data: SessionUpdate) -> CourseSession:
    """Change a session (admin, or its course's provider); each change is one more iCalendar SEQUENCE."""
    course = session.get(Course, row.course_id)
    assert course is not None
    catalog.require_manager(principal, course.provider_id)
    given = data.model_dump(exclude_unset=True)
    for field in ("starts_at", "ends_at", "timezone", "modality"):
        if field in given and given[field] is None:
            raise _invalid(field, "may be changed, not cleared")
    for field in ("join_url", "registration_url"):
        if given.get(field) is not None:
            given[field] = str(given[field])
    current = {
        k: getattr(row, k)
        for k in (
            "starts_at",
            "ends_at",
            "timezone",
            "modality",
            "location",
            "join_url",
            "registration_url",
            "capacity",
        )
    }
    values = _validated({**current, **given}, given)
    before = {**current, "starts_on": row.starts_on}
    changes = {k: [_plain(before[k]), _plain(v)] for k, v in values.items() if before.get(k) != v}
    if not changes:
        return row
    for key, value in values.items():
        setattr(row, key, value)
    row.sequence += 1
    row.updated_at = utcnow()
    session.add(row)
    session.flush()
    audit.record(
        session, actor=principal.actor, action="update", entity="course_session", entity_id=row.id, changes=changes
    )
    return row


def delete(session: Session, *, principal: Principal, row: CourseSession) -> None:
    """Call a session off: it leaves the catalog and the feeds (the audit log keeps what it was)."""
    course = session.get(Course, row.course_id)
    assert course is not None
    catalog.require_manager(principal, course.provider_id)
    audit.record(
        session,
        actor=principal.actor,
        action="delete",
        entity="course_session",
        entity_id=row.id,
        changes={
            "course_id": row.course_id,
            "starts_at": [_plain(row.starts_at), None],
            "timezone": [row.timezone, None],
            "uid": row.uid,
        },
    )
    session.delete(row)
    session.flush()


# --- reads --------------------------------------------------------------------------------


def get_in_scope(session: Session, *, principal: Principal | None, session_id: int) -> CourseSession:
    """A session of a course the caller may see (a draft's only for an admin and its provider)."""
    query = (
        select(CourseSession)
        .join(Course, col(Course.id) == col(CourseSession.course_id))
        .where(CourseSession.id == session_id, catalog.visible_courses(principal))
    )
    row = session.exec(query).first()
    if row is None:
        raise SessionNotFound(f"Session {session_id} was not found.")
    return row


def approved_in(*, state: str | None = None, credential_code: str | None = None) -> ColumnElement[bool]:
    """WHERE clause: the session's course has an approval of this state (or credential) that counts for a
    completion on the session's local start date."""
    clause = exists().where(
        col(CourseApproval.course_id) == col(CourseSession.course_id),
        or_(col(CourseApproval.valid_from).is_(None), col(CourseApproval.valid_from) <= col(CourseSession.starts_on)),
        or_(col(CourseApproval.valid_until).is_(None), col(CourseApproval.valid_until) >= col(CourseSession.starts_on)),
        or_(
            col(CourseApproval.withdrawn_on).is_(None), col(CourseApproval.withdrawn_on) > col(CourseSession.starts_on)
        ),
    )
    if state:
        clause = clause.where(col(CourseApproval.state) == state.upper())
    if credential_code:
        clause = clause.where(col(CourseApproval.credential_code) == credential_code.upper())
    return clause


@dataclass(frozen=True)
class Window:
    """Which sessions by date: local start dates in [start, end]; with neither, those not ended by `now`."""

    now: datetime
    start: date | None = None
    end: date | None = None

    def clause(self) -> ColumnElement[bool]:
        if self.start is not None and self.end is not None and self.start > self.end:
            raise Unprocessable(
                f"'from' ({self.start}) is after 'to' ({self.end}).",
                errors=[
                    {"loc": ["query", "from"], "field": "query.from", "message": "after 'to'", "type": "value_error"}
                ],
            )
        parts: list[ColumnElement[bool]] = []
        if self.start is None and self.end is None:
            parts.append(col(CourseSession.ends_at) > self.now)
        if self.start is not None:
            parts.append(col(CourseSession.starts_on) >= self.start)
        if self.end is not None:
            parts.append(col(CourseSession.starts_on) <= self.end)
        return and_(*parts)


def search(
    session: Session,
    *,
    window: Window,
    state: str | None = None,
    credential_code: str | None = None,
    provider_id: int | None = None,
    course_id: int | None = None,
    modality: str | None = None,
    principal: Principal | None = None,
    published_only: bool = True,
    cursor: str | None = None,
    limit: int = 50,
    count: bool = False,
) -> KeysetPage[SessionPublic]:
    """Sessions by start time: of published courses (or, for one course's list, of a course the caller may
    see), narrowed by dates, state or credential approval, provider, course and modality."""
    query = (
        select(CourseSession, Course.title, Course.provider_id)
        .join(Course, col(Course.id) == col(CourseSession.course_id))
        .where(window.clause())
    )
    query = (
        query.where(Course.status == "published") if published_only else query.where(catalog.visible_courses(principal))
    )
    if state or credential_code:
        query = query.where(approved_in(state=state, credential_code=credential_code))
    if provider_id is not None:
        query = query.where(Course.provider_id == provider_id)
    if course_id is not None:
        query = query.where(CourseSession.course_id == course_id)
    if modality:
        query = query.where(CourseSession.modality == modality)
    total = count_rows(session, query) if count else None  # type: ignore[arg-type]
    if cursor:
        starts, last_id = decode_cursor(cursor, 2)
        try:
            after = datetime.fromisoformat(starts)
            if after.tzinfo is None:
                raise ValueError
            after = after.astimezone(UTC)  # a time next to year 1 or 9999 overflows here, not in the database
        except (TypeError, ValueError, OverflowError):
            raise BadRequest("The cursor is not valid; start again without it.") from None
        query = query.where(
            or_(
                col(CourseSession.starts_at) > after,
                and_(col(CourseSession.starts_at) == after, col(CourseSession.id) > last_id),
            )
        )
    rows = list(session.exec(query.order_by(col(CourseSession.starts_at), col(CourseSession.id)).limit(limit + 1)))
    page = rows[:limit]
    next_cursor = encode_cursor(page[-1][0].starts_at.isoformat(), page[-1][0].id) if len(rows) > limit else None
    return KeysetPage([public(row, title, provider) for row, title, provider in page], next_cursor, total)


def public(row: CourseSession, title: str, provider_id: int) -> SessionPublic:
    zone = ZoneInfo(row.timezone)
    return SessionPublic(
        id=id_of(row),
        course_id=row.course_id,
        provider_id=provider_id,
        course_title=title,
        starts_at=row.starts_at,
        ends_at=row.ends_at,
        timezone=row.timezone,
        local_start=row.starts_at.astimezone(zone),
        local_end=row.ends_at.astimezone(zone),
        starts_on=row.starts_on,
        modality=cast(SessionModality, row.modality),
        location=row.location,
        join_url=row.join_url,
        registration_url=row.registration_url,
        capacity=row.capacity,
        uid=row.uid,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def present(session: Session, row: CourseSession) -> SessionPublic:
    title, provider_id = session.exec(select(Course.title, Course.provider_id).where(Course.id == row.course_id)).one()
    return public(row, title, provider_id)


def next_sessions(
    session: Session, course_ids: Collection[int], *, now: datetime, per_course: int = NEXT_PER_COURSE
) -> dict[int, list[SessionSummary]]:
    """Each course's next sessions (not ended by `now`), soonest first: one query."""
    if not course_ids:
        return {}
    ranked = (
        select(
            CourseSession,
            func.row_number()
            .over(
                partition_by=col(CourseSession.course_id),
                order_by=(col(CourseSession.starts_at), col(CourseSession.id)),
            )
            .label("n"),
        )
        .where(col(CourseSession.course_id).in_(sorted(set(course_ids))), col(CourseSession.ends_at) > now)
        .subquery()
    )
    query = (
        select(CourseSession)
        .join(ranked, col(CourseSession.id) == ranked.c.id)
        .where(ranked.c.n <= per_course)
        .order_by(col(CourseSession.starts_at), col(CourseSession.id))
    )
    out: dict[int, list[SessionSummary]] = defaultdict(list)
    for row in session.exec(query):
        out[row.course_id].append(
            SessionSummary(
                id=id_of(row),
                starts_at=row.starts_at,
                ends_at=row.ends_at,
                timezone=row.timezone,
                local_start=row.starts_at.astimezone(ZoneInfo(row.timezone)),
                modality=cast(SessionModality, row.modality),
                location=row.location,
                join_url=row.join_url,
                registration_url=row.registration_url,
            )
        )
    return out


@dataclass(frozen=True)
class FeedItem:
    row: CourseSession
    course: Course
    provider_name: str


def feed(
    session: Session, *, now: datetime, course_id: int | None = None, provider_id: int | None = None
) -> list[FeedItem]:
    """A feed's sessions: of published courses, upcoming and those ended in the last FEED_PAST_DAYS days."""
    query = (
        select(CourseSession, Course, Provider.name)
        .join(Course, col(Course.id) == col(CourseSession.course_id))
        .join(Provider, col(Provider.id) == col(Course.provider_id))
        .where(Course.status == "published", col(CourseSession.ends_at) > now - timedelta(days=FEED_PAST_DAYS))
    )
    if course_id is not None:
        query = query.where(CourseSession.course_id == course_id)
    if provider_id is not None:
        query = query.where(Course.provider_id == provider_id)
    query = query.order_by(col(CourseSession.starts_at), col(CourseSession.id)).limit(FEED_MAX)
    return [FeedItem(row, course, name) for row, course, name in session.exec(query)]
