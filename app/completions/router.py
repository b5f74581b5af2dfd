from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import StreamingResponse
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

from app.auth import PrincipalDep, require_roles
from app.auth.principal import Principal, Role
from app.certificates import service as certificates
from app.certificates.schemas import CertificatePublic
from app.certifications.impact import Impact
from app.clock import Clock, ClockDep
from app.completions import evidence, forms, importer, learners, service, transcript
from app.completions.models import Completion
from app.completions.schemas import (
    CompletionPage,
    CompletionPublic,
    CompletionVoided,
    CorrectionCreate,
    LearnerPublic,
    ReviewCreate,
    VoidCreate,
)
from app.csvio import RawBody, csv_lines, upload_doc
from app.db import SessionDep, id_of
from app.errors import problem_responses
from app.inputs import GuardedRoute
from app.pagination import CountTotal, Cursor
from app.params import DryRun
from app.people import service as people_service
from app.types import Day, DbId
from app.uow import request_session, run_unit

router = APIRouter(prefix="/completions", tags=["completions"], route_class=GuardedRoute)


def completion_in_scope(completion_id: DbId, session: SessionDep, principal: PrincipalDep) -> Completion:
    return service.get_in_scope(session, principal=principal, completion_id=completion_id)


CompletionInScope = Annotated[Completion, Depends(completion_in_scope)]
Reviewer = Annotated[Principal, Depends(require_roles(Role.admin, Role.board))]


def _public(
    session: Session, principal: Principal, completion: Completion, clock: Clock, evaluations: dict | None = None
) -> CompletionPublic:
    public = CompletionPublic.model_validate(completion)
    public.has_evidence = bool(evidence.of(session, [completion.id]))  # type: ignore[list-item]
    public.credit = service.credit(
        session, principal=principal, completion=completion, clock=clock, evaluations=evaluations
    )
    learner = learners.described(session, principal, [completion]).get(completion.id)  # type: ignore[arg-type]
    public.learner = LearnerPublic(**learner) if learner else None
    return public


@router.post(
    "",
    response_model=CompletionPublic,
    status_code=201,
    operation_id="createCompletion",
    responses=problem_responses(400, 401, 403, 409, 413, 415, 422),
    openapi_extra=forms.create_doc(),
)
def create_completion(
    submitted: forms.Submitted,
    request: Request,
    clock: ClockDep,
    response: Response,
    session: SessionDep,
    principal: PrincipalDep,
) -> CompletionPublic:
    """Report a completion; a peer's own report waits for a board's review. Accepts an Idempotency-Key.

    As JSON, or as `multipart/form-data` with the same fields as form fields and an optional evidence file
    (`evidence`: a PDF, PNG or JPEG certificate of at most `PEER_CE_EVIDENCE_MAX_BYTES`, 10 MB by default; its
    type is read from its content: 415 otherwise, 413 past the size). The file is readable only by the peer and
    the boards of the peer's states (`GET /v1/completions/{id}/evidence`)."""
    data, upload = submitted.data, submitted.upload
    completion = service.record(session, principal=principal, data=data, clock=clock, issuer=request.app.state.issuer)
    if upload is not None:
        row = evidence.attach(session, store=request.app.state.evidence_store, completion=completion, upload=upload)
        service.audit_evidence(session, principal, completion, row)
    evaluations = service.refresh_person(session, person_id=completion.person_id, clock=clock)
    response.headers["Location"] = f"/v1/completions/{completion.id}"
    return _public(session, principal, completion, clock, evaluations)


@router.get(
    "/{completion_id}/evidence",
    response_class=Response,
    operation_id="getCompletionEvidence",
    responses={
        200: {
            "description": "The evidence file as uploaded",
            "content": {t: {"schema": {"type": "string", "format": "binary"}} for t in evidence.MEDIA_TYPES},
        },
        **problem_responses(401, 404, 422),
    },
)
def get_evidence(
    completion: CompletionInScope, request: Request, session: SessionDep, principal: PrincipalDep
) -> Response:
    """The evidence file a completion was reported with: for the peer and the boards of the peer's states (and
    admins); anyone else, providers included, gets 404."""
    row = evidence.for_reading(session, principal=principal, completion=completion)
    data = request.app.state.evidence_store.get(row.storage_key)
    return Response(
        content=data,
        media_type=row.media_type,
        headers={
            "Content-Disposition": evidence.content_disposition(row.filename),
            "X-Content-Type-Options": "nosniff",
            "Content-Security-Policy": "sandbox; default-src 'none'",
            "Cache-Control": "private, no-store",
        },
    )


