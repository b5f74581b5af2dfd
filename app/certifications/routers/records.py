"""Certification records: register, list, import and export, read and correct; activities, board actions,
what-if simulation and history."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Query, Request, Response
from fastapi.responses import StreamingResponse

from app.audit import service as audit_service
from app.certifications import bulk, presenters, service, simulation
from app.certifications.impact import Impact
from app.certifications.routers.common import READ_ERRORS, CertificationInScope, Reader, Registrar, public
from app.certifications.schemas import (
    ActivityCreate,
    ActivityPublic,
    AuditEvent,
    BoardActionCreate,
    BoardActionPublic,
    BoardActionTaken,
    CertificationCreate,
    CertificationPage,
    CertificationPublic,
    CertificationUpdate,
    CompliancePublic,
    CycleSummary,
    HistoryPublic,
    Status,
)
from app.certifications.simulation import SimulationRequest
from app.clock import ClockDep
from app.csvio import RawBody, csv_lines_async, upload_doc
from app.db import SessionDep, id_of
from app.errors import problem_responses
from app.inputs import GuardedRoute
from app.pagination import CountTotal, Cursor
from app.params import DryRun
from app.scheduler import flags as scheduler_flags
from app.scheduler.schemas import FlagPublic, RenewalPublic
from app.types import Day, DbId

router = APIRouter(prefix="/certifications", tags=["certifications"], route_class=GuardedRoute)


@router.post(
    "",
    response_model=CertificationPublic,
    status_code=201,
    operation_id="createCertification",
    responses=problem_responses(400, 401, 403, 409, 422),
)
def create_certification(
    data: CertificationCreate, clock: ClockDep, response: Response, session: SessionDep, principal: Registrar
) -> CertificationPublic:
    """Register a certification (admin, or the board of the credential's state).

    A board moving from another system gives `current_cycle_start` (and, when its date differs from the rules'
    arithmetic, `current_cycle_end`; `carryover_hours` when hours carry into it): the cycles before it count as
    renewed by the board today, recorded in the history's renewals.
    """
    cert = service.create(session, principal=principal, data=data, clock=clock)
    response.headers["Location"] = f"/v1/certifications/{cert.id}"
    response.headers["ETag"] = service.etag(cert)
    return public(session, cert)


@router.get(
    "",
    response_model=CertificationPage,
    operation_id="listCertifications",
    responses=problem_responses(400, 401, 403, 422),
)
def list_certifications(
    session: SessionDep,
    principal: Reader,
    credential_code: str | None = None,
    state: Annotated[str | None, Query(pattern=r"^[A-Za-z]{2}$")] = None,
    status: Status | None = None,
    due_before: Annotated[Day | None, Query(description="Cycle ends before this date")] = None,
    person_id: DbId | None = None,
    q: Annotated[str | None, Query(max_length=100, description="Number, name or email contains")] = None,
    cursor: Cursor = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    count: CountTotal = False,
) -> CertificationPage:
    """Certifications the caller may see, filtered, oldest first, with a keyset cursor."""
    found = service.list_page(
        session,
        principal=principal,
        credential_code=credential_code,
        state=state,
        status=status,
        due_before=due_before,
        person_id=person_id,
        q=q,
        cursor=cursor,
        limit=limit,
        count=count,
    )
    people = service.people_of(session, found.items)
    return CertificationPage(
        items=[presenters.certification(c, people[c.person_id]) for c in found.items],
        next_cursor=found.next_cursor,
        total=found.total,
    )


@router.post(
    "/import",
    response_model=bulk.CertificationsImportReport,
    operation_id="importCertifications",
    responses=problem_responses(400, 401, 403, 413, 415, 422),
    openapi_extra=upload_doc(
        "CSV: given_name, family_name, email, credential_code, number, issued_on, external_ref?, "
        "cycle_option?, variants?, current_cycle_start?, current_cycle_end?, carryover_hours? (a migrated "
        "record's current cycle, as on POST /v1/certifications)",
        "text/csv",
        example="given_name,family_name,email,credential_code,number,issued_on\r\n"
        "Jordan,Rivera,jordan@example.org,NC-CPSS,NC-0001,2024-03-15\r\n",
    ),
)
def import_certifications(
    request: Request,
    clock: ClockDep,
    session: SessionDep,
    principal: Registrar,
    body: RawBody,
    dry_run: Annotated[bool, Query(description="Report per-row outcomes without writing")] = False,
) -> bulk.CertificationsImportReport:
    """Import people and certifications from CSV; rows upsert by (credential_code, number); all or nothing."""
    return bulk.import_certifications(
        session,
        principal=principal,
        body=body,
        content_type=request.headers.get("content-type"),
        dry_run=dry_run,
        clock=clock,
    )


@router.get(
    "/export",
    operation_id="exportCertifications",
    response_class=StreamingResponse,
    responses={
        200: {
            "content": {"text/csv": {"schema": {"type": "string"}}},
            "description": "The filtered certifications as CSV",
        },
        **problem_responses(401, 403, 422),
    },
)
def export_certifications(
    request: Request,
    principal: Reader,
    credential_code: str | None = None,
    state: Annotated[str | None, Query(pattern=r"^[A-Za-z]{2}$")] = None,
    status: Status | None = None,
    due_before: Day | None = None,
    excel: Annotated[
        bool, Query(description="Start the file with a UTF-8 byte-order mark, so that Excel reads accented names right")
    ] = False,
) -> StreamingResponse:
    """Stream the certifications the caller may see as CSV (cells escaped against formula injection). The file
    imports back as it is (POST /v1/certifications/import): export, import, export gives the same bytes."""
    filters = {"credential_code": credential_code, "state": state, "status": status, "due_before": due_before}
    rows = bulk.export_rows(request.app.state, principal=principal, filters=filters)
    return StreamingResponse(
        csv_lines_async(bulk.EXPORT_COLUMNS, rows, bom=excel),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="certifications.csv"'},
    )


@router.get(
    "/{certification_id}", response_model=CertificationPublic, operation_id="getCertification", responses=READ_ERRORS
)
def get_certification(cert: CertificationInScope, session: SessionDep, response: Response) -> CertificationPublic:
    """One certification; its ETag guards later PATCHes."""
    response.headers["ETag"] = service.etag(cert)
    return public(session, cert)


@router.patch(
    "/{certification_id}",
    response_model=CertificationPublic,
    operation_id="updateCertification",
    responses=problem_responses(400, 401, 403, 404, 409, 412, 422),
)
def update_certification(
    cert: CertificationInScope,
    data: CertificationUpdate,
    clock: ClockDep,
    response: Response,
    session: SessionDep,
    principal: Registrar,
    if_match: Annotated[str | None, Header(description="The ETag you read; 412 if it changed")] = None,
) -> CertificationPublic:
    """Correct a certification's record (admin, its board): number, issue date, cycle option, variants, a
    successor credential, or a migrated record's current cycle (`current_cycle_start`: a restatement)."""
    cert = service.update(session, principal=principal, cert=cert, data=data, if_match=if_match, clock=clock)
    response.headers["ETag"] = service.etag(cert)
    return public(session, cert)


@router.post(
    "/{certification_id}/activities",
    response_model=ActivityPublic,
    status_code=201,
    operation_id="createActivity",
    responses=problem_responses(400, 401, 403, 404, 422),
)
def create_activity(
    cert: CertificationInScope, data: ActivityCreate, clock: ClockDep, session: SessionDep, principal: Reader
) -> ActivityPublic:
    """Record a non-CE renewal requirement: hours of service or supervision (board), or an attestation (also the
    holder). It meets the rule's requirement when dated within the cycle."""
    activity = service.record_activity(session, principal=principal, cert=cert, data=data, clock=clock)
    return ActivityPublic.model_validate(activity)


@router.get(
    "/{certification_id}/activities",
    response_model=list[ActivityPublic],
    operation_id="listActivities",
    responses=READ_ERRORS,
)
def list_activities(cert: CertificationInScope, session: SessionDep) -> list[ActivityPublic]:
    """The certification's recorded service hours, supervision hours and attestations, oldest first."""
    return [ActivityPublic.model_validate(a) for a in service.activities_of(session, cert)]


@router.post(
    "/{certification_id}/actions",
    response_model=BoardActionTaken | Impact,
    status_code=201,
    operation_id="createBoardAction",
    responses={
        200: {"model": Impact, "description": "`dry_run=true`: what the action would change; nothing written"},
        **problem_responses(400, 401, 403, 404, 422),
    },
)
def create_board_action(
    cert: CertificationInScope,
    data: BoardActionCreate,
    clock: ClockDep,
    response: Response,
    session: SessionDep,
    principal: Registrar,
    dry_run: DryRun = False,
) -> BoardActionTaken | Impact:
    """Suspend, revoke, inactivate or reinstate from a date, or reopen a renewed cycle.

    A reinstatement after a suspension or inactivation resumes the cycle current when the hold began if that
    cycle has not ended; otherwise, and always after a revocation or a lapse, it starts a new chain of cycles on
    its date, or on the `cycle_start` the board states. `reopen` (with the renewed cycle's `cycle_start`) takes a
    recorded renewal back to the plain derivation: with `revoke`, the only way a renewal is undone.
    """
    action, impact = service.add_action(
        session, principal=principal, cert=cert, data=data, clock=clock, dry_run=dry_run
    )
    if dry_run:
        response.status_code = 200
        return impact
    return BoardActionTaken(**BoardActionPublic.model_validate(action).model_dump(), impact=impact)


@router.post(
    "/{certification_id}/compliance/simulate",
    response_model=CompliancePublic,
    operation_id="simulateCompliance",
    responses=problem_responses(400, 401, 403, 404, 409, 422),
)
def simulate_compliance(
    cert: CertificationInScope, body: SimulationRequest, clock: ClockDep, session: SessionDep
) -> CompliancePublic:
    """What-if: evaluate with hypothetical completions and/or a draft rule set; nothing is written."""
    return simulation.simulate(session, cert=cert, request=body, clock=clock)


@router.get(
    "/{certification_id}/history",
    response_model=HistoryPublic,
    operation_id="getCertificationHistory",
    responses=READ_ERRORS,
)
def get_history(cert: CertificationInScope, clock: ClockDep, session: SessionDep) -> HistoryPublic:
    """Cycles (derived), board actions and every recorded change of one certification."""
    result, day = service.evaluate(session, cert=cert, clock=clock)
    events = audit_service.entries_for(session, entity="certification", entity_id=cert.id)
    return HistoryPublic(
        certification_id=id_of(cert),
        as_of=day,
        cycles=[CycleSummary.model_validate(c, from_attributes=True) for c in result.cycles],
        board_actions=[BoardActionPublic.model_validate(a) for a in service.actions_of(session, cert)],
        events=[AuditEvent.model_validate(e, from_attributes=True) for e in events],
        renewals=[RenewalPublic.model_validate(r) for r in scheduler_flags.renewals_of(session, id_of(cert))],
        flags=[FlagPublic.model_validate(f) for f in scheduler_flags.flags_of(session, [id_of(cert)])],
    )
