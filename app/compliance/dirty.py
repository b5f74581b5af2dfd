"""Marking certifications for the next sweep: every write that can change an evaluation calls one of these
in its own transaction, so a committed change is never missed.

Rows already dirty are rewritten too: skipping them (`AND NOT dirty`) would lose a change on PostgreSQL
when a sweep batch has claimed such a row and is about to clear it (the writer's snapshot still sees it
dirty, so its UPDATE would neither wait for the batch nor mark the row again after it).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import ColumnElement, Integer, String, or_, select, update
from sqlalchemy.orm import Mapped
from sqlmodel import Session, col

from app.catalog.models import Course, new_facts_token
from app.certifications.models import Certification
from app.completions.models import Completion
from app.db import in_values, is_postgres

_SQLITE_CHUNK = 5000


def mark(
    session: Session,
    *,
    person_ids: Sequence[int] = (),
    certification_ids: Sequence[int] = (),
    credential_codes: Sequence[str] = (),
) -> None:
    """Flag certifications whose evaluation a write may have changed: by holder, by id, by credential."""
    keys: list[tuple[Mapped[Any], list[Any], type[Integer] | type[String]]] = [
        (col(Certification.person_id), sorted(set(person_ids)), Integer),
        (col(Certification.id), sorted(set(certification_ids)), Integer),
        (col(Certification.credential_code), sorted(set(credential_codes)), String),
    ]
    if is_postgres(session):  # one statement: the rows are locked in one order (`_mark`)
        conditions = [in_values(session, column, values, kind) for column, values, kind in keys if values]
        if conditions:
            _mark(session, or_(*conditions))
        return
    for column, values, kind in keys:  # SQLite: within its limit of bound values per statement
        for start in range(0, len(values), _SQLITE_CHUNK):
            _mark(session, in_values(session, column, values[start : start + _SQLITE_CHUNK], kind))


def courses_changed(session: Session, course_ids: Iterable[int], *, credential_code: str | None = None) -> None:
    """These courses' topics or approvals changed in this transaction: new facts tokens (so every process's
    cached facts of them are read again), and their completers' certifications (of `credential_code`, or all
    of them) are marked."""
    ids = sorted(set(course_ids))
    if not ids:
        return
    session.execute(
        update(Course)
        .where(col(Course.id).in_(ids))
        .values(facts_token=new_facts_token())
        .execution_options(synchronize_session=False)
    )
    completers = select(col(Completion.person_id)).where(col(Completion.course_id).in_(ids))
    condition: ColumnElement[bool] = col(Certification.person_id).in_(completers)
    if credential_code is not None:
        condition = condition & (col(Certification.credential_code) == credential_code)
    _mark(session, condition)


def _mark(session: Session, condition: ColumnElement[bool]) -> None:
    """Set `dirty` on the certifications `condition` selects.

    On PostgreSQL the rows are locked first in id order (every writer of certification rows takes its row
    locks in that order), so writers that mark overlapping sets wait for each other instead of deadlocking.
    The locks are `FOR NO KEY UPDATE`, what the UPDATE of `dirty` takes anyway: a completion inserted for a
    certification holds `FOR KEY SHARE` on its row (the foreign key), and `FOR UPDATE` conflicts with that.
    Two writers that had both inserted a completion for one certification then each waited for the other's
    key share: deadlock (a roster and a single completion of the same holder, at once: 503).
    """
    if is_postgres(session):
        ids = list(
            session.execute(
                select(col(Certification.id))
                .where(condition)
                .order_by(col(Certification.id))
                .with_for_update(key_share=True)
            ).scalars()
        )
        if not ids:
            return
        condition = in_values(session, col(Certification.id), ids, Integer)
    session.execute(
        update(Certification).where(condition).values(dirty=True).execution_options(synchronize_session=False)
    )
