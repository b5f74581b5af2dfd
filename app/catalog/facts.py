"""What the compliance engine needs of each course (its topics and approvals), cached per process.

Every completion of a course shares the course's topics and approvals, and every sweep batch and
compliance check meets the same courses again: they are read once per process and kept, keyed by
course id together with the course's `facts_token`. Every change of a course's topics or
approvals gives the course a new random token in the same transaction (`changed`), and every
read of completions returns the token it sees, so an entry is used only while it is current; a
stale or missing one is read again.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import Integer, select, type_coerce, update
from sqlmodel import Session, col

from app.catalog.models import Course, CourseApproval, CourseApprovalCategory, CourseTopic, new_facts_token
from app.reads import Plan, Query, in_
from app.rules import engine
from app.rules.engine.hours import decimal_hours

MAX_CACHED = 50_000  # courses; a full cache is emptied and refilled (a few MB per 10,000 courses)


@dataclass(frozen=True, slots=True)
class EngineCourse:
    key: str  # the engine's course_key: completions of one course are credited once per cycle
    topics: frozenset[str]
    approvals: tuple[engine.Approval, ...]


_cache: dict[int, tuple[str, EngineCourse]] = {}

TOPICS = Query(lambda d: (
    select(Course.id, Course.facts_token, CourseTopic.topic_id)
    .outerjoin(CourseTopic, col(CourseTopic.course_id) == col(Course.id))
    .where(in_(d, Course.id, "ids"))
))
APPROVALS = Query(lambda d: (
    select(CourseApproval.course_id, Course.facts_token, CourseApproval.id, CourseApproval.credential_code,
           type_coerce(CourseApproval.hours, Integer), CourseApproval.valid_from, CourseApproval.valid_until,
           CourseApproval.withdrawn_on, CourseApprovalCategory.category)
    .join(Course, col(Course.id) == col(CourseApproval.course_id))
    .outerjoin(CourseApprovalCategory, col(CourseApprovalCategory.approval_id) == col(CourseApproval.id))
    .where(in_(d, CourseApproval.course_id, "ids"))
    .order_by(col(CourseApproval.id))
))


def plan(tokens: dict[int, str]) -> Plan[dict[int, EngineCourse]]:
    """The engine's facts of these courses, given the token read with each (course id -> token)."""
    out: dict[int, EngineCourse] = {}
    stale: list[int] = []
    for course_id, token in tokens.items():
        hit = _cache.get(course_id)
        if hit is not None and hit[0] == token:
            out[course_id] = hit[1]
        else:
            stale.append(course_id)
    if not stale:
        return out
    stale.sort()
    seen: dict[int, str] = {}
    topics: dict[int, set[str]] = {}
    for course_id, token, topic in (yield TOPICS, {"ids": stale}):
        seen[course_id] = token
        names = topics.setdefault(course_id, set())
        if topic is not None:
            names.add(topic)
    approvals: dict[int, dict[int, list]] = {}
    for course_id, token, approval_id, code, hundredths, valid_from, valid_until, withdrawn_on, category in (
            (yield APPROVALS, {"ids": stale})):
        if seen.get(course_id) != token:  # changed between the two reads: use it, do not keep it
            seen[course_id] = ""
        item = approvals.setdefault(course_id, {}).setdefault(
            approval_id, [code, hundredths, valid_from, valid_until, withdrawn_on, set()])
        if category is not None:
            item[5].add(category)
    if len(_cache) + len(stale) > MAX_CACHED:
        _cache.clear()
    for course_id in stale:
        if course_id not in seen:
            continue  # no such course
        facts = EngineCourse(
            key=f"course:{course_id}",
            topics=frozenset(topics.get(course_id, ())),
            approvals=tuple(
                engine.Approval(credential_code=code, categories=frozenset(categories),
                                hours=None if hundredths is None else decimal_hours(hundredths),
                                valid_from=valid_from, valid_until=valid_until, withdrawn_on=withdrawn_on)
                for code, hundredths, valid_from, valid_until, withdrawn_on, categories
                in approvals.get(course_id, {}).values()
            ),
        )
        out[course_id] = facts
        if seen[course_id]:
            _cache[course_id] = (seen[course_id], facts)
    return out


def changed(session: Session, course_ids: Iterable[int], *, credential_code: str | None = None) -> None:
    """These courses' topics or approvals changed in this transaction: new tokens, and their completers'
    certifications (of `credential_code`, or all of them) are marked for the next sweep."""
    from app.certifications.service import mark_dirty_for_courses

    ids = sorted(set(course_ids))
    if not ids:
        return
    session.execute(update(Course).where(col(Course.id).in_(ids)).values(facts_token=new_facts_token())
                    .execution_options(synchronize_session=False))
    mark_dirty_for_courses(session, course_ids=ids, credential_code=credential_code)

