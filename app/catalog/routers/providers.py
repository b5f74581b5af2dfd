"""Course providers: list, read, register; their courses by id, one upserted or many uploaded."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response

from app.auth import AdminDep
from app.catalog import importer, service
from app.catalog.models import Provider
from app.catalog.routers.common import Limit, Manager, MaybePrincipal, ProviderDep, Today, raw_body
from app.catalog.schemas import (
    CatalogImportReport,
    CoursePage,
    CoursePublic,
    CourseStatus,
    CourseUpsert,
    ProviderCreate,
    ProviderKind,
    ProviderPage,
    ProviderPublic,
)
from app.db import SessionDep
from app.errors import problem_responses
from app.inputs import GuardedRoute
from app.pagination import CountTotal, Cursor

public_providers = APIRouter(prefix="/providers", tags=["providers"], route_class=GuardedRoute)
providers_router = APIRouter(prefix="/providers", tags=["providers"], route_class=GuardedRoute)


@public_providers.get(
    "", response_model=ProviderPage, operation_id="listProviders", responses=problem_responses(400, 422)
)
def list_providers(
    session: SessionDep,
    kind: ProviderKind | None = None,
    q: Annotated[str | None, Query(max_length=100, description="Name contains")] = None,
    cursor: Cursor = None,
    limit: Limit = 50,
    count: CountTotal = False,
) -> ProviderPage:
    """Course providers, oldest first, with a keyset cursor."""
    found = service.list_providers(session, kind=kind, q=q, cursor=cursor, limit=limit, count=count)
    return ProviderPage(
        items=[ProviderPublic.model_validate(p) for p in found.items], next_cursor=found.next_cursor, total=found.total
    )


@public_providers.get(
    "/{provider_id}", response_model=ProviderPublic, operation_id="getProvider", responses=problem_responses(404, 422)
)
def get_provider(provider: ProviderDep) -> Provider:
    """One course provider."""
    return provider


@public_providers.get(
    "/{provider_id}/courses",
    response_model=CoursePage,
    operation_id="listProviderCourses",
    responses=problem_responses(400, 401, 404, 422),
)
def list_provider_courses(
    provider: ProviderDep,
    session: SessionDep,
    principal: MaybePrincipal,
    status: CourseStatus | None = None,
    cursor: Cursor = None,
    limit: Limit = 50,
    count: CountTotal = False,
) -> CoursePage:
    """A provider's courses by id: drafts and retired ones too for an admin and the provider, published for others."""
    found = service.list_provider_courses(
        session, principal=principal, provider=provider, status=status, cursor=cursor, limit=limit, count=count
    )
    return CoursePage(items=service.present(session, found.items), next_cursor=found.next_cursor, total=found.total)


@providers_router.post(
    "",
    response_model=ProviderPublic,
    status_code=201,
    operation_id="createProvider",
    responses=problem_responses(400, 401, 403, 409, 422),
)
def create_provider(data: ProviderCreate, session: SessionDep, principal: AdminDep, response: Response) -> Provider:
    """Register a course provider (admin). Names are unique."""
    provider = service.create_provider(session, principal=principal, data=data)
    response.headers["Location"] = f"/v1/providers/{provider.id}"
    return provider


@providers_router.post(
    "/{provider_id}/courses",
    response_model=CoursePublic,
    operation_id="upsertCourse",
    responses={
        201: {"model": CoursePublic, "description": "Created"},
        **problem_responses(400, 401, 403, 404, 409, 422),
    },
)
def upsert_course(
    provider: ProviderDep, data: CourseUpsert, session: SessionDep, principal: Manager, today: Today, response: Response
) -> CoursePublic:
    """Create a course (201), or update the provider's course with the same external_id (200, also when unchanged).

    Admin, or the provider itself.
    """
    course, outcome = service.upsert_course(session, principal=principal, provider=provider, data=data, today=today)
    if outcome == "created":
        response.status_code = 201
        response.headers["Location"] = f"/v1/courses/{course.id}"
    return service.present(session, [course])[0]


_IMPORT_BODY = {
    "required": True,
    "content": {
        "text/csv": {
            "schema": {"type": "string"},
            "example": "external_id,title,description,hours,modality,topics,url,status,available_from\n"
            "TIP-101,Trauma-informed peer support,,3,live_virtual,trauma-informed-practice,,,\n",
        },
        "application/json": {"schema": {"type": "array", "items": {"$ref": "#/components/schemas/CourseUpsert"}}},
    },
}


@providers_router.post(
    "/{provider_id}/courses/import",
    response_model=CatalogImportReport,
    operation_id="importCourses",
    openapi_extra={"requestBody": _IMPORT_BODY},
    responses=problem_responses(400, 401, 403, 404, 409, 413, 415, 422),
)
def import_courses(
    request: Request,
    provider: ProviderDep,
    session: SessionDep,
    principal: Manager,
    today: Today,
    body: Annotated[bytes, Depends(raw_body)],
    dry_run: Annotated[bool, Query(description="Validate and report only; write nothing")] = False,
) -> CatalogImportReport:
    """Upsert many courses from CSV or JSON, all or none, with a per-row report (admin, or the provider itself).

    Any invalid row makes the whole upload a 422 whose `errors` name each row and field.
    """
    return importer.import_courses(
        session,
        principal=principal,
        provider=provider,
        body=body,
        content_type=request.headers.get("content-type"),
        dry_run=dry_run,
        today=today,
    )
