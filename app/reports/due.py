"""The due list: certifications whose deadline falls within N days with requirements unmet, soonest first.

Selected from the stored statuses and dates (an index-backed, keyset-paged query), then only the page is
evaluated, to say what each one still needs: remaining hours per requirement. The page is one read plan
(`app.reads`): its certifications with the engine's facts of each (the page's ids first, then only those rows
joined), then their holders' accepted completions and what the caches lack.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator, Sequence
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import Date, Integer, String, and_, bindparam, case, or_, select
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session, col
from starlette.concurrency import run_in_threadpool

from app.certifications.models import Certification
from app.certifications.schemas import PersonSummary
from app.clock import Clock
from app.compliance import facts as compliance
from app.compliance.queries import cert_columns
from app.compliance.rows import CertRow
from app.errors import BadRequest
from app.pagination import count_rows, decode_cursor, encode_cursor
from app.people.models import Person
from app.reads import AnySelect, Plan, Query, in_, run
from app.reports.schemas import DueItem, RequirementGap
from app.reports.scope import Scope
from app.rules import engine
from app.uow import run_unit

OPEN = ("in_progress", "due_soon", "overdue")
_DEADLINE = case(
    (col(Certification.status) == "overdue", col(Certification.grace_ends_on)), else_=col(Certification.cycle_end)
)


def _query(scope: Scope, *, as_of: date, within_days: int) -> Any:
    """Every certification due (for the total)."""
    horizon = as_of + timedelta(days=within_days)
    return (
        select(col(Certification.id))
        .join(Person, col(Person.id) == col(Certification.person_id))
        .where(col(Certification.status).in_(OPEN), horizon >= _DEADLINE, *scope.where())
    )


_WIDTH = len(CertRow._fields)  # a page row: a CertRow's values, then the holder's names and the deadline


def _page_query(*, states: bool, code: bool, after: bool) -> Query:
    """A page of the due list in (deadline, id) order, from `after` the cursor's (last_day, last_id), narrowed to
    `states` and a `code`: each row a CertRow's values, the holder's names and the deadline."""

    def build(dialect: str) -> AnySelect:
        c = Certification
        where = [in_(dialect, col(c.status), None, String, list(OPEN)), bindparam("horizon", type_=Date) >= _DEADLINE]
        if states:
            where.append(in_(dialect, col(c.state), "states", String))
        if code:
            where.append(col(c.credential_code) == bindparam("code", type_=String))
        if after:
            last = bindparam("last_day", type_=Date)
            where.append(
                or_(last < _DEADLINE, and_(last == _DEADLINE, col(c.id) > bindparam("last_id", type_=Integer)))
            )
        page = (
            select(col(c.id).label("id"), _DEADLINE.label("deadline"))
            .where(*where)
            .order_by(_DEADLINE, col(c.id))
            .limit(bindparam("n", type_=Integer))
            .subquery("page")
        )
        return (
            select(*cert_columns(dialect), col(Person.given_name), col(Person.family_name), page.c.deadline)
            .select_from(page)
            .join(c, col(c.id) == page.c.id)
            .join(Person, col(Person.id) == col(c.person_id))
            .order_by(page.c.deadline, page.c.id)
        )

    return Query(build)


_PAGES = {
    (states, code, after): _page_query(states=states, code=code, after=after)
    for states in (False, True)
    for code in (False, True)
    for after in (False, True)
}


def page(
    session: Session,
    *,
    scope: Scope,
    clock: Clock,
    as_of: date,
    within_days: int,
    cursor: str | None,
    limit: int,
) -> tuple[list[DueItem], str | None]:
    """One page of the due list (deadline, then id) in `session`, each item evaluated, and the next cursor: the
    CSV export's batches (`all_rows`)."""
    query, params = _page_read(scope, as_of=as_of, within_days=within_days, cursor=cursor, limit=limit)
    return _items(*run(_plan(query, params), session), clock=clock, as_of=as_of, limit=limit)


async def read_page(
    app_state: Any,
    *,
    scope: Scope,
    clock: Clock,
    as_of: date,
    within_days: int,
    cursor: str | None,
    limit: int,
    count: bool = False,
) -> tuple[list[DueItem], str | None, int | None]:
    """A page of the due list on the app's hot reads (`app_state.reads`: on PostgreSQL the async pool, no session
    or worker thread), as `page` reads it; the total, when asked, in a unit of its own."""
    query, params = _page_read(scope, as_of=as_of, within_days=within_days, cursor=cursor, limit=limit)
    total = None
    if count:
        counted = _query(scope, as_of=as_of, within_days=within_days)
        total = await run_unit(app_state, lambda session: count_rows(session, counted), write=False)
    rows, inputs = await app_state.reads.run(_plan(query, params))
    items, next_cursor = _items(rows, inputs, clock=clock, as_of=as_of, limit=limit)
    return items, next_cursor, total


def _page_read(
    scope: Scope, *, as_of: date, within_days: int, cursor: str | None, limit: int
) -> tuple[Query, dict[str, Any]]:
    """The page's query and its parameters (400 for a cursor that is not one)."""
    params: dict[str, Any] = {"horizon": as_of + timedelta(days=within_days), "n": limit + 1}
    if scope.states is not None:
        params["states"] = sorted(scope.states)
    if scope.credential_code is not None:
        params["code"] = scope.credential_code
    if cursor:
        last_day, last_id = decode_cursor(cursor, 2)
        try:
            params["last_day"] = date.fromisoformat(last_day)
        except (TypeError, ValueError) as exc:
            raise BadRequest("The cursor is not valid; start again without it.") from exc
        params["last_id"] = last_id
    return _PAGES[(scope.states is not None, scope.credential_code is not None, bool(cursor))], params


def _items(
    rows: list[DueRow], inputs: dict[int, compliance.Inputs], *, clock: Clock, as_of: date, limit: int
) -> tuple[list[DueItem], str | None]:
    """The page's items, each evaluated, and the next page's cursor (when one more row than asked came)."""
    shown = rows[:limit]
    items = [
        _item(cert, given, family, deadline, inputs.get(cert.id), clock=clock, as_of=as_of)
        for cert, given, family, deadline in shown
    ]
    return items, encode_cursor(shown[-1][3].isoformat(), shown[-1][0].id) if len(rows) > limit else None


DueRow = tuple[CertRow, str, str, date]


def _plan(query: Query, params: dict[str, Any]) -> Plan[tuple[list[DueRow], dict[int, compliance.Inputs]]]:
    """The page's rows (one more than asked, to tell whether another page follows) and the engine's inputs of
    the certifications shown: accepted completions only, untitled (nothing here explains them)."""
    found = yield query, params
    new = tuple.__new__
    rows: list[DueRow] = [(new(CertRow, r[:_WIDTH]), r[_WIDTH], r[_WIDTH + 1], r[_WIDTH + 2]) for r in found]
    shown = [cert for cert, *_ in rows[: params["n"] - 1]]
    return rows, (yield from compliance.inputs_plan(shown, accepted_only=True))


def _item(
    cert: CertRow,
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
        certification_id=cert.id,
        person=PersonSummary(id=cert.person_id, given_name=given, family_name=family),
        credential_code=cert.credential_code,
        state=cert.state,
        number=cert.number,  # type: ignore[arg-type]
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
        return page(session, scope=scope, clock=clock, as_of=as_of, within_days=within_days, cursor=cursor, limit=batch)
