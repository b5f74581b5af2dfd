"""Feeding the pure engine: gather a batch of certifications' facts with set-based reads."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

from sqlmodel import Session, col, select

from app.certifications.models import BoardAction, Certification, CertificationActivity
from app.clock import Clock
from app.people.models import Person
from app.rules import engine
from app.rules import service as rules_service
from app.rules.engine import RuleVersion


@dataclass
class Inputs:
    versions: list[RuleVersion]
    facts: engine.CertificationFacts
    completions: list[engine.Completion] = field(default_factory=list)
    activities: list[engine.Activity] = field(default_factory=list)

    @property
    def timezone(self) -> str:
        return self.versions[-1].rules.timezone


def gather(session: Session, certifications: Sequence[Certification]) -> dict[int, Inputs]:
    """Everything the engine needs for these certifications, in a fixed number of queries."""
    if not certifications:
        return {}
    ids = [c.id for c in certifications]
    person_ids = sorted({c.person_id for c in certifications})
    actions: dict[int, list[engine.BoardAction]] = defaultdict(list)
    for cert_id, kind, effective_on in session.exec(
        select(BoardAction.certification_id, BoardAction.kind, BoardAction.effective_on)
        .where(col(BoardAction.certification_id).in_(ids))
        .order_by(col(BoardAction.effective_on), col(BoardAction.id))
    ):
        actions[cert_id].append(engine.BoardAction(kind=kind, effective_on=effective_on))  # type: ignore[arg-type]
    activities: dict[int, list[engine.Activity]] = defaultdict(list)
    for cert_id, kind, requirement_id, on, hours in session.exec(
        select(CertificationActivity.certification_id, CertificationActivity.kind,
               CertificationActivity.requirement_id, CertificationActivity.on, CertificationActivity.hours)
        .where(col(CertificationActivity.certification_id).in_(ids))
        .order_by(col(CertificationActivity.on), col(CertificationActivity.id))
    ):
        activities[cert_id].append(engine.Activity(kind=kind, requirement_id=requirement_id, on=on, hours=hours))
    birthdays = {
        pid: (m, d)
        for pid, m, d in session.exec(
            select(Person.id, Person.birth_month, Person.birth_day).where(col(Person.id).in_(person_ids))
        )
        if m is not None and d is not None
    }
    versions_by_code = rules_service.engine_versions_of(session, {c.credential_code for c in certifications})
    completions = _completions_by_person(session, person_ids)
    out: dict[int, Inputs] = {}
    for cert in certifications:
        assert cert.id is not None
        out[cert.id] = Inputs(
            versions=versions_by_code[cert.credential_code],
            facts=engine.CertificationFacts(
                issued_on=cert.issued_on,
                credential_code=cert.credential_code,
                birth_month_day=birthdays.get(cert.person_id),
                board_actions=tuple(actions.get(cert.id, ())),
            ),
            completions=completions.get(cert.person_id, []),
            activities=activities.get(cert.id, []),
        )
    return out


def _completions_by_person(session: Session, person_ids: list[int]) -> dict[int, list[engine.Completion]]:
    from app.completions.facts import completions_by_person

    return completions_by_person(session, person_ids)


def today_for(clock: Clock, inputs: Inputs) -> date:
    return clock.today(inputs.timezone)


def evaluate(inputs: Inputs, *, as_of: date, extra: Sequence[engine.Completion] = (),
             versions: Sequence[RuleVersion] | None = None) -> engine.Evaluation:
    return engine.evaluate(
        versions=versions or inputs.versions,
        facts=inputs.facts,
        completions=[*inputs.completions, *extra],
        activities=inputs.activities,
        as_of=as_of,
    )
