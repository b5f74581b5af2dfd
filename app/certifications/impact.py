"""Impact before change: which certifications a change moves, and how, before anything is written.

Every change that can move statuses (publishing a rule version, an approval and its withdrawal, a
void, a board action) runs through `measure`: the certifications it can reach are evaluated as of
their boards' today, the change is made in a savepoint of the request's transaction, they are
evaluated again, and the savepoint is rolled back on a dry run (nothing written, the audit entry
included) or kept. Either way the answer lists the certifications whose status, cycle or earned hours
differ, and the counts by status before and after across every certification it reached.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from datetime import date
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, Field, JsonValue
from sqlalchemy import Integer
from sqlmodel import Session, col, select

from app.auth.principal import Principal
from app.certifications.models import Certification
from app.clock import Clock
from app.compliance import facts as compliance
from app.db import in_values
from app.reads import run
from app.rules import engine
from app.types import HoursOut

T = TypeVar("T")
_BATCH = 1000  # certifications read and evaluated at a time


class Standing(BaseModel):
    status: str
    cycle_start: date | None
    cycle_end: date | None
    earned_hours: HoursOut | None


class ImpactChange(BaseModel):
    certification_id: int
    credential_code: str
    number: str
    before: Standing
    after: Standing


class ImpactCounts(BaseModel):
    before: dict[str, int] = Field(description="Certifications reached, by status before the change")
    after: dict[str, int] = Field(description="The same certifications by status after it")


EXAMPLE: dict[str, Any] = {
    "changes": [
        {
            "certification_id": 12,
            "credential_code": "NC-CPSS",
            "number": "NC-2024-00117",
            "before": {
                "status": "compliant",
                "cycle_start": "2025-02-01",
                "cycle_end": "2027-01-31",
                "earned_hours": 20,
            },
            "after": {
                "status": "due_soon",
                "cycle_start": "2025-02-01",
                "cycle_end": "2027-01-31",
                "earned_hours": 18.5,
            },
        }
    ],
    "counts": {"before": {"compliant": 1, "in_progress": 3}, "after": {"due_soon": 1, "in_progress": 3}},
}


def with_impact(model: type[BaseModel]) -> ConfigDict:
    """The model config of a response that adds `impact` to `model`: its examples, each with an impact."""
    extra = model.model_config.get("json_schema_extra")
    examples = extra.get("examples", []) if isinstance(extra, dict) else []
    with_it: list[JsonValue] = (
        [{**e, "impact": EXAMPLE} for e in examples if isinstance(e, dict)] if isinstance(examples, list) else []
    )
    return ConfigDict(json_schema_extra={"examples": with_it})


class Impact(BaseModel):
    """What a change does to the certifications it can reach, each as of its board's today."""

    model_config = {"json_schema_extra": {"examples": [EXAMPLE]}}

    changes: list[ImpactChange]
    counts: ImpactCounts


def measure(
    session: Session, *, principal: Principal, reach: Any, clock: Clock, change: Callable[[], T], dry_run: bool
) -> tuple[T, Impact]:
    """Make `change` and report its impact on the certifications `reach` selects (a WHERE clause on
    certification, or a list of ids) that the caller may see; on a dry run nothing of it is kept."""
    ids = _ids(session, reach, principal)
    before = standings(session, ids, clock=clock)
    savepoint = session.begin_nested()
    try:
        result = change()
        session.flush()
        after = standings(session, ids, clock=clock)
    except BaseException:
        savepoint.rollback()
        raise
    if dry_run:
        savepoint.rollback()
    else:
        savepoint.commit()
    return result, _impact(session, ids, before, after)


def standings(session: Session, ids: Sequence[int], *, clock: Clock) -> dict[int, Standing]:
    """Each certification's status, cycle and earned hours as of its board's today."""
    return {cert_id: pair[0] for cert_id, pair in _evaluated(session, ids, clock=clock).items()}


