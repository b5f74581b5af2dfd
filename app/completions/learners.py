"""Who a completion is for: how each role names the learner, and what a provider may learn about them.

A provider knows its learners from its own records: the credential, certification number and family
name on the certificate they showed. That, or the `person_id` of a learner the provider has reported
before, is how it names one. Any mismatch gets one and the same answer (`UNKNOWN_LEARNER`), whether
the number does not exist, belongs to someone else or the person was never its learner, so a provider
cannot probe who is certified. Boards and admins may name a person by id or by certificate; a peer only
reports for themself.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Collection, Iterable

from sqlalchemy import ColumnElement, Integer, String, and_, func, tuple_
from sqlalchemy import select as sa_select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Mapped
from sqlmodel import Session, col

from app.catalog.models import Course
from app.certifications.models import Certification
from app.completions.models import Completion
from app.db import in_values, is_postgres
from app.people.models import Person

UNKNOWN_LEARNER = ("No learner matches: give the credential_code, certificate_number and family_name of the "
                   "learner's certification (or the person_id of a learner you have reported before).")
_CHUNK = 5000  # keys per query: well under SQLite's and PostgreSQL's bind limits


def same_name(a: str, b: str) -> bool:
    """Family names compared as people write them: case, width and composed accents do not matter."""
    return _fold(a) == _fold(b)


def _fold(name: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", name).casefold().split())


def by_certificate(session: Session, keys: Collection[tuple[str, str]]) -> dict[tuple[str, str], tuple[int, str]]:
    """(credential_code, number) -> (person_id, family_name) of the certifications that exist."""
    found: dict[tuple[str, str], tuple[int, str]] = {}
    ordered = sorted(keys)
    for start in range(0, len(ordered), _CHUNK):
        chunk = ordered[start:start + _CHUNK]
        query = (sa_select(col(Certification.credential_code), col(Certification.number), col(Certification.person_id),
                           col(Person.family_name))
                 .join(Person, col(Person.id) == col(Certification.person_id))
                 .where(_pairs_in(session, col(Certification.credential_code), col(Certification.number), chunk)))
        for code, number, person_id, family_name in session.execute(query):
            found[(code, number)] = (person_id, family_name)
    return found


def reported_by(session: Session, provider_id: int, person_ids: Iterable[int]) -> set[int]:
    """Which of these people the provider has reported a completion for before."""
    ids = sorted(set(person_ids))
    known: set[int] = set()
    for start in range(0, len(ids), _CHUNK):
        query = (sa_select(col(Completion.person_id)).distinct()
                 .join(Course, col(Course.id) == col(Completion.course_id))
                 .where(and_(col(Course.provider_id) == provider_id,
                             in_values(session, col(Completion.person_id), ids[start:start + _CHUNK], Integer))))
        known.update(session.execute(query).scalars())
    return known


def _pairs_in(session: Session, first: Mapped[str], second: Mapped[str],
              pairs: list[tuple[str, str]]) -> ColumnElement[bool]:
    """`(first, second) IN pairs`; on PostgreSQL against two unnested arrays (two parameters)."""
    from sqlalchemy import bindparam

    if is_postgres(session):
        return tuple_(first, second).in_(sa_select(
            func.unnest(bindparam(None, [a for a, _ in pairs], type_=ARRAY(String))),
            func.unnest(bindparam(None, [b for _, b in pairs], type_=ARRAY(String)))))
    return tuple_(first, second).in_(pairs)
