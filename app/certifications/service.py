"""Certification records: register, find, correct, act on, and evaluate them."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, false, or_
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import Session, col, select

from app.audit import service as audit
from app.auth.principal import Principal, Role
from app.certifications import decisions, impact
from app.certifications.impact import Impact
from app.certifications.models import BoardAction, Certification, CertificationActivity
from app.certifications.schemas import ActivityCreate, BoardActionCreate, CertificationCreate, CertificationUpdate
from app.clock import Clock
from app.compliance import dirty
from app.compliance import facts as read_model
from app.compliance import status as cached_status
from app.compliance.rows import CertRow
from app.constants import DEFAULT_TIMEZONE
from app.db import contains, get_scoped, id_of, utcnow
from app.errors import Conflict, Forbidden, NotFound, PreconditionFailed, Unprocessable
from app.pagination import KeysetPage, keyset_page
from app.people import service as people_service
from app.people.models import Person
from app.reads import Reads
from app.rules import engine
from app.rules import service as rules_service
from app.rules.document import RuleSet


class CertificationNotFound(NotFound):
    pass


class DuplicateCertificateNumber(Conflict):
    pass


def visible_to(principal: Principal) -> ColumnElement[bool] | None:
    """WHERE clause for the certifications a caller may see (None = all)."""
    if principal.is_admin:
        return None
    if principal.role is Role.board:
        return col(Certification.state).in_(sorted(principal.states))
    if principal.role is Role.peer:
        return col(Certification.person_id) == principal.person_id
    return false()


def may_see(principal: Principal, *, state: str, person_id: int) -> bool:
    """`visible_to` for one certification already read: its state and holder decide."""
    if principal.is_admin:
        return True
    if principal.role is Role.board:
        return state in principal.states
    if principal.role is Role.peer:
        return person_id == principal.person_id
    return False


def get_in_scope(session: Session, *, principal: Principal, certification_id: int) -> Certification:
    """The certification if the caller may see it; otherwise 404, exactly as if it did not exist."""
    return get_scoped(
        session,
        Certification,
        certification_id,
        scope=visible_to(principal),
        missing=CertificationNotFound(f"Certification {certification_id} was not found."),
    )


def etag(cert: Certification) -> str:
    return f'"{cert.id}-{cert.row_version}"'


def check_if_match(cert: Certification, if_match: str | None) -> None:
    if if_match is None:
        return
    candidates = {tag.strip().removeprefix("W/") for tag in if_match.split(",")}
    if "*" not in candidates and etag(cert) not in candidates:
        raise PreconditionFailed(
            f"Certification {cert.id} changed since you read it (current ETag {etag(cert)}); read it again and retry."
        )


def _credential_state(session: Session, code: str, field: str = "credential_code") -> str:
    versions = rules_service.versions_of(session, code)
    if not versions:
        raise Unprocessable(
            f"Unknown credential {code}.",
            errors=[
                {
                    "loc": ["body", field],
                    "field": f"body.{field}",
                    "message": f"no credential {code}; see GET /v1/credentials",
                    "type": "value_error",
                }
            ],
        )
    return versions[0].state


def _current_rules(session: Session, code: str, clock: Clock) -> RuleSet:
    """The credential's rule set in effect today in its board's time zone."""
    versions = rules_service.engine_versions(rules_service.versions_of(session, code))
    today = clock.today(versions[-1].rules.timezone)
    return engine.select_version(versions, today).rules


def board_today(session: Session, code: str, clock: Clock) -> date:
    """Today in the time zone of the credential's board (its latest rules)."""
    versions = rules_service.engine_versions(rules_service.versions_of(session, code))
    return clock.today(versions[-1].rules.timezone if versions else DEFAULT_TIMEZONE)


def check_issued_on(issued_on: date, today: date, *, prefix: str = "body") -> list[dict]:
    """Field errors of an issue date: never after the board's today."""
    if issued_on > today:
        return [
            {
                "loc": [prefix, "issued_on"],
                "field": f"{prefix}.issued_on",
                "message": f"after the board's today ({today})",
                "type": "value_error",
            }
        ]
    return []


def _require(errors: list[dict]) -> None:
    if errors:
        raise Unprocessable(f"{errors[0]['field'].removeprefix('body.')}: {errors[0]['message']}.", errors=errors)


