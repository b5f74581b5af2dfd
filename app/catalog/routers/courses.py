"""Courses: search the published catalog, read one, retire; board approvals of a course."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response

from app.auth import AdminOrBoardDep
from app.catalog import approvals, search, service
from app.catalog.routers.common import CourseInScope, Limit, Manager, Today
from app.catalog.schemas import (
    ApprovalChange,
    ApprovalCreate,
    ApprovalList,
    ApprovalWithdraw,
    CatalogPage,
    CourseDetail,
    CoursePublic,
    Modality,
    TopicId,
)
from app.certifications.impact import Impact
from app.clock import ClockDep
from app.db import SessionDep
from app.errors import problem_responses
from app.inputs import GuardedRoute
from app.pagination import CountTotal, Cursor
from app.params import DryRun
from app.sessions import service as sessions
from app.types import Day, DbId

public_courses = APIRouter(prefix="/courses", tags=["catalog"], route_class=GuardedRoute)
courses_router = APIRouter(prefix="/courses", tags=["catalog"], route_class=GuardedRoute)


@public_courses.get("", response_model=CatalogPage, operation_id="searchCourses", responses=problem_responses(400, 422))
def search_courses(
    session: SessionDep,
    today: Today,
    clock: ClockDep,
    q: Annotated[str | None, Query(max_length=200, description="Words in the title or description")] = None,
    topic: Annotated[list[TopicId] | None, Query(description="Topic id; repeat for any of several")] = None,
    credential_code: Annotated[str | None, Query(max_length=32, description="Approved for this credential")] = None,
    category: Annotated[str | None, Query(max_length=64, description="Approved with this category")] = None,
    modality: Modality | None = None,
    provider_id: DbId | None = None,
    as_of: Annotated[Day | None, Query(description="Approvals valid on this date (default: today)")] = None,
    cursor: Cursor = None,
    limit: Limit = 50,
    count: CountTotal = False,
) -> CatalogPage:
    """Search published courses; each result says for which credentials and categories it counts."""
    found = search.search(
        session,
        on=as_of or today,
        now=clock.now(),
        q=q,
        topics=topic or (),
        credential_code=credential_code,
        category=category,
        modality=modality,
        provider_id=provider_id,
        cursor=cursor,
        limit=limit,
        count=count,
    )
    return CatalogPage(items=found.items, next_cursor=found.next_cursor, total=found.total)


@public_courses.get(
    "/{course_id}", response_model=CourseDetail, operation_id="getCourse", responses=problem_responses(401, 404, 422)
)
def get_course(course: CourseInScope, session: SessionDep, clock: ClockDep) -> CourseDetail:
    """One course, with its next sessions; drafts only for an admin and their provider."""
    upcoming = sessions.next_sessions(session, [course.id], now=clock.now())  # type: ignore[list-item]
    return CourseDetail(**service.present(session, [course])[0].model_dump(), next_sessions=upcoming.get(course.id, []))  # type: ignore[arg-type]


@courses_router.post(
    "/{course_id}/retire",
    response_model=CoursePublic,
    operation_id="retireCourse",
    responses=problem_responses(401, 403, 404, 422),
)
def retire_course(course: CourseInScope, session: SessionDep, principal: Manager) -> CoursePublic:
    """Retire a course (admin, or its provider). Courses are never deleted; retiring twice changes nothing."""
    return service.present(session, [service.retire_course(session, principal=principal, course=course)])[0]


@public_courses.get(
    "/{course_id}/approvals",
    response_model=ApprovalList,
    operation_id="listCourseApprovals",
    responses=problem_responses(401, 404, 422),
)
def list_course_approvals(course: CourseInScope, session: SessionDep) -> ApprovalList:
    """Every board approval of a course, withdrawn ones included."""
    return ApprovalList(items=approvals.list_for(session, course=course))


@courses_router.post(
    "/{course_id}/approvals",
    response_model=ApprovalChange | Impact,
    status_code=201,
    operation_id="createCourseApproval",
    responses={
        200: {"model": Impact, "description": "`dry_run=true`: what the approval would change; nothing written"},
        **problem_responses(400, 401, 403, 404, 409, 422),
    },
)
def create_course_approval(
    course: CourseInScope,
    data: ApprovalCreate,
    clock: ClockDep,
    session: SessionDep,
    principal: AdminOrBoardDep,
    response: Response,
    dry_run: DryRun = False,
) -> ApprovalChange | Impact:
    """Approve a course for a credential, with category tags and dates (admin, or the credential's board)."""
    approval, impact = approvals.create(
        session, principal=principal, course=course, data=data, clock=clock, dry_run=dry_run
    )
    if dry_run:
        response.status_code = 200
        return impact
    response.headers["Location"] = f"/v1/courses/{course.id}/approvals"
    return ApprovalChange(**approval.model_dump(), impact=impact)


@courses_router.post(
    "/{course_id}/approvals/{approval_id}/withdraw",
    response_model=ApprovalChange | Impact,
    operation_id="withdrawCourseApproval",
    responses=problem_responses(400, 401, 403, 404, 409, 422),
)
def withdraw_course_approval(
    course: CourseInScope,
    approval_id: DbId,
    data: ApprovalWithdraw,
    clock: ClockDep,
    session: SessionDep,
    principal: AdminOrBoardDep,
    dry_run: DryRun = False,
) -> ApprovalChange | Impact:
    """Withdraw an approval from a date on; it stays on record (admin, or the credential's board). With
    `dry_run=true`, the certifications it would move (`Impact`) and nothing written."""
    approval, impact = approvals.withdraw(
        session, principal=principal, course=course, approval_id=approval_id, data=data, clock=clock, dry_run=dry_run
    )
    return impact if dry_run else ApprovalChange(**approval.model_dump(), impact=impact)
