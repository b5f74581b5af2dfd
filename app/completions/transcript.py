"""Transcripts: per certification and cycle, the completions and what each counted."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from typing import Any

from pydantic import BaseModel
from sqlmodel import Session, col, select

from app.auth.principal import Principal
from app.certifications import service as certifications
from app.certifications.models import Certification
from app.certifications.schemas import RequirementResult
from app.clock import Clock
from app.completions.models import Completion
from app.compliance import facts as compliance
from app.constants import DEFAULT_TIMEZONE
from app.db import id_of
from app.people.models import Person
from app.rules import engine
from app.types import HoursOut


class TranscriptLine(BaseModel):
    completion_id: int
    title: str
    provider_name: str | None
    completed_on: date
    hours: HoursOut
    status: str
    counted_hours: HoursOut
    outcome: str
    reason: str


class TranscriptCycle(BaseModel):
    start: date
    end: date
    status: str
    met_on: date | None
    required_hours: HoursOut
    earned_hours: HoursOut
    categories: list[RequirementResult]
    completions: list[TranscriptLine]


class TranscriptCertification(BaseModel):
    certification_id: int
    credential_code: str
    state: str
    number: str
    cycles: list[TranscriptCycle]


class Transcript(BaseModel):
    person_id: int
    name: str
    as_of: date
    certifications: list[TranscriptCertification]


def build(session: Session, *, principal: Principal, person: Person, clock: Clock) -> Transcript:
    """Every visible certification of the person, each cycle evaluated as of the date it was decided."""
    query = select(Certification).where(Certification.person_id == person.id).order_by(col(Certification.id))
    clause = certifications.visible_to(principal)
    if clause is not None:
        query = query.where(clause)
    certs = list(session.exec(query))
    inputs = compliance.gather(session, [id_of(c) for c in certs])
    stored = {c.id: c for c in session.exec(select(Completion).where(Completion.person_id == person.id))}
    today = clock.today(DEFAULT_TIMEZONE)
    out = []
    for cert in certs:
        item = inputs[id_of(cert)]
        today = compliance.today_for(clock, item)
        try:
            current = compliance.evaluate(item, as_of=today)
        except (engine.MissingFact, engine.InvalidFact):
            continue
        cycles = []
        for summary in current.cycles:
            if summary.start == current.cycle_start:
                result, status = current, current.status
            else:  # a passed cycle: as it stood on the day it was met
                decided = summary.met_on if summary.met_on and summary.met_on > summary.end else summary.end
                result, status = compliance.evaluate(item, as_of=decided), "compliant"
            cycles.append(_cycle(summary, result, status, stored))
        out.append(
            TranscriptCertification(
                certification_id=id_of(cert),
                credential_code=cert.credential_code,
                state=cert.state,
                number=cert.number,
                cycles=cycles,
            )
        )
    return Transcript(
        person_id=id_of(person), name=f"{person.given_name} {person.family_name}", as_of=today, certifications=out
    )


def _cycle(
    summary: engine.CycleSummary, result: engine.Evaluation, status: str, stored: dict[int | None, Completion]
) -> TranscriptCycle:
    lines = []
    for outcome in result.completions:
        row = stored.get(outcome.completion_id)
        if row is None:
            continue
        in_window = (
            summary.start <= row.completed_on <= (result.grace_ends_on if status != "compliant" else summary.end)
        )
        if outcome.counted_hours > 0 or in_window:
            lines.append(
                TranscriptLine(
                    completion_id=id_of(row),
                    title=row.title,
                    provider_name=row.provider_name,
                    completed_on=row.completed_on,
                    hours=row.hours,
                    status=row.status,
                    counted_hours=outcome.counted_hours,
                    outcome=outcome.outcome,
                    reason=outcome.reason,
                )
            )
    return TranscriptCycle(
        start=summary.start,
        end=summary.end,
        status=status,
        met_on=summary.met_on,
        required_hours=result.required_hours,
        earned_hours=result.earned_hours,
        categories=[RequirementResult.model_validate(c, from_attributes=True) for c in result.categories],
        completions=sorted(lines, key=lambda line: (line.completed_on, line.completion_id)),
    )


CSV_COLUMNS = (
    "credential_code",
    "number",
    "cycle_start",
    "cycle_end",
    "cycle_status",
    "completion_id",
    "title",
    "provider_name",
    "completed_on",
    "hours",
    "counted_hours",
    "outcome",
    "reason",
)


def csv_rows(transcript: Transcript) -> Iterator[list[Any]]:
    for cert in transcript.certifications:
        for cycle in cert.cycles:
            if not cycle.completions:
                yield [
                    cert.credential_code,
                    cert.number,
                    cycle.start,
                    cycle.end,
                    cycle.status,
                    "",
                    "",
                    "",
                    "",
                    "",
                    Decimal(0),
                    "",
                    "",
                ]
            for line in cycle.completions:
                yield [
                    cert.credential_code,
                    cert.number,
                    cycle.start,
                    cycle.end,
                    cycle.status,
                    line.completion_id,
                    line.title,
                    line.provider_name,
                    line.completed_on,
                    line.hours,
                    line.counted_hours,
                    line.outcome,
                    line.reason,
                ]
