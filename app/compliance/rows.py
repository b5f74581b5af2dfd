"""The rows of the compliance read model: what each query returns, named and typed.

Each query's select list is built from one of these rows (`app.reads.columns`), and its rows come back
as that row type (`app.reads.Query(row=...)`), so no reader depends on a column's position. Values are
plain: dates, ints, strings; hours are integer hundredths.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any, NamedTuple

from app.rules.engine.types import BoardActionKind


class CertRow(NamedTuple):
    """A certification as the evaluation reads it: what the engine needs, then the stored status columns
    (read by the sweep, which compares and rewrites them; a compliance check leaves them at their defaults)."""

    id: int
    person_id: int
    credential_code: str
    state: str
    issued_on: date
    birth_month: int | None
    birth_day: int | None
    cycle_option: str | None
    variants: str
    rules_key: str | None  # the credential's rule versions, "version:content_hash,..." (`versions.key`)
    has_actions: bool
    has_activities: bool
    renewals: str | None  # its recorded renewals, packed (`RenewalRecord.unpack`)
    registered_cycle_start: date | None
    registered_cycle_end: date | None
    registered_carryover: int | None  # hundredths
    registered_on: date | None
    # the stored status columns
    number: str | None = None
    status: str | None = None
    cycle_start: date | None = None
    cycle_end: date | None = None
    grace_ends_on: date | None = None
    next_change_on: date | None = None
    evaluated_on: date | None = None
    dirty: bool = False


FACTS_WIDTH = CertRow._fields.index("number")  # a CertRow's engine facts: the fields before the stored columns


class CompletionRow(NamedTuple):
    """One completion of a certification's holder, with its course's facts token (None: outside CE)."""

    person_id: int
    id: int
    course_id: int | None
    title: str
    hours: int  # hundredths
    modality: str
    completed_on: date
    status: str
    review_state: str | None  # the state whose board accepted a self-report
    review_categories: str | None  # that board's categories, JSON text
    facts_token: str | None


# A `CompletionRow`'s values as a plain tuple, in its fields' order (its queries do not materialize rows);
# tests/compliance/test_rows.py checks the two agree.
CompletionTuple = tuple[int, int, int | None, str, int, str, date, str, str | None, str | None, str | None]


def split_cert_completions(rows: Sequence[tuple[Any, ...]]) -> tuple[CertRow, list[CompletionTuple]]:
    """The rows of the one-query compliance read (the certification's facts, repeated, then a `CompletionRow`'s
    values, all None when its holder has no completion) as the certification and its completions."""
    completions = [r[FACTS_WIDTH:] for r in rows if r[FACTS_WIDTH + 1] is not None]
    return CertRow(*rows[0][:FACTS_WIDTH]), completions


class TopicRow(NamedTuple):
    course_id: int
    facts_token: str
    topic: str | None


class ApprovalRow(NamedTuple):
    course_id: int
    facts_token: str
    approval_id: int
    credential_code: str
    hours: int | None  # hundredths
    valid_from: date | None
    valid_until: date | None
    withdrawn_on: date | None
    category: str | None


class VersionKeyRow(NamedTuple):
    code: str
    key: str | None


class DocumentRow(NamedTuple):
    code: str
    version: int
    effective_from: date
    document: dict[str, Any]
    content_hash: str


class ActionRow(NamedTuple):
    certification_id: int
    kind: BoardActionKind  # its query leaves reopenings out (they act on renewals, not on the cycles)
    effective_on: date
    cycle_start: date | None


class ActivityRow(NamedTuple):
    certification_id: int
    kind: str
    requirement_id: str | None
    on: date
    hours: int | None  # hundredths


class RenewalRecord(NamedTuple):
    """One stored renewal of a certification, as packed into its `CertRow.renewals`."""

    cycle_start: date
    cycle_end: date
    recorded_on: date
    by_board: bool
    reopened_on: date | None
    generation: int

    @staticmethod
    def unpack(packed: str | None) -> list[RenewalRecord]:
        """The renewals of `CertRow.renewals` ("start|end|recorded_on|s or b|reopened_on|generation,..."),
        oldest cycle first."""
        if not packed:
            return []
        day, new = date.fromisoformat, tuple.__new__
        out = []
        for item in packed.split(","):
            start, end, recorded, source, reopened, generation = item.split("|")
            out.append(
                new(
                    RenewalRecord,
                    (
                        day(start),
                        day(end),
                        day(recorded),
                        source == "b",
                        day(reopened) if reopened else None,
                        int(generation),
                    ),
                )
            )
        if len(out) > 1:
            out.sort()
        return out
