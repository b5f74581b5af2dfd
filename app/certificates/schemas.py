"""API shapes of certificates: the Open Badges 3.0 credential, typed member by member, and its envelopes.

The credential models are also how a credential is built (`app.certificates.credential`), so the document and
what is signed cannot drift apart. Optional members are left out when absent, never sent as null: the OB 3.0
schema does not allow null there.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from app.types import RequestModel

# One credential as issued (tests check that the document's examples are valid).
EXAMPLE_CREDENTIAL: dict[str, Any] = {
    "@context": ["https://www.w3.org/ns/credentials/v2", "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"],
    "id": "urn:uuid:9f1c2f4e-8d0b-4c61-9a55-3e0f4a7b2c11",
    "type": ["VerifiableCredential", "OpenBadgeCredential"],
    "name": "Trauma-informed peer support",
    "description": "3 hours of continuing education completed on 2026-10-02.",
    "issuer": {"id": "did:web:ce.example.org", "type": ["Profile"], "name": "peer-ce", "url": "https://ce.example.org"},
    "validFrom": "2026-10-03T08:00:05Z",
    "awardedDate": "2026-10-03T08:00:00Z",
    "credentialSubject": {
        "id": "urn:uuid:3b6d0c1e-52a4-4f0e-8c7d-1a2b3c4d5e6f",
        "type": ["AchievementSubject"],
        "identifier": [
            {
                "type": "IdentityObject",
                "identityType": "emailAddress",
                "hashed": True,
                "identityHash": "sha256$4adbf4736dd335e4c279fe52c9c87e4daec56e0ba956655b557fe134c64bdf67",
                "salt": "5f0c6f3e9a8b4c1d7e2a9b8c7d6e5f40",
            }
        ],
        "achievement": {
            "id": "https://ce.example.org/v1/courses/7",
            "type": ["Achievement"],
            "achievementType": "Course",
            "name": "Trauma-informed peer support",
            "description": "Trauma-informed practice for peer specialists: safety, choice and collaboration.",
            "criteria": {"narrative": "Completed 3 contact hours from Southeast ATTC (live virtual) on 2026-10-02."},
            "creator": {"id": "https://ce.example.org/v1/providers/2", "type": ["Profile"], "name": "Southeast ATTC"},
            "creditsAvailable": 3.0,
            "fieldOfStudy": "Peer support continuing education",
            "inLanguage": "en",
            "tag": ["trauma-informed-practice"],
            "alignment": [
                {
                    "type": ["Alignment"],
                    "targetName": "NC-CPSS continuing education",
                    "targetUrl": "https://ce.example.org/v1/credentials/NC-CPSS",
                    "targetCode": "NC-CPSS",
                    "targetDescription": "Approved by NC Certified Peer Support Specialist Program for NC-CPSS CE.",
                    "targetFramework": "NC Certified Peer Support Specialist Program",
                    "targetType": "ceterms:Credential",
                }
            ],
        },
        "creditsEarned": 3.0,
        "activityEndDate": "2026-10-02T12:00:00Z",
    },
    "credentialStatus": {
        "id": "https://ce.example.org/v1/certificates/status/1#94567",
        "type": "BitstringStatusListEntry",
        "statusPurpose": "revocation",
        "statusListIndex": "94567",
        "statusListCredential": "https://ce.example.org/v1/certificates/status/1",
    },
    "credentialSchema": [
        {
            "id": "https://purl.imsglobal.org/spec/ob/v3p0/schema/json/ob_v3p0_achievementcredential_schema.json",
            "type": "1EdTechJsonSchemaValidator2019",
        }
    ],
}


def _absent(value: object) -> bool:
    return value is None


def optional(description: str) -> Any:
    return Field(default=None, exclude_if=_absent, description=description)


class _Member(BaseModel):
    model_config = ConfigDict(extra="allow", populate_by_name=True, serialize_by_alias=True)


class Profile(_Member):
    id: str = Field(description="A URI: the issuer's DID, or the provider's page in peer-ce")
    type: list[str] = Field(default=["Profile"])
    name: str
    url: Annotated[str | None, optional("The organisation's web address")]


class IdentityObject(_Member):
    """A salted SHA-256 of the learner's email (lower case): a verifier who knows the email can check it."""

    type: Literal["IdentityObject"] = "IdentityObject"
    identityHash: str = Field(description="`sha256$` + hex SHA-256 of the lower-case email followed by the salt")
    identityType: Literal["emailAddress"] = "emailAddress"
    hashed: Literal[True] = True
    salt: str


class Criteria(_Member):
    narrative: str


class Alignment(_Member):
    """A board's approval of the course for one of its credentials."""

    type: list[str] = Field(default=["Alignment"])
    targetName: str = Field(description="E.g. `NC-CPSS continuing education`")
    targetUrl: str = Field(description="The credential's CE rules in peer-ce")
    targetCode: str = Field(description="The credential code")
    targetDescription: str = Field(description="Who approved it, for which categories and hours")
    targetFramework: str = Field(description="The approving board")
    targetType: str = "ceterms:Credential"


class Achievement(_Member):
    id: str = Field(description="The course's page in peer-ce, or a urn:uuid for CE taken outside the catalog")
    type: list[str] = Field(default=["Achievement"])
    achievementType: Literal["Course"] = "Course"
    name: str
    description: str
    criteria: Criteria
    creator: Annotated[Profile | None, optional("The training provider (catalog courses)")]
    creditsAvailable: Annotated[float | None, optional("The course's contact hours")]
    fieldOfStudy: str = "Peer support continuing education"
    inLanguage: str = "en"
    tag: Annotated[list[str] | None, optional("The course's topics")]
    alignment: Annotated[list[Alignment] | None, optional("The boards that approved the course, per credential")]


