"""Building a completion's Open Badges 3.0 credential and the VC-JWT claims around it (no I/O)."""

from __future__ import annotations

import base64
import hashlib
import json
import uuid
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from app.certificates import statuslist
from app.certificates.schemas import (
    Achievement,
    AchievementCredential,
    AchievementSubject,
    Alignment,
    CredentialSchemaRef,
    Criteria,
    IdentityObject,
    Profile,
    StatusEntry,
)

CONTEXT = [statuslist.VC_V2, "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"]
TYPE = ["VerifiableCredential", "OpenBadgeCredential"]
OB_SCHEMA = CredentialSchemaRef(
    id="https://purl.imsglobal.org/spec/ob/v3p0/schema/json/ob_v3p0_achievementcredential_schema.json",
    type="1EdTechJsonSchemaValidator2019",
)
JWT_CLAIMS = ("iss", "jti", "nbf", "sub", "exp", "iat")
_MODALITY = {"in_person": "in person", "live_virtual": "live virtual", "self_paced": "self-paced"}


@dataclass(frozen=True)
class BoardApproval:
    """A board's approval of the course for one credential, as the certificate states it."""

    credential_code: str
    board: str
    categories: tuple[str, ...] = ()
    hours: Decimal | None = None


@dataclass(frozen=True)
class Facts:
    """What a certificate says about a completion, read when it is issued."""

    completion_id: int
    title: str
    description: str | None
    hours: Decimal
    modality: str
    completed_on: date
    awarded_at: datetime
    email: str
    course_id: int | None = None
    course_hours: Decimal | None = None
    provider_id: int | None = None
    provider_name: str | None = None
    topics: tuple[str, ...] = ()
    approvals: tuple[BoardApproval, ...] = ()


def email_hash(email: str, salt: str) -> str:
    """An OB 3.0 IdentityHash of an email: `sha256$` + hex of SHA-256 over the lower-case email and the salt."""
    return "sha256$" + hashlib.sha256((email.strip().lower() + salt).encode()).hexdigest()


def _hours(value: Decimal) -> str:
    return f"{value.normalize():f}"


def build(
    facts: Facts,
    *,
    base_url: str,
    issuer: Profile,
    credential_id: str,
    subject_id: str,
    salt: str,
    status_list: int,
    status_index: int,
    issued_at: datetime,
) -> AchievementCredential:
    """The credential of one completion."""
    hours = _hours(facts.hours)
    if facts.course_id is not None:
        achievement_id = f"{base_url}/v1/courses/{facts.course_id}"
        creator = Profile(id=f"{base_url}/v1/providers/{facts.provider_id}", name=facts.provider_name or "", url=None)
    else:  # CE taken outside the catalog: an achievement of its own
        achievement_id = f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, credential_id + '#achievement')}"
        creator = None
    by = f" from {facts.provider_name}" if facts.provider_name else ""
    narrative = (
        f"Completed {hours} contact hours{by} ({_MODALITY.get(facts.modality, facts.modality)}) "
        f"on {facts.completed_on.isoformat()}."
    )
    alignment = [
        Alignment(
            targetName=f"{a.credential_code} continuing education",
            targetUrl=f"{base_url}/v1/credentials/{a.credential_code}",
            targetCode=a.credential_code,
            targetDescription=f"Approved by {a.board} for {a.credential_code} CE"
            + (f" ({', '.join(a.categories)})" if a.categories else "")
            + (f", {_hours(a.hours)} hours" if a.hours is not None else "")
            + ".",
            targetFramework=a.board,
        )
        for a in facts.approvals
    ] or None
    achievement = Achievement(
        id=achievement_id,
        name=facts.title,
        description=facts.description or f"{facts.title}: continuing education for peer support specialists.",
        criteria=Criteria(narrative=narrative),
        creator=creator,
        creditsAvailable=float(facts.course_hours) if facts.course_hours is not None else None,
        tag=list(facts.topics) or None,
        alignment=alignment,
    )
    list_url = f"{base_url}/v1/certificates/status/{status_list}"
    return AchievementCredential(
        context=list(CONTEXT),
        id=credential_id,
        type=list(TYPE),
        name=facts.title,
        description=f"{hours} hours of continuing education completed on {facts.completed_on.isoformat()}.",
        issuer=issuer,
        validFrom=statuslist.timestamp(issued_at),
        awardedDate=statuslist.timestamp(facts.awarded_at),
        credentialSubject=AchievementSubject(
            id=subject_id,
            identifier=[IdentityObject(identityHash=email_hash(facts.email, salt), salt=salt)],
            achievement=achievement,
            creditsEarned=float(facts.hours),
            activityEndDate=f"{facts.completed_on.isoformat()}T12:00:00Z",
        ),
        credentialStatus=StatusEntry(**statuslist.entry(list_url=list_url, index=status_index)),
        credentialSchema=[OB_SCHEMA],
    )


def claims(credential: dict[str, Any]) -> dict[str, Any]:
    """The VC-JWT payload as Open Badges 3.0 places it: the credential itself, with `iss` (issuer.id), `jti`
    (id), `nbf` (validFrom) and `sub` (credentialSubject.id)."""
    valid_from = datetime.strptime(credential["validFrom"], "%Y-%m-%dT%H:%M:%S%z")
    return {
        **credential,
        "iss": credential["issuer"]["id"] if isinstance(credential["issuer"], dict) else credential["issuer"],
        "jti": credential["id"],
        "nbf": int(valid_from.timestamp()),
        "sub": credential["credentialSubject"]["id"],
    }


def payload_of(token: str) -> dict[str, Any]:
    """The payload of a compact JWS, unverified (for serving a token this service signed and stored)."""
    part = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))


def credential_of(token: str) -> dict[str, Any]:
    """The credential inside a stored VC-JWT: its payload without the registered JWT claims."""
    return {k: v for k, v in payload_of(token).items() if k not in JWT_CLAIMS}