def check_choices(
    rules: RuleSet, *, cycle_option: str | None, variants: Sequence[str], prefix: str = "body"
) -> list[dict]:
    """Field errors for a certification's cycle option and variants under these rules (none: valid)."""
    errors = []
    options = [o.id for o in rules.cycle_options]
    if options and cycle_option not in options:
        errors.append(
            {
                "loc": [prefix, "cycle_option"],
                "field": f"{prefix}.cycle_option",
                "message": f"{rules.code} holders choose a cycle option: one of {', '.join(options)}",
                "type": "value_error",
            }
        )
    elif not options and cycle_option is not None:
        errors.append(
            {
                "loc": [prefix, "cycle_option"],
                "field": f"{prefix}.cycle_option",
                "message": f"{rules.code} offers no cycle options",
                "type": "value_error",
            }
        )
    known = {x.id for x in rules.variants}
    if unknown := sorted(set(variants) - known):
        errors.append(
            {
                "loc": [prefix, "variants"],
                "field": f"{prefix}.variants",
                "message": f"{rules.code} has no variant {', '.join(unknown)}"
                + (f" (variants: {', '.join(sorted(known))})" if known else ""),
                "type": "value_error",
            }
        )
    return errors


def _require_choices(rules: RuleSet, *, cycle_option: str | None, variants: Sequence[str]) -> None:
    if errors := check_choices(rules, cycle_option=cycle_option, variants=variants):
        raise Unprocessable(errors[0]["message"] + ".", errors=errors)


def create(session: Session, *, principal: Principal, data: CertificationCreate, clock: Clock) -> Certification:
    """Register a certification (admin, or the board of the credential's state)."""
    code = data.credential_code.upper()
    state = _credential_state(session, code)
    if not principal.sees_state(state):
        raise Forbidden(f"Only an admin or the {state} board may register {code} certifications.")
    rules = _current_rules(session, code, clock)
    if rules.superseded_by:
        raise Unprocessable(
            f"{code} is superseded by {' and '.join(rules.superseded_by)}; register the certification under one "
            "of them.",
            errors=[
                {
                    "loc": ["body", "credential_code"],
                    "field": "body.credential_code",
                    "message": f"superseded by {', '.join(rules.superseded_by)}",
                    "type": "value_error",
                }
            ],
        )
    _require_choices(rules, cycle_option=data.cycle_option, variants=data.variants)
    today = board_today(session, code, clock)
    _require(
        check_issued_on(data.issued_on, today)
        + decisions.check_stated_cycle(
            issued_on=data.issued_on,
            start=data.current_cycle_start,
            end=data.current_cycle_end,
            carryover=data.carryover_hours,
            today=today,
        )
    )
    person = session.exec(_people_query(principal).where(Person.id == data.person_id)).first()
    if person is None:  # absent, or another state's: the same answer
        raise Unprocessable(
            f"Person {data.person_id} does not exist.",
            errors=[
                {
                    "loc": ["body", "person_id"],
                    "field": "body.person_id",
                    "message": "unknown person",
                    "type": "value_error",
                }
            ],
        )
    people_service.require_change(session, principal, person)  # a certification changes the person
    _ensure_number_free(session, code, data.number)
    cert = Certification(
        person_id=data.person_id,
        credential_code=code,
        state=state,
        number=data.number,
        issued_on=data.issued_on,
        cycle_option=data.cycle_option,
        variants=read_model.join_variants(data.variants),
    )
    try:
        with session.begin_nested():
            session.add(cert)
    except IntegrityError as exc:
        raise DuplicateCertificateNumber(f"{code} number {data.number} is already registered.") from exc
    renewed: list[tuple[date, date]] = []
    if data.current_cycle_start is not None:
        renewed = decisions.record_stated_cycle(
            session,
            cert=cert,
            start=data.current_cycle_start,
            end=data.current_cycle_end,
            carryover=data.carryover_hours,
            today=today,
        )
    refresh_status(session, [cert], clock=clock)
    audit.record(
        session,
        actor=principal.actor,
        action="create",
        entity="certification",
        entity_id=cert.id,
        state=state,
        changes={
            "person_id": [None, cert.person_id],
            "credential_code": [None, code],
            "number": [None, cert.number],
            "issued_on": [None, str(cert.issued_on)],
            **({"cycle_option": [None, cert.cycle_option]} if cert.cycle_option else {}),
            **({"variants": [None, cert.variants]} if cert.variants else {}),
            **_stated_changes(None, cert, renewed),
        },
    )
    return cert


