"""Sweep runs: run one now, list them, read one (admin)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from app.auth import AdminDep
from app.clock import ClockDep
from app.db import SessionDep
from app.errors import problem_responses
from app.inputs import GuardedRoute
from app.pagination import CountTotal, Cursor
from app.scheduler import service
from app.scheduler.schemas import (
    SweepRequest,
    SweepRunPage,
    SweepRunPublic,
)
from app.types import DbId

sweeps_router = APIRouter(prefix="/sweeps", tags=["scheduler"], route_class=GuardedRoute)


@sweeps_router.post(
    "",
    response_model=SweepRunPublic,
    status_code=201,
    operation_id="runSweep",
    responses=problem_responses(400, 401, 403, 422),
)
def run_sweep(
    body: SweepRequest, request: Request, clock: ClockDep, response: Response, principal: AdminDep
) -> SweepRunPublic:
    """Run one sweep now and answer with its counts (`skipped` when another sweep holds the lock)."""
    state = request.app.state
    run = service.run_now(
        state.session_factory,
        state.engine,
        settings=state.settings,
        clock=clock,
        as_of=body.as_of,
        full=body.full,
        actor=principal.actor,
    )
    response.headers["Location"] = f"/v1/sweeps/{run.id}"
    return SweepRunPublic.model_validate(run)


@sweeps_router.get(
    "", response_model=SweepRunPage, operation_id="listSweeps", responses=problem_responses(400, 401, 403, 422)
)
def list_sweeps(
    session: SessionDep,
    principal: AdminDep,
    cursor: Cursor = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    count: CountTotal = False,
) -> SweepRunPage:
    """Sweep runs, newest first."""
    found = service.list_runs(session, cursor=cursor, limit=limit, count=count)
    return SweepRunPage(
        items=[SweepRunPublic.model_validate(r) for r in found.items], next_cursor=found.next_cursor, total=found.total
    )


@sweeps_router.get(
    "/{sweep_id}",
    response_model=SweepRunPublic,
    operation_id="getSweep",
    responses=problem_responses(401, 403, 404, 422),
)
def get_sweep(sweep_id: DbId, session: SessionDep, principal: AdminDep) -> SweepRunPublic:
    """One sweep run and its counts."""
    return SweepRunPublic.model_validate(service.get_run(session, sweep_id))
