"""Public catalog search over published courses: full text on PostgreSQL, words with LIKE on SQLite."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection
from datetime import date, datetime

from sqlalchemy import ColumnElement, TextClause, and_, exists, or_, text, true
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from app.catalog import service
from app.catalog.models import SEARCH_DOCUMENT, Course, CourseApproval, CourseApprovalCategory, CourseTopic, Provider
from app.catalog.schemas import CatalogEntry, CountsFor, ProviderSummary
from app.db import contains, id_of, is_postgres
from app.pagination import KeysetPage, keyset_page
from app.sessions import service as sessions


def valid_on(day: date) -> ColumnElement[bool]:
    """WHERE clause: the approval counts for completions on this day (in its dates, not withdrawn)."""
    return and_(
        or_(col(CourseApproval.valid_from).is_(None), col(CourseApproval.valid_from) <= day),
        or_(col(CourseApproval.valid_until).is_(None), col(CourseApproval.valid_until) >= day),
        or_(col(CourseApproval.withdrawn_on).is_(None), col(CourseApproval.withdrawn_on) > day),
    )


def _matches(session: Session, q: str) -> ColumnElement[bool] | TextClause:
    if is_postgres(session):
        return text(f"{SEARCH_DOCUMENT} @@ websearch_to_tsquery('english', :search_q)").bindparams(search_q=q)
    words = [w for w in (w.strip('"') for w in q.split()) if w]
    return and_(true(), *(or_(contains(col(Course.title), w), contains(col(Course.description), w)) for w in words))


def search(
    session: Session,
    *,
    on: date,
    now: datetime | None = None,
    q: str | None = None,
    topics: Collection[str] = (),
    credential_code: str | None = None,
    category: str | None = None,
    modality: str | None = None,
    provider_id: int | None = None,
    cursor: str | None = None,
    limit: int = 50,
    count: bool = False,
) -> KeysetPage[CatalogEntry]:
    """One keyset page (by id) of published courses matching every filter given."""
    query = select(Course).where(Course.status == "published")
    if q and q.strip():
        query = query.where(_matches(session, q.strip()))
    if topics:
        query = query.where(
            exists().where(col(CourseTopic.course_id) == Course.id, col(CourseTopic.topic_id).in_(sorted(topics)))
        )
    if modality:
        query = query.where(Course.modality == modality)
    if provider_id is not None:
        query = query.where(Course.provider_id == provider_id)
    if credential_code or category:
        approved = exists().where(col(CourseApproval.course_id) == Course.id, valid_on(on))
        if credential_code:
            approved = approved.where(col(CourseApproval.credential_code) == credential_code.upper())
        if category:
            approved = approved.where(
                exists().where(
                    col(CourseApprovalCategory.approval_id) == CourseApproval.id,
                    col(CourseApprovalCategory.category) == category,
                )
            )
        query = query.where(approved)
    found = keyset_page(session, query, Course.id, cursor=cursor, limit=limit, count=count)
    page = found.items
    ids = [id_of(c) for c in page]
    topics_by_course = service.topics_of(session, ids)
    counts = counts_for(session, ids, on=on)
    names = {
        pid: name
        for pid, name in session.exec(
            select(Provider.id, Provider.name).where(col(Provider.id).in_(sorted({c.provider_id for c in page})))
        )
    }
    upcoming = sessions.next_sessions(session, ids, now=now) if now is not None else {}
    items = [
        CatalogEntry(
            **service.public(c, topics_by_course.get(id_of(c), [])).model_dump(),
            provider=ProviderSummary(id=c.provider_id, name=names[c.provider_id]),
            approvals=counts.get(id_of(c), []),
            next_sessions=upcoming.get(id_of(c), []),
        )
        for c in page
    ]
    return KeysetPage(items, found.next_cursor, found.total)


def counts_for(session: Session, course_ids: Collection[int], *, on: date) -> dict[int, list[CountsFor]]:
    """For which credentials and categories each course counts on a day: one query."""
    if not course_ids:
        return {}
    grouped: dict[int, tuple[int, str, object, list[str]]] = {}
    query = (
        sa_select(
            col(CourseApproval.id),
            col(CourseApproval.course_id),
            col(CourseApproval.credential_code),
            col(CourseApproval.hours),
            col(CourseApprovalCategory.category),
        )
        .outerjoin(CourseApprovalCategory, col(CourseApprovalCategory.approval_id) == col(CourseApproval.id))
        .where(col(CourseApproval.course_id).in_(sorted(course_ids)), valid_on(on))
        .order_by(col(CourseApproval.credential_code), col(CourseApproval.id), col(CourseApprovalCategory.category))
    )
    for aid, cid, code, hours, category in session.execute(query):
        item = grouped.setdefault(aid, (cid, code, hours, []))
        if category is not None:
            item[3].append(category)
    out: dict[int, list[CountsFor]] = defaultdict(list)
    for cid, code, hours, categories in grouped.values():
        out[cid].append(CountsFor(credential_code=code, categories=categories, hours=hours))  # type: ignore[arg-type]
    return out
