"""What the catalog routers share: the roles that manage courses, the provider and course looked up, the
catalog's today, the raw body of an upload."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import Depends, Query, Request

from app.auth import require_roles
from app.auth.deps import MaybePrincipalDep
from app.auth.principal import Principal, Role
from app.catalog import service
from app.catalog.models import Course, Provider
from app.clock import ClockDep
from app.db import SessionDep
from app.types import DbId

Manager = Annotated[Principal, Depends(require_roles(Role.admin, Role.provider))]
Limit = Annotated[int, Query(ge=1, le=200)]


MaybePrincipal = MaybePrincipalDep


def provider_by_id(provider_id: DbId, session: SessionDep) -> Provider:
    return service.get_provider(session, provider_id)


def course_in_scope(course_id: DbId, session: SessionDep, principal: MaybePrincipal) -> Course:
    return service.get_course(session, principal=principal, course_id=course_id)


ProviderDep = Annotated[Provider, Depends(provider_by_id)]
CourseInScope = Annotated[Course, Depends(course_in_scope)]


def catalog_today(clock: ClockDep) -> date:
    return clock.today(service.CATALOG_TIMEZONE)


Today = Annotated[date, Depends(catalog_today)]


async def raw_body(request: Request) -> bytes:
    return await request.body()
