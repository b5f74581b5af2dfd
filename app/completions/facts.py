"""Completions as the engine takes them, loaded set-based for a batch of people."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Collection
from decimal import Decimal
from typing import Any

from sqlalchemy import Integer, Text, cast, type_coerce
from sqlalchemy import select as sa_select
from sqlmodel import Session, col

from app.catalog import service as catalog
from app.completions.models import Completion
from app.rules import engine
from app.rules import service as rules_service

_CHUNK = 1000
# Only what the engine reads, as plain tuples: a sweep batch loads tens of thousands of completions.
# Hours come as the stored integer hundredths (converted through a small cache) and the review
# categories as JSON text, parsed only for the few completions a board reviewed.
_ENGINE_COLUMNS = (Completion.id, Completion.person_id, Completion.course_id, Completion.title,
                   type_coerce(Completion.hours, Integer), Completion.modality, Completion.completed_on,
                   Completion.status, Completion.review_state, cast(Completion.review_categories, Text))


def completions_by_person(session: Session, person_ids: Collection[int]) -> dict[int, list[engine.Completion]]:
    """Every completion of these people (accepted or not, so reasons can name them), with approvals."""
    rows: list[Any] = []
    ids = sorted(set(person_ids))
    for start in range(0, len(ids), _CHUNK):
        rows += session.execute(
            sa_select(*_ENGINE_COLUMNS).where(col(Completion.person_id).in_(ids[start:start + _CHUNK]))
            .order_by(col(Completion.completed_on), col(Completion.id))
        ).all()
    if not rows:
        return {}
    course_ids = {r[2] for r in rows if r[2] is not None}
    topics = {cid: frozenset(names) for cid, names in catalog.topics_of(session, course_ids).items()} \
        if course_ids else {}
    approvals = catalog.engine_approvals(session, course_ids) if course_ids else {}
    codes_by_state = rules_service.codes_by_state(session) if any(r[8] for r in rows) else {}
    keys = {cid: f"course:{cid}" for cid in course_ids}
    hours_of = _hours_cache
    no_topics: frozenset[str] = frozenset()
    out: dict[int, list[engine.Completion]] = defaultdict(list)
    for cid, person_id, course_id, title, hundredths, modality, completed_on, status, review_state, cats in rows:
        hours = hours_of.get(hundredths)
        if hours is None:
            hours = Decimal(hundredths).scaleb(-2)
            if len(hours_of) < _HOURS_CACHED:
                hours_of[hundredths] = hours
        course_approvals = approvals.get(course_id, ()) if course_id else ()
        if review_state and status == "accepted":
            course_approvals = _with_review(course_approvals, review_state, json.loads(cats) if cats else [],
                                            codes_by_state)
        out[person_id].append(engine.Completion(
            id=cid,
            course_key=keys[course_id] if course_id else f"outside:{cid}",
            completed_on=completed_on,
            hours=hours,
            modality=modality,
            accepted=status == "accepted",
            title=title,
            topics=topics.get(course_id, no_topics) if course_id else no_topics,
            approvals=course_approvals,
        ))
    return out


_hours_cache: dict[int, Decimal] = {}  # course lengths repeat: a few dozen distinct values in practice
_HOURS_CACHED = 10_000


def _with_review(approvals: tuple[engine.Approval, ...], review_state: str, categories: list[str],
                 codes_by_state: dict[str, list[str]]) -> tuple[engine.Approval, ...]:
    """A board's acceptance of a self-report: approved for that board's credentials, with its categories."""
    return (*approvals, *(
        engine.Approval(credential_code=code, categories=frozenset(categories))
        for code in codes_by_state.get(review_state, ())
    ))


def to_engine(row: Completion, course: catalog.CourseFacts | None, approvals: tuple[engine.Approval, ...],
              codes_by_state: dict[str, list[str]]) -> engine.Completion:
    """One stored completion as the engine sees it.

    A self-reported completion that a board approved counts as approved for that board's
    credentials, tagged with the categories the board gave it.
    """
    if row.review_state and row.status == "accepted":
        approvals = _with_review(approvals, row.review_state, row.review_categories, codes_by_state)
    return engine.Completion(
        id=row.id,  # type: ignore[arg-type]
        course_key=f"course:{row.course_id}" if row.course_id else f"outside:{row.id}",
        completed_on=row.completed_on,
        hours=row.hours,
        modality=row.modality,
        accepted=row.status == "accepted",
        title=row.title,
        topics=course.topics if course else frozenset(),
        approvals=approvals,
    )
