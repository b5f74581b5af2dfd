"""Completions as the engine takes them, read set-based for a batch of people (a plan: app.reads)."""

from __future__ import annotations

import json
from collections.abc import Collection, Sequence
from typing import Any

from sqlalchemy import Integer, Text, cast, literal_column, select, type_coerce
from sqlmodel import col

from app.catalog import facts as course_facts
from app.catalog.models import Course
from app.completions.models import Completion
from app.reads import Plan, Query, in_
from app.rules import engine
from app.rules.engine.hours import decimal_hours


# Only what the engine reads, as plain values: a sweep batch reads tens of thousands of completions.
# Hours are the stored integer hundredths and review categories JSON text (parsed only for the few
# completions a board reviewed); each course's facts token says whether its cached facts are current.
def completion_columns() -> list[Any]:
    """One completion as `engine_completions` takes it (the course's facts token last; outer-join Course)."""
    return [Completion.person_id, Completion.id, Completion.course_id, Completion.title,
            type_coerce(Completion.hours, Integer), Completion.modality, Completion.completed_on, Completion.status,
            Completion.review_state, cast(Completion.review_categories, Text), Course.facts_token]


COMPLETIONS = Query(lambda d: (
    select(*completion_columns())
    .outerjoin(Course, col(Course.id) == col(Completion.course_id))
    .where(in_(d, Completion.person_id, "people"))
    .order_by(col(Completion.person_id), col(Completion.completed_on), col(Completion.id))
))


# The sweep's variant: the engine without explanations never reads a completion that is not accepted,
# nor any title, so a sweep batch reads only accepted rows and no titles (empty ones instead).
ACCEPTED_COMPLETIONS = Query(lambda d: (
    select(*[literal_column("''") if c is Completion.title else c for c in completion_columns()])
    .outerjoin(Course, col(Course.id) == col(Completion.course_id))
    .where(in_(d, Completion.person_id, "people"), col(Completion.status) == "accepted")
    .order_by(col(Completion.person_id), col(Completion.completed_on), col(Completion.id))
))


def completions_plan(credentials: dict[int, Collection[tuple[str, str]]], *, accepted_only: bool = False,
                     ) -> Plan[dict[int, list[engine.Completion]]]:
    """Every completion of these people (accepted or not, so reasons can name them), oldest first.

    `credentials` maps each person to the (credential code, state) of the certifications the
    completions are evaluated for: a self-report a board accepted counts as approved, with the
    board's categories, for that board's credentials among them. `accepted_only` (the sweep, which
    evaluates without explanations) reads only accepted completions, without titles.
    """
    if not credentials:
        return {}
    rows = yield (ACCEPTED_COMPLETIONS if accepted_only else COMPLETIONS), {"people": sorted(credentials)}
    return (yield from engine_completions(rows, credentials))


def engine_completions(rows: Sequence[Sequence[Any]], credentials: dict[int, Collection[tuple[str, str]]],
                       ) -> Plan[dict[int, list[engine.Completion]]]:
    """Rows of `completion_columns` (by person, oldest first) as the engine's completions, by person."""
    courses = yield from course_facts.plan({r[2]: r[10] for r in rows if r[2] is not None})
    out: dict[int, list[engine.Completion]] = {}
    Completion_, hours_of = engine.Completion, _HOURS.get
    person_id = None
    items: list[engine.Completion] = []
    for pid, cid, course_id, title, hundredths, modality, completed_on, status, review_state, cats, _ in rows:
        if pid != person_id:
            person_id, items = pid, out.setdefault(pid, [])
        course = courses.get(course_id) if course_id is not None else None
        if course is not None:
            key, topics, approvals = course.key, course.topics, course.approvals
        else:  # outside CE (a course always has facts: courses are never deleted)
            key, topics, approvals = f"outside:{cid}" if course_id is None else f"course:{course_id}", _NO_TOPICS, ()
        accepted = status == "accepted"
        if review_state and accepted:
            approvals = (*approvals, *_reviewed(review_state, cats, credentials[pid]))
        hours = hours_of(hundredths)
        if hours is None:
            hours = _HOURS[hundredths] = decimal_hours(hundredths)
        items.append(Completion_(cid, key, completed_on, hours, modality, accepted, title, topics, approvals))
    return out


_NO_TOPICS: frozenset[str] = frozenset()
_HOURS: dict[int, Any] = {}  # hundredths -> Decimal: a few dozen distinct course lengths in practice
_REVIEWED: dict[tuple[str, str | None, frozenset[tuple[str, str]]], tuple[engine.Approval, ...]] = {}


def _reviewed(review_state: str, categories: str | None, credentials: Collection[tuple[str, str]],
              ) -> tuple[engine.Approval, ...]:
    """A board's acceptance of a self-report: approved for that board's credentials, with its categories
    (`categories` as stored: JSON text)."""
    key = (review_state, categories, frozenset(credentials))
    approvals = _REVIEWED.get(key)
    if approvals is None:
        tags = frozenset(json.loads(categories) if categories else ())
        approvals = tuple(engine.Approval(credential_code=code, categories=tags)
                          for code, state in sorted(credentials) if state == review_state)
        if len(_REVIEWED) >= 4096:
            _REVIEWED.clear()
        _REVIEWED[key] = approvals
    return approvals
