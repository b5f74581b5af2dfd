"""GET /v1/reports/...: compliance counts and trend, the due list, CE demand by topic, provider activity.

Every report answers JSON, or CSV with `format=csv` (or `Accept: text/csv`): the same numbers.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import StreamingResponse

from app.auth import AdminOrBoardDep, require_roles
from app.auth.principal import Principal, Role
from app.clock import ClockDep
from app.csvio import csv_lines, csv_lines_async
from app.db import SessionDep
from app.errors import problem_responses
from app.inputs import GuardedRoute
from app.pagination import CountTotal, DueCursor
from app.reports import due, scope, service
from app.reports.schemas import (
    ComplianceReport,
    DueReport,
    Format,
    Interval,
    ProvidersReport,
    TopicsReport,
    TrendReport,
)
from app.types import Day

router = APIRouter(prefix="/reports", tags=["reports"], route_class=GuardedRoute)
Reader = Annotated[Principal, Depends(require_roles(Role.admin, Role.board, Role.provider))]
State = Annotated[str | None, Query(pattern=r"^[A-Za-z]{2}$", description="Narrow to one of your states")]
Credential = Annotated[str | None, Query(max_length=32, description="Narrow to one credential")]
From = Annotated[Day | None, Query(alias="from", description="First day, inclusive (default: a year before `to`)")]
To = Annotated[Day | None, Query(description="Last day, inclusive (default: today in the board's time zone)")]
FormatQ = Annotated[Format | None, Query(description="`csv` for a spreadsheet (or send Accept: text/csv)")]
ERRORS = problem_responses(400, 401, 403, 422)


def _csv_doc(model: type, description: str) -> dict[int | str, dict[str, Any]]:
    return {200: {"description": description, "content": {"text/csv": {"schema": {"type": "string"}}}}, **ERRORS}


def _wants_csv(request: Request, format: str | None) -> bool:
    return format == "csv" or (format is None and "text/csv" in request.headers.get("accept", ""))


def _csv(name: str, header: Sequence[str], rows: Iterable[Sequence[Any]]) -> StreamingResponse:
    return StreamingResponse(
        csv_lines(header, rows),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}.csv"'},
    )


@router.get(
    "/compliance",
    response_model=ComplianceReport,
    operation_id="getComplianceReport",
    responses=_csv_doc(ComplianceReport, "Counts by credential and status"),
)
async def compliance_report(
    request: Request,
    clock: ClockDep,
    principal: AdminOrBoardDep,
    credential_code: Credential = None,
    state: State = None,
    format: FormatQ = None,
):
    """Certifications by credential and status in your scope (admin: every state; board: its states): the
    counts the certifications list gives."""
    # Async, on the app's hot reads (app.reads): no session, worker thread or transaction of its own.
    app_state = request.app.state
    where = scope.of_admin_or_board(principal, state=state, credential_code=credential_code)
    items = await service.read_compliance(app_state.reads, scope=where)
    if _wants_csv(request, format):
        return _csv("compliance", service.COMPLIANCE_CSV, service.compliance_csv(items))
    return ComplianceReport(
        as_of=await scope.today_read(app_state, clock, where),
        credential_code=where.credential_code,
        state=state.upper() if state else None,
        items=items,
    )


@router.get(
    "/compliance/trend",
    response_model=TrendReport,
    operation_id="getComplianceTrend",
    responses=_csv_doc(TrendReport, "Counts by period and status"),
)
def compliance_trend(
    request: Request,
    clock: ClockDep,
    session: SessionDep,
    principal: AdminOrBoardDep,
    credential_code: Credential = None,
    state: State = None,
    from_: From = None,
    to: To = None,
    interval: Annotated[Interval, Query(description="`day`, or `month` (each month's last recorded day)")] = "day",
    format: FormatQ = None,
):
    """Counts by status over time, from the snapshot each sweep records (by default the last 90 days, or the
    last 12 months by month)."""
    where = scope.resolve(session, principal, state=state, credential_code=credential_code)
    today = scope.today(session, clock, where)
    if interval == "month":
        default_start = date(today.year - (1 if today.month < 12 else 0), today.month % 12 + 1, 1)
        start, end = scope.period(
            from_ or (None if to else default_start), to, today=today, default_days=366, max_days=3653
        )
    else:
        start, end = scope.period(from_, to, today=today, default_days=90)
    points = service.trend(session, scope=where, start=start, end=end, interval=interval)
    if _wants_csv(request, format):
        return _csv("compliance-trend", service.TREND_CSV, service.trend_csv(points))
    return TrendReport(
        interval=interval,
        from_=start,
        to=end,
        credential_code=where.credential_code,
        state=state.upper() if state else None,
        items=points,
    )


@router.get(
    "/due",
    response_model=DueReport,
    operation_id="listDueCertifications",
    responses=_csv_doc(DueReport, "One row per unmet requirement of each certification due"),
)
async def due_list(
    request: Request,
    clock: ClockDep,
    principal: AdminOrBoardDep,
    credential_code: Credential = None,
    state: State = None,
    within_days: Annotated[int, Query(ge=0, le=366, description="Deadlines up to this many days from today")] = 90,
    cursor: DueCursor = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    count: CountTotal = False,
    format: FormatQ = None,
):
    """Certifications whose deadline (the cycle end, or the grace end when overdue) falls within `within_days`
    with requirements unmet, soonest first, each with the hours it still needs per requirement. CSV: all of
    them."""
    # Async, on the app's hot reads (app.reads): no session, worker thread or transaction of its own.
    app_state = request.app.state
    where = scope.of_admin_or_board(principal, state=state, credential_code=credential_code)
    today = await scope.today_read(app_state, clock, where)
    if _wants_csv(request, format):  # streamed in batches, each in a short session of its own
        rows = due.all_rows(app_state, clock=clock, scope=where, as_of=today, within_days=within_days)
        return StreamingResponse(
            csv_lines_async(due.CSV_COLUMNS, rows),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": 'attachment; filename="due.csv"'},
        )
    items, next_cursor, total = await due.read_page(
        app_state,
        scope=where,
        clock=clock,
        as_of=today,
        within_days=within_days,
        cursor=cursor,
        limit=limit,
        count=count,
    )
    return DueReport(as_of=today, within_days=within_days, items=items, next_cursor=next_cursor, total=total)


@router.get(
    "/topics",
    response_model=TopicsReport,
    operation_id="getTopicsReport",
    responses=_csv_doc(TopicsReport, "One row per topic"),
)
def topics_report(
    request: Request,
    clock: ClockDep,
    session: SessionDep,
    principal: Reader,
    credential_code: Credential = None,
    state: State = None,
    from_: From = None,
    to: To = None,
    format: FormatQ = None,
):
    """CE demand by topic: completed hours, completions and learners in the period; hours still needed in
    required categories, attributed to the topics that satisfy them; hours of approved courses on offer.
    Boards: their states; training centers: the states their courses are approved in."""
    where = scope.resolve(session, principal, state=state, credential_code=credential_code, clock=clock)
    today = scope.today(session, clock, where)
    start, end = scope.period(from_, to, today=today)
    items, categories = service.topics(session, scope=where, start=start, end=end, today=today)
    if _wants_csv(request, format):
        return _csv("topics", service.TOPICS_CSV, service.topics_csv(items))
    return TopicsReport(
        as_of=today,
        from_=start,
        to=end,
        credential_code=where.credential_code,
        state=state.upper() if state else None,
        states=None if where.states is None else sorted(where.states),
        items=items,
        categories=categories,
    )


@router.get(
    "/providers",
    response_model=ProvidersReport,
    operation_id="getProvidersReport",
    responses=_csv_doc(ProvidersReport, "One row per provider (all courses) and per course"),
)
def providers_report(
    request: Request,
    clock: ClockDep,
    session: SessionDep,
    principal: Reader,
    credential_code: Credential = None,
    state: State = None,
    from_: From = None,
    to: To = None,
    format: FormatQ = None,
):
    """Accepted completions, learners and hours per provider and course in the period. A training center sees
    its own; a board the completions of peers certified in its states, whoever delivered them."""
    code = credential_code.strip().upper() if credential_code else None
    if principal.role is Role.provider:  # its own courses, whoever took them (narrowed by the filters if given)
        where = scope.Scope(states=frozenset({state.upper()}) if state else None, credential_code=code)
        provider_id = principal.provider_id
    else:
        where, provider_id = scope.resolve(session, principal, state=state, credential_code=code), None
    today = scope.today(session, clock, where)
    start, end = scope.period(from_, to, today=today)
    items = service.providers(session, scope=where, start=start, end=end, provider_id=provider_id)
    if _wants_csv(request, format):
        return _csv("providers", service.PROVIDERS_CSV, service.providers_csv(items))
    return ProvidersReport(
        as_of=today, from_=start, to=end, credential_code=code, state=state.upper() if state else None, items=items
    )
