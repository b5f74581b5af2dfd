"""Catalog reads and writes: topics, providers, courses, and the set-based facts the engine needs."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import TypeVar

from sqlalchemy import ColumnElement, or_, true
from sqlalchemy import select as sa_select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from app.audit import service as audit
from app.auth.principal import Principal, Role
from app.catalog import upserts
from app.catalog.models import (
    Course,
    CourseApproval,
    CourseApprovalCategory,
    CourseTopic,
    Provider,
    Topic,
)
from app.catalog.schemas import CoursePublic, CourseUpsert, ProviderCreate
from app.constants import DEFAULT_TIMEZONE
from app.db import contains, id_of, utcnow
from app.errors import Conflict, Forbidden, NotFound, Unprocessable
from app.pagination import KeysetPage, keyset_page
from app.rules import engine

# "Today" for the catalog (default availability dates, approvals valid today): the rules' default zone.
CATALOG_TIMEZONE = DEFAULT_TIMEZONE
IN_CHUNKS = 5000  # ids per IN (...) list: one query for any realistic batch, within every driver's limits
_Id = TypeVar("_Id", int, str)


class ProviderNotFound(NotFound):
    pass


class CourseNotFound(NotFound):
    pass


class DuplicateProviderName(Conflict):
    pass


# --- scope --------------------------------------------------------------------------------


def manages(principal: Principal | None, provider_id: int) -> bool:
    """Admins manage every provider's courses; a provider token only its own."""
    if principal is None:
        return False
    return principal.is_admin or (principal.role is Role.provider and principal.provider_id == provider_id)


def visible_courses(principal: Principal | None) -> ColumnElement[bool]:
    """WHERE clause: drafts are seen only by admins and their own provider; the rest by anyone."""
    if principal is not None and principal.is_admin:
        return true()
    not_draft = col(Course.status) != "draft"
    if principal is not None and principal.role is Role.provider:
        return or_(not_draft, col(Course.provider_id) == principal.provider_id)
    return not_draft


def require_manager(principal: Principal, provider_id: int) -> None:
    if not manages(principal, provider_id):
        raise Forbidden(f"Only an admin or provider {provider_id} itself may change its courses.")


# --- topics -------------------------------------------------------------------------------


def list_topics(session: Session) -> list[Topic]:
    """The whole taxonomy, by id."""
    return list(session.exec(select(Topic).order_by(col(Topic.id))))


def topic_ids(session: Session) -> set[str]:
    return set(session.exec(select(Topic.id)))


# --- providers ----------------------------------------------------------------------------


def create_provider(session: Session, *, principal: Principal, data: ProviderCreate) -> Provider:
    """Register a provider; names are unique."""
    if session.exec(select(Provider.id).where(Provider.name == data.name)).first() is not None:
        raise DuplicateProviderName(f"A provider named {data.name!r} already exists.")
    provider = Provider(**data.model_dump())
    try:
        with session.begin_nested():
            session.add(provider)
    except IntegrityError as exc:  # registered concurrently
        raise DuplicateProviderName(f"A provider named {data.name!r} already exists.") from exc
    audit.record(
        session,
        actor=principal.actor,
        action="create",
        entity="provider",
        entity_id=provider.id,
        changes={k: [None, v] for k, v in data.model_dump().items() if v is not None},
    )
    return provider


def get_provider(session: Session, provider_id: int) -> Provider:
    provider = session.get(Provider, provider_id)
    if provider is None:
        raise ProviderNotFound(f"Provider {provider_id} was not found.")
    return provider


def list_providers(
    session: Session,
    *,
    kind: str | None = None,
    q: str | None = None,
    cursor: str | None = None,
    limit: int = 50,
    count: bool = False,
) -> KeysetPage[Provider]:
    """One keyset page of providers, by id."""
    query = select(Provider)
    if kind:
        query = query.where(Provider.kind == kind)
    if q:
        query = query.where(contains(col(Provider.name), q.strip()))
    return keyset_page(session, query, Provider.id, cursor=cursor, limit=limit, count=count)


# --- courses ------------------------------------------------------------------------------


def get_course(session: Session, *, principal: Principal | None, course_id: int) -> Course:
    """The course if the caller may see it; a draft of another provider is 404, as if it did not exist."""
    course = session.exec(select(Course).where(Course.id == course_id, visible_courses(principal))).first()
    if course is None:
        raise CourseNotFound(f"Course {course_id} was not found.")
    return course


def list_provider_courses(
    session: Session,
    *,
    principal: Principal | None,
    provider: Provider,
    status: str | None = None,
    cursor: str | None = None,
    limit: int = 50,
    count: bool = False,
) -> KeysetPage[Course]:
    """A provider's courses by id: every status for an admin and the provider, published ones for others."""
    query = select(Course).where(Course.provider_id == provider.id)
    if not manages(principal, id_of(provider)):
        query = query.where(Course.status == "published")
    if status:
        query = query.where(Course.status == status)
    return keyset_page(session, query, Course.id, cursor=cursor, limit=limit, count=count)


def course_ids_by_external(session: Session, provider_id: int, external_ids: Collection[str]) -> dict[str, int]:
    """external_id -> course id among this provider's courses (ids it does not have are absent)."""
    out: dict[str, int] = {}
    for chunk in _chunks(external_ids):
        query = select(col(Course.external_id), col(Course.id)).where(
            Course.provider_id == provider_id, col(Course.external_id).in_(chunk)
        )
        out.update({external_id: course_id for external_id, course_id in session.exec(query) if course_id is not None})
    return out


