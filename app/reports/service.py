"""Compliance counts and trend, CE demand by topic, provider activity: set-based reads, nothing written.

Every figure is one aggregate in the database: counts over the certifications' stored statuses (kept
current by writes and the sweep), the daily snapshot for the trend, a bounded period of completions
(`ix_completion_completed_on`) for demand and activity, and the cached category gaps
(`certification.unmet_categories`) for unmet hours. No report evaluates a certification.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from pydantic import TypeAdapter
from sqlalchemy import Date, Integer, String, and_, bindparam, cast, distinct, func, select, true, type_coerce
from sqlmodel import Session, col

from app.catalog.models import Course, CourseApproval, CourseApprovalCategory, CourseTopic, Provider, Topic
from app.catalog.search import valid_on
from app.certifications.models import Certification
from app.completions.models import Completion
from app.db import is_postgres
from app.reads import AnySelect, Plan, Query, Reads, in_
from app.reports.models import ComplianceSnapshot
from app.reports.schemas import (
    CategoryDemand,
    CourseActivity,
    ProviderActivity,
    StatusCount,
    TopicDemand,
    TrendPoint,
)
from app.reports.scope import Scope
from app.rules import service as rules_service

STATUSES = ("compliant", "in_progress", "due_soon", "overdue", "lapsed", "suspended", "revoked", "inactive")
_ORDER = {s: n for n, s in enumerate(STATUSES)}


def hours(hundredths: int | None) -> Decimal:
    return Decimal(hundredths or 0).scaleb(-2)


# --- compliance -----------------------------------------------------------------------------------


def _counts_query(*, states: bool, code: bool) -> Query:
    """Certifications by credential, state and stored status, narrowed to `states` and a `code`."""

    def build(dialect: str) -> AnySelect:
        c = Certification
        where = []
        if states:
            where.append(in_(dialect, col(c.state), "states", String))
        if code:
            where.append(col(c.credential_code) == bindparam("code", type_=String))
        return (
            select(col(c.credential_code), col(c.state), col(c.status), func.count())
            .where(*where)
            .group_by(col(c.credential_code), col(c.state), col(c.status))
        )

    return Query(build)


_COUNTS = {
    (states, code): _counts_query(states=states, code=code) for states in (False, True) for code in (False, True)
}
_STATUS_COUNTS = TypeAdapter(list[StatusCount])


async def read_compliance(reads: Reads, *, scope: Scope) -> list[StatusCount]:
    """Certifications in scope by credential and stored status (what counting the list gives), on the app's hot
    reads (`app.state.reads`)."""
    return await reads.run(_compliance(scope))


def _compliance(scope: Scope) -> Plan[list[StatusCount]]:
    params: dict[str, Any] = {}
    if scope.states is not None:
        params["states"] = sorted(scope.states)
    if scope.credential_code is not None:
        params["code"] = scope.credential_code
    rows = yield _COUNTS[(scope.states is not None, scope.credential_code is not None)], params
    rows.sort(key=lambda r: (r[0], _ORDER.get(r[2], 99)))
    return _STATUS_COUNTS.validate_python(
        [{"credential_code": code, "state": state, "status": status, "count": n} for code, state, status, n in rows]
    )


COMPLIANCE_CSV = ("credential_code", "state", "status", "count")


def compliance_csv(items: Sequence[StatusCount]) -> Iterator[list[Any]]:
    for i in items:
        yield [i.credential_code, i.state, i.status, i.count]


# --- trend ----------------------------------------------------------------------------------------


def trend(session: Session, *, scope: Scope, start: date, end: date, interval: str) -> list[TrendPoint]:
    """Counts by status per day (or per month: each credential's last snapshot day in it), summed over the
    credentials in scope, from the snapshot table alone."""
    s = ComplianceSnapshot
    where = [col(s.day) >= start, col(s.day) <= end, *scope.where(s.state, s.credential_code)]
    if interval == "day":
        rows = session.execute(
            select(col(s.day), col(s.status), func.sum(s.count)).where(*where).group_by(col(s.day), col(s.status))
        ).all()
        points = [TrendPoint(period=day, day=day, status=status, count=n) for day, status, n in rows]
    else:
        month = (
            cast(func.date_trunc("month", s.day), Date) if is_postgres(session) else func.strftime("%Y-%m-01", s.day)
        )
        last = (
            select(col(s.credential_code), month.label("month"), func.max(s.day).label("last"))
            .where(*where)
            .group_by(col(s.credential_code), month)
            .subquery()
        )
        rows = session.execute(
            select(last.c.month, col(s.status), func.sum(s.count), func.max(s.day))
            .join(last, and_(col(s.credential_code) == last.c.credential_code, col(s.day) == last.c.last))
            .group_by(last.c.month, col(s.status))
        ).all()
        points = [TrendPoint(period=_date(m), day=_date(day), status=status, count=n) for m, status, n, day in rows]
    return sorted(points, key=lambda p: (p.period, _ORDER.get(p.status, 99)))


def _date(value: Any) -> date:
    if isinstance(value, date):
        return value.date() if isinstance(value, datetime) else value  # a datetime from date_trunc
    return date.fromisoformat(str(value)[:10])


TREND_CSV = ("period", "day", "status", "count")


def trend_csv(points: Sequence[TrendPoint]) -> Iterator[list[Any]]:
    for p in points:
        yield [p.period, p.day, p.status, p.count]


# --- CE demand by topic ---------------------------------------------------------------------------


def _period_completions(start: date, end: date, holders: Any) -> list[Any]:
    """WHERE clauses: accepted completions in [start, end], of people certified in scope when `holders`."""
    where = [
        col(Completion.status) == "accepted",
        col(Completion.completed_on) >= start,
        col(Completion.completed_on) <= end,
    ]
    if holders is not None:
        where.append(col(Completion.person_id).in_(holders))
    return where


def topics(
    session: Session, *, scope: Scope, start: date, end: date, today: date
) -> tuple[list[TopicDemand], list[CategoryDemand]]:
    """Per topic of the taxonomy: completions in the period, hours still needed, hours on offer."""
    hundredths = type_coerce(Completion.hours, Integer)
    demand = {
        topic: (total, n, learners)
        for topic, total, n, learners in session.execute(
            select(
                col(CourseTopic.topic_id),
                func.sum(hundredths),
                func.count(),
                func.count(distinct(col(Completion.person_id))),
            )
            .join(CourseTopic, col(CourseTopic.course_id) == col(Completion.course_id))
            .where(*_period_completions(start, end, scope.holders()))
            .group_by(col(CourseTopic.topic_id))
        )
    }

    approved = select(col(CourseApproval.id)).where(
        col(CourseApproval.course_id) == col(Course.id),
        valid_on(today),
        *scope.where(CourseApproval.state, CourseApproval.credential_code),
    )
    supply = {
        topic: (total, n)
        for topic, total, n in session.execute(
            select(col(CourseTopic.topic_id), func.sum(type_coerce(Course.hours, Integer)), func.count())
            .join(CourseTopic, col(CourseTopic.course_id) == col(Course.id))
            .where(col(Course.status) == "published", approved.exists())
            .group_by(col(CourseTopic.topic_id))
        )
    }

    categories = _categories(session, scope=scope, today=today)
    unmet: dict[str, int] = defaultdict(int)
    for category in categories:
        for topic in category.topics:
            unmet[topic] += int(category.unmet_hours.scaleb(2))
    items = []
    for topic in session.execute(select(Topic).order_by(col(Topic.id))).scalars():
        total, n, learners = demand.get(topic.id, (0, 0, 0))
        offered, courses = supply.get(topic.id, (0, 0))
        items.append(
            TopicDemand(
                topic_id=topic.id,
                name=topic.name,
                completed_hours=hours(total),
                completions=n,
                learners=learners,
                unmet_hours=hours(unmet.get(topic.id)),
                supply_hours=hours(offered),
                supply_courses=courses,
            )
        )
    return items, categories


def _categories(session: Session, *, scope: Scope, today: date) -> list[CategoryDemand]:
    """Unmet hours per credential and category (from the cached gaps), with the topics that satisfy each."""
    c = Certification
    if is_postgres(session):
        each = func.jsonb_each_text(c.unmet_categories).table_valued("key", "value", joins_implicitly=True)
    else:
        each = func.json_each(c.unmet_categories).table_valued("key", "value", joins_implicitly=True)
    rows = session.execute(
        select(col(c.credential_code), each.c.key, func.sum(cast(each.c.value, Integer)), func.count())
        .select_from(Certification)
        .join(each, true())
        .where(col(c.unmet_categories).is_not(None), *scope.where())
        .group_by(col(c.credential_code), each.c.key)
    ).all()
    if not rows:
        return []
    codes = sorted({code for code, *_ in rows})
    versions = rules_service.engine_versions_of(session, codes)
    labels: dict[tuple[str, str], str] = {}
    satisfied: dict[tuple[str, str], set[str]] = defaultdict(set)
    for code, chain in versions.items():
        for version in chain:  # the latest version's label wins; topics of every version count
            for cat in version.rules.requirements.categories:
                labels[(code, cat.category)] = cat.label or cat.category
                satisfied[(code, cat.category)].update(cat.topics)
    ca, cac = CourseApproval, CourseApprovalCategory
    for code, category, topic in session.execute(
        select(col(ca.credential_code), col(cac.category), col(CourseTopic.topic_id))
        .distinct()
        .join(cac, col(cac.approval_id) == col(ca.id))
        .join(Course, col(Course.id) == col(ca.course_id))
        .join(CourseTopic, col(CourseTopic.course_id) == col(ca.course_id))
        .where(col(ca.credential_code).in_(codes), col(Course.status) == "published", valid_on(today))
    ):
        satisfied[(code, category)].add(topic)
    out = [
        CategoryDemand(
            credential_code=code,
            category=category,
            label=labels.get((code, category), category),
            topics=sorted(satisfied.get((code, category), ())),
            unmet_hours=hours(total),
            certifications=n,
        )
        for code, category, total, n in rows
    ]
    return sorted(out, key=lambda d: (-d.unmet_hours, d.credential_code, d.category))


TOPICS_CSV = (
    "topic_id",
    "name",
    "completed_hours",
    "completions",
    "learners",
    "unmet_hours",
    "supply_hours",
    "supply_courses",
)


def topics_csv(items: Sequence[TopicDemand]) -> Iterator[list[Any]]:
    for t in items:
        yield [
            t.topic_id,
            t.name,
            t.completed_hours,
            t.completions,
            t.learners,
            t.unmet_hours,
            t.supply_hours,
            t.supply_courses,
        ]


# --- provider activity ----------------------------------------------------------------------------


def providers(
    session: Session, *, scope: Scope, start: date, end: date, provider_id: int | None = None
) -> list[ProviderActivity]:
    """Accepted completions in the period per provider and per course: of the learners in scope, or of one
    provider's courses."""
    where = _period_completions(start, end, scope.holders())
    if provider_id is not None:
        where.append(col(Course.provider_id) == provider_id)
    hundredths = func.sum(type_coerce(Completion.hours, Integer))
    learners = func.count(distinct(col(Completion.person_id)))
    joined = select().select_from(Completion).join(Course, col(Course.id) == col(Completion.course_id)).where(*where)
    per_course = session.execute(
        joined.add_columns(
            col(Course.provider_id), col(Course.id), col(Course.title), func.count(), learners, hundredths
        ).group_by(col(Course.provider_id), col(Course.id), col(Course.title))
    ).all()
    per_provider = {
        pid: (n, people, total)
        for pid, n, people, total in session.execute(
            joined.add_columns(col(Course.provider_id), func.count(), learners, hundredths).group_by(
                col(Course.provider_id)
            )
        )
    }
    if not per_provider:
        return []
    names = {
        p.id: p for p in session.execute(select(Provider).where(col(Provider.id).in_(sorted(per_provider)))).scalars()
    }
    courses: dict[int, list[CourseActivity]] = defaultdict(list)
    for pid, course_id, title, n, people, total in per_course:
        courses[pid].append(
            CourseActivity(course_id=course_id, title=title, completions=n, learners=people, hours=hours(total))
        )
    out = []
    for pid, (n, people, total) in per_provider.items():
        provider = names[pid]
        out.append(
            ProviderActivity(
                provider_id=pid,
                name=provider.name,
                kind=provider.kind,
                completions=n,
                learners=people,
                hours=hours(total),
                courses=sorted(courses[pid], key=lambda c: (-c.completions, c.title, c.course_id)),
            )
        )
    return sorted(out, key=lambda p: (-p.completions, p.name))


PROVIDERS_CSV = (
    "provider_id",
    "provider_name",
    "kind",
    "course_id",
    "course_title",
    "completions",
    "learners",
    "hours",
)


def providers_csv(items: Sequence[ProviderActivity]) -> Iterator[list[Any]]:
    for p in items:
        yield [p.provider_id, p.name, p.kind, "", "(all courses)", p.completions, p.learners, p.hours]
        for course in p.courses:
            yield [
                p.provider_id,
                p.name,
                p.kind,
                course.course_id,
                course.title,
                course.completions,
                course.learners,
                course.hours,
            ]
