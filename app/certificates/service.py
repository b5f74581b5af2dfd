"""Issuing a completion's certificate once, serving it unchanged, revoking it, and verifying presented ones.

A certificate is issued in the transaction that accepts its completion (a recorded completion, an approved
self-report, a correction). Completions accepted without one (rosters, whose tens of thousands of rows would each
need a signature, and completions older than certificates) get theirs on first fetch, in a write unit of its own
(`issue_on_fetch`): the completion's row is locked and the question asked again, so concurrent fetches store one.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from typing import Any

import jwt
from sqlalchemy import func
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from app.audit import service as audit
from app.catalog import service as catalog
from app.catalog.models import Course, Provider
from app.certificates import credential as credentials
from app.certificates import statuslist
from app.certificates.keys import Issuer
from app.certificates.models import Certificate, CredentialSubject
from app.certificates.schemas import AchievementCredential, CertificatePublic, Profile, VerifyResult
from app.certifications.models import Certification
from app.completions.models import Completion
from app.db import id_of, utcnow
from app.errors import Conflict, NotFound
from app.people import service as people
from app.people.models import Person
from app.rules import service as rules

_TRIES = 64


class CertificateUnavailable(Conflict):
    pass


class StatusListNotFound(NotFound):
    pass


# --- issuing ---------------------------------------------------------------------------------------------


def stored(session: Session, completion_id: int) -> Certificate | None:
    return session.exec(select(Certificate).where(Certificate.completion_id == completion_id)).first()


def issue(session: Session, *, completion: Completion, issuer: Issuer, actor: str) -> Certificate:
    """Sign and store the certificate of an accepted completion (the one already stored, if any)."""
    existing = stored(session, id_of(completion))
    if existing is not None:
        return existing
    if completion.status != "accepted":
        raise CertificateUnavailable(
            f"Completion {completion.id} is {completion.status}; only accepted completions get a certificate."
        )
    facts = _facts(session, completion)
    subject_id = _subject_of(session, completion.person_id)
    issued_at = utcnow().replace(microsecond=0)
    profile = Profile(id=issuer.did, name=issuer.name, url=issuer.base_url)
    for _ in range(_TRIES):
        status_list, status_index = _free_index(session)
        credential_id = f"urn:uuid:{uuid.uuid4()}"
        built = credentials.build(
            facts,
            base_url=issuer.base_url,
            issuer=profile,
            credential_id=credential_id,
            subject_id=subject_id,
            salt=secrets.token_hex(16),
            status_list=status_list,
            status_index=status_index,
            issued_at=issued_at,
        )
        token = issuer.sign(credentials.claims(built.model_dump(mode="json")))
        cert = Certificate(
            completion_id=id_of(completion),
            credential_id=credential_id,
            status_list=status_list,
            status_index=status_index,
            token=token,
            kid=issuer.signing.kid,
            issued_at=issued_at,
        )
        try:
            with session.begin_nested():
                session.add(cert)
        except IntegrityError:
            existing = stored(session, id_of(completion))
            if existing is not None:  # a concurrent request issued it first
                return existing
            continue  # its status index was taken meanwhile: another one
        audit.record(
            session,
            actor=actor,
            action="issue",
            entity="certificate",
            entity_id=cert.id,
            states=_states(session, completion.person_id),
            changes={
                "completion_id": completion.id,
                "credential_id": credential_id,
                "status_list": status_list,
                "status_index": status_index,
                "kid": cert.kid,
            },
        )
        return cert
    raise CertificateUnavailable("No free status-list entry was found; try again.")


def issue_on_fetch(session: Session, *, completion: Completion, issuer: Issuer, actor: str) -> Certificate:
    """The first fetch of a certificate not issued yet, in a unit that writes: lock the completion (a void
    waits, or is waited for), ask again, issue."""
    locked = session.exec(
        select(Completion)
        .where(Completion.id == completion.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one()
    return issue(session, completion=locked, issuer=issuer, actor=actor)


def _free_index(session: Session) -> tuple[int, int]:
    """The open status list (the latest, until it is half full) and a random free index in it."""
    latest = session.exec(select(func.max(Certificate.status_list))).one() or 1
    used = session.exec(select(func.count(col(Certificate.id))).where(Certificate.status_list == latest)).one()
    status_list = latest + 1 if used >= statuslist.FILL else latest
    for _ in range(_TRIES):
        index = secrets.randbelow(statuslist.LIST_SIZE)
        taken = session.exec(
            select(Certificate.id).where(Certificate.status_list == status_list, Certificate.status_index == index)
        ).first()
        if taken is None:
            return status_list, index
    raise CertificateUnavailable("No free status-list entry was found; try again.")


def _subject_of(session: Session, person_id: int) -> str:
    """The learner's `credentialSubject.id`, created with their first certificate."""
    query = select(CredentialSubject.subject_id).where(CredentialSubject.person_id == person_id)
    found = session.exec(query).first()
    if found is not None:
        return found
    subject = CredentialSubject(person_id=person_id, subject_id=f"urn:uuid:{uuid.uuid4()}")
    try:
        with session.begin_nested():
            session.add(subject)
    except IntegrityError:
        return session.exec(query).one()  # created meanwhile by a concurrent certificate of theirs
    return subject.subject_id


