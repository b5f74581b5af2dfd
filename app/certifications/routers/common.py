"""What the certification routers share: the roles that read and register, and the certification in scope."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends
from sqlmodel import Session

from app.auth import require_roles
from app.auth.principal import Principal, Role
from app.certifications import presenters, service
from app.certifications.models import Certification
from app.certifications.schemas import (
    CertificationPublic,
)
from app.db import SessionDep
from app.errors import problem_responses
from app.types import DbId

Reader = Annotated[Principal, Depends(require_roles(Role.admin, Role.board, Role.peer))]
Registrar = Annotated[Principal, Depends(require_roles(Role.admin, Role.board))]
READ_ERRORS = problem_responses(401, 403, 404, 422)


def certification_in_scope(certification_id: DbId, session: SessionDep, principal: Reader) -> Certification:
    return service.get_in_scope(session, principal=principal, certification_id=certification_id)


CertificationInScope = Annotated[Certification, Depends(certification_in_scope)]


def public(session: Session, cert: Certification) -> CertificationPublic:
    return presenters.certification(cert, service.people_of(session, [cert])[cert.person_id])
