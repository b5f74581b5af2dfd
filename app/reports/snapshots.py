"""The daily compliance snapshot: what the trend report reads, so it never recounts the past.

`record` runs once at the end of each sweep run (under the run's lock): one GROUP BY over the
certifications' stored statuses, written as the counts of each credential on its board's day (or on
the sweep's explicit as-of date). A later run of the same day replaces that day's rows, so a day keeps
the counts of its last sweep. `backfill` is for the demo: it evaluates every certification as of past
days with the engine (nothing else recomputes the past).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import Integer, String, bindparam, delete, func, select, text
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, col

from app.certifications.models import Certification
from app.clock import Clock
from app.compliance import facts as compliance
from app.constants import DEFAULT_TIMEZONE
from app.db import (
    BinaryArray,
    UTCDateTime,
    bulk_insert,
    in_values,
    is_postgres,
    table_of,
    utcnow,
)
from app.reads import Query, fetch_sync
from app.reports.models import ComplianceSnapshot
from app.rules import engine
from app.rules import service as rules_service


def zones_of(session: Session, codes: Iterable[str]) -> dict[str, str]:
    """Each credential's board time zone (that of its latest rule version)."""
    versions = rules_service.engine_versions_of(session, sorted(set(codes)))
    return {code: (v[-1].rules.timezone if v else DEFAULT_TIMEZONE) for code, v in versions.items()}


_certifications = table_of(Certification).c
# The day's counts: by credential, state and status (plain tuples, on the raw driver: app.reads).
_COUNTS = Query(
    lambda d: select(
        _certifications.credential_code, _certifications.state, _certifications.status, func.count()
    ).group_by(_certifications.credential_code, _certifications.state, _certifications.status)
)


def record(session: Session, *, clock: Clock, as_of: date | None, run_id: int | None) -> int:
    """Store today's counts by credential and status (the day: `as_of`, or each board's today), in the caller's
    transaction (a sweep records it with its run's counts); rows written."""
    counts: list[tuple[str, str, str, int]] = fetch_sync(session, _COUNTS, {})
    known = {code: state for state, codes in rules_service.codes_by_state(session).items() for code in codes}
    zones = zones_of(session, known)
    today: dict[str, date] = {}  # each time zone's today, read once

    def day_in(zone: str) -> date:
        if zone not in today:
            today[zone] = clock.today(zone)
        return today[zone]

    day_of = {code: as_of or day_in(zones.get(code, DEFAULT_TIMEZONE)) for code in known}
    for code, _state, _status, _n in counts:
        if code not in day_of:
            day_of[code] = as_of or day_in(DEFAULT_TIMEZONE)
    now = utcnow()
    if is_postgres(session):
        _replace_arrays(session, counts, day_of, run_id=run_id, now=now)
        return len(counts)
    by_day: dict[date, list[str]] = defaultdict(list)
    for code, day in day_of.items():
        by_day[day].append(code)
    table = table_of(ComplianceSnapshot)
    for day, codes in by_day.items():
        session.execute(
            delete(table).where(table.c.day == day, in_values(session, table.c.credential_code, sorted(codes), String))
        )
    if not counts:
        return 0
    rows = [
        {
            "credential_code": code,
            "day": day_of[code],
            "status": status,
            "state": state,
            "count": n,
            "sweep_run_id": run_id,
            "recorded_at": now,
        }
        for code, state, status, n in counts
    ]
    # an upsert: a sweep run beside this one (tests run them without the run lock) only overwrites
    statement = sqlite_insert(table)
    session.execute(
        statement.on_conflict_do_update(
            index_elements=["credential_code", "day", "status"],
            set_={c: statement.excluded[c] for c in ("state", "count", "sweep_run_id", "recorded_at")},
        ),
        rows,
    )
    return len(rows)