def _stated(cert: Certification | None) -> dict[str, Any]:
    if cert is None or cert.registered_cycle_start is None:
        return {"current_cycle_start": None, "current_cycle_end": None, "carryover_hours": None}
    return {
        "current_cycle_start": str(cert.registered_cycle_start),
        "current_cycle_end": str(cert.registered_cycle_end) if cert.registered_cycle_end else None,
        "carryover_hours": str(cert.registered_carryover_hours) if cert.registered_carryover_hours else None,
    }


def _stated_changes(
    before: dict[str, Any] | None, cert: Certification, renewed: list[tuple[date, date]]
) -> dict[str, Any]:
    """The audit entry's part for a migrated record's stated cycle, and the cycles renewed with it."""
    before = before or _stated(None)
    after = _stated(cert)
    out: dict[str, Any] = {k: [before[k], v] for k, v in after.items() if before[k] != v}
    if out or renewed and before != after:
        out["renewed_by_board"] = [f"{s} to {e}" for s, e in renewed]
    return out


def _people_query(principal: Principal) -> Any:
    from app.people.service import visible_to

    query = select(Person)
    scope = visible_to(principal)
    return query if scope is None else query.where(scope)


def _ensure_number_free(session: Session, code: str, number: str, except_id: int | None = None) -> None:
    other = session.exec(
        select(Certification.id).where(Certification.credential_code == code, Certification.number == number)
    ).first()
    if other is not None and other != except_id:
        raise DuplicateCertificateNumber(f"{code} number {number} is already registered.")


def update(
    session: Session,
    *,
    principal: Principal,
    cert: Certification,
    data: CertificationUpdate,
    if_match: str | None,
    clock: Clock,
) -> Certification:
    _require_board_write(principal, cert)
    check_if_match(cert, if_match)
    changes = data.model_dump(exclude_unset=True, exclude_none=True)
    stated = {k: changes.pop(k) for k in _STATED if k in changes}
    code = cert.credential_code
    if "credential_code" in changes:
        code = changes["credential_code"] = changes["credential_code"].upper()
        if code == cert.credential_code:
            del changes["credential_code"]
        else:
            _move_to_successor(session, principal=principal, cert=cert, code=code, clock=clock)
    if "number" in changes or "credential_code" in changes:
        _ensure_number_free(session, code, changes.get("number", cert.number), except_id=cert.id)
    if "variants" in changes:
        changes["variants"] = read_model.join_variants(changes["variants"])
        if changes["variants"] == cert.variants:
            del changes["variants"]
    if {"cycle_option", "variants", "credential_code"} & set(changes):
        _require_choices(
            _current_rules(session, code, clock),
            cycle_option=changes.get("cycle_option", cert.cycle_option),
            variants=read_model.split_variants(changes.get("variants", cert.variants)),
        )
    today = board_today(session, code, clock)
    issued_on = changes.get("issued_on", cert.issued_on)
    statement = (
        _restated(cert, stated)
        if stated
        or (
            cert.registered_cycle_start is not None
            and {"issued_on", "cycle_option", "variants", "credential_code"} & set(changes)
        )
        else None
    )
    errors = check_issued_on(issued_on, today) if "issued_on" in changes else []
    if statement is not None:
        errors += decisions.check_stated_cycle(issued_on=issued_on, today=today, **statement)
    _require(errors)
    before = cert.model_dump()
    for field, value in changes.items():
        setattr(cert, field, value)
    renewed: list[tuple[date, date]] = []
    if statement is not None:
        session.add(cert)
        session.flush()
        renewed = decisions.record_stated_cycle(session, cert=cert, today=today, **statement)
    after = cert.model_dump()
    if changes or before != after:
        cert.row_version += 1
        cert.updated_at = utcnow()
        session.add(cert)
        refresh_status(session, [cert], clock=clock)
        diff = audit.diff(before, after)
        if renewed and any(k.startswith("registered_") for k in diff) or "issued_on" in diff and renewed:
            diff["renewed_by_board"] = [f"{s} to {e}" for s, e in renewed]
        audit.record(
            session,
            actor=principal.actor,
            action="update",
            entity="certification",
            entity_id=cert.id,
            state=cert.state,
            changes=diff,
        )
    return cert