def _states(session: Session, person_id: int) -> set[str]:
    return people.held_states(session, [person_id]).get(person_id, set())


def _facts(session: Session, completion: Completion) -> credentials.Facts:
    person = session.get(Person, completion.person_id)
    assert person is not None
    course = session.get(Course, completion.course_id) if completion.course_id else None
    provider = session.get(Provider, course.provider_id) if course else None
    reviewed = completion.source == "self_report" and completion.reviewed_at is not None
    return credentials.Facts(
        completion_id=id_of(completion),
        title=completion.title,
        description=course.description if course else None,
        hours=completion.hours,
        modality=completion.modality,
        completed_on=completion.completed_on,
        awarded_at=completion.reviewed_at if reviewed else completion.created_at,  # type: ignore[arg-type]
        email=person.email,
        course_id=course.id if course else None,
        course_hours=course.hours if course else None,
        provider_id=provider.id if provider else None,
        provider_name=provider.name if provider else completion.provider_name,
        topics=tuple(sorted(catalog.topics_of(session, [id_of(course)]).get(id_of(course), ()))) if course else (),
        approvals=_approvals(session, completion, course),
    )


def _approvals(
    session: Session, completion: Completion, course: Course | None
) -> tuple[credentials.BoardApproval, ...]:
    """The boards' approvals that stood on the completion date, and a board's acceptance of a self-report."""
    on = completion.completed_on
    found: dict[str, tuple[tuple[str, ...], Any]] = {}
    if course is not None:
        for a in catalog.engine_approvals(session, [id_of(course)]).get(id_of(course), ()):
            if (
                (a.valid_from is None or a.valid_from <= on)
                and (a.valid_until is None or on <= a.valid_until)
                and (a.withdrawn_on is None or on < a.withdrawn_on)
            ):
                found[a.credential_code] = (tuple(sorted(a.categories)), a.hours)
    if completion.source == "self_report" and completion.review_state:
        codes = session.exec(
            select(Certification.credential_code).where(
                Certification.person_id == completion.person_id, Certification.state == completion.review_state
            )
        )
        for code in sorted(set(codes)):
            found.setdefault(code, (tuple(completion.review_categories), None))
    out = []
    for code, (categories, hours) in sorted(found.items()):
        versions = rules.versions_of(session, code)
        board = str(rules.in_effect(versions, on).document.get("body", code)) if versions else code
        out.append(credentials.BoardApproval(credential_code=code, board=board, categories=categories, hours=hours))
    return tuple(out)


# --- revoking --------------------------------------------------------------------------------------------