def topics_of(session: Session, course_ids: Collection[int]) -> dict[int, list[str]]:
    """Each course's topic ids, sorted, in one query per chunk of ids."""
    out: dict[int, list[str]] = defaultdict(list)
    for chunk in _chunks(course_ids):
        query = select(CourseTopic.course_id, CourseTopic.topic_id).where(col(CourseTopic.course_id).in_(chunk))
        for course_id, topic_id in session.exec(query.order_by(col(CourseTopic.course_id), col(CourseTopic.topic_id))):
            out[course_id].append(topic_id)
    return out


def present(session: Session, courses: Sequence[Course]) -> list[CoursePublic]:
    """Courses as the API shows them, with their topics loaded in one query."""
    topics = topics_of(session, [id_of(c) for c in courses])
    return [public(c, topics.get(id_of(c), [])) for c in courses]


def public(course: Course, topics: Iterable[str]) -> CoursePublic:
    return CoursePublic(
        id=id_of(course),
        provider_id=course.provider_id,
        external_id=course.external_id,
        title=course.title,
        description=course.description,
        hours=course.hours,
        modality=course.modality,  # type: ignore[arg-type]
        topics=sorted(topics),
        url=course.url,
        status=course.status,  # type: ignore[arg-type]
        available_from=course.available_from,
        created_at=course.created_at,
        updated_at=course.updated_at,
    )


def upsert_course(
    session: Session,
    *,
    principal: Principal,
    provider: Provider,
    data: CourseUpsert,
    today: date,
) -> tuple[Course, str]:
    """Create the course, or update the provider's course with the same external_id; returns (course, outcome)."""
    require_manager(principal, id_of(provider))
    item = upserts.Item(row=1, external_id=data.external_id, course=data)
    plan = upserts.plan(session, provider_id=id_of(provider), items=[item], today=today)
    (row,) = plan.rows
    if row.errors:
        raise Unprocessable(
            f"The course cannot be saved: {'; '.join(e['message'] for e in row.errors)}.",
            errors=[
                {"loc": ["body", e["field"]], "field": f"body.{e['field']}", "message": e["message"], "type": e["type"]}
                for e in row.errors
            ],
        )
    upserts.apply(session, provider_id=id_of(provider), plan=plan, actor=principal.actor)
    course = session.get(Course, row.course_id, populate_existing=True)
    assert course is not None
    return course, row.outcome


def retire_course(session: Session, *, principal: Principal, course: Course) -> Course:
    """Retire a course (it stays, with its approvals and completions); retiring twice changes nothing."""
    require_manager(principal, course.provider_id)
    if course.status == "retired":
        return course
    before = course.status
    course.status = "retired"
    course.updated_at = utcnow()
    session.add(course)
    session.flush()
    audit.record(
        session,
        actor=principal.actor,
        action="retire",
        entity="course",
        entity_id=course.id,
        changes={"status": [before, "retired"]},
    )
    return course


# --- facts for the compliance engine -------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CourseFacts:
    """What the completions domain and the engine need to know about a course."""

    id: int
    provider_id: int
    title: str
    hours: Decimal
    modality: str
    topics: frozenset[str]
    status: str
    available_from: date | None


def course_facts(session: Session, course_ids: Collection[int]) -> dict[int, CourseFacts]:
    """Facts of these courses (missing ids are absent), in two queries."""
    topics = topics_of(session, course_ids)
    out: dict[int, CourseFacts] = {}
    for chunk in _chunks(course_ids):
        query = sa_select(
            col(Course.id),
            col(Course.provider_id),
            col(Course.title),
            col(Course.hours),
            col(Course.modality),
            col(Course.status),
            col(Course.available_from),
        ).where(col(Course.id).in_(chunk))
        for cid, provider_id, title, hours, modality, status, available_from in session.execute(query):
            out[cid] = CourseFacts(
                id=cid,
                provider_id=provider_id,
                title=title,
                hours=hours,
                modality=modality,
                topics=frozenset(topics.get(cid, ())),
                status=status,
                available_from=available_from,
            )
    return out


def engine_approvals(session: Session, course_ids: Collection[int]) -> dict[int, tuple[engine.Approval, ...]]:
    """Every approval of these courses (withdrawn ones too, with their date) as the engine takes them.

    One query (a join of approvals and their categories); every requested id is a key.
    """
    rows: dict[int, dict] = {}
    for chunk in _chunks(course_ids):
        query = (
            sa_select(
                col(CourseApproval.id),
                col(CourseApproval.course_id),
                col(CourseApproval.credential_code),
                col(CourseApproval.hours),
                col(CourseApproval.valid_from),
                col(CourseApproval.valid_until),
                col(CourseApproval.withdrawn_on),
                col(CourseApprovalCategory.category),
            )
            .outerjoin(CourseApprovalCategory, col(CourseApprovalCategory.approval_id) == col(CourseApproval.id))
            .where(col(CourseApproval.course_id).in_(chunk))
            .order_by(col(CourseApproval.id))
        )
        for aid, cid, code, hours, valid_from, valid_until, withdrawn_on, category in session.execute(query):
            item = rows.setdefault(
                aid,
                {
                    "course_id": cid,
                    "credential_code": code,
                    "hours": hours,
                    "valid_from": valid_from,
                    "valid_until": valid_until,
                    "withdrawn_on": withdrawn_on,
                    "categories": set(),
                },
            )
            if category is not None:
                item["categories"].add(category)
    out: dict[int, list[engine.Approval]] = {cid: [] for cid in course_ids}
    for item in rows.values():
        cid = item.pop("course_id")
        out.setdefault(cid, []).append(engine.Approval(**{**item, "categories": frozenset(item["categories"])}))
    return {cid: tuple(approvals) for cid, approvals in out.items()}


def _chunks(ids: Collection[_Id]) -> Iterable[list[_Id]]:
    values = sorted(set(ids))
    for start in range(0, len(values), IN_CHUNKS):
        yield values[start : start + IN_CHUNKS]