_STATED = ("current_cycle_start", "current_cycle_end", "carryover_hours")


def _restated(cert: Certification, given: dict[str, Any]) -> dict[str, Any]:
    """A migrated record's statement after a PATCH: a new `current_cycle_start` restates the cycle (its end and
    carry-over are those given with it, none otherwise); an end or carry-over alone amends the recorded one."""
    if "current_cycle_start" in given:
        return {
            "start": given["current_cycle_start"],
            "end": given.get("current_cycle_end"),
            "carryover": given.get("carryover_hours"),
        }
    return {
        "start": cert.registered_cycle_start,
        "end": given.get("current_cycle_end", cert.registered_cycle_end),
        "carryover": given.get("carryover_hours", cert.registered_carryover_hours),
    }


def _move_to_successor(session: Session, *, principal: Principal, cert: Certification, code: str, clock: Clock) -> None:
    """A certification may move only to a credential its own credential's rules name in `superseded_by`."""
    successors = _current_rules(session, cert.credential_code, clock).superseded_by
    if code not in successors:
        raise Unprocessable(
            f"{cert.credential_code} certifications move only to a credential that supersedes it"
            + (f" ({', '.join(successors)})." if successors else "; none does."),
            errors=[
                {
                    "loc": ["body", "credential_code"],
                    "field": "body.credential_code",
                    "message": f"one of: {', '.join(successors) or 'none'}",
                    "type": "value_error",
                }
            ],
        )
    if _credential_state(session, code) != cert.state or not principal.sees_state(cert.state):
        raise Forbidden(f"{code} is not a {cert.state} credential of yours.")


def _require_board_write(principal: Principal, cert: Certification) -> None:
    if not principal.sees_state(cert.state):
        raise Forbidden("Only an admin or the certification's board may change it.")


def add_action(
    session: Session,
    *,
    principal: Principal,
    cert: Certification,
    data: BoardActionCreate,
    clock: Clock,
    dry_run: bool = False,
) -> tuple[BoardAction, Impact]:
    """Record a dated board action (or, on a dry run, only say what it would change); compliance reports
    its effect from its date on."""
    _require_board_write(principal, cert)
    effective_on = data.effective_on or board_today(session, cert.credential_code, clock)
    if data.kind in ("reopen", "reinstate"):
        if data.kind == "reopen" and data.cycle_start is None:
            raise decisions.field_error("cycle_start", "required: the start of the renewed cycle to reopen")
        if data.kind == "reinstate" and data.cycle_start is not None:
            decisions.check_reinstatement_start(cert, cycle_start=data.cycle_start, effective_on=effective_on)
    elif data.cycle_start is not None:
        raise decisions.field_error("cycle_start", f"a {data.kind} names no cycle (only reopen and reinstate do)")

    def act() -> BoardAction:
        changes: dict[str, Any] = {"effective_on": str(effective_on), "reason": data.reason}
        if data.kind == "reopen":
            renewal = decisions.reopen(session, cert=cert, cycle_start=data.cycle_start, on=effective_on)  # type: ignore[arg-type]
            changes |= {
                "cycle_start": str(renewal.cycle_start),
                "cycle_end": str(renewal.cycle_end),
                "renewal_recorded_on": str(renewal.recorded_on),
                "renewal_source": renewal.source,
            }
        elif data.cycle_start is not None:
            changes["cycle_start"] = str(data.cycle_start)
        action = BoardAction(
            certification_id=id_of(cert),
            kind=data.kind,
            effective_on=effective_on,
            cycle_start=data.cycle_start,
            reason=data.reason,
            actor=principal.actor,
        )
        session.add(action)
        cert.row_version += 1
        cert.updated_at = utcnow()
        session.add(cert)
        session.flush()
        refresh_status(session, [cert], clock=clock)
        audit.record(
            session,
            actor=principal.actor,
            action=data.kind,
            entity="certification",
            entity_id=cert.id,
            state=cert.state,
            changes=changes,
        )
        return action

    return impact.measure(session, principal=principal, reach=[cert.id], clock=clock, change=act, dry_run=dry_run)