# The same on PostgreSQL in one statement of arrays: the day's rows of each credential whose status is gone are
# deleted, the others upserted (one row per credential, state and status: a few hundred rows were as many
# statements, most of an incremental sweep's snapshot). A row that stays is updated in place, not deleted and
# inserted again: a run of the same day rewrites only its columns (no index entries when the page has room).
_REPLACE_ARRAYS = text(
    "WITH v AS (SELECT * FROM unnest(CAST(:codes AS varchar[]), CAST(:days AS date[]), CAST(:statuses AS varchar[]), "
    "CAST(:states AS varchar[]), CAST(:counts AS integer[])) AS v(credential_code, day, status, state, count)), "
    "gone AS (DELETE FROM compliance_snapshot AS s USING unnest(CAST(:day_codes AS varchar[]), "
    "CAST(:day_days AS date[])) AS k(credential_code, day) WHERE s.credential_code = k.credential_code "
    "AND s.day = k.day AND NOT EXISTS (SELECT FROM v WHERE v.credential_code = s.credential_code "
    "AND v.day = s.day AND v.status = s.status)) "
    "INSERT INTO compliance_snapshot (credential_code, day, status, state, count, sweep_run_id, recorded_at) "
    "SELECT v.credential_code, v.day, v.status, v.state, v.count, CAST(:run_id AS integer), CAST(:now AS timestamptz) "
    "FROM v ON CONFLICT (credential_code, day, status) DO UPDATE SET state = excluded.state, count = excluded.count, "
    "sweep_run_id = excluded.sweep_run_id, recorded_at = excluded.recorded_at"
).bindparams(bindparam("run_id", type_=Integer), bindparam("now", type_=UTCDateTime()))


def _replace_arrays(
    session: Session, counts: Sequence[Any], day_of: dict[str, date], *, run_id: int | None, now: datetime
) -> None:
    """The day's rows of every credential in `day_of` become `counts` (as the deletes of its day's rows and the
    upserts of its counts left them), in one statement."""
    # One row per key, the last one of `counts` (as the rows' upserts one after the other left it): a statement
    # cannot update the row it inserted.
    last = {(code, day_of[code], status): (state, n) for code, state, status, n in counts}
    keys = list(last)
    arrays = BinaryArray
    pairs = sorted(day_of.items())
    session.execute(
        _REPLACE_ARRAYS,
        {
            "codes": arrays([k[0] for k in keys]),
            "days": arrays([k[1] for k in keys]),
            "statuses": arrays([k[2] for k in keys]),
            "states": arrays([last[k][0] for k in keys]),
            "counts": arrays([last[k][1] for k in keys]),
            "day_codes": arrays([code for code, _ in pairs]),
            "day_days": arrays([day for _, day in pairs]),
            "run_id": run_id,
            "now": now,
        },
    )


def backfill(session: Session, *, days: Iterable[date], batch: int = 1000) -> int:
    """Counts as of past days, for days that have none yet, from the engine (the demo's history).

    Each certification issued by a day is evaluated as of that day with today's data; a certification
    whose rules need a missing fact is left out, as the sweep leaves it. Returns the rows written.
    """
    wanted = sorted(set(days))
    if not wanted:
        return 0
    table = table_of(ComplianceSnapshot)
    taken = {
        (code, day)
        for code, day in session.execute(
            select(table.c.credential_code, table.c.day).where(table.c.day.in_(wanted)).distinct()
        )
    }
    counts: dict[tuple[str, date], Counter[str]] = defaultdict(Counter)
    states: dict[str, str] = {}
    last = 0
    while True:
        certs = list(
            session.execute(
                select(Certification).where(col(Certification.id) > last).order_by(col(Certification.id)).limit(batch)
            ).scalars()
        )
        if not certs:
            break
        last = certs[-1].id
        inputs = compliance.gather(session, [c.id for c in certs])
        for cert in certs:
            item = inputs.get(cert.id)
            if item is None or not item.versions:
                continue
            states[cert.credential_code] = cert.state
            for day in wanted:
                if day < cert.issued_on or (cert.credential_code, day) in taken:
                    continue
                try:
                    result = compliance.evaluate(item, as_of=day, explain=False)
                except engine.RuleError:
                    continue
                counts[(cert.credential_code, day)][result.status] += 1
    now = utcnow()
    rows = [
        {
            "credential_code": code,
            "day": day,
            "status": status,
            "state": states[code],
            "count": n,
            "sweep_run_id": None,
            "recorded_at": now,
        }
        for (code, day), by_status in sorted(counts.items())
        for status, n in sorted(by_status.items())
    ]
    bulk_insert(session, table, rows)
    return len(rows)
