from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response

from app.auth import AdminDep, AdminOrBoardDep, require_roles
from app.auth.deps import MaybePrincipalDep
from app.auth.principal import Principal, Role
from app.catalog import approvals, importer, search, service
from app.catalog.models import Course, Provider
from app.catalog.schemas import (
    ApprovalChange,
    ApprovalCreate,
    ApprovalList,
    ApprovalWithdraw,
    CatalogImportReport,
    CatalogPage,
    CoursePage,
    CoursePublic,
    CourseStatus,
    CourseUpsert,
    Modality,
    ProviderCreate,
    ProviderKind,
    ProviderPage,
    ProviderPublic,
    TopicId,
    TopicList,
    TopicPublic,
)
from app.certifications.impact import Impact
from app.clock import ClockDep
from app.db import SessionDep
from app.errors import problem_responses
from app.inputs import GuardedRoute
from app.pagination import CountTotal, Cursor
from app.params import DryRun
from app.types import Day, DbId

topics_router = APIRouter(prefix="/topics", tags=["topics"], route_class=GuardedRoute)
public_providers = APIRouter(prefix="/providers", tags=["providers"], route_class=GuardedRoute)
providers_router = APIRouter(prefix="/providers", tags=["providers"], route_class=GuardedRoute)
public_courses = APIRouter(prefix="/courses", tags=["catalog"], route_class=GuardedRoute)
courses_router = APIRouter(prefix="/courses", tags=["catalog"], route_class=GuardedRoute)

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


# --- topics -------------------------------------------------------------------------------


@topics_router.get("", response_model=TopicList, operation_id="listTopics", responses=problem_responses(500))
def list_topics(session: SessionDep) -> TopicList:
    """The booster topic taxonomy that courses are tagged with."""
    return TopicList(items=[TopicPublic.model_validate(t) for t in service.list_topics(session)])


# --- providers ----------------------------------------------------------------------------


@public_providers.get("", response_model=ProviderPage, operation_id="listProviders",
                      responses=problem_responses(400, 422))
def list_providers(
    session: SessionDep, kind: ProviderKind | None = None,
    q: Annotated[str | None, Query(max_length=100, description="Name contains")] = None,
    cursor: Cursor = None, limit: Limit = 50, count: CountTotal = False,
) -> ProviderPage:
    """Course providers, oldest first, with a keyset cursor."""
    found = service.list_providers(session, kind=kind, q=q, cursor=cursor, limit=limit, count=count)
    return ProviderPage(items=[ProviderPublic.model_validate(p) for p in found.items], next_cursor=found.next_cursor,
                        total=found.total)


@public_providers.get("/{provider_id}", response_model=ProviderPublic, operation_id="getProvider",
                      responses=problem_responses(404, 422))
def get_provider(provider: ProviderDep) -> Provider:
    """One course provider."""
    return provider


@public_providers.get("/{provider_id}/courses", response_model=CoursePage, operation_id="listProviderCourses",
                      responses=problem_responses(400, 401, 404, 422))
def list_provider_courses(
    provider: ProviderDep, session: SessionDep, principal: MaybePrincipal, status: CourseStatus | None = None,
    cursor: Cursor = None, limit: Limit = 50, count: CountTotal = False,
) -> CoursePage:
    """A provider's courses by id: drafts and retired ones too for an admin and the provider, published for others."""
    found = service.list_provider_courses(session, principal=principal, provider=provider, status=status,
                                          cursor=cursor, limit=limit, count=count)
    return CoursePage(items=service.present(session, found.items), next_cursor=found.next_cursor, total=found.total)


@providers_router.post("", response_model=ProviderPublic, status_code=201, operation_id="createProvider",
                       responses=problem_responses(400, 401, 403, 409, 422))
def create_provider(data: ProviderCreate, session: SessionDep, principal: AdminDep, response: Response) -> Provider:
    """Register a course provider (admin). Names are unique."""
    provider = service.create_provider(session, principal=principal, data=data)
    response.headers["Location"] = f"/v1/providers/{provider.id}"
    return provider


@providers_router.post(
    "/{provider_id}/courses", response_model=CoursePublic, operation_id="upsertCourse",
    responses={201: {"model": CoursePublic, "description": "Created"},
               **problem_responses(400, 401, 403, 404, 409, 422)},
)
def upsert_course(provider: ProviderDep, data: CourseUpsert, session: SessionDep, principal: Manager,
                  today: Today, response: Response) -> CoursePublic:
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
    "/{provider_id}/courses/import", response_model=CatalogImportReport, operation_id="importCourses",
    openapi_extra={"requestBody": _IMPORT_BODY},
    responses=problem_responses(400, 401, 403, 404, 409, 413, 415, 422),
)
def import_courses(
    request: Request, provider: ProviderDep, session: SessionDep, principal: Manager, today: Today,
    body: Annotated[bytes, Depends(raw_body)],
    dry_run: Annotated[bool, Query(description="Validate and report only; write nothing")] = False,
) -> CatalogImportReport:
    """Upsert many courses from CSV or JSON, all or none, with a per-row report (admin, or the provider itself).

    Any invalid row makes the whole upload a 422 whose `errors` name each row and field.
    """
    return importer.import_courses(session, principal=principal, provider=provider, body=body,
                                   content_type=request.headers.get("content-type"), dry_run=dry_run, today=today)


