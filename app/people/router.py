from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Response

from app.auth import PrincipalDep, require_roles
from app.auth.principal import Principal, Role
from app.db import SessionDep
from app.errors import problem_responses
from app.inputs import GuardedRoute
from app.people import service
from app.people.models import Person
from app.people.schemas import PersonCreate, PersonPublic, PersonUpdate
from app.types import DbId

router = APIRouter(prefix="/people", tags=["people"], route_class=GuardedRoute)
Registrar = Annotated[Principal, Depends(require_roles(Role.admin, Role.board))]


def person_in_scope(person_id: DbId, session: SessionDep, principal: PrincipalDep) -> Person:
    return service.get_in_scope(session, principal=principal, person_id=person_id)


PersonInScope = Annotated[Person, Depends(person_in_scope)]


@router.post(
    "",
    response_model=PersonPublic,
    status_code=201,
    operation_id="createPerson",
    responses=problem_responses(400, 401, 403, 409, 422),
)
def create_person(data: PersonCreate, session: SessionDep, principal: Registrar, response: Response) -> Person:
    """Register a peer specialist (admin, board). Emails are unique."""
    person = service.create(session, principal=principal, data=data)
    response.headers["Location"] = f"/v1/people/{person.id}"
    return person


@router.get(
    "/{person_id}", response_model=PersonPublic, operation_id="getPerson", responses=problem_responses(401, 404, 422)
)
def get_person(person: PersonInScope) -> Person:
    """A person the caller may see: admins all, boards their states' people, a peer themself."""
    return person


@router.patch(
    "/{person_id}",
    response_model=PersonPublic,
    operation_id="updatePerson",
    responses=problem_responses(400, 401, 403, 404, 409, 422),
)
def update_person(person: PersonInScope, data: PersonUpdate, session: SessionDep, principal: Registrar) -> Person:
    """Correct a person's record (admin, board)."""
    return service.update(session, principal=principal, person=person, data=data)