@router.get(
    "", response_model=CompletionPage, operation_id="listCompletions", responses=problem_responses(400, 401, 422)
)
def list_completions(
    session: SessionDep,
    principal: PrincipalDep,
    person_id: DbId | None = None,
    status: Literal["accepted", "pending", "rejected", "voided"] | None = None,
    course_id: DbId | None = None,
    course_external_id: Annotated[
        str | None, Query(min_length=1, max_length=100, description="Providers: one of your courses by its external_id")
    ] = None,
    completed_from: Annotated[Day | None, Query(alias="from", description="Completed on or after this day")] = None,
    completed_to: Annotated[Day | None, Query(alias="to", description="Completed on or before this day")] = None,
    order: Annotated[
        Literal["oldest", "newest"], Query(description="By when recorded: oldest (default) or newest first")
    ] = "oldest",
    cursor: Cursor = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    count: CountTotal = False,
) -> CompletionPage:
    """Completions the caller may see, narrowed by person, status, course and completion date. A board's review
    queue: `status=pending` (oldest first; each says `has_evidence`), answered with
    `POST /v1/completions/{id}/review`. Admins, boards and the course's provider see each learner's name and
    the certification they were named by (`learner`)."""
    found = service.list_page(
        session,
        principal=principal,
        person_id=person_id,
        status=status,
        course_id=course_id,
        course_external_id=course_external_id,
        completed_from=completed_from,
        completed_to=completed_to,
        newest_first=order == "newest",
        cursor=cursor,
        limit=limit,
        count=count,
    )
    attached = evidence.of(session, [c.id for c in found.items])  # type: ignore[misc]
    described = learners.described(session, principal, found.items)
    items = []
    for c in found.items:
        public = CompletionPublic.model_validate(c)
        public.has_evidence = c.id in attached
        if c.id in described:
            public.learner = LearnerPublic(**described[c.id])
        items.append(public)
    return CompletionPage(items=items, next_cursor=found.next_cursor, total=found.total)


@router.post(
    "/import",
    response_model=importer.RosterReport,
    operation_id="importCompletions",
    responses=problem_responses(400, 401, 403, 413, 415, 422),
    openapi_extra=upload_doc(
        "A roster: person_id or credential_code + certificate_number, course_id, completed_on, hours?",
        "text/csv",
        "application/json",
        example="person_id,course_id,completed_on\r\n12,3,2026-10-02\r\n",
    ),
)
async def import_completions(
    request: Request,
    clock: ClockDep,
    principal: PrincipalDep,
    body: RawBody,
    dry_run: Annotated[bool, Query(description="Report per-row outcomes without writing")] = False,
) -> Response:
    """Post a session's roster: all rows or none; re-posting creates nothing new."""
    content_type = request.headers.get("content-type")
    units = request.app.state.unit_processes
    if units is not None:  # the whole unit in a worker process, away from the event loop (app.offload)
        return await units.run(request, importer.import_unit, principal, body, content_type, dry_run, clock)
    async with request_session(request) as session:
        planned = await run_in_threadpool(
            importer.import_completions,
            session,
            principal=principal,
            body=body,
            content_type=content_type,
            dry_run=dry_run,
            clock=clock,
        )
    # The report straight from the plan's rows (`response_model` documents it).
    return Response(planned.report_json(), media_type="application/json")


@router.get(
    "/{completion_id}",
    response_model=CompletionPublic,
    operation_id="getCompletion",
    responses=problem_responses(401, 404, 422),
)
def get_completion(
    completion: CompletionInScope, clock: ClockDep, session: SessionDep, principal: PrincipalDep
) -> CompletionPublic:
    """One completion and where it counts."""
    return _public(session, principal, completion, clock)


@router.post(
    "/{completion_id}/review",
    response_model=CompletionPublic,
    operation_id="reviewCompletion",
    responses=problem_responses(400, 401, 403, 404, 409, 422),
)
def review_completion(
    completion: CompletionInScope,
    data: ReviewCreate,
    request: Request,
    clock: ClockDep,
    session: SessionDep,
    principal: Reviewer,
) -> CompletionPublic:
    """Approve or reject a peer's self-reported completion (a board of one of the peer's states)."""
    service.review(
        session,
        principal=principal,
        completion=completion,
        data=data,
        clock=clock,
        issuer=request.app.state.issuer,
    )
    evaluations = service.refresh_person(session, person_id=completion.person_id, clock=clock)
    return _public(session, principal, completion, clock, evaluations)


