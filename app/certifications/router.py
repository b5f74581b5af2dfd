from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Header, Query, Request, Response
from fastapi.responses import StreamingResponse
from sqlmodel import Session

from app.audit import service as audit_service
from app.auth import require_roles
from app.auth.principal import Principal, Role
from app.certifications import bulk, presenters, service, simulation
from app.certifications.impact import Impact
from app.certifications.models import Certification
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
    MyCertification,
    MyCertifications,
    Status,
    Verification,
)
from app.certifications.simulation import SimulationRequest
from app.csvio import RawBody, csv_lines_async, require_csv, upload_doc
from app.db import SessionDep, id_of
from app.errors import problem_responses
from app.inputs import GuardedRoute
from app.pagination import CountTotal, Cursor
from app.params import DryRun
from app.ratelimit import rate_limit
from app.rules import service as rules_service
from app.scheduler import flags as scheduler_flags
from app.scheduler.schemas import FlagPublic, RenewalPublic
from app.types import Day, DbId

router = APIRouter(prefix="/certifications", tags=["certifications"], route_class=GuardedRoute)
Reader = Annotated[Principal, Depends(require_roles(Role.admin, Role.board, Role.peer))]
Registrar = Annotated[Principal, Depends(require_roles(Role.admin, Role.board))]
READ_ERRORS = problem_responses(401, 403, 404, 422)


def certification_in_scope(certification_id: DbId, session: SessionDep, principal: Reader) -> Certification:
    return service.get_in_scope(session, principal=principal, certification_id=certification_id)


CertificationInScope = Annotated[Certification, Depends(certification_in_scope)]


# The hottest read has a router of its own, mounted first (FastAPI tries routes in order) and authenticated
# by its role dependency alone; it is async and reads through app.state.reads.
status_router = APIRouter(prefix="/certifications", tags=["certifications"], route_class=GuardedRoute)


@status_router.get("/{certification_id}/compliance", response_model=CompliancePublic, operation_id="getCompliance",
            responses=problem_responses(401, 403, 404, 409, 422))
async def get_compliance(
    certification_id: DbId, request: Request, principal: Reader,
    as_of: Annotated[Day | None, Query(description="Default: today in the board's time zone")] = None,
) -> Response:
    """Evaluate the certification's CE cycle as of a date, with the reasons for every number."""
    cert, result, day = await service.compliance(request.app.state.reads, principal=principal,
                                                 certification_id=certification_id,
                                                 clock=request.app.state.clock, as_of=as_of)
    # The hot read: the document straight from the engine's typed result (`response_model` documents it).
    return Response(presenters.compliance_json(cert, result, day), media_type="application/json")


def _public(session: Session, cert: Certification) -> CertificationPublic:
    return presenters.certification(cert, service.people_of(session, [cert])[cert.person_id])


@router.post("", response_model=CertificationPublic, status_code=201, operation_id="createCertification",
             responses=problem_responses(400, 401, 403, 409, 422))
def create_certification(data: CertificationCreate, request: Request, response: Response,
                         session: SessionDep, principal: Registrar) -> CertificationPublic:
    """Register a certification (admin, or the board of the credential's state).

    A board moving from another system gives `current_cycle_start` (and, when its date differs from the rules'
    arithmetic, `current_cycle_end`; `carryover_hours` when hours carry into it): the cycles before it count as
    renewed by the board today, recorded in the history's renewals.
    """
    cert = service.create(session, principal=principal, data=data, clock=request.app.state.clock)
    response.headers["Location"] = f"/v1/certifications/{cert.id}"
    response.headers["ETag"] = service.etag(cert)
    return _public(session, cert)


@router.get("", response_model=CertificationPage, operation_id="listCertifications",
            responses=problem_responses(400, 401, 403, 422))
def list_certifications(
    session: SessionDep, principal: Reader,
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
        session, principal=principal, credential_code=credential_code, state=state, status=status,
        due_before=due_before, person_id=person_id, q=q, cursor=cursor, limit=limit, count=count)
    people = service.people_of(session, found.items)
    return CertificationPage(items=[presenters.certification(c, people[c.person_id]) for c in found.items],
                             next_cursor=found.next_cursor, total=found.total)


