"""The public check that a certification number is real."""

from __future__ import annotations

from fastapi import APIRouter, Depends

from app.certifications import service
from app.certifications.schemas import (
    Verification,
)
from app.clock import ClockDep
from app.db import SessionDep
from app.errors import problem_responses
from app.inputs import GuardedRoute
from app.ratelimit import rate_limit
from app.rules import service as rules_service

verify_router = APIRouter(prefix="/verify", tags=["verify"], route_class=GuardedRoute)


@verify_router.get(
    "/{credential_code}/{number}",
    response_model=Verification,
    operation_id="verifyCertification",
    responses=problem_responses(404, 422, 429),
    dependencies=[Depends(rate_limit("verify"))],
)
def verify_certification(credential_code: str, number: str, clock: ClockDep, session: SessionDep) -> Verification:
    """Public check that a certification number is real: name, credential, status, cycle end.

    Rate-limited per client (`PEER_CE_VERIFY_RATE_PER_MINUTE`, across replicas): 429 with `Retry-After` past it.
    """
    cert = service.find_by_number(session, credential_code=credential_code, number=number)
    result, _ = service.evaluate(session, cert=cert, clock=clock)
    person = service.people_of(session, [cert])[cert.person_id]
    rules = rules_service.engine_versions(rules_service.versions_of(session, cert.credential_code))
    return Verification(
        name=f"{person.given_name} {person.family_name}",
        credential_code=cert.credential_code,
        credential_name=rules[-1].rules.name,
        state=cert.state,
        number=cert.number,
        status=result.status,
        current_cycle_end=result.cycle_end,
    )
