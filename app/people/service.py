"""People: register, read and correct, always within the caller's scope."""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy import Integer, exists, or_
from sqlalchemy import select as sa_select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from app.audit import service as audit
from app.auth.principal import Principal, Role
from app.certifications.models import Certification
from app.db import get_scoped, id_of, in_values, utcnow
from app.errors import Conflict, Forbidden, NotFound, Unprocessable
from app.people.models import Person
from app.people.schemas import PersonCreate, PersonUpdate


class PersonNotFound(NotFound):
    pass


def visible_to(principal: Principal):
    """WHERE clause: the people a caller may see (None = everyone)."""
    if principal.is_admin:
        return None
    if principal.role is Role.peer:
        return Person.id == principal.person_id
    if principal.role is Role.board:
        states = sorted(principal.states)
        return or_(
            col(Person.registered_by_state).in_(states),
            exists(
                sa_select(col(Certification.id)).where(
                    col(Certification.person_id) == Person.id, col(Certification.state).in_(states)
                )
            ),
        )
    return Person.id == -1  # providers see no one


def get_in_scope(session: Session, *, principal: Principal, person_id: int) -> Person:
    """The person, if the caller may see them; 404 otherwise (no existence leak)."""
    return get_scoped(
        session,
        Person,
        person_id,
        scope=visible_to(principal),
        missing=PersonNotFound(f"Person {person_id} was not found."),
    )


def held_states(session: Session, person_ids: Collection[int]) -> dict[int, set[str]]:
    """The states each of these people holds a certification in (people with none are absent)."""
    out: dict[int, set[str]] = {}
    ids = sorted(set(person_ids))
    for start in range(0, len(ids), 5000):
        for person_id, state in session.exec(
            select(Certification.person_id, Certification.state)
            .where(in_values(session, col(Certification.person_id), ids[start : start + 5000], Integer))
            .distinct()
        ):
            out.setdefault(person_id, set()).add(state)
    return out


def states_held_by(session: Session, person_ids: Collection[int]) -> set[str]:
    """The states any of these people holds a certification in (`held_states` of them all, in one set)."""
    out: set[str] = set()
    ids = sorted(set(person_ids))
    for start in range(0, len(ids), 5000):
        out.update(
            session.exec(
                select(Certification.state)
                .where(in_values(session, col(Certification.person_id), ids[start : start + 5000], Integer))
                .distinct()
            )
        )
    return out


def states_of(session: Session, person: Person) -> set[str]:
    """The states whose records a person's record belongs to: where they hold certifications, else the
    state that registered them."""
    return held_states(session, [id_of(person)]).get(id_of(person)) or (
        {person.registered_by_state} if person.registered_by_state else set()
    )


def may_change(principal: Principal, states: set[str]) -> bool:
    """A person's record is one for all their states: an admin changes it, or a board of every one of them."""
    return principal.is_admin or (principal.role is Role.board and states <= principal.states)


def who_may_change(person_id: int | None, states: set[str]) -> str:
    """The 403's detail: whose the record is, and who may change it."""
    listed = ", ".join(sorted(states))
    return (
        f"Person {person_id} holds certifications in {listed}: only an admin, or a board of "
        f"{'all of ' if len(states) > 1 else ''}{listed}, may change this record."
    )


def require_change(session: Session, principal: Principal, person: Person) -> set[str]:
    """The person's states, if the caller may change the record (attach a certification, correct it); else 403."""
    states = states_of(session, person)
    if not may_change(principal, states):
        raise Forbidden(who_may_change(person.id, states))
    return states


def _ensure_unique_email(session: Session, principal: Principal, email: str, *, except_id: int | None = None) -> None:
    """Emails are unique. The clash names the person only to a caller who may see them."""
    other = session.exec(select(Person.id).where(Person.email == email)).first()
    if other is None or other == except_id:
        return
    scope = visible_to(principal)
    if scope is None or session.exec(select(Person.id).where(Person.id == other, scope)).first() is not None:
        raise Conflict(
            f"A person with this email is already registered (person {other}); "
            "certify that person instead of registering them again."
        )
    raise Conflict(
        "A person with this email is already registered, in another state's records; an admin can "
        "add your certification to that person."
    )


def create(session: Session, *, principal: Principal, data: PersonCreate) -> Person:
    _ensure_unique_email(session, principal, data.email)
    person = Person(
        **data.model_dump(),
        registered_by_state=min(principal.states) if principal.role is Role.board else None,
    )
    try:
        with session.begin_nested():
            session.add(person)
    except IntegrityError as exc:  # a concurrent registration of the same email
        raise Conflict("A person with this email is already registered.") from exc
    audit.record(
        session,
        actor=principal.actor,
        action="create",
        entity="person",
        entity_id=person.id,
        state=person.registered_by_state,
        changes={"email": [None, person.email]},
    )
    return person


def update(session: Session, *, principal: Principal, person: Person, data: PersonUpdate) -> Person:
    """Correct a person's record: an admin, or a board of every state the person is certified in."""
    states = require_change(session, principal, person)
    changes = data.model_dump(exclude_unset=True)
    for field in ("given_name", "family_name", "email"):
        if field in changes and changes[field] is None:
            raise Unprocessable(
                f"{field} cannot be removed.",
                errors=[
                    {
                        "loc": ["body", field],
                        "field": f"body.{field}",
                        "message": "must not be null",
                        "type": "value_error",
                    }
                ],
            )
    if "email" in changes:
        _ensure_unique_email(session, principal, changes["email"], except_id=person.id)
    month = changes.get("birth_month", person.birth_month)
    day = changes.get("birth_day", person.birth_day)
    if (month is None) != (day is None):
        raise Unprocessable("birth_month and birth_day go together.")
    before = person.model_dump()
    for field, value in changes.items():
        setattr(person, field, value)
    person.updated_at = utcnow()
    session.add(person)
    session.flush()
    if {"birth_month", "birth_day"} & set(changes):  # birthday-anchored cycles may move
        from app.compliance import dirty

        dirty.mark(session, person_ids=[id_of(person)])
    audit.record(
        session,
        actor=principal.actor,
        action="update",
        entity="person",
        entity_id=person.id,
        state=person.registered_by_state,
        states=states,
        changes=audit.diff(before, person.model_dump()),
    )
    return person