def revoke(session: Session, *, completion: Completion, actor: str, states: set[str]) -> Certificate | None:
    """The completion was voided: set its certificate's status-list bit (if it has one)."""
    cert = stored(session, id_of(completion))
    if cert is None or cert.revoked_at is not None:
        return cert
    cert.revoked_at, cert.revocation_reason = utcnow(), "voided"
    session.add(cert)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="revoke",
        entity="certificate",
        entity_id=cert.id,
        states=states,
        changes={
            "completion_id": completion.id,
            "revocation_reason": [None, "voided"],
            "status_list": cert.status_list,
            "status_index": cert.status_index,
        },
    )
    return cert


def supersede(session: Session, *, old: Completion, new: Completion, actor: str, states: set[str]) -> None:
    """A correction replaced `old` by `new`: the old certificate (revoked with the void) points to the new one."""
    before, after = stored(session, id_of(old)), stored(session, id_of(new))
    if before is None:
        return
    if before.revoked_at is None:
        before.revoked_at = utcnow()
    before.revocation_reason, before.superseded_by_id = "superseded", after.id if after else None
    session.add(before)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="supersede",
        entity="certificate",
        entity_id=before.id,
        states=states,
        changes={
            "completion_id": old.id,
            "revocation_reason": "superseded",
            "superseded_by": after.credential_id if after else None,
            "corrected_by": new.id,
        },
    )


# --- serving ---------------------------------------------------------------------------------------------


def by_credential_id(session: Session, credential_id: str) -> Certificate:
    cert = session.exec(select(Certificate).where(Certificate.credential_id == credential_id)).first()
    if cert is None:
        raise NotFound("No certificate has this id.")
    return cert


def public(session: Session, cert: Certificate, *, issuer: Issuer) -> CertificatePublic:
    replacement = session.get(Certificate, cert.superseded_by_id) if cert.superseded_by_id else None
    return CertificatePublic(
        completion_id=cert.completion_id,
        credential_id=cert.credential_id,
        certificate=cert.token,
        credential=AchievementCredential.model_validate(credentials.credential_of(cert.token)),
        status="revoked" if cert.revoked_at else "active",
        issued_at=cert.issued_at,
        revoked_at=cert.revoked_at,
        revocation_reason=cert.revocation_reason,  # type: ignore[arg-type]
        superseded_by=replacement.credential_id if replacement else None,
        verify_url=f"{issuer.base_url}/v1/certificates/verify",
    )


@dataclass(frozen=True)
class SignedList:
    token: str
    etag: str


_signed: dict[tuple[Any, ...], str] = {}  # (list, kid, validFrom, revoked digest) -> token: a list is signed once


def status_list(session: Session, *, list_no: int, issuer: Issuer, ttl_seconds: int) -> SignedList:
    """One status list as a signed VC-JWT, with an ETag that changes exactly when the list (or the key) does."""
    first = session.exec(select(func.min(Certificate.issued_at)).where(Certificate.status_list == list_no)).one()
    if first is None:
        raise StatusListNotFound(f"Status list {list_no} was not found.")
    revoked = session.exec(
        select(Certificate.status_index, Certificate.revoked_at).where(
            Certificate.status_list == list_no, col(Certificate.revoked_at).is_not(None)
        )
    ).all()
    indexes = sorted(i for i, _ in revoked)
    valid_from = max([first, *(at for _, at in revoked if at is not None)])  # revoked: revoked_at is set
    digest = hashlib.sha256(",".join(map(str, indexes)).encode()).hexdigest()
    key = (list_no, issuer.signing.kid, statuslist.timestamp(valid_from), digest, ttl_seconds, issuer.base_url)
    token = _signed.get(key)
    if token is None:
        url = f"{issuer.base_url}/v1/certificates/status/{list_no}"
        document = statuslist.credential(
            url=url, issuer=issuer.did, valid_from=valid_from, revoked=indexes, ttl_seconds=ttl_seconds
        )
        token = issuer.sign(credentials.claims(document))
        if len(_signed) > 256:
            _signed.clear()
        _signed[key] = token
    return SignedList(token=token, etag='"' + hashlib.sha256(token.encode()).hexdigest()[:40] + '"')