@router.post("/import", response_model=bulk.ImportReport, operation_id="importCertifications",
             responses=problem_responses(400, 401, 403, 413, 415, 422),
             openapi_extra=upload_doc(
                 "CSV: given_name, family_name, email, credential_code, number, issued_on, external_ref?, "
                 "cycle_option?, variants?, current_cycle_start?, current_cycle_end?, carryover_hours? (a migrated "
                 "record's current cycle, as on POST /v1/certifications)",
                 "text/csv", example="given_name,family_name,email,credential_code,number,issued_on\r\n"
                 "Jordan,Rivera,jordan@example.org,NC-CPSS,NC-0001,2024-03-15\r\n"))
def import_certifications(
    request: Request, session: SessionDep, principal: Registrar, body: RawBody,
    dry_run: Annotated[bool, Query(description="Report per-row outcomes without writing")] = False,
) -> bulk.ImportReport:
    """Import people and certifications from CSV; rows upsert by (credential_code, number); all or nothing."""
    require_csv(request.headers.get("content-type"))
    return bulk.import_roster(session, principal=principal, body=body, dry_run=dry_run,
                              clock=request.app.state.clock)


@router.get("/export", operation_id="exportCertifications", response_class=StreamingResponse,
            responses={200: {"content": {"text/csv": {"schema": {"type": "string"}}},
                             "description": "The filtered certifications as CSV"},
                       **problem_responses(401, 403, 422)})
def export_certifications(
    request: Request, principal: Reader,
    credential_code: str | None = None,
    state: Annotated[str | None, Query(pattern=r"^[A-Za-z]{2}$")] = None,
    status: Status | None = None,
    due_before: Day | None = None,
    excel: Annotated[bool, Query(description="Start the file with a UTF-8 byte-order mark, so that Excel reads "
                                             "accented names right")] = False,
) -> StreamingResponse:
    """Stream the certifications the caller may see as CSV (cells escaped against formula injection). The file
    imports back as it is (POST /v1/certifications/import): export, import, export gives the same bytes."""
    filters = {"credential_code": credential_code, "state": state, "status": status, "due_before": due_before}
    rows = bulk.export_rows(request.app.state, principal=principal, filters=filters)
    return StreamingResponse(csv_lines_async(bulk.EXPORT_COLUMNS, rows, bom=excel),
                             media_type="text/csv; charset=utf-8",
                             headers={"Content-Disposition": 'attachment; filename="certifications.csv"'})


@router.get("/{certification_id}", response_model=CertificationPublic, operation_id="getCertification",
            responses=READ_ERRORS)
def get_certification(cert: CertificationInScope, session: SessionDep, response: Response) -> CertificationPublic:
    """One certification; its ETag guards later PATCHes."""
    response.headers["ETag"] = service.etag(cert)
    return _public(session, cert)


@router.patch("/{certification_id}", response_model=CertificationPublic, operation_id="updateCertification",
              responses=problem_responses(400, 401, 403, 404, 409, 412, 422))
def update_certification(
    cert: CertificationInScope, data: CertificationUpdate, request: Request, response: Response,
    session: SessionDep, principal: Registrar,
    if_match: Annotated[str | None, Header(description="The ETag you read; 412 if it changed")] = None,
) -> CertificationPublic:
    """Correct a certification's record (admin, its board): number, issue date, cycle option, variants, a
    successor credential, or a migrated record's current cycle (`current_cycle_start`: a restatement)."""
    cert = service.update(session, principal=principal, cert=cert, data=data, if_match=if_match,
                          clock=request.app.state.clock)
    response.headers["ETag"] = service.etag(cert)
    return _public(session, cert)


@router.post("/{certification_id}/activities", response_model=ActivityPublic, status_code=201,
             operation_id="createActivity", responses=problem_responses(400, 401, 403, 404, 422))
def create_activity(cert: CertificationInScope, data: ActivityCreate, request: Request, session: SessionDep,
                    principal: Reader) -> ActivityPublic:
    """Record a non-CE renewal requirement: hours of service or supervision (board), or an attestation (also the
    holder). It meets the rule's requirement when dated within the cycle."""
    activity = service.record_activity(session, principal=principal, cert=cert, data=data,
                                       clock=request.app.state.clock)
    return ActivityPublic.model_validate(activity)


@router.get("/{certification_id}/activities", response_model=list[ActivityPublic], operation_id="listActivities",
            responses=READ_ERRORS)
def list_activities(cert: CertificationInScope, session: SessionDep) -> list[ActivityPublic]:
    """The certification's recorded service hours, supervision hours and attestations, oldest first."""
    return [ActivityPublic.model_validate(a) for a in service.activities_of(session, cert)]