# --- courses ------------------------------------------------------------------------------


@public_courses.get("", response_model=CatalogPage, operation_id="searchCourses",
                    responses=problem_responses(400, 422))
def search_courses(
    session: SessionDep, today: Today,
    q: Annotated[str | None, Query(max_length=200, description="Words in the title or description")] = None,
    topic: Annotated[list[TopicId] | None, Query(description="Topic id; repeat for any of several")] = None,
    credential_code: Annotated[str | None, Query(max_length=32, description="Approved for this credential")] = None,
    category: Annotated[str | None, Query(max_length=64, description="Approved with this category")] = None,
    modality: Modality | None = None,
    provider_id: DbId | None = None,
    as_of: Annotated[Day | None, Query(description="Approvals valid on this date (default: today)")] = None,
    cursor: Cursor = None, limit: Limit = 50, count: CountTotal = False,
) -> CatalogPage:
    """Search published courses; each result says for which credentials and categories it counts."""
    found = search.search(
        session, on=as_of or today, q=q, topics=topic or (), credential_code=credential_code, category=category,
        modality=modality, provider_id=provider_id, cursor=cursor, limit=limit, count=count)
    return CatalogPage(items=found.items, next_cursor=found.next_cursor, total=found.total)


@public_courses.get("/{course_id}", response_model=CoursePublic, operation_id="getCourse",
                    responses=problem_responses(401, 404, 422))
def get_course(course: CourseInScope, session: SessionDep) -> CoursePublic:
    """One course; drafts only for an admin and their provider."""
    return service.present(session, [course])[0]


@courses_router.post("/{course_id}/retire", response_model=CoursePublic, operation_id="retireCourse",
                     responses=problem_responses(401, 403, 404, 422))
def retire_course(course: CourseInScope, session: SessionDep, principal: Manager) -> CoursePublic:
    """Retire a course (admin, or its provider). Courses are never deleted; retiring twice changes nothing."""
    return service.present(session, [service.retire_course(session, principal=principal, course=course)])[0]


@public_courses.get("/{course_id}/approvals", response_model=ApprovalList, operation_id="listCourseApprovals",
                    responses=problem_responses(401, 404, 422))
def list_course_approvals(course: CourseInScope, session: SessionDep) -> ApprovalList:
    """Every board approval of a course, withdrawn ones included."""
    return ApprovalList(items=approvals.list_for(session, course=course))


@courses_router.post("/{course_id}/approvals", response_model=ApprovalChange | Impact, status_code=201,
                     operation_id="createCourseApproval",
                     responses={200: {"model": Impact, "description": "`dry_run=true`: what the approval would "
                                                                      "change; nothing written"},
                                **problem_responses(400, 401, 403, 404, 409, 422)})
def create_course_approval(course: CourseInScope, data: ApprovalCreate, clock: ClockDep, session: SessionDep,
                           principal: AdminOrBoardDep, response: Response,
                           dry_run: DryRun = False) -> ApprovalChange | Impact:
    """Approve a course for a credential, with category tags and dates (admin, or the credential's board)."""
    approval, impact = approvals.create(session, principal=principal, course=course, data=data,
                                        clock=clock, dry_run=dry_run)
    if dry_run:
        response.status_code = 200
        return impact
    response.headers["Location"] = f"/v1/courses/{course.id}/approvals"
    return ApprovalChange(**approval.model_dump(), impact=impact)


@courses_router.post("/{course_id}/approvals/{approval_id}/withdraw", response_model=ApprovalChange | Impact,
                     operation_id="withdrawCourseApproval", responses=problem_responses(400, 401, 403, 404, 409, 422))
def withdraw_course_approval(course: CourseInScope, approval_id: DbId, data: ApprovalWithdraw, clock: ClockDep,
                             session: SessionDep, principal: AdminOrBoardDep,
                             dry_run: DryRun = False) -> ApprovalChange | Impact:
    """Withdraw an approval from a date on; it stays on record (admin, or the credential's board). With
    `dry_run=true`, the certifications it would move (`Impact`) and nothing written."""
    approval, impact = approvals.withdraw(session, principal=principal, course=course, approval_id=approval_id,
                                          data=data, clock=clock, dry_run=dry_run)
    return impact if dry_run else ApprovalChange(**approval.model_dump(), impact=impact)