@router.post(
    "/{completion_id}/void",
    response_model=CompletionVoided | Impact,
    operation_id="voidCompletion",
    responses=problem_responses(400, 401, 403, 404, 409, 422),
)
def void_completion(
    completion: CompletionInScope,
    data: VoidCreate,
    clock: ClockDep,
    session: SessionDep,
    principal: PrincipalDep,
    dry_run: DryRun = False,
) -> CompletionVoided | Impact:
    """Void a completion with a reason; corrections are a void plus a new record. With `dry_run=true`, the
    certifications it would move (`Impact`) and nothing written."""
    _, impact = service.void(
        session, principal=principal, completion=completion, data=data, clock=clock, dry_run=dry_run
    )
    if dry_run:
        return impact
    evaluations = service.refresh_person(session, person_id=completion.person_id, clock=clock)
    return CompletionVoided(**_public(session, principal, completion, clock, evaluations).model_dump(), impact=impact)


@router.post(
    "/{completion_id}/correct",
    response_model=CompletionPublic,
    status_code=201,
    operation_id="correctCompletion",
    responses=problem_responses(400, 401, 403, 404, 409, 422),
)
def correct_completion(
    completion: CompletionInScope,
    data: CorrectionCreate,
    request: Request,
    clock: ClockDep,
    response: Response,
    session: SessionDep,
    principal: PrincipalDep,
) -> CompletionPublic:
    """Correct a completion: it is voided and the corrected record created in one step (answered with the new
    record); its certificate is revoked, superseded by the new record's."""
    corrected = service.correct(
        session,
        principal=principal,
        completion=completion,
        data=data,
        clock=clock,
        issuer=request.app.state.issuer,
        store=request.app.state.evidence_store,
    )
    evaluations = service.refresh_person(session, person_id=corrected.person_id, clock=clock)
    response.headers["Location"] = f"/v1/completions/{corrected.id}"
    return _public(session, principal, corrected, clock, evaluations)


@router.get(
    "/{completion_id}/certificate",
    response_model=CertificatePublic,
    operation_id="getCompletionCertificate",
    responses=problem_responses(401, 404, 409, 422, 503),
)
async def get_certificate(completion_id: DbId, request: Request, principal: PrincipalDep) -> CertificatePublic:
    """The completion's verifiable certificate: an Open Badges 3.0 AchievementCredential signed as a VC-JWT (RS256),
    issued once and the same on every fetch (`status` says if it was since revoked)."""
    state = request.app.state

    def read(session: Session) -> CertificatePublic | None:
        completion = service.get_in_scope(session, principal=principal, completion_id=completion_id)
        cert = certificates.stored(session, id_of(completion))
        if cert is None and completion.status != "accepted":
            raise certificates.CertificateUnavailable(
                f"Completion {completion.id} is {completion.status}; only accepted completions get a certificate."
            )
        return certificates.public(session, cert, issuer=state.issuer) if cert is not None else None

    def issue(session: Session) -> CertificatePublic:  # accepted before certificates were issued with it
        completion = service.get_in_scope(session, principal=principal, completion_id=completion_id)
        cert = certificates.issue_on_fetch(session, completion=completion, issuer=state.issuer, actor=principal.actor)
        return certificates.public(session, cert, issuer=state.issuer)

    found = await run_unit(state, read, write=False)
    return found if found is not None else await run_unit(state, issue, write=True)


transcripts_router = APIRouter(prefix="/people", tags=["completions"], route_class=GuardedRoute)


@transcripts_router.get(
    "/{person_id}/transcript",
    response_model=transcript.Transcript,
    operation_id="getTranscript",
    responses={200: {"content": {"text/csv": {"schema": {"type": "string"}}}}, **problem_responses(401, 404, 422)},
)
def get_transcript(
    person_id: DbId,
    request: Request,
    clock: ClockDep,
    session: SessionDep,
    principal: PrincipalDep,
    format: Annotated[Literal["json", "csv"] | None, Query(description="Or send Accept: text/csv")] = None,
):
    """Per certification and cycle: the completions, what each counted and why, and the status."""
    person = people_service.get_in_scope(session, principal=principal, person_id=person_id)
    result = transcript.build(session, principal=principal, person=person, clock=clock)
    if format == "csv" or (format is None and "text/csv" in request.headers.get("accept", "")):
        return StreamingResponse(
            csv_lines(transcript.CSV_COLUMNS, transcript.csv_rows(result)),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="transcript-{person_id}.csv"'},
        )
    return result
