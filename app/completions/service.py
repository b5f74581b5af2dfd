"""Recording, reviewing and voiding completions; where each one counts."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, false
from sqlalchemy import select as sa_select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from app.audit import service as audit
from app.auth.principal import Principal, Role
from app.catalog import service as catalog
from app.catalog.models import Course
from app.certificates import service as certificates
from app.certificates.keys import Issuer
from app.certifications import impact
from app.certifications import service as certifications
from app.certifications.impact import Impact
from app.certifications.models import Certification
from app.clock import Clock
from app.completions import evidence, learners
from app.completions.models import Completion
from app.completions.schemas import CompletionCreate, CorrectionCreate, Credit, ReviewCreate, VoidCreate
from app.compliance import dirty
from app.constants import DEFAULT_TIMEZONE
from app.db import get_scoped, id_of, utcnow
from app.errors import Conflict, Forbidden, NotFound, Unprocessable
from app.pagination import KeysetPage, keyset_page
from app.people import service as people
from app.people.models import Person
from app.rules import engine
from app.rules import service as rules_service


class CompletionNotFound(NotFound):
    pass


def _field_error(field: str, message: str, detail: str | None = None) -> Unprocessable:
    return Unprocessable(
        detail or message,
        errors=[{"loc": ["body", field], "field": f"body.{field}", "message": message, "type": "value_error"}],
    )


def dedupe_key(person_id: int, course_id: int, completed_on: date) -> str:
    return f"{person_id}:{course_id}:{completed_on.isoformat()}"


def visible_to(principal: Principal) -> ColumnElement[bool] | None:
    """WHERE clause for the completions a caller may see."""
    if principal.is_admin:
        return None
    if principal.role is Role.peer:
        return col(Completion.person_id) == principal.person_id
    if principal.role is Role.provider:
        return col(Completion.course_id).in_(
            sa_select(col(Course.id)).where(col(Course.provider_id) == principal.provider_id)
        )
    if principal.role is Role.board:
        clause = people.visible_to(principal)
        return col(Completion.person_id).in_(sa_select(col(Person.id)).where(clause))
    return false()


def get_in_scope(session: Session, *, principal: Principal, completion_id: int) -> Completion:
    return get_scoped(
        session,
        Completion,
        completion_id,
        scope=visible_to(principal),
        missing=CompletionNotFound(f"Completion {completion_id} was not found."),
    )


def board_today(session: Session, clock: Clock, person_id: int | None = None) -> date:
    """The latest "today" among the boards of the person's certifications (of every board when None).

    A completion dated after it has not happened yet anywhere that matters.
    """
    if person_id is None:
        codes = [code for group in rules_service.codes_by_state(session).values() for code in group]
    else:
        codes = list(session.exec(select(Certification.credential_code).where(Certification.person_id == person_id)))
    zones = {DEFAULT_TIMEZONE} | {
        versions[-1].rules.timezone for versions in rules_service.engine_versions_of(session, codes).values()
    }
    return max(clock.today(zone) for zone in zones)


def _resolve_person(session: Session, principal: Principal, data: CompletionCreate) -> tuple[int, int | None]:
    """The person a completion is for, named as the caller's role may name them (`app.completions.learners`),
    and the certification they were named by (None: named by person_id, or a peer's own report)."""
    if principal.role is Role.peer:
        if data.person_id not in (None, principal.person_id) or data.credential_code:
            raise Forbidden("A peer reports completions for themself only.")
        return principal.person_id, None  # type: ignore[return-value]
    if principal.role is Role.provider:
        return _provider_learner(session, principal, data)
    cert_id: int | None = None
    if data.credential_code:
        code, number = data.credential_code.upper(), data.certificate_number
        assert number is not None  # CompletionCreate requires it with credential_code
        found = learners.certificates(session, [(code, number)]).get((code, number))
        if found is None or not (data.family_name is None or learners.same_name(found[1], data.family_name)):
            raise _field_error(
                "certificate_number",
                "unknown certificate number",
                f"No {code} certification has number {data.certificate_number}"
                f"{' and that family name' if data.family_name else ''}.",
            )
        person_id, cert_id = found[0], found[2]
    elif data.person_id is not None:
        person_id = data.person_id
    else:
        raise _field_error("person_id", "give person_id, or credential_code and certificate_number")
    scope = people.visible_to(principal)
    query = select(Person.id).where(Person.id == person_id)
    if scope is not None:
        query = query.where(scope)
    if session.exec(query).first() is None:  # absent, or another state's: the same answer
        raise _field_error("person_id", "unknown person", f"Person {person_id} was not found.")
    return person_id, cert_id


def _provider_learner(session: Session, principal: Principal, data: CompletionCreate) -> tuple[int, int | None]:
    unknown = _field_error("learner", "no learner matches", learners.UNKNOWN_LEARNER)
    if data.credential_code:
        if data.family_name is None:
            raise _field_error(
                "family_name",
                "required with credential_code and certificate_number",
                "A provider names the learner by credential_code, certificate_number and family_name.",
            )
        code, number = data.credential_code.upper(), data.certificate_number
        assert number is not None  # CompletionCreate requires it with credential_code
        found = learners.certificates(session, [(code, number)]).get((code, number))
        if found is None or not learners.same_name(found[1], data.family_name):
            raise unknown
        return found[0], found[2]
    if data.person_id is None:
        raise _field_error("person_id", "give credential_code, certificate_number and family_name")
    if data.person_id not in learners.reported_by(session, principal.provider_id, [data.person_id]):  # type: ignore[arg-type]
        raise unknown
    named = learners.named_before(session, principal.provider_id, [data.person_id])  # type: ignore[arg-type]
    return data.person_id, named.get(data.person_id)


def _course_id(session: Session, principal: Principal, data: CompletionCreate) -> int | None:
    """The catalog course a completion names: by course_id, or by the calling provider's own external_id."""
    if data.course_external_id is None:
        return data.course_id
    if principal.role is not Role.provider:
        raise _field_error(
            "course_external_id", "course_external_id names a course of the calling provider; give course_id"
        )
    found = catalog.course_ids_by_external(
        session,
        principal.provider_id,  # type: ignore[arg-type]
        [data.course_external_id],
    )
    if data.course_external_id not in found:
        raise _field_error("course_external_id", f"you have no course with external_id {data.course_external_id!r}")
    return found[data.course_external_id]


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
    if course.available_from is not None and completed_on < course.available_from:
        return f"the course only exists from {course.available_from}"
    return None


def record(
    session: Session, *, principal: Principal, data: CompletionCreate, clock: Clock, issuer: Issuer
) -> Completion:
    """Record one completion: accepted (with its certificate) when reported by admin, board or provider; pending
    for a peer."""
    if principal.role not in (Role.admin, Role.board, Role.provider, Role.peer):
        raise Forbidden("This role cannot report completions.")
    person_id, learner_certification_id = _resolve_person(session, principal, data)
    course_id = _course_id(session, principal, data)
    today = board_today(session, clock, person_id)
    # a peer's own report waits for a board's review; everyone else's counts at once
    status, source = ("pending", "self_report") if principal.role is Role.peer else ("accepted", principal.role.value)
    if course_id is None:
        if principal.role is Role.provider:
            raise _field_error("course_id", "a provider reports completions of its own catalog courses")
        if data.completed_on > today:
            raise _field_error("completed_on", f"{data.completed_on} is in the future")
        # CompletionCreate requires them without a course_id
        assert data.title is not None and data.hours is not None and data.modality is not None
        completion = Completion(
            person_id=person_id,
            title=data.title,
            provider_name=data.provider_name,
            hours=Decimal(data.hours),
            modality=data.modality,
            completed_on=data.completed_on,
            evidence_url=str(data.evidence_url) if data.evidence_url else None,
            status=status,
            source=source,
            reported_by=principal.actor,
        )
    else:
        course = catalog.course_facts(session, [course_id]).get(course_id)
        if course is not None and principal.role is Role.provider and course.provider_id != principal.provider_id:
            raise Forbidden("A provider reports completions of its own courses only.")
        problem = check_course(course, data.completed_on, today=today)
        if problem:
            raise _field_error("completed_on" if course else "course_id", problem)
        assert course is not None
        hours = Decimal(data.hours) if data.hours is not None else course.hours
        if hours > course.hours:
            raise _field_error("hours", f"more than the course's {course.hours} hours")
        completion = Completion(
            person_id=person_id,
            course_id=course.id,
            title=course.title,
            hours=hours,
            modality=course.modality,
            completed_on=data.completed_on,
            evidence_url=str(data.evidence_url) if data.evidence_url else None,
            dedupe_key=dedupe_key(person_id, course.id, data.completed_on),
            status=status,
            source=source,
            reported_by=principal.actor,
        )
    completion.learner_certification_id = learner_certification_id
    try:
        with session.begin_nested():
            session.add(completion)
    except IntegrityError as exc:
        raise Conflict("This completion is already recorded (same person, course and date).") from exc
    dirty.mark(session, person_ids=[person_id])
    states = set(session.exec(select(Certification.state).where(Certification.person_id == person_id)))
    _audit(
        session,
        principal,
        "create",
        completion,
        states,
        {"status": completion.status, "hours": str(completion.hours), "completed_on": str(completion.completed_on)},
    )
    if completion.status == "accepted":
        certificates.issue(session, completion=completion, issuer=issuer, actor=principal.actor)
    return completion


def review(
    session: Session, *, principal: Principal, completion: Completion, data: ReviewCreate, clock: Clock, issuer: Issuer
) -> Completion:
    """A board of one of the peer's states approves (issuing its certificate) or rejects a self-reported
    completion."""
    if principal.role not in (Role.admin, Role.board):
        raise Forbidden("Only an admin or a board reviews self-reported completions.")
    if completion.status != "pending":
        raise Conflict(f"Completion {completion.id} is {completion.status}, not pending review.")
    states = set(session.exec(select(Certification.state).where(Certification.person_id == completion.person_id)))
    usable = states if principal.is_admin else states & principal.states
    if not usable:
        raise Forbidden("Only a board of a state where this peer is certified may review it.")

    def decide() -> None:
        completion.status = "accepted" if data.decision == "approve" else "rejected"
        completion.review_state = min(usable)
        completion.review_categories = sorted(set(data.categories))
        completion.review_reason, completion.reviewed_by, completion.reviewed_at = (
            data.reason,
            principal.actor,
            utcnow(),
        )
        session.add(completion)

    touched = _within_callers_credit(session, principal, completion, clock, decide, verb="review")
    _audit(
        session,
        principal,
        f"review:{data.decision}",
        completion,
        touched,
        {"reason": data.reason, "categories": completion.review_categories, "state": completion.review_state},
    )
    if completion.status == "accepted":
        certificates.issue(session, completion=completion, issuer=issuer, actor=principal.actor)
    return completion


def void(
    session: Session,
    *,
    principal: Principal,
    completion: Completion,
    data: VoidCreate,
    clock: Clock,
    dry_run: bool = False,
) -> tuple[Completion, Impact]:
    """Void a completion with a reason (or, on a dry run, only say what it would change); it stays on
    record and stops counting, and its certificate is revoked."""
    if principal.role is Role.peer and completion.status != "pending":
        raise Forbidden("A peer may withdraw only their own pending reports.")
    if completion.status == "voided":
        raise Conflict(f"Completion {completion.id} is already voided.")
    before = completion.status

    def cancel() -> None:
        completion.status, completion.dedupe_key = "voided", None
        completion.void_reason, completion.voided_by, completion.voided_at = data.reason, principal.actor, utcnow()
        session.add(completion)

    def void_it() -> Completion:
        touched = _within_callers_credit(session, principal, completion, clock, cancel, verb="void")
        _audit(session, principal, "void", completion, touched, {"status": [before, "voided"], "reason": data.reason})
        certificates.revoke(session, completion=completion, actor=principal.actor, states=touched)
        return completion

    reach = [c.id for c in _certifications_of(session, completion.person_id)]
    return impact.measure(session, principal=principal, reach=reach, clock=clock, change=void_it, dry_run=dry_run)


def correct(
    session: Session,
    *,
    principal: Principal,
    completion: Completion,
    data: CorrectionCreate,
    clock: Clock,
    issuer: Issuer,
    store: evidence.EvidenceStore,
) -> Completion:
    """Void a completion and record its corrected version in one step (each under the caller's usual rules);
    the old certificate is superseded by the new one's, and its evidence file carries over."""
    if completion.status not in ("accepted", "pending"):
        raise Conflict(
            f"Completion {completion.id} is {completion.status}; only accepted or pending completions are corrected."
        )
    if completion.course_id is None and data.course_id is not None:
        raise _field_error("course_id", "outside CE stays outside CE: void it and report the catalog course")
    if completion.course_id is not None and (data.title or data.provider_name or data.modality):
        raise _field_error("title", "title, provider_name and modality come from the course")
    evidence_url = str(data.evidence_url) if data.evidence_url else completion.evidence_url
    fixed: dict = {
        "person_id": completion.person_id,
        "completed_on": data.completed_on or completion.completed_on,
        "evidence_url": evidence_url,
    }
    if completion.course_id is not None:
        same_course = data.course_id in (None, completion.course_id)
        fixed |= {
            "course_id": data.course_id or completion.course_id,
            "hours": data.hours if data.hours is not None else (completion.hours if same_course else None),
        }
    else:
        fixed |= {
            "title": data.title or completion.title,
            "provider_name": data.provider_name or completion.provider_name,
            "hours": data.hours if data.hours is not None else completion.hours,
            "modality": data.modality or completion.modality,
        }
    corrected = CompletionCreate.model_validate(fixed)
    void(
        session,
        principal=principal,
        completion=completion,
        clock=clock,
        data=VoidCreate(reason=f"Corrected: {data.reason}"[:1000]),
    )
    session.flush()
    replacement = record(session, principal=principal, data=corrected, clock=clock, issuer=issuer)
    # The same learner, named as before: only by the one who named them (a provider correcting a board's
    # record learns no name or number through it).
    if replacement.learner_certification_id is None and completion.source == replacement.source:
        replacement.learner_certification_id = completion.learner_certification_id
        session.add(replacement)
    evidence.carry_over(session, store=store, from_completion=completion, to_completion=replacement)
    states = set(session.exec(select(Certification.state).where(Certification.person_id == completion.person_id)))
    certificates.supersede(session, old=completion, new=replacement, actor=principal.actor, states=states)
    _audit(session, principal, "correct", completion, states, {"corrected_by": replacement.id, "reason": data.reason})
    return replacement


def _within_callers_credit(
    session: Session,
    principal: Principal,
    completion: Completion,
    clock: Clock,
    change: Callable[[], None],
    *,
    verb: str,
) -> set[str]:
    """Make `change` to a completion; refuse it (403) when a board's change would move the credit of a
    certification outside its states. Returns every state the person holds a certification in.

    A board decides for its own states: voiding or accepting CE that also counts toward another state's
    certification is that board's (or an admin's) decision too. The person's other certifications are
    evaluated as of today before and after the change (in this transaction, rolled back with it).
    Providers correct their own reports and peers withdraw their own pending ones: facts, not decisions.
    """
    certs = _certifications_of(session, completion.person_id)
    foreign = [c for c in certs if principal.role is Role.board and c.state not in principal.states]
    before = _credit_of(session, foreign, clock) if foreign else {}
    change()
    session.flush()
    if foreign:
        after = _credit_of(session, foreign, clock)
        moved = sorted({c.state for c in foreign if before.get(id_of(c)) != after.get(id_of(c))})
        if moved:
            affected = sorted(principal.states | set(moved))
            raise Forbidden(
                f"This {verb} would change the CE credit of the peer's {', '.join(moved)} certification"
                f"{'s' if len(moved) > 1 else ''}: only an admin, or a board of all of {', '.join(affected)}, "
                f"may {verb} completion {completion.id}."
            )
    dirty.mark(session, person_ids=[completion.person_id])
    return {c.state for c in certs}


def _credit_of(session: Session, certs: list[Certification], clock: Clock) -> dict[int, tuple[object, ...]]:
    """What each certification has earned as of today: status, cycles and hours (and nothing of wording)."""
    out: dict[int, tuple[object, ...]] = {}
    for cert_id, (result, _) in certifications.evaluate_today(session, certs, clock=clock).items():
        out[cert_id] = (
            result.status,
            result.cycle_start,
            result.cycle_end,
            result.earned_hours,
            tuple((c.category, c.earned_hours) for c in result.categories),
            tuple((m.modalities, m.earned_hours) for m in result.modality_minimums),
            result.cycles,
        )
    return out


def _audit(
    session: Session, principal: Principal, action: str, completion: Completion, states: set[str], changes: dict
) -> None:
    """A completion's entry is in the log of every state the person holds a certification in: it may count
    toward any of them."""
    audit.record(
        session,
        actor=principal.actor,
        action=action,
        entity="completion",
        entity_id=completion.id,
        state=completion.review_state,
        states=states,
        changes={"person_id": completion.person_id, **changes},
    )


def audit_evidence(session: Session, principal: Principal, completion: Completion, row: Any) -> None:
    states = set(session.exec(select(Certification.state).where(Certification.person_id == completion.person_id)))
    _audit(
        session,
        principal,
        "attach_evidence",
        completion,
        states,
        {
            "evidence": {
                "media_type": row.media_type,
                "size_bytes": row.size_bytes,
                "sha256": row.sha256,
                "filename": row.filename,
            }
        },
    )


def credit(
    session: Session,
    *,
    principal: Principal,
    completion: Completion,
    clock: Clock,
    evaluations: dict[int, tuple[engine.Evaluation, date]] | None = None,
) -> list[Credit]:
    """Where this completion counts today for each of the person's certifications the caller may see, and
    where not and why. Providers see none: a learner's certifications are not theirs to know.

    `evaluations` are today's evaluations of the person's certifications when the caller already has them.
    """
    if principal.role is Role.provider:
        return []
    certs = [
        c
        for c in _certifications_of(session, completion.person_id)
        if certifications.may_see(principal, state=c.state, person_id=c.person_id)
    ]
    if evaluations is None:
        evaluations = certifications.evaluate_today(session, certs, clock=clock)
    out = []
    for cert in certs:
        if cert.id not in evaluations:
            continue
        result, _ = evaluations[cert.id]
        outcome = next((o for o in result.completions if o.completion_id == completion.id), None)
        if outcome is not None:
            out.append(
                Credit(
                    certification_id=cert.id,
                    credential_code=cert.credential_code,
                    counted_hours=outcome.counted_hours,
                    outcome=outcome.outcome,
                    reason=outcome.reason,
                )
            )
    return out


def list_page(
    session: Session,
    *,
    principal: Principal,
    person_id: int | None,
    status: str | None,
    cursor: str | None,
    limit: int,
    count: bool = False,
    course_id: int | None = None,
    course_external_id: str | None = None,
    completed_from: date | None = None,
    completed_to: date | None = None,
    newest_first: bool = False,
) -> KeysetPage[Completion]:
    """One page of the completions the caller may see, narrowed by person, status, course and completion date."""
    if completed_from is not None and completed_to is not None and completed_from > completed_to:
        raise Unprocessable(
            f"'from' ({completed_from}) is after 'to' ({completed_to}).",
            errors=[{"loc": ["query", "from"], "field": "query.from", "message": "after 'to'", "type": "value_error"}],
        )
    if course_external_id is not None:
        if principal.role is not Role.provider:
            raise Unprocessable(
                "course_external_id names a course of the calling provider; give course_id.",
                errors=[
                    {
                        "loc": ["query", "course_external_id"],
                        "field": "query.course_external_id",
                        "message": "providers only",
                        "type": "value_error",
                    }
                ],
            )
        found = catalog.course_ids_by_external(
            session,
            principal.provider_id,  # type: ignore[arg-type]
            [course_external_id],
        )
        if course_id is not None and found.get(course_external_id) != course_id:
            return KeysetPage([], None, 0 if count else None)
        course_id = found.get(course_external_id, 0)  # none such: an empty page
    query = select(Completion)
    clause = visible_to(principal)
    if clause is not None:
        query = query.where(clause)
    if person_id is not None:
        query = query.where(Completion.person_id == person_id)
    if status:
        query = query.where(Completion.status == status)
    if course_id is not None:
        query = query.where(Completion.course_id == course_id)
    if completed_from is not None:
        query = query.where(Completion.completed_on >= completed_from)
    if completed_to is not None:
        query = query.where(Completion.completed_on <= completed_to)
    return keyset_page(
        session, query, Completion.id, cursor=cursor, limit=limit, count=count, newest_first=newest_first
    )


def _certifications_of(session: Session, person_id: int) -> list[Certification]:
    return list(
        session.exec(select(Certification).where(Certification.person_id == person_id).order_by(col(Certification.id)))
    )


def refresh_person(session: Session, *, person_id: int, clock: Clock) -> dict[int, tuple[engine.Evaluation, date]]:
    """Store today's status of the person's certifications after a write; returns the evaluations."""
    return certifications.refresh_status(session, _certifications_of(session, person_id), clock=clock)
