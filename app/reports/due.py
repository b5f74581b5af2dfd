"""The due list: certifications whose deadline falls within N days with requirements unmet, soonest first.

Selected from the stored statuses and dates (an index-backed, keyset-paged query), then only the page
is evaluated, to say what each one still needs: remaining hours per requirement.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator, Sequence
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import and_, case, literal, or_, select
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session, col
from starlette.concurrency import run_in_threadpool

from app.certifications.models import Certification
from app.certifications.schemas import PersonSummary
from app.clock import Clock
from app.compliance import facts as compliance
from app.db import id_of
from app.errors import BadRequest
from app.pagination import count_rows, decode_cursor, encode_cursor
from app.people.models import Person
from app.reads import Plan, run
from app.reports.schemas import DueItem, RequirementGap
from app.reports.scope import Scope
from app.rules import engine

OPEN = ("in_progress", "due_soon", "overdue")
_DEADLINE = case(
    (col(Certification.status) == "overdue", col(Certification.grace_ends_on)), else_=col(Certification.cycle_end)
)


def _query(scope: Scope, *, as_of: date, within_days: int) -> Any:
    horizon = as_of + timedelta(days=within_days)
    return (
        select(Certification, col(Person.given_name), col(Person.family_name), _DEADLINE.label("deadline"))
        .join(Person, col(Person.id) == col(Certification.person_id))
        .where(col(Certification.status).in_(OPEN), horizon >= _DEADLINE, *scope.where())
    )


def page(
    session: Session,
    *,
    scope: Scope,
    clock: Clock,
    as_of: date,
    within_days: int,
    cursor: str | None,
    limit: int,
    count: bool = False,
) -> tuple[list[DueItem], str | None, int | None]:
    """One page of the due list (deadline, then id), each item evaluated; the next cursor; the total if asked."""
    query = _query(scope, as_of=as_of, within_days=within_days)
    total = count_rows(session, query) if count else None
    if cursor:
        last_day, last_id = decode_cursor(cursor, 2)
        try:
            last = date.fromisoformat(last_day)
        except (TypeError, ValueError) as exc:
            raise BadRequest("The cursor is not valid; start again without it.") from exc
        after = literal(last)  # the cursor's deadline as a bound date, compared with the SQL deadline
        query = query.where(or_(after < _DEADLINE, and_(after == _DEADLINE, col(Certification.id) > last_id)))
    rows = session.execute(query.order_by(_DEADLINE, col(Certification.id)).limit(limit + 1)).all()
    more = len(rows) > limit
    rows = rows[:limit]
    inputs = run(_facts([r[0].id for r in rows]), session)
    items = [
        _item(cert, given, family, deadline, inputs.get(cert.id), clock=clock, as_of=as_of)
        for cert, given, family, deadline in rows
    ]
    next_cursor = encode_cursor(rows[-1][3].isoformat(), rows[-1][0].id) if more else None
    return items, next_cursor, total


def _facts(ids: list[int]) -> Plan[dict[int, compliance.Inputs]]:
    """The engine's inputs of the page: accepted completions only, untitled (nothing here explains them)."""
    return (yield from compliance.gather_plan(ids, accepted_only=True))


def _item(
    cert: Certification,
    given: str,
    family: str,
    deadline: date,
    inputs: compliance.Inputs | None,
    *,
    clock: Clock,
    as_of: date,
) -> DueItem:
    unmet: list[RequirementGap] = []
    remaining: Decimal | None = None
    if inputs is not None:
        try:
            result = compliance.evaluate(inputs, as_of=compliance.today_for(clock, inputs), explain=False)
        except engine.RuleError:
            result = None
        if result is not None:
            unmet, remaining = requirements(result), result.remaining_hours
    return DueItem(
        certification_id=id_of(cert),
        person=PersonSummary(id=cert.person_id, given_name=given, family_name=family),
        credential_code=cert.credential_code,
        state=cert.state,
        number=cert.number,
        status=cert.status,  # type: ignore[arg-type]
        cycle_start=cert.cycle_start,
        cycle_end=cert.cycle_end,
        grace_ends_on=cert.grace_ends_on,
        deadline=deadline,
        days_left=(deadline - as_of).days,
        remaining_hours=remaining,
        unmet=unmet,
    )