class AchievementSubject(_Member):
    id: str = Field(description="The learner's stable, random identifier (`urn:uuid:`): the JWT's `sub`")
    type: list[str] = Field(default=["AchievementSubject"])
    identifier: list[IdentityObject]
    achievement: Achievement
    creditsEarned: float = Field(description="Contact hours completed")
    activityEndDate: str = Field(
        description="The completion date (at 12:00 UTC: that calendar day in every US time zone)"
    )


class StatusEntry(_Member):
    """The certificate's bit in a W3C Bitstring Status List (purpose: revocation)."""

    id: str
    type: Literal["BitstringStatusListEntry"] = "BitstringStatusListEntry"
    statusPurpose: Literal["revocation"] = "revocation"
    statusListIndex: str = Field(description="The bit's index in the list, as a string")
    statusListCredential: str = Field(description="The URL of the list (a signed VC-JWT)")


class CredentialSchemaRef(_Member):
    id: str
    type: str


class AchievementCredential(_Member):
    """An Open Badges 3.0 AchievementCredential on the W3C VC Data Model 2.0 (what the VC-JWT's payload holds,
    besides the registered claims `iss`, `jti`, `nbf` and `sub`)."""

    model_config = ConfigDict(json_schema_extra={"examples": [EXAMPLE_CREDENTIAL]})

    context: list[str] = Field(alias="@context")
    id: str = Field(description="`urn:uuid:`: the credential's own id (the JWT's `jti`)")
    type: list[str]
    name: str
    description: str
    issuer: Profile
    validFrom: str = Field(description="When it was issued (the JWT's `nbf`)")
    awardedDate: str = Field(description="When the completion was accepted")
    credentialSubject: AchievementSubject
    credentialStatus: StatusEntry
    credentialSchema: list[CredentialSchemaRef]


class CertificatePublic(BaseModel):
    """A completion's certificate: issued once, the same on every fetch."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "completion_id": 42,
                    "credential_id": "urn:uuid:9f1c2f4e-8d0b-4c61-9a55-3e0f4a7b2c11",
                    "format": "jwt_vc",
                    "media_type": "application/vc+jwt",
                    "certificate": "eyJhbGciOiJSUzI1NiIsImtpZCI6ImRpZDp3ZWI6Y2Uu...",
                    "credential": EXAMPLE_CREDENTIAL,
                    "status": "active",
                    "issued_at": "2026-12-05T21:30:00Z",
                    "revoked_at": None,
                    "revocation_reason": None,
                    "superseded_by": None,
                    "verify_url": "https://ce.example.org/v1/certificates/verify",
                }
            ]
        }
    )

    completion_id: int
    credential_id: str
    format: Literal["jwt_vc"] = Field(default="jwt_vc", description="A VC-JWT as Open Badges 3.0 describes it")
    media_type: Literal["application/vc+jwt"] = "application/vc+jwt"
    certificate: str = Field(description="The signed credential (compact JWS, RS256): what a wallet stores")
    credential: AchievementCredential = Field(description="The credential inside it, for display")
    status: Literal["active", "revoked"]
    issued_at: datetime
    revoked_at: datetime | None
    revocation_reason: Literal["voided", "superseded"] | None
    superseded_by: str | None = Field(description="The credential id of the certificate that replaced it")
    verify_url: str


class VerifyRequest(RequestModel):
    model_config = ConfigDict(extra="forbid")

    certificate: str = Field(min_length=10, max_length=20_000, description="A compact JWS, as the holder presents it")


class VerifyResult(BaseModel):
    """What peer-ce knows of a presented certificate. Nothing about the learner."""

    valid: bool = Field(description="Signed by this issuer, on record, and neither revoked nor voided")
    signature_valid: bool
    revoked: bool = Field(description="Its status-list bit is set")
    voided: bool = Field(description="The completion was voided")
    superseded: bool = Field(description="A corrected completion's certificate replaced it")
    superseded_by: str | None = Field(default=None, description="The replacing certificate's credential id")
    credential_id: str | None = None
    completion_id: int | None = None
    achievement: str | None = None
    hours: float | None = None
    completed_on: str | None = None
    reasons: list[str]


class Jwk(BaseModel):
    model_config = ConfigDict(extra="allow")

    kty: Literal["RSA", "EC"]
    kid: Annotated[str | None, optional("A DID URL: the issuer's DID and the key's thumbprint")]
    alg: Literal["RS256", "ES256"]
    use: Annotated[Literal["sig"] | None, optional("Signatures")]


class Jwks(BaseModel):
    keys: list[Jwk] = Field(description="The signing key first, then retired keys that signed earlier certificates")


class VerificationMethod(BaseModel):
    id: str
    type: Literal["JsonWebKey2020"]
    controller: str
    publicKeyJwk: Jwk


class DidDocument(BaseModel):
    model_config = ConfigDict(populate_by_name=True, serialize_by_alias=True)

    context: list[str] = Field(alias="@context")
    id: str = Field(description="did:web of the service's public base URL")
    verificationMethod: list[VerificationMethod]
    assertionMethod: list[str] = Field(description="Every key that signs or signed certificates")
