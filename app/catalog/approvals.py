"""Boards' approvals of courses for their credentials: granted with categories and dates, withdrawn, never deleted."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection
from datetime import date, timedelta

from sqlalchemy import ColumnElement
from sqlmodel import Session, col, select

from app.audit import service as audit
from app.auth.principal import Principal
from app.catalog.models import Course, CourseApproval, CourseApprovalCategory
from app.catalog.schemas import ApprovalCreate, ApprovalPublic, ApprovalWithdraw
from app.certifications import impact
from app.certifications.impact import Impact
from app.certifications.models import Certification
from app.clock import Clock
from app.completions.models import Completion
from app.compliance import dirty
from app.db import id_of
from app.errors import Conflict, Forbidden, NotFound, Unprocessable
from app.rules import service as rules_service


class ApprovalNotFound(NotFound):
    pass


class OverlappingApproval(Conflict):
    pass


def _invalid(field: str, message: str, detail: str) -> Unprocessable:
    return Unprocessable(
        detail, errors=[{"loc": ["body", field], "field": f"body.{field}", "message": message, "type": "value_error"}]
    )


def _credential(session: Session, code: str) -> tuple[str, set[str]]:
    """The credential's state and every category slug its rule versions name (requirements and caps)."""
    versions = rules_service.versions_of(session, code)
    if not versions:
        raise _invalid(
            "credential_code", f"no credential {code}; see GET /v1/credentials", f"Unknown credential {code}."
        )
    categories: set[str] = set()
    for version in rules_service.engine_versions(versions):
        categories.update(c.category for c in version.rules.requirements.categories)
        categories.update(c.category for c in version.rules.caps if c.category)
    return versions[0].state, categories


def _effective(approval: CourseApproval) -> tuple[date, date]:
    """The days on which an approval counts, as an inclusive range (empty when start > end)."""
    start, end = approval.valid_from or date.min, approval.valid_until or date.max
    if approval.withdrawn_on is not None:
        end = min(end, approval.withdrawn_on - timedelta(days=1))
    return start, end


def create(
    session: Session, *, principal: Principal, course: Course, data: ApprovalCreate, clock: Clock, dry_run: bool = False
) -> tuple[ApprovalPublic, Impact]:
    """Approve a course for a credential (admin, or the board of the credential's state); on a dry run only
    say what it would change."""
    code = data.credential_code.upper()
    state, _ = _credential(session, code)
    if not principal.sees_state(state):
        raise Forbidden(f"Only an admin or the {state} board may approve courses for {code}.")
    return impact.measure(
        session,
        principal=principal,
        reach=_completers(course, code),
        clock=clock,
        dry_run=dry_run,
        change=lambda: grant(session, actor=principal.actor, course=course, data=data),
    )


def _completers(course: Course, code: str) -> ColumnElement[bool]:
    """The certifications an approval of this course for this credential can move: its completers' ones."""
    return (col(Certification.credential_code) == code) & col(Certification.person_id).in_(
        select(Completion.person_id).where(Completion.course_id == course.id)
    )


def grant(session: Session, *, actor: str, course: Course, data: ApprovalCreate) -> ApprovalPublic:
    """Record an approval after checking its credential, categories and dates (no permission check)."""
    code = data.credential_code.upper()
    state, known = _credential(session, code)
    unknown = [c for c in data.categories if c not in known]
    if unknown:
        valid = ", ".join(sorted(known)) or "none"
        raise _invalid(
            "categories",
            f"{code} has no category {', '.join(unknown)}; its categories: {valid}",
            f"Unknown {code} categor{'y' if len(unknown) == 1 else 'ies'}: {', '.join(unknown)}.",
        )
    start, end = data.valid_from or date.min, data.valid_until or date.max
    for other in session.exec(
        select(CourseApproval).where(CourseApproval.course_id == course.id, CourseApproval.credential_code == code)
    ):
        other_start, other_end = _effective(other)
        if other_start <= other_end and start <= other_end and other_start <= end:
            raise OverlappingApproval(
                f"Course {course.id} already has an approval for {code} over these dates (approval {other.id}); "
                "withdraw it first, or give dates that do not overlap."
            )
    approval = CourseApproval(
        course_id=id_of(course),
        credential_code=code,
        state=state,
        hours=data.hours,
        valid_from=data.valid_from,
        valid_until=data.valid_until,
        approved_by=actor,
    )
    session.add(approval)
    session.flush()
    for category in data.categories:
        session.add(CourseApprovalCategory(approval_id=id_of(approval), category=category))
    session.flush()
    dirty.courses_changed(session, [id_of(course)], credential_code=code)
    audit.record(
        session,
        actor=actor,
        action="approve",
        entity="approval",
        entity_id=approval.id,
        state=state,
        changes={
            "course_id": [None, course.id],
            "credential_code": [None, code],
            "categories": [None, sorted(data.categories)],
            "hours": [None, float(data.hours) if data.hours is not None else None],
            "valid_from": [None, data.valid_from and data.valid_from.isoformat()],
            "valid_until": [None, data.valid_until and data.valid_until.isoformat()],
        },
    )
    return present([approval], categories_of(session, [id_of(approval)]))[0]