@router.post("/{certification_id}/actions", response_model=BoardActionTaken | Impact, status_code=201,
             operation_id="createBoardAction",
             responses={200: {"model": Impact, "description": "`dry_run=true`: what the action would change; "
                                                              "nothing written"},
                        **problem_responses(400, 401, 403, 404, 422)})
def create_board_action(cert: CertificationInScope, data: BoardActionCreate, request: Request, response: Response,
                        session: SessionDep, principal: Registrar, dry_run: DryRun = False,
                        ) -> BoardActionTaken | Impact:
    """Suspend, revoke, inactivate or reinstate from a date, or reopen a renewed cycle.

    A reinstatement after a suspension or inactivation resumes the cycle current when the hold began if that
    cycle has not ended; otherwise, and always after a revocation or a lapse, it starts a new chain of cycles on
    its date, or on the `cycle_start` the board states. `reopen` (with the renewed cycle's `cycle_start`) takes a
    recorded renewal back to the plain derivation: with `revoke`, the only way a renewal is undone.
    """
    action, impact = service.add_action(session, principal=principal, cert=cert, data=data,
                                        clock=request.app.state.clock, dry_run=dry_run)
    if dry_run:
        response.status_code = 200
        return impact
    return BoardActionTaken(**BoardActionPublic.model_validate(action).model_dump(), impact=impact)


@router.post("/{certification_id}/compliance/simulate", response_model=CompliancePublic,
             operation_id="simulateCompliance", responses=problem_responses(400, 401, 403, 404, 409, 422))
def simulate_compliance(cert: CertificationInScope, body: SimulationRequest, request: Request,
                        session: SessionDep) -> CompliancePublic:
    """What-if: evaluate with hypothetical completions and/or a draft rule set; nothing is written."""
    return simulation.simulate(session, cert=cert, request=body, clock=request.app.state.clock)




@router.get("/{certification_id}/history", response_model=HistoryPublic, operation_id="getCertificationHistory",
            responses=READ_ERRORS)
def get_history(cert: CertificationInScope, request: Request, session: SessionDep) -> HistoryPublic:
    """Cycles (derived), board actions and every recorded change of one certification."""
    result, day = service.evaluate(session, cert=cert, clock=request.app.state.clock)
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


me_router = APIRouter(prefix="/me", tags=["me"], route_class=GuardedRoute)
Peer = Annotated[Principal, Depends(require_roles(Role.peer))]


@me_router.get("/certifications", response_model=MyCertifications, operation_id="listMyCertifications",
               responses=problem_responses(401, 403))
def list_my_certifications(request: Request, session: SessionDep, principal: Peer) -> MyCertifications:
    """The calling peer's certifications, each with its compliance as of today."""
    certs, _ = service.list_page(session, principal=principal, limit=200)
    people = service.people_of(session, certs)
    results = service.evaluate_today(session, certs, clock=request.app.state.clock)
    items = []
    for cert in certs:
        # A certification missing a needed fact (a WA birthday) is re-evaluated alone, to answer its 409.
        result, day = results.get(cert.id) or service.evaluate(session, cert=cert, clock=request.app.state.clock)
        items.append(MyCertification(certification=presenters.certification(cert, people[cert.person_id]),
                                     compliance=presenters.compliance(cert, result, day)))
    return MyCertifications(items=items)


verify_router = APIRouter(prefix="/verify", tags=["verify"], route_class=GuardedRoute)


@verify_router.get("/{credential_code}/{number}", response_model=Verification, operation_id="verifyCertification",
                   responses=problem_responses(404, 422, 429), dependencies=[Depends(rate_limit("verify"))])
def verify_certification(credential_code: str, number: str, request: Request, session: SessionDep) -> Verification:
    """Public check that a certification number is real: name, credential, status, cycle end.

    Rate-limited per client (`PEER_CE_VERIFY_RATE_PER_MINUTE`, across replicas): 429 with `Retry-After` past it.
    """
    cert = service.find_by_number(session, credential_code=credential_code, number=number)
    result, _ = service.evaluate(session, cert=cert, clock=request.app.state.clock)
    person = service.people_of(session, [cert])[cert.person_id]
    rules = rules_service.engine_versions(rules_service.versions_of(session, cert.credential_code))
    return Verification(
        name=f"{person.given_name} {person.family_name}", credential_code=cert.credential_code,
        credential_name=rules[-1].rules.name, state=cert.state, number=cert.number,
        status=result.status, current_cycle_end=result.cycle_end,
    )