def actions_of(session: Session, cert: Certification) -> list[BoardAction]:
    return list(
        session.exec(
            select(BoardAction)
            .where(BoardAction.certification_id == cert.id)
            .order_by(col(BoardAction.effective_on), col(BoardAction.id))
        )
    )


def list_page(
    session: Session,
    *,
    principal: Principal,
    credential_code: str | None = None,
    state: str | None = None,
    status: str | None = None,
    due_before: date | None = None,
    person_id: int | None = None,
    q: str | None = None,
    cursor: str | None = None,
    limit: int = 50,
    count: bool = False,
) -> KeysetPage[Certification]:
    """One keyset page of the certifications the caller may see, oldest id first."""
    query = select(Certification)
    clause = visible_to(principal)
    if clause is not None:
        query = query.where(clause)
    if credential_code:
        query = query.where(Certification.credential_code == credential_code.upper())
    if state:
        query = query.where(Certification.state == state.upper())
    if status:
        query = query.where(Certification.status == status)
    if due_before:
        query = query.where(col(Certification.cycle_end) < due_before)
    if person_id:
        query = query.where(Certification.person_id == person_id)
    if q:
        query = query.join(Person, col(Person.id) == col(Certification.person_id)).where(
            or_(
                contains(col(Certification.number), q.strip()),
                contains(col(Person.family_name), q.strip()),
                contains(col(Person.given_name), q.strip()),
                contains(col(Person.email), q.strip()),
            )
        )
    return keyset_page(session, query, Certification.id, cursor=cursor, limit=limit, count=count)


def people_of(session: Session, certs: Sequence[Certification]) -> dict[int, Person]:
    ids = sorted({c.person_id for c in certs})
    return {id_of(p): p for p in session.exec(select(Person).where(col(Person.id).in_(ids)))} if ids else {}


def evaluate(
    session: Session,
    *,
    cert: Certification,
    clock: Clock,
    as_of: date | None = None,
    extra: Sequence[engine.Completion] = (),
    versions: Sequence[engine.RuleVersion] | None = None,
) -> tuple[engine.Evaluation, date]:
    """The engine's answer for one certification as of a date (default: the board's today)."""
    inputs = read_model.gather(session, [id_of(cert)])[id_of(cert)]
    return _evaluate(inputs, clock=clock, as_of=as_of, extra=extra, versions=versions)


async def compliance(
    reads: Reads, *, principal: Principal, certification_id: int, clock: Clock, as_of: date | None = None
) -> tuple[CertRow, engine.Evaluation, date]:
    """A certification the caller may see, evaluated as of a date (default: the board's today).

    The API's hot read: one query on the async reads when the caches are warm, no ORM, no session.
    """

    def admit(cert: CertRow) -> bool:
        return may_see(principal, state=cert.state, person_id=cert.person_id)

    inputs = await reads.run(read_model.one_plan(certification_id, admit))
    if inputs is None:
        raise CertificationNotFound(f"Certification {certification_id} was not found.")
    return (inputs.cert, *_evaluate(inputs, clock=clock, as_of=as_of))


def _evaluate(
    inputs: read_model.Inputs,
    *,
    clock: Clock,
    as_of: date | None,
    extra: Sequence[engine.Completion] = (),
    versions: Sequence[engine.RuleVersion] | None = None,
) -> tuple[engine.Evaluation, date]:
    day = as_of or read_model.today_for(clock, inputs)
    try:
        return read_model.evaluate(inputs, as_of=day, extra=extra, versions=versions), day
    except engine.MissingFact as exc:
        if exc.fact == "cycle_option":
            raise Conflict(
                f"{inputs.cert.credential_code} holders choose a cycle length; record the "
                "certification's cycle_option first."
            ) from exc
        raise Conflict(
            f"{inputs.cert.credential_code} cycles end on the holder's birthday; record the person's "
            "birth_month and birth_day first."
        ) from exc
    except engine.InvalidFact as exc:
        raise Conflict(f"Certification {inputs.cert.id} cannot be evaluated: {exc}.") from exc


def evaluate_today(
    session: Session, certs: Sequence[Certification], *, clock: Clock
) -> dict[int, tuple[engine.Evaluation, date]]:
    """Each certification evaluated as of its board's today, with one set-based gather for all of them.

    Certifications whose rules need a fact that is not recorded (a WA birthday) are left out.
    """
    out: dict[int, tuple[engine.Evaluation, date]] = {}
    for cert_id, item in read_model.gather(session, [id_of(c) for c in certs]).items():
        today = read_model.today_for(clock, item)
        try:
            out[cert_id] = (read_model.evaluate(item, as_of=today), today)
        except (engine.MissingFact, engine.InvalidFact):
            continue
    return out