def list_for(session: Session, *, course: Course) -> list[ApprovalPublic]:
    """Every approval of a course, withdrawn ones included, oldest first."""
    approvals = list(
        session.exec(
            select(CourseApproval).where(CourseApproval.course_id == course.id).order_by(col(CourseApproval.id))
        )
    )
    return present(approvals, categories_of(session, [id_of(a) for a in approvals]))


def withdraw(
    session: Session,
    *,
    principal: Principal,
    course: Course,
    approval_id: int,
    data: ApprovalWithdraw,
    clock: Clock,
    dry_run: bool = False,
) -> tuple[ApprovalPublic, Impact]:
    """Withdraw an approval from a date on (admin, or the credential's board); it stays on record. On a dry
    run only say what it would change."""
    approval = session.exec(
        select(CourseApproval).where(CourseApproval.id == approval_id, CourseApproval.course_id == course.id)
    ).first()
    if approval is None:
        raise ApprovalNotFound(f"Course {course.id} has no approval {approval_id}.")
    if not principal.sees_state(approval.state):
        raise Forbidden(f"Only an admin or the {approval.state} board may withdraw this approval.")
    if approval.withdrawn_on is not None:
        raise Conflict(f"Approval {approval_id} was already withdrawn on {approval.withdrawn_on}.")

    def take_back() -> ApprovalPublic:
        approval.withdrawn_on, approval.withdrawal_reason = data.withdrawn_on, data.reason
        approval.withdrawn_by = principal.actor
        session.add(approval)
        session.flush()
        dirty.courses_changed(session, [id_of(course)], credential_code=approval.credential_code)
        audit.record(
            session,
            actor=principal.actor,
            action="withdraw",
            entity="approval",
            entity_id=approval.id,
            state=approval.state,
            changes={"withdrawn_on": [None, data.withdrawn_on.isoformat()], "reason": [None, data.reason]},
        )
        return present([approval], categories_of(session, [id_of(approval)]))[0]

    return impact.measure(
        session,
        principal=principal,
        reach=_completers(course, approval.credential_code),
        clock=clock,
        change=take_back,
        dry_run=dry_run,
    )


def categories_of(session: Session, approval_ids: Collection[int]) -> dict[int, list[str]]:
    out: dict[int, list[str]] = defaultdict(list)
    if approval_ids:
        for approval_id, category in session.exec(
            select(CourseApprovalCategory.approval_id, CourseApprovalCategory.category)
            .where(col(CourseApprovalCategory.approval_id).in_(sorted(approval_ids)))
            .order_by(col(CourseApprovalCategory.category))
        ):
            out[approval_id].append(category)
    return out


def present(approvals: list[CourseApproval], categories: dict[int, list[str]]) -> list[ApprovalPublic]:
    return [
        ApprovalPublic(
            id=id_of(a),
            course_id=a.course_id,
            credential_code=a.credential_code,
            state=a.state,
            categories=categories.get(id_of(a), []),
            hours=a.hours,
            valid_from=a.valid_from,
            valid_until=a.valid_until,
            withdrawn_on=a.withdrawn_on,
            withdrawal_reason=a.withdrawal_reason,
            approved_by=a.approved_by,
            created_at=a.created_at,
        )
        for a in approvals
    ]
