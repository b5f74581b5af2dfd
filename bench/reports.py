"""The reports scenario (`reports_ratio_vs_sql`): each report through the running app against the raw SQL
aggregate that computes the same numbers, in the same run, and the board dashboard's first view.

For every report the app is asked as an admin (every state: the largest scope) `repeats` times in turn
with its baseline, the same aggregate written by hand in SQL and run on the raw driver (psycopg, or
sqlite3 with --sqlite), fetching every row; the medians are compared. The numbers are checked to be the
same before anything is timed. The first view is what /board asks for when it opens (the five reports
and the credentials), all at once, as a board of the largest state and as an admin.
"""

from __future__ import annotations

import asyncio
import statistics
import time
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import text

from bench.common import log

MAX_RATIO = 2.0


def _sql(dialect: str) -> dict[str, list[str]]:
    """Each report's baseline: the statements that compute its numbers."""
    pg = dialect == "postgresql"
    month = "CAST(date_trunc('month', day) AS date)" if pg else "strftime('%Y-%m-01', day)"
    each = "jsonb_each_text(c.unmet_categories) e" if pg else "json_each(c.unmet_categories) e"
    value = "CAST(e.value AS integer)" if pg else "e.value"
    required = (
        "CAST(v.document -> 'requirements' ->> 'total_hours' AS numeric)"
        if pg
        else "json_extract(v.document, '$.requirements.total_hours')"
    )
    deadline = "CASE WHEN c.status = 'overdue' THEN c.grace_ends_on ELSE c.cycle_end END"
    period = "k.status = 'accepted' AND k.completed_on BETWEEN :start AND :end"
    return {
        "compliance": [
            "SELECT credential_code, state, status, count(*) FROM certification GROUP BY credential_code, state, status"
        ],
        "trend": [
            f"""WITH last AS (SELECT credential_code, {month} AS month, max(day) AS day FROM compliance_snapshot
                                    WHERE day BETWEEN :month_start AND :end GROUP BY credential_code, {month})
                      SELECT l.month, s.status, sum(s.count), max(s.day) FROM compliance_snapshot s
                      JOIN last l ON l.credential_code = s.credential_code AND l.day = s.day
                      GROUP BY l.month, s.status"""
        ],
        "due": [
            f"""WITH page AS (
                        SELECT c.id, c.person_id, c.credential_code, c.cycle_start, c.cycle_end, {deadline} AS deadline,
                               p.given_name, p.family_name
                        FROM certification c JOIN person p ON p.id = c.person_id
                        WHERE c.status IN ('in_progress', 'due_soon', 'overdue') AND {deadline} <= :horizon
                        ORDER BY {deadline}, c.id LIMIT 50)
                    SELECT page.id, page.deadline, page.given_name, page.family_name, r.required,
                           coalesce(sum(k.hours), 0) AS earned
                    FROM page
                    JOIN (SELECT v.code, {required} AS required FROM rule_set_version v
                          WHERE v.version = (SELECT max(w.version) FROM rule_set_version w WHERE w.code = v.code)) r
                      ON r.code = page.credential_code
                    LEFT JOIN completion k ON k.person_id = page.person_id AND k.status = 'accepted'
                     AND k.completed_on BETWEEN page.cycle_start AND page.cycle_end
                    GROUP BY page.id, page.deadline, page.given_name, page.family_name, r.required
                    ORDER BY page.deadline, page.id"""
        ],
        "topics": [
            f"""SELECT ct.topic_id, sum(k.hours), count(*), count(DISTINCT k.person_id) FROM completion k
                JOIN course_topic ct ON ct.course_id = k.course_id WHERE {period} GROUP BY ct.topic_id""",
            """SELECT ct.topic_id, sum(c.hours), count(*) FROM course c JOIN course_topic ct ON ct.course_id = c.id
               WHERE c.status = 'published' AND EXISTS (
                 SELECT 1 FROM course_approval a WHERE a.course_id = c.id
                   AND (a.valid_from IS NULL OR a.valid_from <= :today)
                   AND (a.valid_until IS NULL OR a.valid_until >= :today)
                   AND (a.withdrawn_on IS NULL OR a.withdrawn_on > :today))
               GROUP BY ct.topic_id""",
            f"""SELECT c.credential_code, e.key, sum({value}), count(*) FROM certification c, {each}
                WHERE c.unmet_categories IS NOT NULL GROUP BY c.credential_code, e.key""",
        ],
        "providers": [
            f"""SELECT co.provider_id, k.course_id, count(*), count(DISTINCT k.person_id), sum(k.hours)
                FROM completion k JOIN course co ON co.id = k.course_id WHERE {period}
                GROUP BY co.provider_id, k.course_id""",
            f"""SELECT co.provider_id, count(*), count(DISTINCT k.person_id), sum(k.hours)
                FROM completion k JOIN course co ON co.id = k.course_id WHERE {period} GROUP BY co.provider_id""",
        ],
    }


