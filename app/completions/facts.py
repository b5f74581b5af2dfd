"""Completions as the engine takes them, loaded set-based for a batch of people."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection

from sqlmodel import Session, col, select

from app.catalog import service as catalog
from app.completions.models import Completion
from app.rules import engine
from app.rules import service as rules_service

_CHUNK = 1000


def completions_by_person(session: Session, person_ids: Collection[int]) -> dict[int, list[engine.Completion]]:
    """Every completion of these people (accepted or not, so reasons can name them), with approvals."""
    rows: list[Completion] = []
    ids = sorted(set(person_ids))
    for start in range(0, len(ids), _CHUNK):
        rows += session.exec(
            select(Completion).where(col(Completion.person_id).in_(ids[start:start + _CHUNK]))
            .order_by(col(Completion.completed_on), col(Completion.id))
        ).all()
    if not rows:
        return {}
    course_ids = {r.course_id for r in rows if r.course_id is not None}
    facts = catalog.course_facts(session, course_ids) if course_ids else {}
    approvals = catalog.engine_approvals(session, course_ids) if course_ids else {}
    codes_by_state = _codes_by_state(session) if any(r.review_state for r in rows) else {}
    out: dict[int, list[engine.Completion]] = defaultdict(list)
    for row in rows:
        out[row.person_id].append(to_engine(row, facts.get(row.course_id) if row.course_id else None,
                                            approvals.get(row.course_id, ()) if row.course_id else (),
                                            codes_by_state))
    return out


def to_engine(row: Completion, course: catalog.CourseFacts | None, approvals: tuple[engine.Approval, ...],
              codes_by_state: dict[str, list[str]]) -> engine.Completion:
    """One stored completion as the engine sees it.

    A self-reported completion that a board approved counts as approved for that board's
    credentials, tagged with the categories the board gave it.
    """
    if row.review_state and row.status == "accepted":
        approvals = (*approvals, *(
            engine.Approval(credential_code=code, categories=frozenset(row.review_categories))
            for code in codes_by_state.get(row.review_state, ())
        ))
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


def _codes_by_state(session: Session) -> dict[str, list[str]]:
    grouped: dict[str, list[str]] = defaultdict(list)
    for code, versions in rules_service.all_versions(session).items():
        grouped[versions[0].state].append(code)
    return grouped
