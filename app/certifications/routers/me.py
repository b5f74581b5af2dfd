"""The calling peer's own certifications."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends

from app.auth import require_roles
from app.auth.principal import Principal, Role
from app.certifications import presenters, service
from app.certifications.schemas import (
    MyCertification,
    MyCertifications,
)
from app.clock import ClockDep
from app.db import SessionDep
from app.errors import NotFound, problem_responses
from app.inputs import GuardedRoute
from app.people.models import Person

me_router = APIRouter(prefix="/me", tags=["me"], route_class=GuardedRoute)
Peer = Annotated[Principal, Depends(require_roles(Role.peer))]


@me_router.get(
    "/certifications",
    response_model=MyCertifications,
    operation_id="listMyCertifications",
    responses=problem_responses(401, 403, 404),
)
def list_my_certifications(clock: ClockDep, session: SessionDep, principal: Peer) -> MyCertifications:
    """The calling peer's certifications, each with its compliance as of today. 404 when the token names a
    person with no record here (a token for another installation, or a person since merged)."""
    if principal.person_id is None or session.get(Person, principal.person_id) is None:
        raise NotFound(
            f"Your token names person {principal.person_id}, who has no record here: ask your board for a new token."
        )
    certs, _ = service.list_page(session, principal=principal, limit=200)
    people = service.people_of(session, certs)
    results = service.evaluate_today(session, certs, clock=clock)
    items = []
    for cert in certs:
        # A certification missing a needed fact (a WA birthday) is re-evaluated alone, to answer its 409.
        result, day = results.get(cert.id) or service.evaluate(session, cert=cert, clock=clock)
        items.append(
            MyCertification(
                certification=presenters.certification(cert, people[cert.person_id]),
                compliance=presenters.compliance(cert, result, day),
            )
        )
    return MyCertifications(items=items)
