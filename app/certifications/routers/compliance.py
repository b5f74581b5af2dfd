"""The compliance read: the API's hottest route.

It has a router of its own, mounted first (FastAPI tries routes in order) and authenticated by its role
dependency alone; it is async and reads through app.state.reads.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from app.certifications import presenters, service
from app.certifications.routers.common import Reader
from app.certifications.schemas import (
    CompliancePublic,
)
from app.clock import ClockDep
from app.errors import problem_responses
from app.inputs import GuardedRoute
from app.types import Day, DbId

status_router = APIRouter(prefix="/certifications", tags=["certifications"], route_class=GuardedRoute)


@status_router.get(
    "/{certification_id}/compliance",
    response_model=CompliancePublic,
    operation_id="getCompliance",
    responses=problem_responses(401, 403, 404, 409, 422),
)
async def get_compliance(
    certification_id: DbId,
    request: Request,
    clock: ClockDep,
    principal: Reader,
    as_of: Annotated[Day | None, Query(description="Default: today in the board's time zone")] = None,
) -> Response:
    """Evaluate the certification's CE cycle as of a date, with the reasons for every number."""
    cert, result, day = await service.compliance(
        request.app.state.reads, principal=principal, certification_id=certification_id, clock=clock, as_of=as_of
    )
    # The hot read: the document straight from the engine's typed result (`response_model` documents it).
    return Response(presenters.compliance_json(cert, result, day), media_type="application/json")