REQUESTS = {  # report -> (path, query) as the dashboard asks for them
    "compliance": ("/v1/reports/compliance", {}),
    "trend": ("/v1/reports/compliance/trend", {"interval": "month"}),
    "due": ("/v1/reports/due", {"within_days": 90, "limit": 50}),
    "topics": ("/v1/reports/topics", {}),
    "providers": ("/v1/reports/providers", {}),
}


def seed_history(engine: Any, days: int = 365) -> int:
    """A year of daily snapshots before the run's own (each a copy of the latest day's counts), as a year of
    nightly sweeps would leave; rows inserted."""
    with engine.begin() as conn:
        latest = conn.execute(text("SELECT max(day) FROM compliance_snapshot")).scalar()
        if latest is None:
            raise RuntimeError("no compliance snapshot: the sweeps should have recorded one")
        latest = latest if isinstance(latest, date) else date.fromisoformat(str(latest))
        rows = conn.execute(
            text("SELECT credential_code, status, state, count FROM compliance_snapshot WHERE day = :day"),
            {"day": latest},
        ).all()
        now = datetime.now(UTC)
        values = [
            {
                "code": code,
                "day": latest - timedelta(days=n),
                "status": status,
                "state": state,
                "count": count,
                "at": now,
            }
            for n in range(1, days + 1)
            for code, status, state, count in rows
        ]
        conn.execute(text("DELETE FROM compliance_snapshot WHERE day < :day"), {"day": latest})
        conn.execute(
            text(
                "INSERT INTO compliance_snapshot (credential_code, day, status, state, count, recorded_at) "
                "VALUES (:code, :day, :status, :state, :count, :at)"
            ),
            values,
        )
    return len(values)


def _params(today: date) -> dict[str, Any]:
    month_start = date(today.year - (1 if today.month < 12 else 0), today.month % 12 + 1, 1)
    return {
        "start": today - timedelta(days=364),
        "end": today,
        "today": today,
        "month_start": month_start,
        "horizon": today + timedelta(days=90),
    }


def _run_sql(engine: Any, statements: list[str], params: dict[str, Any]) -> tuple[float, list[list[Any]]]:
    """The statements on the raw driver, every row fetched; seconds and the rows."""
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        compiled = [_raw(engine.dialect.name, s, params) for s in statements]
        started = time.perf_counter()
        out = []
        for sql, args in compiled:
            cursor.execute(sql, args)
            out.append(cursor.fetchall())
        seconds = time.perf_counter() - started
        raw.rollback()
        return seconds, out
    finally:
        raw.close()


def _raw(dialect: str, sql: str, params: dict[str, Any]) -> tuple[str, Any]:
    """Named parameters (:name) in the driver's own style."""
    import re

    names = re.findall(r":([a-z_]+)", sql)
    if dialect == "postgresql":
        return re.sub(r":([a-z_]+)", r"%(\1)s", sql), {n: params[n] for n in names}
    return re.sub(r":([a-z_]+)", "?", sql), [
        params[n].isoformat() if isinstance(params[n], date) else params[n] for n in names
    ]


def _check(name: str, body: dict[str, Any], rows: list[list[Any]]) -> None:
    """The app's numbers are the baseline's (the same numbers, computed two ways)."""
    if name == "compliance":
        got = Counter({(i["credential_code"], i["status"]): i["count"] for i in body["items"]})
        want = Counter({(code, status): n for code, _state, status, n in rows[0]})
    elif name == "trend":
        got = Counter({(i["period"], i["status"]): i["count"] for i in body["items"]})
        want = Counter({(str(m)[:10], status): int(n) for m, status, n, _day in rows[0]})
    elif name == "due":
        got = Counter(i["certification_id"] for i in body["items"])
        want = Counter(r[0] for r in rows[0])
    elif name == "topics":
        got = Counter(
            {
                t["topic_id"]: (round(t["completed_hours"] * 100), t["completions"], t["learners"])
                for t in body["items"]
                if t["completions"]
            }
        )
        want = Counter({topic: (int(total), n, people) for topic, total, n, people in rows[0]})
        got_unmet = Counter(
            {(c["credential_code"], c["category"]): round(c["unmet_hours"] * 100) for c in body["categories"]}
        )
        want_unmet = Counter({(code, key): int(total) for code, key, total, _n in rows[2]})
        if got_unmet != want_unmet:
            raise RuntimeError(f"reports: topics' unmet hours differ from the SQL aggregate: {got_unmet} {want_unmet}")
    else:
        got = Counter(
            {p["provider_id"]: (p["completions"], p["learners"], round(p["hours"] * 100)) for p in body["items"]}
        )
        want = Counter({pid: (n, people, int(total)) for pid, n, people, total in rows[1]})
    if got != want:
        raise RuntimeError(f"reports: the app's {name} report differs from the SQL aggregate")


