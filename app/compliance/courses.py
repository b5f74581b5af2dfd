"""What the engine needs of each course (its topics and approvals), cached per process.

Every completion of a course shares the course's topics and approvals, and every sweep batch and
compliance check meets the same courses again: they are read once per process and kept, keyed by
course id together with the course's `facts_token`. Every change of a course's topics or
approvals gives the course a new random token in the same transaction (`dirty.courses_changed`), and
every read of completions returns the token it sees, so an entry is used only while it is current; a
stale or missing one is read again.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from app.compliance.queries import APPROVALS, TOPICS
from app.compliance.rows import ApprovalRow, TopicRow
from app.reads import Plan
from app.rules import engine
from app.rules.engine.hours import decimal_hours

MAX_CACHED = 50_000  # courses; a full cache is emptied and refilled (a few MB per 10,000 courses)


@dataclass(frozen=True, slots=True)
class EngineCourse:
    key: str  # the engine's course_key: completions of one course are credited once per cycle
    topics: frozenset[str]
    approvals: tuple[engine.Approval, ...]


_cache: dict[int, tuple[str, EngineCourse]] = {}


def plan(tokens: Mapping[int, str | None]) -> Plan[dict[int, EngineCourse]]:
    """The engine's facts of these courses, given the token read with each (course id -> token; None: the course
    was not found, and is looked up again)."""
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
    topic_rows: list[TopicRow] = yield TOPICS, {"ids": stale}
    for t in topic_rows:
        seen[t.course_id] = t.facts_token
        names = topics.setdefault(t.course_id, set())
        if t.topic is not None:
            names.add(t.topic)
    # course id -> approval id -> (its first row, its categories): one row per category of an approval
    approvals: dict[int, dict[int, tuple[ApprovalRow, set[str]]]] = {}
    approval_rows: list[ApprovalRow] = yield APPROVALS, {"ids": stale}
    for row in approval_rows:
        if seen.get(row.course_id) != row.facts_token:  # changed between the two reads: use it, do not keep it
            seen[row.course_id] = ""
        _, categories = approvals.setdefault(row.course_id, {}).setdefault(row.approval_id, (row, set()))
        if row.category is not None:
            categories.add(row.category)
    if len(_cache) + len(stale) > MAX_CACHED:
        _cache.clear()
    for course_id in stale:
        if course_id not in seen:
            continue  # no such course
        facts = EngineCourse(
            key=f"course:{course_id}",
            topics=frozenset(topics.get(course_id, ())),
            approvals=tuple(
                engine.Approval(
                    credential_code=a.credential_code,
                    categories=frozenset(categories),
                    hours=None if a.hours is None else decimal_hours(a.hours),
                    valid_from=a.valid_from,
                    valid_until=a.valid_until,
                    withdrawn_on=a.withdrawn_on,
                )
                for a, categories in approvals.get(course_id, {}).values()
            ),
        )
        out[course_id] = facts
        if seen[course_id]:
            _cache[course_id] = (seen[course_id], facts)
    return out
