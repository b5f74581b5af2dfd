"""Recording, reviewing and voiding completions; where each one counts."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import ColumnElement, false
from sqlalchemy import select as sa_select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from app.audit import service as audit
from app.auth.principal import Principal, Role
from app.catalog import service as catalog
from app.catalog.models import Course
from app.certifications import service as certifications
from app.certifications.models import Certification
from app.clock import Clock
from app.completions.models import Completion
from app.completions.schemas import CompletionCreate, Credit, ReviewCreate, VoidCreate
from app.db import get_scoped, utcnow
from app.errors import Conflict, Forbidden, NotFound, Unprocessable
from app.pagination import keyset_page
from app.people import service as people
from app.people.models import Person
from app.rules import engine
from app.rules import service as rules_service


class CompletionNotFound(NotFound):
    pass


def _field_error(field: str, message: str, detail: str | None = None) -> Unprocessable:
    return Unprocessable(detail or message, errors=[{"loc": ["body", field], "field": f"body.{field}",
                                                    "message": message, "type": "value_error"}])


def dedupe_key(person_id: int, course_id: int, completed_on: date) -> str:
    return f"{person_id}:{course_id}:{completed_on.isoformat()}"


def visible_to(principal: Principal) -> ColumnElement[bool] | None:
    """WHERE clause for the completions a caller may see."""
    if principal.is_admin:
        return None
    if principal.role is Role.peer:
        return Completion.person_id == principal.person_id
    if principal.role is Role.provider:
        return col(Completion.course_id).in_(
            sa_select(Course.id).where(Course.provider_id == principal.provider_id))
    if principal.role is Role.board:
        clause = people.visible_to(principal)
        return col(Completion.person_id).in_(sa_select(Person.id).where(clause))
    return false()


def get_in_scope(session: Session, *, principal: Principal, completion_id: int) -> Completion:
    return get_scoped(session, Completion, completion_id, scope=visible_to(principal),
                      missing=CompletionNotFound(f"Completion {completion_id} was not found."))


def board_today(session: Session, clock: Clock, person_id: int | None = None) -> date:
    """The latest "today" among the boards of the person's certifications (of every board when None).

    A completion dated after it has not happened yet anywhere that matters.
    """
    if person_id is None:
        codes = [code for group in rules_service.codes_by_state(session).values() for code in group]
    else:
        codes = list(session.exec(select(Certification.credential_code).where(Certification.person_id == person_id)))
    zones = {"America/New_York"} | {
        versions[-1].rules.timezone for versions in rules_service.engine_versions_of(session, codes).values()
    }
    return max(clock.today(zone) for zone in zones)


def _resolve_person(session: Session, principal: Principal, data: CompletionCreate) -> int:
    if principal.role is Role.peer:
        if data.person_id not in (None, principal.person_id) or data.credential_code:
            raise Forbidden("A peer reports completions for themself only.")
        return principal.person_id  # type: ignore[return-value]
    if data.credential_code:
        cert = session.exec(select(Certification).where(
            Certification.credential_code == data.credential_code.upper(),
            Certification.number == data.certificate_number)).first()
        if cert is None:
            raise _field_error("certificate_number", "unknown certificate number",
                               f"No {data.credential_code.upper()} certification has number {data.certificate_number}.")
        person_id = cert.person_id
    elif data.person_id is not None:
        person_id = data.person_id
        if session.get(Person, person_id) is None:
            raise _field_error("person_id", "unknown person")
    else:
        raise _field_error("person_id", "give person_id, or credential_code and certificate_number")
    if principal.role is Role.board:
        people.get_in_scope(session, principal=principal, person_id=person_id)
    return person_id


def check_course(course: catalog.CourseFacts | None, completed_on: date, *, today: date) -> str | None:
    """Why a completion of this course on this date cannot be recorded (None when it can)."""
    if completed_on > today:
        return f"completed_on {completed_on} is in the future"
    if course is None:
        return "unknown course"
    if course.status == "retired":
        return "the course is retired"
    if course.status != "published":
        return "the course is not published"
    if completed_on < course.available_from:
        return f"the course only exists from {course.available_from}"
    return None


def record(session: Session, *, principal: Principal, data: CompletionCreate, clock: Clock) -> Completion:
    """Record one completion: accepted when reported by admin, board or provider; pending for a peer."""
    if principal.role not in (Role.admin, Role.board, Role.provider, Role.peer):
        raise Forbidden("This role cannot report completions.")
    person_id = _resolve_person(session, principal, data)
    today = board_today(session, clock, person_id)
    if data.course_id is None:
        if principal.role is Role.provider:
            raise _field_error("course_id", "a provider reports completions of its own catalog courses")
        if data.completed_on > today:
            raise _field_error("completed_on", f"{data.completed_on} is in the future")
        completion = Completion(person_id=person_id, title=data.title, provider_name=data.provider_name,  # type: ignore[arg-type]
                                hours=Decimal(data.hours), modality=data.modality, completed_on=data.completed_on,  # type: ignore[arg-type]
                                evidence_url=str(data.evidence_url) if data.evidence_url else None)
    else:
        course = catalog.course_facts(session, [data.course_id]).get(data.course_id)
        if course is not None and principal.role is Role.provider and course.provider_id != principal.provider_id:
            raise Forbidden("A provider reports completions of its own courses only.")
        problem = check_course(course, data.completed_on, today=today)
        if problem:
            raise _field_error("completed_on" if course else "course_id", problem)
        assert course is not None
        hours = Decimal(data.hours) if data.hours is not None else course.hours
        if hours > course.hours:
            raise _field_error("hours", f"more than the course's {course.hours} hours")
        completion = Completion(person_id=person_id, course_id=course.id, title=course.title, hours=hours,
                                modality=course.modality, completed_on=data.completed_on,
                                evidence_url=str(data.evidence_url) if data.evidence_url else None,
                                dedupe_key=dedupe_key(person_id, course.id, data.completed_on))
    if principal.role is Role.peer:
        completion.status, completion.source = "pending", "self_report"
    else:
        completion.status, completion.source = "accepted", principal.role.value
    completion.reported_by = principal.actor
    try:
        with session.begin_nested():
            session.add(completion)
    except IntegrityError as exc:
        raise Conflict("This completion is already recorded (same person, course and date).") from exc
    certifications.mark_dirty(session, person_ids=[person_id])
    _audit(session, principal, "create", completion, {"status": completion.status, "hours": str(completion.hours),
                                                      "completed_on": str(completion.completed_on)})
    return completion


def review(session: Session, *, principal: Principal, completion: Completion, data: ReviewCreate) -> Completion:
    """A board of one of the peer's states approves or rejects a self-reported completion."""
    if principal.role not in (Role.admin, Role.board):
        raise Forbidden("Only an admin or a board reviews self-reported completions.")
    if completion.status != "pending":
        raise Conflict(f"Completion {completion.id} is {completion.status}, not pending review.")
    states = set(session.exec(select(Certification.state).where(Certification.person_id == completion.person_id)))
    usable = states if principal.is_admin else states & principal.states
    if not usable:
        raise Forbidden("Only a board of a state where this peer is certified may review it.")
    completion.status = "accepted" if data.decision == "approve" else "rejected"
    completion.review_state = min(usable)
    completion.review_categories = sorted(set(data.categories))
    completion.review_reason, completion.reviewed_by, completion.reviewed_at = data.reason, principal.actor, utcnow()
    session.add(completion)
    session.flush()
    certifications.mark_dirty(session, person_ids=[completion.person_id])
    _audit(session, principal, f"review:{data.decision}", completion,
           {"reason": data.reason, "categories": completion.review_categories, "state": completion.review_state})
    return completion