def measure_version(
    session: Session,
    *,
    principal: Principal,
    reach: Any,
    clock: Clock,
    version: engine.RuleVersion | None,
    publish: Callable[[], T],
    dry_run: bool,
) -> tuple[T, Impact]:
    """`measure` for publishing a rule version: the only fact that changes is the credential's list of
    versions, so each certification is read once and evaluated with and without `version` (None: the
    document is the latest version already, and nothing changes); then it is published unless a dry run."""
    ids = _ids(session, reach, principal)
    pairs = _evaluated(session, ids, clock=clock, added=version)
    result = None if dry_run else publish()
    return result, _impact(
        session,
        ids,
        {i: p[0] for i, p in pairs.items()},  # type: ignore[return-value]
        {i: p[1] for i, p in pairs.items()},
    )


def _evaluated(
    session: Session, ids: Sequence[int], *, clock: Clock, added: engine.RuleVersion | None = None
) -> dict[int, tuple[Standing, Standing]]:
    """Each certification's standing as of its board's today, and with `added` among its rule versions."""
    out: dict[int, tuple[Standing, Standing]] = {}
    for start in range(0, len(ids), _BATCH):
        # evaluated without explanations: only accepted completions, untitled, are read (as the sweep does)
        inputs = run(compliance.gather_plan(ids[start : start + _BATCH], accepted_only=True), session)
        for cert_id, item in inputs.items():
            day = compliance.today_for(clock, item)
            before = _standing(item, item.versions, day)
            out[cert_id] = (before, before if added is None else _standing(item, [*item.versions, added], day))
    return out


def _standing(item: compliance.Inputs, versions: Sequence[engine.RuleVersion], day: date) -> Standing:
    try:
        result = engine.evaluate(
            versions=versions,
            facts=item.facts,
            completions=item.completions,
            activities=item.activities,
            as_of=day,
            explain=False,
            requirements=False,
        )
    except engine.RuleError:  # a fact the rules need is missing (a WA birthday): nothing to compare
        return Standing(status="unknown", cycle_start=None, cycle_end=None, earned_hours=None)
    return Standing(
        status=result.status,
        cycle_start=result.cycle_start,
        cycle_end=result.cycle_end,
        earned_hours=result.earned_hours,
    )


def _ids(session: Session, reach: Any, principal: Principal) -> list[int]:
    from app.certifications.service import visible_to

    if isinstance(reach, (list, tuple, set)):
        reach = in_values(session, col(Certification.id), sorted(set(reach)), Integer)
    query = select(col(Certification.id)).where(reach)
    scope = visible_to(principal)
    if scope is not None:
        query = query.where(scope)
    return [i for i in session.exec(query.order_by(col(Certification.id))) if i is not None]  # ids: never None


def _impact(session: Session, ids: list[int], before: dict[int, Standing], after: dict[int, Standing]) -> Impact:
    moved = [i for i in ids if before.get(i) != after.get(i)]
    labels: dict[int, tuple[str, str]] = {}
    for start in range(0, len(moved), 5000):
        chunk = moved[start : start + 5000]
        labels.update(
            (cid, (code, number))
            for cid, code, number in session.exec(
                select(col(Certification.id), col(Certification.credential_code), col(Certification.number)).where(
                    in_values(session, col(Certification.id), chunk, Integer)
                )
            )
            if cid is not None
        )
    unknown = Standing(status="unknown", cycle_start=None, cycle_end=None, earned_hours=None)
    return Impact(
        changes=[
            ImpactChange(
                certification_id=i,
                credential_code=labels[i][0],
                number=labels[i][1],
                before=before.get(i, unknown),
                after=after.get(i, unknown),
            )
            for i in moved
        ],
        counts=ImpactCounts(
            before=dict(sorted(Counter(s.status for s in before.values()).items())),
            after=dict(sorted(Counter(s.status for s in after.values()).items())),
        ),
    )