# --- verifying -------------------------------------------------------------------------------------------


def verify(session: Session, *, token: str, issuer: Issuer) -> VerifyResult:
    """Check a presented certificate: the signature against this issuer's keys, then its record."""

    def refused(reason: str) -> VerifyResult:
        return VerifyResult(
            valid=False, signature_valid=False, revoked=False, voided=False, superseded=False, reasons=[reason]
        )

    try:
        header = jwt.get_unverified_header(token)
    except jwt.InvalidTokenError as exc:
        return refused(f"not a compact JWS: {exc}")
    key = issuer.find(str(header.get("kid", "")))
    if key is None:
        return refused("not signed by a key of this issuer (unknown kid)")
    try:
        claims = jwt.decode(
            token, key.key, algorithms=[key.alg], options={"require": ["iss", "jti"], "verify_aud": False}
        )
    except jwt.InvalidTokenError as exc:
        return refused(f"the signature or claims do not verify: {exc}")
    reasons = ["signature verified" + (" (a retired key of this issuer)" if key.retired else "")]
    cert = session.exec(select(Certificate).where(Certificate.credential_id == claims["jti"])).first()
    if cert is None:
        return _legacy(session, claims, reasons)
    completion = session.get(Completion, cert.completion_id)
    assert completion is not None
    replacement = session.get(Certificate, cert.superseded_by_id) if cert.superseded_by_id else None
    result = VerifyResult(
        valid=False,
        signature_valid=True,
        revoked=cert.revoked_at is not None,
        voided=completion.status == "voided",
        superseded=cert.revocation_reason == "superseded",
        superseded_by=replacement.credential_id if replacement else None,
        credential_id=cert.credential_id,
        completion_id=completion.id,
        achievement=completion.title,
        hours=float(completion.hours),
        completed_on=completion.completed_on.isoformat(),
        reasons=reasons,
    )
    if token != cert.token:
        result.reasons.append("signed by this issuer, but not the certificate on record under this id")
        return result
    if result.superseded:
        result.reasons.append(
            "superseded by a corrected certificate" + (f" ({result.superseded_by})" if result.superseded_by else "")
        )
    if result.voided:
        # never the void's reason: a board's free text about a person, and the check is public
        result.reasons.append("the completion was voided")
    if result.revoked:
        result.reasons.append(
            f"revoked on {statuslist.timestamp(cert.revoked_at)} (status list "  # type: ignore[arg-type]
            f"{cert.status_list}, index {cert.status_index})"
        )
    result.valid = not (result.revoked or result.voided)
    if result.valid:
        result.reasons.append("on record and not revoked")
    return result


def _legacy(session: Session, claims: dict[str, Any], reasons: list[str]) -> VerifyResult:
    """A certificate from before certificates were stored (the credential under `vc`, `sub` naming the
    completion): it stands for its completion, which now has (or will get) a stored certificate."""
    subject = str(claims.get("sub", ""))
    completion_id = int(subject.rsplit(":", 1)[-1]) if subject.startswith("urn:peer-ce:completion:") else None
    completion = session.get(Completion, completion_id) if completion_id else None
    if completion is None or "vc" not in claims:
        return VerifyResult(
            valid=False,
            signature_valid=True,
            revoked=False,
            voided=False,
            superseded=False,
            reasons=[*reasons, "no certificate of this issuer is on record under this id"],
        )
    voided = completion.status == "voided"
    result = VerifyResult(
        valid=completion.status == "accepted",
        signature_valid=True,
        revoked=False,
        voided=voided,
        superseded=False,
        completion_id=completion.id,
        achievement=completion.title,
        hours=float(completion.hours),
        completed_on=completion.completed_on.isoformat(),
        reasons=[*reasons, "a certificate issued before certificates were stored: fetch the current one"],
    )
    if voided:
        # never the void's reason: a board's free text about a person, and the check is public
        result.reasons.append("the completion was voided")
    elif completion.status != "accepted":
        result.reasons.append(f"the completion is {completion.status}")
    return result
