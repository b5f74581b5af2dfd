"""The one writer of the cached status columns (app.compliance.status.store): what it writes is read back as
written, whatever mix of values a batch holds (on PostgreSQL its arrays go as binary parameters, and a column
whose values are all None still goes as text: app.db.BinaryArray)."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from app.certifications.models import Certification
from app.compliance import status
from app.db import table_of
from tests import factories

_t = table_of(Certification).c
_COLUMNS = [
    _t.id,
    _t.status,
    _t.cycle_start,
    _t.cycle_end,
    _t.grace_ends_on,
    _t.next_change_on,
    _t.evaluated_on,
    _t.unmet_categories,
    _t.dirty,
]


def _stored(db, ids):
    return [tuple(r) for r in db.execute(select(*_COLUMNS).where(_t.id.in_(ids)).order_by(_t.id))]


def _row(cid, n, *, next_change_on, unmet):
    return status.Status(
        cid,
        ("compliant", "due_soon", "lapsed")[n % 3],
        date(2024, 1, 1 + n),
        date(2026, 1, 1 + n),
        date(2026, 3, 1 + n),
        next_change_on,
        date(2026, 12, 5),
        unmet,
    )


def test_statuses_are_stored_as_given_whatever_their_mix(app, admin, db):
    ids = [factories.certification(admin)["id"] for _ in range(4)]
    batches = [
        # no next change, no category gaps: columns of Nones only
        [_row(cid, n, next_change_on=None, unmet=None) for n, cid in enumerate(ids)],
        # a mix, with quotes, commas and braces in the gaps' categories
        [
            _row(
                cid,
                n,
                next_change_on=date(2027, 2, 1 + n) if n % 2 else None,
                unmet={'ethics, "law"': 150, "{x}": n} if n % 2 == 0 else None,
            )
            for n, cid in enumerate(ids)
        ],
        # every value present
        [_row(cid, n, next_change_on=date(2027, 1, 1 + n), unmet={"ethics": 300 + n}) for n, cid in enumerate(ids)],
    ]
    for rows in batches:
        status.store(db, list(reversed(rows)), dirty=False)
        db.flush()
        assert _stored(db, ids) == [(*r[:7], r.unmet_categories, False) for r in rows]
    status.store(db, batches[0][:1], dirty=True)
    assert _stored(db, ids[:1])[0][-1] is True