def void(session: Session, *, principal: Principal, completion: Completion, data: VoidCreate) -> Completion:
    """Void a completion with a reason; it stays on record and stops counting."""
    if principal.role is Role.peer and completion.status != "pending":
        raise Forbidden("A peer may withdraw only their own pending reports.")
    if completion.status == "voided":
        raise Conflict(f"Completion {completion.id} is already voided.")
    before = completion.status
    completion.status, completion.dedupe_key = "voided", None
    completion.void_reason, completion.voided_by, completion.voided_at = data.reason, principal.actor, utcnow()
    session.add(completion)
    session.flush()
    certifications.mark_dirty(session, person_ids=[completion.person_id])
    _audit(session, principal, "void", completion, {"status": [before, "voided"], "reason": data.reason})
    return completion


def _audit(session: Session, principal: Principal, action: str, completion: Completion, changes: dict) -> None:
    audit.record(session, actor=principal.actor, action=action, entity="completion", entity_id=completion.id,
                 state=completion.review_state, changes={"person_id": completion.person_id, **changes})


def credit(session: Session, *, completion: Completion, clock: Clock,
           evaluations: dict[int, tuple[engine.Evaluation, date]] | None = None) -> list[Credit]:
    """Where this completion counts today for each of the person's certifications, and where not and why.

    `evaluations` are today's evaluations of the person's certifications when the caller already has them.
    """
    certs = _certifications_of(session, completion.person_id)
    if evaluations is None:
        evaluations = certifications.evaluate_today(session, certs, clock=clock)
    out = []
    for cert in certs:
        if cert.id not in evaluations:
            continue
        result, _ = evaluations[cert.id]  # type: ignore[index]
        outcome = next((o for o in result.completions if o.completion_id == completion.id), None)
        if outcome is not None:
            out.append(Credit(certification_id=cert.id, credential_code=cert.credential_code,  # type: ignore[arg-type]
                              counted_hours=outcome.counted_hours, outcome=outcome.outcome, reason=outcome.reason))
    return out


def list_page(session: Session, *, principal: Principal, person_id: int | None, status: str | None,
              cursor: str | None, limit: int) -> tuple[list[Completion], str | None]:
    query = select(Completion)
    clause = visible_to(principal)
    if clause is not None:
        query = query.where(clause)
    if person_id is not None:
        query = query.where(Completion.person_id == person_id)
    if status:
        query = query.where(Completion.status == status)
    return keyset_page(session, query, Completion.id, cursor=cursor, limit=limit)


def _certifications_of(session: Session, person_id: int) -> list[Certification]:
    return list(session.exec(select(Certification).where(Certification.person_id == person_id)
                             .order_by(col(Certification.id))))


def refresh_person(session: Session, *, person_id: int, clock: Clock) -> dict[int, tuple[engine.Evaluation, date]]:
    """Store today's status of the person's certifications after a write; returns the evaluations."""
    return certifications.refresh_status(session, _certifications_of(session, person_id), clock=clock)