def refresh_status(
    session: Session, certs: Sequence[Certification], *, clock: Clock
) -> dict[int, tuple[engine.Evaluation, date]]:
    """After a write: store today's status for lists and filters, and leave the rows dirty.

    Only the sweep clears `dirty`, after it has recorded any flag the change caused. Returns the
    evaluations, so callers that also show them do not evaluate twice.
    """
    session.flush()
    results = evaluate_today(session, certs, clock=clock)
    rows = [cached_status.Status.of(cert_id, result, today) for cert_id, (result, today) in results.items()]
    cached_status.store(session, rows, dirty=True)
    dirty.mark(session, certification_ids=[id_of(c) for c in certs if c.id not in results])
    stored = {r.id: r._asdict() for r in rows}
    for cert in certs:  # the session's objects show what was stored, without being written again
        for name, value in stored.get(id_of(cert), {}).items():
            if name != "id":
                set_committed_value(cert, name, value)
        set_committed_value(cert, "dirty", True)
    return results


def find_by_number(session: Session, *, credential_code: str, number: str) -> Certification:
    cert = session.exec(
        select(Certification).where(
            Certification.credential_code == credential_code.upper(), Certification.number == number
        )
    ).first()
    if cert is None:
        raise CertificationNotFound(f"No {credential_code.upper()} certification has number {number}.")
    return cert


def record_activity(
    session: Session, *, principal: Principal, cert: Certification, data: ActivityCreate, clock: Clock
) -> CertificationActivity:
    """Record service or supervision hours (admin, the board) or an attestation (also the holder themself)."""
    versions = rules_service.engine_versions(rules_service.get_versions(session, cert.credential_code))
    declared = {
        o.id: o
        for v in versions
        for o in (*v.rules.requirements.other, *(v.rules.initial_period.requirements if v.rules.initial_period else ()))
    }
    requirement = declared.get(data.requirement_id)
    if requirement is None:
        known = ", ".join(sorted(declared)) or "none"
        raise Unprocessable(
            f"{cert.credential_code} declares no requirement {data.requirement_id!r} (declared: {known}).",
            errors=[
                {
                    "loc": ["body", "requirement_id"],
                    "field": "body.requirement_id",
                    "message": f"one of: {known}",
                    "type": "value_error",
                }
            ],
        )
    if principal.role is Role.peer and requirement.kind != "attestation":
        raise Forbidden("A peer records only their own attestations; hours are recorded by the board.")
    if principal.role is not Role.peer:
        _require_board_write(principal, cert)
    needs_hours = requirement.kind != "attestation"
    if needs_hours != (data.hours is not None):
        message = "hours are required for this requirement" if needs_hours else "an attestation has no hours"
        raise Unprocessable(
            message,
            errors=[{"loc": ["body", "hours"], "field": "body.hours", "message": message, "type": "value_error"}],
        )
    if data.on > clock.today(versions[-1].rules.timezone):
        raise Unprocessable(
            f"{data.on} is in the future.",
            errors=[{"loc": ["body", "on"], "field": "body.on", "message": "in the future", "type": "value_error"}],
        )
    activity = CertificationActivity(
        certification_id=id_of(cert),
        requirement_id=requirement.id,
        kind=requirement.kind,
        on=data.on,
        hours=data.hours,
        note=data.note,
        recorded_by=principal.actor,
    )
    session.add(activity)
    session.flush()
    refresh_status(session, [cert], clock=clock)
    audit.record(
        session,
        actor=principal.actor,
        action="record_activity",
        entity="certification",
        entity_id=cert.id,
        state=cert.state,
        changes={
            "requirement_id": requirement.id,
            "on": str(data.on),
            "hours": str(data.hours) if data.hours is not None else None,
        },
    )
    return activity


def activities_of(session: Session, cert: Certification) -> list[CertificationActivity]:
    return list(
        session.exec(
            select(CertificationActivity)
            .where(CertificationActivity.certification_id == cert.id)
            .order_by(col(CertificationActivity.on), col(CertificationActivity.id))
        )
    )
