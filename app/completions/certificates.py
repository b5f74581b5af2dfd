"""Verifiable completion certificates: Open Badges 3.0 AchievementCredentials as signed JWT VCs."""

from __future__ import annotations

import hashlib
import secrets
import time
from datetime import UTC, datetime
from typing import Any

import jwt
from jwt.algorithms import ECAlgorithm
from pydantic import BaseModel, Field
from sqlmodel import Session

from app.auth.tokens import load_or_create_dev_key, thumbprint
from app.catalog.models import Course, Provider
from app.completions.models import Completion
from app.config import Settings
from app.errors import Conflict
from app.people.models import Person
from app.types import RequestModel

VC_CONTEXT = ["https://www.w3.org/2018/credentials/v1", "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"]


class IssuerKey:
    """The service's signing key for certificates (ES256), kept in DATA_DIR beside the dev auth key."""

    def __init__(self, settings: Settings) -> None:
        self.path = settings.issuer_key_file or settings.data_dir / "issuer-signing-key.pem"
        self.issuer_id = settings.base_url
        self._private = None

    @property
    def private(self):
        if self._private is None:
            self._private = load_or_create_dev_key(self.path, purpose="certificate issuer")
        return self._private

    @property
    def kid(self) -> str:
        return thumbprint(self.private.public_key())

    def jwks(self) -> dict[str, Any]:
        jwk = ECAlgorithm.to_jwk(self.private.public_key(), as_dict=True)
        return {"keys": [{**jwk, "kid": self.kid, "alg": "ES256", "use": "sig"}]}


class CertificateOut(BaseModel):
    completion_id: int
    format: str = "jwt_vc"
    certificate: str = Field(description="The signed credential (compact JWS)")
    credential: dict[str, Any] = Field(description="The AchievementCredential inside it, for display")


class VerifyRequest(RequestModel):
    certificate: str = Field(min_length=10, max_length=20_000)


class VerifyResult(BaseModel):
    valid: bool
    signature_valid: bool
    voided: bool
    completion_id: int | None = None
    achievement: str | None = None
    hours: float | None = None
    completed_on: str | None = None
    reasons: list[str]


def issue(session: Session, *, completion: Completion, key: IssuerKey) -> CertificateOut:
    if completion.status != "accepted":
        raise Conflict(f"Completion {completion.id} is {completion.status}; only accepted completions get a certificate.")
    person = session.get(Person, completion.person_id)
    course = session.get(Course, completion.course_id) if completion.course_id else None
    provider = session.get(Provider, course.provider_id) if course else None
    salt = secrets.token_hex(8)
    identity = hashlib.sha256((person.email + salt).encode()).hexdigest()  # type: ignore[union-attr]
    credential_id = f"{key.issuer_id}/v1/completions/{completion.id}/certificate"
    issued = datetime.now(UTC).replace(microsecond=0)
    credential = {
        "@context": VC_CONTEXT,
        "id": credential_id,
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "issuer": {"id": key.issuer_id, "type": ["Profile"], "name": "peer-ce"},
        "issuanceDate": issued.isoformat().replace("+00:00", "Z"),
        "name": f"CE completion: {completion.title}",
        "credentialSubject": {
            "type": ["AchievementSubject"],
            "identifier": [{"type": "IdentityObject", "identityType": "emailAddress", "hashed": True,
                            "identityHash": f"sha256${identity}", "salt": salt}],
            "achievement": {
                "id": f"{key.issuer_id}/v1/courses/{course.id}" if course else f"urn:peer-ce:outside-ce:{completion.id}",
                "type": ["Achievement"],
                "achievementType": "Course",
                "name": completion.title,
                "description": (course.description if course and course.description else completion.title),
                "criteria": {"narrative": f"Completed {completion.hours} contact hours on {completion.completed_on} "
                                          f"({completion.modality.replace('_', ' ')})."},
                "creator": {"id": f"{key.issuer_id}/v1/providers/{provider.id}" if provider else key.issuer_id,
                            "type": ["Profile"], "name": provider.name if provider else (completion.provider_name or "")},
                "fieldOfStudy": "Peer support continuing education",
            },
            "result": [{"type": ["Result"], "value": str(completion.hours), "resultDescription": "contact hours"}],
            "activityEndDate": f"{completion.completed_on}T00:00:00Z",
        },
    }
    claims = {"iss": key.issuer_id, "jti": credential_id, "sub": f"urn:peer-ce:completion:{completion.id}",
              "nbf": int(issued.timestamp()), "iat": int(time.time()), "vc": credential}
    token = jwt.encode(claims, key.private, algorithm="ES256", headers={"kid": key.kid, "typ": "JWT"})
    return CertificateOut(completion_id=completion.id, certificate=token, credential=credential)  # type: ignore[arg-type]


def verify(session: Session, *, token: str, key: IssuerKey) -> VerifyResult:
    try:
        claims = jwt.decode(token, key.private.public_key(), algorithms=["ES256"], issuer=key.issuer_id,
                            options={"require": ["iss", "sub", "jti", "vc"], "verify_aud": False})
    except jwt.InvalidTokenError as exc:
        return VerifyResult(valid=False, signature_valid=False, voided=False,
                            reasons=[f"not a certificate issued by this service: {exc}"])
    subject = str(claims.get("sub", ""))
    completion_id = int(subject.rsplit(":", 1)[-1]) if subject.startswith("urn:peer-ce:completion:") else None
    completion = session.get(Completion, completion_id) if completion_id else None
    vc = claims["vc"]
    achievement = vc.get("credentialSubject", {}).get("achievement", {})
    result = VerifyResult(valid=True, signature_valid=True, voided=False, completion_id=completion_id,
                          achievement=achievement.get("name"),
                          hours=float(completion.hours) if completion else None,
                          completed_on=str(completion.completed_on) if completion else None,
                          reasons=["signature verified"])
    if completion is None:
        result.valid = False
        result.reasons.append("the completion is no longer on record")
    elif completion.status != "accepted":
        result.valid, result.voided = False, completion.status == "voided"
        result.reasons.append(f"the completion was {completion.status}"
                              + (f": {completion.void_reason}" if completion.void_reason else ""))
    return result
