"""People: register, read and correct, always within the caller's scope."""

from __future__ import annotations

from sqlalchemy import exists, or_
from sqlalchemy import select as sa_select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from app.audit import service as audit
from app.auth.principal import Principal, Role
from app.certifications.models import Certification
from app.db import get_scoped, utcnow
from app.errors import Conflict, NotFound, Unprocessable
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
            Person.registered_by_state.in_(states),  # type: ignore[union-attr]
            exists(
                sa_select(Certification.id).where(
                    Certification.person_id == Person.id, Certification.state.in_(states)  # type: ignore[attr-defined]
                )
            ),
        )
    return Person.id == -1  # providers see no one


def get_in_scope(session: Session, *, principal: Principal, person_id: int) -> Person:
    """The person, if the caller may see them; 404 otherwise (no existence leak)."""
    return get_scoped(session, Person, person_id, scope=visible_to(principal),
                      missing=PersonNotFound(f"Person {person_id} was not found."))


def _ensure_unique_email(session: Session, email: str, *, except_id: int | None = None) -> None:
    other = session.exec(select(Person.id).where(Person.email == email)).first()
    if other is not None and other != except_id:
        raise Conflict(
            f"A person with this email is already registered (person {other}); "
            "certify that person instead of registering them again."
        )


def create(session: Session, *, principal: Principal, data: PersonCreate) -> Person:
    _ensure_unique_email(session, data.email)
    person = Person(
        **data.model_dump(),
        registered_by_state=min(principal.states) if principal.role is Role.board else None,
    )
    try:
        with session.begin_nested():
            session.add(person)
    except IntegrityError as exc:  # a concurrent registration of the same email
        raise Conflict("A person with this email is already registered.") from exc
    audit.record(session, actor=principal.actor, action="create", entity="person",
                 entity_id=person.id, state=person.registered_by_state,
                 changes={"email": [None, person.email]})
    return person


def update(session: Session, *, principal: Principal, person: Person, data: PersonUpdate) -> Person:
    changes = data.model_dump(exclude_unset=True)
    for field in ("given_name", "family_name", "email"):
        if field in changes and changes[field] is None:
            raise Unprocessable(f"{field} cannot be removed.", errors=[
                {"loc": ["body", field], "field": f"body.{field}", "message": "must not be null",
                 "type": "value_error"}])
    if "email" in changes:
        _ensure_unique_email(session, changes["email"], except_id=person.id)
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
    audit.record(session, actor=principal.actor, action="update", entity="person",
                 entity_id=person.id, state=person.registered_by_state,
                 changes=audit.diff(before, person.model_dump()))
    return person
