"""Who a completion is for: how each role names the learner, and what a provider may learn about them.

A provider knows its learners from its own records: the credential, certification number and family
name on the certificate they showed. That, or the `person_id` of a learner the provider has reported
before, is how it names one. Any mismatch gets one and the same answer (`UNKNOWN_LEARNER`), whether
the number does not exist, belongs to someone else or the person was never its learner, so a provider
cannot probe who is certified. Boards and admins may name a person by id or by certificate; a peer only
reports for themself.

A completion keeps the certification its learner was named by, so a provider's completion lists show the
learner's name and the number the provider gave, and nothing of the learner's other certifications.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Collection, Iterable

from sqlalchemy import ColumnElement, Integer, String, and_, func, tuple_
from sqlalchemy import select as sa_select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Mapped
from sqlmodel import Session, col

from app.auth.principal import Principal, Role
from app.catalog.models import Course
from app.certifications.models import Certification
from app.completions.models import Completion
from app.db import id_of, in_values, is_postgres
from app.people.models import Person

UNKNOWN_LEARNER = (
    "No learner matches: give the credential_code, certificate_number and family_name of the "
    "learner's certification (or the person_id of a learner you have reported before)."
)
_CHUNK = 5000  # keys per query: well under SQLite's and PostgreSQL's bind limits


def same_name(a: str, b: str) -> bool:
    """Family names compared as people write them: case, width and composed accents do not matter."""
    return _fold(a) == _fold(b)


def _fold(name: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", name).casefold().split())


def by_certificate(session: Session, keys: Collection[tuple[str, str]]) -> dict[tuple[str, str], tuple[int, str]]:
    """(credential_code, number) -> (person_id, family_name) of the certifications that exist."""
    return {key: (person_id, family_name) for key, (person_id, family_name, _) in certificates(session, keys).items()}


def certificates(session: Session, keys: Collection[tuple[str, str]]) -> dict[tuple[str, str], tuple[int, str, int]]:
    """(credential_code, number) -> (person_id, family_name, certification_id) of the certifications that exist."""
    found: dict[tuple[str, str], tuple[int, str, int]] = {}
    ordered = sorted(keys)
    for start in range(0, len(ordered), _CHUNK):
        chunk = ordered[start : start + _CHUNK]
        query = (
            sa_select(
                col(Certification.credential_code),
                col(Certification.number),
                col(Certification.person_id),
                col(Person.family_name),
                col(Certification.id),
            )
            .join(Person, col(Person.id) == col(Certification.person_id))
            .where(_pairs_in(session, col(Certification.credential_code), col(Certification.number), chunk))
        )
        for code, number, person_id, family_name, cert_id in session.execute(query):
            found[(code, number)] = (person_id, family_name, cert_id)
    return found


def named_before(session: Session, provider_id: int, person_ids: Iterable[int]) -> dict[int, int]:
    """person_id -> the certification the provider last named that learner by (its own reports only), for
    the learners it now names by person_id: what its completion lists show, and nothing it did not know."""
    ids = sorted(set(person_ids))
    out: dict[int, int] = {}
    for start in range(0, len(ids), _CHUNK):
        query = (
            sa_select(col(Completion.person_id), col(Completion.learner_certification_id))
            .join(Course, col(Course.id) == col(Completion.course_id))
            .where(
                and_(
                    col(Course.provider_id) == provider_id,
                    col(Completion.source) == "provider",
                    col(Completion.learner_certification_id).is_not(None),
                    in_values(session, col(Completion.person_id), ids[start : start + _CHUNK], Integer),
                )
            )
            .order_by(col(Completion.id))
        )
        for person_id, cert_id in session.execute(query):
            out[person_id] = cert_id  # the latest wins
    return out


def reported_by(session: Session, provider_id: int, person_ids: Iterable[int]) -> set[int]:
    """Which of these people the provider has a completion for on its courses (it sees those completions, and
    their person_id, already)."""
    ids = sorted(set(person_ids))
    known: set[int] = set()
    for start in range(0, len(ids), _CHUNK):
        query = (
            sa_select(col(Completion.person_id))
            .distinct()
            .join(Course, col(Course.id) == col(Completion.course_id))
            .where(
                and_(
                    col(Course.provider_id) == provider_id,
                    in_values(session, col(Completion.person_id), ids[start : start + _CHUNK], Integer),
                )
            )
        )
        known.update(session.execute(query).scalars())
    return known


def _pairs_in(
    session: Session, first: Mapped[str], second: Mapped[str], pairs: list[tuple[str, str]]
) -> ColumnElement[bool]:
    """`(first, second) IN pairs`; on PostgreSQL against two unnested arrays (two parameters)."""
    from sqlalchemy import bindparam

    if is_postgres(session):
        return tuple_(first, second).in_(
            sa_select(
                func.unnest(bindparam(None, [a for a, _ in pairs], type_=ARRAY(String))),
                func.unnest(bindparam(None, [b for _, b in pairs], type_=ARRAY(String))),
            )
        )
    return tuple_(first, second).in_(pairs)


def described(session: Session, principal: Principal, completions: Collection[Completion]) -> dict[int, dict]:
    """Who each completion is for, as the caller may know them (completion id -> learner fields).

    Admins and boards see the learner's name, and the certification the learner was named by (a board: if
    it is of one of its states). A provider sees them only on the completions it reported itself naming
    the learner by certificate (or by the person_id of a learner it had named so): the number and family
    name it gave, and the given name public verification shows for that number; nothing of learners that
    others reported on its courses. Peers get nothing here: it is their own record. Two queries.
    """
    role = principal.role
    if role not in (Role.admin, Role.board, Role.provider) or not completions:
        return {}
    person_ids = sorted({c.person_id for c in completions})
    names: dict[int, tuple[str, str]] = {}
    for start in range(0, len(person_ids), _CHUNK):
        query = sa_select(col(Person.id), col(Person.given_name), col(Person.family_name)).where(
            in_values(session, col(Person.id), person_ids[start : start + _CHUNK], Integer)
        )
        names.update({pid: (given, family) for pid, given, family in session.execute(query)})
    cert_ids = sorted({c.learner_certification_id for c in completions if c.learner_certification_id})
    certs: dict[int, tuple[str, str, str]] = {}
    for start in range(0, len(cert_ids), _CHUNK):
        by_id = sa_select(
            col(Certification.id),
            col(Certification.credential_code),
            col(Certification.number),
            col(Certification.state),
        ).where(in_values(session, col(Certification.id), cert_ids[start : start + _CHUNK], Integer))
        certs.update({cid: (code, number, state) for cid, code, number, state in session.execute(by_id)})
    out: dict[int, dict] = {}
    for c in completions:
        given, family = names.get(c.person_id, ("", ""))
        cert = certs.get(c.learner_certification_id) if c.learner_certification_id else None
        if role is Role.provider and (cert is None or c.source != "provider"):
            continue  # reported by a board or an admin, or by person_id alone: not a learner it named
        if cert is not None and role is Role.board and cert[2] not in principal.states:
            cert = None
        out[id_of(c)] = {
            "given_name": given,
            "family_name": family,
            "credential_code": cert[0] if cert else None,
            "certificate_number": cert[1] if cert else None,
        }
    return out
