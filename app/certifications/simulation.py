"""What-if evaluations: hypothetical completions and draft rule sets, never written."""

from __future__ import annotations

from decimal import Decimal

from pydantic import ConfigDict, Field
from sqlmodel import Session

from app.certifications import presenters, service
from app.certifications.models import Certification
from app.certifications.schemas import CompliancePublic
from app.clock import Clock
from app.errors import Unprocessable
from app.rules import engine
from app.rules import service as rules_service
from app.rules.document import Modality, RuleSet
from app.types import Day, HoursIn, RequestModel


class HypotheticalCompletion(RequestModel):
    model_config = ConfigDict(extra="forbid")

    title: str = Field(default="Hypothetical course", max_length=200)
    hours: HoursIn
    modality: Modality = "live_virtual"
    completed_on: Day
    categories: list[str] = Field(default_factory=list, description="Categories the board tags it with")
    topics: list[str] = Field(default_factory=list)
    approved: bool = Field(default=True, description="Approved for this credential (with those categories)")


class SimulationRequest(RequestModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "as_of": "2026-12-31",
                    "completions": [
                        {
                            "title": "Ethics refresher",
                            "hours": 3,
                            "modality": "live_virtual",
                            "completed_on": "2026-12-01",
                            "categories": ["ethics"],
                        }
                    ],
                }
            ]
        },
    )

    as_of: Day | None = None
    completions: list[HypotheticalCompletion] = Field(default_factory=list, max_length=200)
    rule_set: RuleSet | None = Field(default=None, description="A draft version to evaluate with")
    rule_version: int | None = Field(default=None, ge=1, description="Pin an existing version")


def simulate(session: Session, *, cert: Certification, request: SimulationRequest, clock: Clock) -> CompliancePublic:
    stored = rules_service.get_versions(session, cert.credential_code)
    versions = list(rules_service.engine_versions(stored))
    if request.rule_version is not None:
        versions = [v for v in versions if v.version == request.rule_version]
        if not versions:
            raise Unprocessable(f"{cert.credential_code} has no version {request.rule_version}.")
    if request.rule_set is not None:
        if request.rule_set.code != cert.credential_code:
            raise Unprocessable(
                "The draft rule set is for another credential.",
                errors=[
                    {
                        "loc": ["body", "rule_set", "code"],
                        "field": "body.rule_set.code",
                        "message": f"expected {cert.credential_code}",
                        "type": "value_error",
                    }
                ],
            )
        draft = engine.RuleVersion(
            version=stored[-1].version + 1, effective_from=request.rule_set.effective_from, rules=request.rule_set
        )
        versions = [*versions, draft]
    extra = [
        engine.Completion(
            id=-(i + 1),
            course_key=f"hypothetical:{i}",
            completed_on=c.completed_on,
            hours=Decimal(c.hours),
            modality=c.modality,
            accepted=True,
            title=c.title,
            topics=frozenset(c.topics),
            approvals=(engine.Approval(credential_code=cert.credential_code, categories=frozenset(c.categories)),)
            if c.approved
            else (),
        )
        for i, c in enumerate(request.completions)
    ]
    as_of = request.as_of
    if as_of is None and request.completions:  # a course planned for next week is evaluated as of its date
        today = service.board_today(session, cert.credential_code, clock)
        latest = max(c.completed_on for c in request.completions)
        as_of = latest if latest > today else None
    result, day = service.evaluate(session, cert=cert, clock=clock, as_of=as_of, extra=extra, versions=versions)
    return presenters.compliance(cert, result, day)