def scenario(
    engine: Any, app_url: str, admin_token: str, board_token: str, board_state: str, repeats: int
) -> dict[str, Any]:
    """Every report against its SQL aggregate (medians of `repeats` alternating runs), then the first view."""
    seeded = seed_history(engine)
    with httpx.Client(base_url=app_url, headers={"Authorization": f"Bearer {admin_token}"}, timeout=600) as client:
        today = date.fromisoformat(client.get("/v1/reports/compliance").json()["as_of"])
        params = _params(today)
        statements = _sql(engine.dialect.name)
        results: dict[str, Any] = {}
        log(f"reports: {seeded} snapshot rows of history; each report {repeats} times beside its SQL aggregate")
        for name, (path, query) in REQUESTS.items():
            response = client.get(path, params=query)  # warm: statements compiled, caches filled
            if response.status_code != 200:
                raise RuntimeError(f"{path} answered {response.status_code}: {response.text[:500]}")
            _, rows = _run_sql(engine, statements[name], params)
            _check(name, response.json(), rows)
            app_times, sql_times = [], []
            for i in range(repeats):
                order = ("app", "sql") if i % 2 == 0 else ("sql", "app")
                for which in order:
                    if which == "app":
                        started = time.perf_counter()
                        r = client.get(path, params=query)
                        app_times.append(time.perf_counter() - started)
                        if r.status_code != 200:
                            raise RuntimeError(f"{path} answered {r.status_code}")
                    else:
                        sql_times.append(_run_sql(engine, statements[name], params)[0])
            app_s, sql_s = statistics.median(app_times), statistics.median(sql_times)
            results[name] = {
                "app_ms": round(app_s * 1000, 1),
                "sql_ms": round(sql_s * 1000, 1),
                "ratio": round(app_s / sql_s, 2),
                "bytes": len(response.content),
                "app_all_ms": [round(t * 1000, 1) for t in app_times],
                "sql_all_ms": [round(t * 1000, 1) for t in sql_times],
            }
            log(
                f"  {name}: app {results[name]['app_ms']} ms vs SQL {results[name]['sql_ms']} ms "
                f"({results[name]['ratio']}x)"
            )
    first_view = {
        who: _first_view(app_url, token, repeats)
        for who, token in (("admin", admin_token), (f"board {board_state}", board_token))
    }
    for who, seconds in first_view.items():
        log(f"  dashboard first view as {who}: {seconds['median_s']} s")
    worst = max(results.values(), key=lambda r: r["ratio"])
    return {
        "ratio": worst["ratio"],
        "reports": results,
        "first_view": first_view,
        "first_view_seconds": max(v["median_s"] for v in first_view.values()),
        "history_rows": seeded,
        "repeats": repeats,
        "as_of": today.isoformat(),
    }


def _first_view(app_url: str, token: str, repeats: int) -> dict[str, Any]:
    """What /board asks for when it opens, all at once (as the page does); seconds until the last answer."""
    paths = [
        ("/v1/credentials", {}),
        ("/v1/reports/compliance", {}),
        ("/v1/reports/compliance/trend", {"interval": "month"}),
        ("/v1/reports/due", {"within_days": 90, "limit": 25, "count": "true"}),
        ("/v1/reports/topics", {}),
        ("/v1/reports/providers", {}),
    ]

    async def once() -> float:
        async with httpx.AsyncClient(
            base_url=app_url, headers={"Authorization": f"Bearer {token}"}, timeout=600
        ) as client:
            started = time.perf_counter()
            answers = await asyncio.gather(*(client.get(p, params=q) for p, q in paths))
            seconds = time.perf_counter() - started
        bad = [a for a in answers if a.status_code != 200]
        if bad:
            raise RuntimeError(f"first view: {bad[0].request.url} answered {bad[0].status_code}")
        return seconds

    times = [asyncio.run(once()) for _ in range(repeats + 1)][1:]  # the first one warms the connections
    return {"median_s": round(statistics.median(times), 3), "all_s": [round(t, 3) for t in times]}
