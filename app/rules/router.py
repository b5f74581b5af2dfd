from __future__ import annotations

from datetime import timedelta, timezone
from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query, Response
from sqlalchemy import ColumnElement, or_
from sqlmodel import col

from app.auth import AdminOrBoardDep
from app.certifications.impact import Impact, measure_version
from app.certifications.models import Certification
from app.clock import Clock, ClockDep
from app.db import SessionDep
from app.errors import Forbidden, Unprocessable, problem_responses
from app.inputs import GuardedRoute
from app.params import DryRun
from app.rules import service
from app.rules.document import RuleSet
from app.rules.engine import RuleVersion
from app.rules.models import RuleSetVersion
from app.rules.schemas import (
    CredentialList,
    CredentialPublic,
    CredentialPublished,
    RuleSetVersionPublic,
    VersionSummary,
)
from app.types import DbId

public_router = APIRouter(prefix="/credentials", tags=["credentials"], route_class=GuardedRoute)
router = APIRouter(prefix="/credentials", tags=["credentials"], route_class=GuardedRoute)

CredentialCode = Annotated[str, Path(pattern=r"^[A-Za-z][A-Za-z0-9-]{1,31}$", examples=["NC-CPSS"])]


def _reached_by(rule_set: RuleSet, proposed: RuleVersion | None, clock: Clock) -> ColumnElement[bool]:
    """The certifications a new version can move today: a cycle is evaluated with the version in effect on its
    start, so only those whose current cycle starts on or after `effective_from` (and those whose cached status
    may be out of date: dirty, or due for re-evaluation) can evaluate differently."""
    code = col(Certification.credential_code) == rule_set.code
    if proposed is None:
        return code
    horizon = clock.now().astimezone(timezone(timedelta(hours=14))).date()  # no board's today is later
    return code & or_(
        col(Certification.dirty).is_(True),
        col(Certification.cycle_start).is_(None),
        col(Certification.cycle_start) >= proposed.effective_from,
        col(Certification.next_change_on) <= horizon,
    )


def _origin(value: str) -> Literal["content", "api"]:
    """A stored version's origin, as the API states it (`service.publish` stores only these two)."""
    if value == "content":
        return "content"
    if value == "api":
        return "api"
    raise ValueError(f"unknown rule-set origin {value!r}")


def _present(clock: Clock, versions: list[RuleSetVersion]) -> CredentialPublic:
    parsed = {v.version: v.rules for v in service.engine_versions(versions)}  # parsed once, cached
    today = clock.today(parsed[versions[-1].version].timezone)
    current = service.in_effect(versions, today)
    rules = parsed[current.version]
    return CredentialPublic(
        code=current.code,
        state=current.state,
        name=rules.name,
        body=rules.body,
        current=RuleSetVersionPublic(
            version=current.version,
            effective_from=current.effective_from,
            origin=_origin(current.origin),
            published_at=current.published_at,
            rules=rules,
        ),
        versions=[
            VersionSummary(
                version=v.version,
                effective_from=v.effective_from,
                origin=_origin(v.origin),
                published_at=v.published_at,
            )
            for v in versions
        ],
    )


@public_router.get(
    "",
    response_model=CredentialList,
    operation_id="listCredentials",
    responses=problem_responses(422),
)
def list_credentials(
    clock: ClockDep,
    session: SessionDep,
    state: Annotated[str | None, Query(pattern=r"^[A-Za-z]{2}$", description="Two-letter state")] = None,
) -> CredentialList:
    """Every credential's rule set in effect today, with its version history."""
    grouped = service.all_versions(session, state=state)
    return CredentialList(items=[_present(clock, versions) for versions in grouped.values()])


@public_router.get(
    "/{code}",
    response_model=CredentialPublic,
    operation_id="getCredential",
    responses=problem_responses(404, 422),
)
def get_credential(clock: ClockDep, session: SessionDep, code: CredentialCode) -> CredentialPublic:
    """One credential's rule set in effect today, with its version history."""
    return _present(clock, service.get_versions(session, code))


@public_router.get(
    "/{code}/versions/{version}",
    response_model=RuleSetVersionPublic,
    operation_id="getCredentialVersion",
    responses=problem_responses(404, 422),
)
def get_credential_version(session: SessionDep, code: CredentialCode, version: DbId) -> RuleSetVersionPublic:
    """One stored version of a rule set, exactly as it was published."""
    for row in service.get_versions(session, code):
        if row.version == version:
            return RuleSetVersionPublic(
                version=row.version,
                effective_from=row.effective_from,
                origin=_origin(row.origin),
                published_at=row.published_at,
                rules=service.engine_versions([row])[0].rules,
            )
    raise service.CredentialNotFound(f"Credential {code} has no version {version}.")


@router.put(
    "/{code}",
    response_model=CredentialPublished | Impact,
    operation_id="publishCredential",
    responses={
        201: {"model": CredentialPublic, "description": "First version of a new credential"},
        **problem_responses(400, 401, 403, 409, 422),
    },
)
def publish_credential(
    clock: ClockDep,
    response: Response,
    session: SessionDep,
    principal: AdminOrBoardDep,
    code: CredentialCode,
    rule_set: RuleSet,
    dry_run: DryRun = False,
) -> CredentialPublished | Impact:
    """Publish a new version of a credential's rule set (admin, or the board of its state).

    Publishing a document identical to the latest version changes nothing. With `dry_run=true`, the
    certifications the version would move (`Impact`) and nothing written.
    """
    if rule_set.code != code.upper():
        raise Unprocessable(
            "The rule set's code must match the path.",
            errors=[
                {
                    "loc": ["body", "code"],
                    "field": "body.code",
                    "message": f"expected {code.upper()}",
                    "type": "value_error",
                }
            ],
        )
    existing = service.versions_of(session, rule_set.code)
    for state in {rule_set.state, *(v.state for v in existing[:1])}:
        if not principal.sees_state(state):
            raise Forbidden(f"Only an admin or the {state} board may publish this credential.")
    service.check_topics(session, rule_set)
    proposed = service.proposed_version(session, rule_set=rule_set)
    published, impact = measure_version(
        session,
        principal=principal,
        reach=_reached_by(rule_set, proposed, clock),
        clock=clock,
        version=proposed,
        dry_run=dry_run,
        publish=lambda: service.publish(session, rule_set=rule_set, actor=principal.actor, origin="api"),
    )
    if dry_run:
        return impact
    _, created = published
    if created and not existing:
        response.status_code = 201
    return CredentialPublished(
        **_present(clock, service.versions_of(session, rule_set.code)).model_dump(), impact=impact
    )
