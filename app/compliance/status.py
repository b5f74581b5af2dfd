"""The one writer of the cached status columns (`status`, `cycle_start`, `cycle_end`, `grace_ends_on`,
`next_change_on`, `evaluated_on`, `unmet_categories`, `dirty`): the writes that refresh a certification's
status and the sweep both store their evaluations here.

The columns cache the engine's last evaluation for lists, filters and the sweep's "what is due"; a
compliance answer always comes from a fresh evaluation. One UPDATE per call: from arrays on PostgreSQL,
an executemany elsewhere. On PostgreSQL the rows are locked in id order first (every writer of
certification rows takes its row locks in that order), unless the caller already holds them (a sweep batch
claimed its rows).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date
from typing import NamedTuple

from sqlalchemy import Integer, bindparam, select, text, update
from sqlmodel import Session, col

from app.certifications import gaps
from app.certifications.models import Certification
from app.db import BinaryArray, in_values, is_postgres, table_of
from app.rules import engine


class Status(NamedTuple):
    """The cached columns of one certification: its evaluation as of `evaluated_on`."""

    id: int
    status: str
    cycle_start: date
    cycle_end: date
    grace_ends_on: date
    next_change_on: date | None
    evaluated_on: date
    unmet_categories: dict[str, int] | None  # hundredths still needed per category (app.certifications.gaps)

    @classmethod
    def of(cls, certification_id: int, result: engine.Evaluation, day: date) -> Status:
        return tuple.__new__(
            cls,
            (
                certification_id,
                result.status,
                result.cycle_start,
                result.cycle_end,
                result.grace_ends_on,
                result.next_change_on,
                day,
                gaps.unmet_categories(result),
            ),
        )


def store(session: Session, rows: Sequence[Status], *, dirty: bool, locked: bool = False) -> None:
    """Write these statuses; `dirty`: what the rows' flag becomes (a write leaves it set for the sweep, which
    alone clears it once it has recorded what the change caused); `locked`: the caller holds the row locks."""
    if not rows:
        return
    rows = sorted(rows, key=_by_id)
    if is_postgres(session):
        if not locked:
            session.execute(
                select(col(Certification.id))
                .where(in_values(session, col(Certification.id), [r.id for r in rows], Integer))
                .order_by(col(Certification.id))
                .with_for_update(key_share=True)  # FOR NO KEY UPDATE, as in dirty._mark: no conflict with foreign keys
            )
        arrays = BinaryArray  # binary array parameters: ~5x cheaper to send than psycopg's text arrays
        session.execute(
            _FROM_ARRAYS,
            {
                "ids": arrays([r.id for r in rows]),
                "statuses": arrays([r.status for r in rows]),
                "cycle_starts": arrays([r.cycle_start for r in rows]),
                "cycle_ends": arrays([r.cycle_end for r in rows]),
                "grace_ends": arrays([r.grace_ends_on for r in rows]),
                "next_changes": arrays([r.next_change_on for r in rows]),
                "days": arrays([r.evaluated_on for r in rows]),
                "dirty": dirty,
                "unmet": arrays(
                    [
                        None if r.unmet_categories is None else json.dumps(r.unmet_categories, separators=(",", ":"))
                        for r in rows
                    ]
                ),
            },
        )
        return
    session.execute(
        _BY_ID,
        [
            {
                "b_id": r.id,
                "b_status": r.status,
                "b_cycle_start": r.cycle_start,
                "b_cycle_end": r.cycle_end,
                "b_grace_ends_on": r.grace_ends_on,
                "b_next_change_on": r.next_change_on,
                "b_evaluated_on": r.evaluated_on,
                "b_unmet": r.unmet_categories,
                "b_dirty": dirty,
            }
            for r in rows
        ],
    )


def _by_id(row: Status) -> int:
    return row[0]


_table = table_of(Certification)
_BY_ID = (
    update(_table)
    .where(_table.c.id == bindparam("b_id"))
    .values(
        status=bindparam("b_status"),
        cycle_start=bindparam("b_cycle_start"),
        cycle_end=bindparam("b_cycle_end"),
        grace_ends_on=bindparam("b_grace_ends_on"),
        next_change_on=bindparam("b_next_change_on"),
        evaluated_on=bindparam("b_evaluated_on"),
        unmet_categories=bindparam("b_unmet"),
        dirty=bindparam("b_dirty"),
    )
)
_FROM_ARRAYS = text(
    "UPDATE certification AS c SET status = v.status, cycle_start = v.cycle_start, cycle_end = v.cycle_end, "
    "grace_ends_on = v.grace_ends_on, next_change_on = v.next_change_on, evaluated_on = v.evaluated_on, "
    "unmet_categories = CAST(v.unmet AS jsonb), dirty = :dirty "
    "FROM unnest(CAST(:ids AS integer[]), CAST(:statuses AS varchar[]), CAST(:cycle_starts AS date[]), "
    "CAST(:cycle_ends AS date[]), CAST(:grace_ends AS date[]), CAST(:next_changes AS date[]), "
    "CAST(:days AS date[]), CAST(:unmet AS text[])) "
    "AS v(id, status, cycle_start, cycle_end, grace_ends_on, next_change_on, evaluated_on, unmet) "
    # The ids again as an index condition: joined to unnest() alone, the planner hashes the whole table (a
    # sequential scan of every certification per batch: a full sweep goes quadratic at scale).
    "WHERE c.id = v.id AND c.id = ANY(CAST(:ids AS integer[]))"
)
