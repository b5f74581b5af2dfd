"""Small builders for rule-engine tests: rule sets, versions, completions, one-call evaluate."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from app.rules.document import RuleSet
from app.rules.engine import (
    Activity,
    Approval,
    BoardAction,
    CertificationFacts,
    Completion,
    Evaluation,
    RecordedRenewal,
    RuleVersion,
    StatedCycle,
    evaluate,
)

CODE = "XX-TEST"


def d(text: str) -> date:
    return date.fromisoformat(text)


def _merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for k, v in over.items():
        out[k] = _merge(out[k], v) if isinstance(v, dict) and isinstance(out.get(k), dict) else v
    return out


def rules(**over: Any) -> RuleSet:
    """A valid rule set (20 h every 24 months from the issue date) with nested overrides."""
    base: dict[str, Any] = {
        "code": CODE,
        "state": "XX",
        "name": "Test credential",
        "body": "Test board",
        "effective_from": "2020-01-01",
        "cycle": {"anchor": "issue_date", "months": 24},
        "requirements": {"total_hours": 20},
        "source": "test fixture",
    }
    return RuleSet.model_validate(_merge(base, over))


def version(rs: RuleSet | None = None, n: int = 1, effective_from: str | None = None) -> RuleVersion:
    rs = rs or rules()
    return RuleVersion(n, d(effective_from) if effective_from else rs.effective_from, rs)


def comp(
    id: int,
    on: str,
    hours: str | int,
    modality: str = "in_person",
    *,
    course: str | None = None,
    accepted: bool = True,
    title: str = "",
    topics: Sequence[str] = (),
    approvals: Sequence[Approval] = (),
) -> Completion:
    return Completion(
        id=id,
        course_key=course or f"course-{id}",
        completed_on=d(on),
        hours=Decimal(str(hours)),
        modality=modality,
        accepted=accepted,
        title=title,
        topics=frozenset(topics),
        approvals=tuple(approvals),
    )


def approval(
    *categories: str,
    code: str = CODE,
    hours: str | None = None,
    valid_from: str | None = None,
    valid_until: str | None = None,
    withdrawn_on: str | None = None,
) -> Approval:
    return Approval(
        credential_code=code,
        categories=frozenset(categories),
        hours=None if hours is None else Decimal(hours),
        valid_from=d(valid_from) if valid_from else None,
        valid_until=d(valid_until) if valid_until else None,
        withdrawn_on=d(withdrawn_on) if withdrawn_on else None,
    )


def act(kind: str, on: str, hours: str | None = None, requirement_id: str | None = None) -> Activity:
    return Activity(kind, requirement_id, d(on), None if hours is None else Decimal(hours))


def board(kind: str, on: str, cycle_start: str | None = None) -> BoardAction:
    return BoardAction(kind, d(on), d(cycle_start) if cycle_start else None)  # type: ignore[arg-type]


def renewal(
    start: str, end: str, recorded: str, *, by_board: bool = False, reopened: str | None = None
) -> RecordedRenewal:
    return RecordedRenewal(d(start), d(end), d(recorded), by_board, d(reopened) if reopened else None)


def stated(start: str, recorded: str, end: str | None = None, carryover: str = "0") -> StatedCycle:
    return StatedCycle(d(start), d(recorded), d(end) if end else None, Decimal(carryover))


def ev(
    rs: RuleSet | RuleVersion | Sequence[RuleVersion],
    issued: str,
    completions: Sequence[Completion] = (),
    as_of: str = "2025-06-01",
    *,
    activities: Sequence[Activity] = (),
    actions: Sequence[BoardAction] = (),
    birthday: tuple[int, int] | None = None,
    pinned: int | None = None,
    explain: bool = True,
    option: str | None = None,
    variants: Sequence[str] = (),
    renewals: Sequence[RecordedRenewal] = (),
    stated_cycle: StatedCycle | None = None,
) -> Evaluation:
    if isinstance(rs, RuleSet):
        versions: Sequence[RuleVersion] = [version(rs)]
    elif isinstance(rs, RuleVersion):
        versions = [rs]
    else:
        versions = rs
    facts = CertificationFacts(
        issued_on=d(issued),
        credential_code=versions[0].rules.code if versions else CODE,
        birth_month_day=birthday,
        board_actions=tuple(actions),
        pinned_version=pinned,
        cycle_option=option,
        variants=tuple(sorted(variants)),
        renewals=tuple(renewals),
        stated_cycle=stated_cycle,
    )
    return evaluate(
        versions=versions,
        facts=facts,
        completions=completions,
        as_of=d(as_of),
        activities=activities,
        explain=explain,
    )


def outcome(e: Evaluation, completion_id: int) -> tuple[str, str, str]:
    """(outcome, counted hours, reason) of one completion."""
    for o in e.completions:
        if o.completion_id == completion_id:
            return o.outcome, str(o.counted_hours), o.reason
    raise AssertionError(f"completion #{completion_id} has no outcome")