def requirements(result: engine.Evaluation) -> list[RequirementGap]:
    """Every requirement of the evaluated cycle still unmet, with its hours (exact)."""
    out: list[RequirementGap] = []
    if result.remaining_hours > 0:
        out.append(
            RequirementGap(
                requirement="total",
                label="Total CE hours",
                required_hours=result.required_hours,
                earned_hours=result.earned_hours,
                remaining_hours=result.remaining_hours,
            )
        )
    for cat in result.categories:
        if cat.remaining_hours > 0:
            out.append(
                RequirementGap(
                    requirement=f"category:{cat.category}",
                    label=cat.label or cat.category,
                    required_hours=cat.required_hours,
                    earned_hours=cat.earned_hours,
                    remaining_hours=cat.remaining_hours,
                )
            )
    for mod in result.modality_minimums:
        if mod.remaining_hours > 0:
            out.append(
                RequirementGap(
                    requirement="modality:" + "+".join(mod.modalities),
                    label=mod.label or " or ".join(mod.modalities),
                    required_hours=mod.required_hours,
                    earned_hours=mod.earned_hours,
                    remaining_hours=mod.remaining_hours,
                )
            )
    for other in result.other_requirements:
        if not other.met:
            remaining = None
            if other.required_hours is not None and other.earned_hours is not None:
                remaining = max(other.required_hours - other.earned_hours, Decimal(0))
            out.append(
                RequirementGap(
                    requirement=f"other:{other.id}",
                    label=other.description,
                    required_hours=other.required_hours,
                    earned_hours=other.earned_hours,
                    remaining_hours=remaining,
                )
            )
    return out


CSV_COLUMNS = (
    "certification_id",
    "number",
    "credential_code",
    "state",
    "given_name",
    "family_name",
    "status",
    "deadline",
    "days_left",
    "requirement",
    "label",
    "required_hours",
    "earned_hours",
    "remaining_hours",
)


def csv_rows(items: Sequence[DueItem]) -> Iterator[list[Any]]:
    """One row per unmet requirement (a certification with none listed gets one row without one)."""
    for i in items:
        head = [
            i.certification_id,
            i.number,
            i.credential_code,
            i.state,
            i.person.given_name,
            i.person.family_name,
            i.status,
            i.deadline,
            i.days_left,
        ]
        if not i.unmet:
            yield [*head, "", "", "", "", ""]
        for u in i.unmet:
            yield [*head, u.requirement, u.label, u.required_hours, u.earned_hours, u.remaining_hours]


async def all_rows(
    state: Any, *, clock: Clock, scope: Scope, as_of: date, within_days: int, batch: int = 500
) -> AsyncIterator[list[Any]]:
    """The whole due list as CSV rows, a page at a time, each read in a short session in turn at the app's
    database gate (`state` is the app's state)."""
    cursor: str | None = None
    while True:
        async with state.db_gate.turn():
            items, cursor = await run_in_threadpool(
                _batch, state.session_factory, clock, scope, as_of, within_days, cursor, batch
            )
        for row in csv_rows(items):
            yield row
        if cursor is None:
            return


def _batch(
    session_factory: sessionmaker[Session],
    clock: Clock,
    scope: Scope,
    as_of: date,
    within_days: int,
    cursor: str | None,
    batch: int,
) -> tuple[list[DueItem], str | None]:
    with session_factory() as session:
        items, next_cursor, _ = page(
            session, scope=scope, clock=clock, as_of=as_of, within_days=within_days, cursor=cursor, limit=batch
        )
        return items, next_cursor
