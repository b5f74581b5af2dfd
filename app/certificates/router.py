"""Public certificate routes: the issuer's DID document and keys, status lists, and verification."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, Header, Request, Response

from app.certificates import qr, service
from app.certificates.schemas import DidDocument, Jwks, VerifyRequest, VerifyResult
from app.db import SessionDep
from app.errors import problem_responses
from app.inputs import GuardedRoute
from app.ratelimit import rate_limit
from app.types import DbId

VC_JWT = "application/vc+jwt"
PUBLIC_CACHE = "public, max-age=3600"

well_known_router = APIRouter(tags=["certificates"], route_class=GuardedRoute)
router = APIRouter(prefix="/certificates", tags=["certificates"], route_class=GuardedRoute)


@well_known_router.get("/.well-known/did.json", response_model=DidDocument, operation_id="getIssuerDidDocument")
def did_document(request: Request, response: Response) -> DidDocument:
    """The issuer's DID document (did:web): every key that signs or signed certificates, by its `kid`."""
    response.headers["Cache-Control"] = PUBLIC_CACHE
    return DidDocument.model_validate(request.app.state.issuer.did_document())


@well_known_router.get("/did.json", response_model=DidDocument, include_in_schema=False)
def did_document_at_path(request: Request, response: Response) -> DidDocument:
    """Where did:web resolves when the public base URL has a path (`did:web:example.org:peer-ce`)."""
    return did_document(request, response)


@well_known_router.get("/.well-known/jwks.json", response_model=Jwks, operation_id="getIssuerJwks")
def issuer_jwks(request: Request, response: Response) -> Jwks:
    """The issuer's keys as a JWKS (each `kid` is the DID URL certificates name in their header)."""
    response.headers["Cache-Control"] = PUBLIC_CACHE
    return Jwks.model_validate(request.app.state.issuer.jwks())


@router.get("/keys", response_model=Jwks, operation_id="getCertificateKeys", responses=problem_responses(404))
def certificate_keys(request: Request, response: Response) -> Jwks:
    """The issuer's keys (the same JWKS as `/.well-known/jwks.json`)."""
    return issuer_jwks(request, response)


@router.get(
    "/status/{list_id}",
    response_class=Response,
    operation_id="getCertificateStatusList",
    responses={
        200: {
            "description": "The BitstringStatusListCredential, signed as a VC-JWT like the certificates",
            "content": {VC_JWT: {"schema": {"type": "string"}}},
            "headers": {"ETag": {"schema": {"type": "string"}}, "Cache-Control": {"schema": {"type": "string"}}},
        },
        304: {"description": "Unchanged since the ETag in If-None-Match"},
        **problem_responses(404, 422),
    },
)
def certificate_status_list(
    list_id: DbId,
    request: Request,
    session: SessionDep,
    if_none_match: Annotated[str | None, Header(description="An ETag of this list")] = None,
) -> Response:
    """A W3C Bitstring Status List of certificates (purpose: revocation): a set bit is a revoked certificate."""
    state = request.app.state
    ttl = state.settings.status_list_max_age_seconds
    signed = service.status_list(session, list_no=list_id, issuer=state.issuer, ttl_seconds=ttl)
    headers = {"ETag": signed.etag, "Cache-Control": f"public, max-age={ttl}"}
    if if_none_match is not None and (
        {signed.etag, "*"} & {t.strip().removeprefix("W/") for t in if_none_match.split(",")}
    ):
        return Response(status_code=304, headers=headers)
    return Response(content=signed.token, media_type=VC_JWT, headers=headers)


@router.post(
    "/verify",
    response_model=VerifyResult,
    operation_id="verifyCertificate",
    responses=problem_responses(400, 422, 429),
    dependencies=[Depends(rate_limit("certificates-verify"))],
)
def verify_certificate(body: VerifyRequest, request: Request, session: SessionDep) -> VerifyResult:
    """Check a presented certificate: this issuer's signature, and whether it was since revoked, voided or
    superseded. Says nothing about the learner.

    Rate-limited per client (`PEER_CE_VERIFY_RATE_PER_MINUTE`, across replicas): 429 with `Retry-After` past it.
    """
    return service.verify(session, token=body.certificate, issuer=request.app.state.issuer)


@router.get(
    "/{credential_id}/check",
    response_model=VerifyResult,
    operation_id="checkCertificate",
    responses=problem_responses(404, 422, 429),
    dependencies=[Depends(rate_limit("certificates-verify"))],
)
def check_certificate(credential_id: UUID, request: Request, session: SessionDep) -> VerifyResult:
    """What a printed certificate's QR code opens: the certificate with this credential id (the uuid of its
    `urn:uuid:` id), checked as `POST /v1/certificates/verify` checks a presented one. Says nothing about the
    learner. Rate-limited like the verification."""
    cert = service.by_credential_id(session, f"urn:uuid:{credential_id}")
    return service.verify(session, token=cert.token, issuer=request.app.state.issuer)


@router.get(
    "/{credential_id}/qr",
    response_class=Response,
    operation_id="getCertificateQrCode",
    responses={
        200: {
            "description": "A QR code (SVG) of the certificate's public check page",
            "content": {"image/svg+xml": {"schema": {"type": "string"}}},
        },
        **problem_responses(404, 422),
    },
)
def certificate_qr(credential_id: UUID, request: Request, session: SessionDep) -> Response:
    """The QR code printed on a certificate: it opens `/certificate-check#<uuid>`, the public check."""
    service.by_credential_id(session, f"urn:uuid:{credential_id}")
    svg = qr.svg(f"{request.app.state.issuer.base_url}/certificate-check#{credential_id}")
    return Response(
        content=svg,
        media_type="image/svg+xml",
        headers={"Cache-Control": PUBLIC_CACHE, "X-Content-Type-Options": "nosniff"},
    )
