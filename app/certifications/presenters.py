"""Turning records and engine results into API shapes."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Any

from pydantic_core import to_json

from app.certifications.models import Certification
from app.certifications.schemas import CertificationPublic, CompliancePublic, PersonSummary, RegisteredCycle
from app.compliance.facts import split_variants
from app.compliance.rows import CertRow
from app.db import id_of
from app.people.models import Person
from app.rules import engine


def certification(cert: Certification, person: Person) -> CertificationPublic:
    registered = None
    if cert.registered_cycle_start is not None and cert.registered_on is not None:
        registered = RegisteredCycle(
            cycle_start=cert.registered_cycle_start,
            cycle_end=cert.registered_cycle_end,
            carryover_hours=cert.registered_carryover_hours,
            recorded_on=cert.registered_on,
        )
    return CertificationPublic(
        **cert.model_dump(
            exclude={
                "person_id",
                "dirty",
                "row_version",
                "variants",
                "registered_cycle_start",
                "registered_cycle_end",
                "registered_carryover_hours",
                "registered_on",
            }
        ),
        variants=list(split_variants(cert.variants)),
        registered_cycle=registered,
        person=PersonSummary(id=id_of(person), given_name=person.given_name, family_name=person.family_name),
    )


def compliance(cert: Certification | CertRow, result: engine.Evaluation, as_of: date) -> CompliancePublic:
    """The `CompliancePublic` of an evaluation (validated: for responses that embed it)."""
    return CompliancePublic.model_validate(compliance_document(cert, result, as_of, hours=Decimal))


def compliance_json(cert: Certification | CertRow, result: engine.Evaluation, as_of: date) -> bytes:
    """`CompliancePublic` as JSON, straight from the engine's result: the compliance read's response.

    The engine's results are typed dataclasses, so the hot read skips validating them into models
    (a third of a compliance answer's Python time); tests/certifications/test_presenters.py proves
    the document is exactly what `CompliancePublic` validates and serializes.
    """
    return to_json(compliance_document(cert, result, as_of))


def compliance_document(
    cert: Certification | CertRow, r: engine.Evaluation, as_of: date, *, hours: Callable[[Decimal], Any] = float
) -> dict[str, Any]:
    """`CompliancePublic`'s fields as plain JSON types: hours as numbers, as `HoursOut` serializes them
    (`hours=Decimal` keeps the exact decimals, for validation into the model)."""
    h = hours
    return {
        "certification_id": cert.id,
        "credential_code": cert.credential_code,
        "as_of": as_of,
        "status": r.status,
        "period": r.period,
        "cycle_option": r.cycle_option,
        "variants": list(r.variants),
        "cycle_start": r.cycle_start,
        "cycle_end": r.cycle_end,
        "filing_due_on": r.filing_due_on,
        "grace_ends_on": r.grace_ends_on,
        "required_hours": h(r.required_hours),
        "earned_hours": h(r.earned_hours),
        "remaining_hours": h(r.remaining_hours),
        "categories": [
            {
                "category": c.category,
                "label": c.label,
                "every_years": c.every_years,
                "once": c.once,
                "required_hours": h(c.required_hours),
                "earned_hours": h(c.earned_hours),
                "remaining_hours": h(c.remaining_hours),
            }
            for c in r.categories
        ],
        "modality_minimums": [
            {
                "modalities": list(m.modalities),
                "label": m.label,
                "required_hours": h(m.required_hours),
                "earned_hours": h(m.earned_hours),
                "remaining_hours": h(m.remaining_hours),
            }
            for m in r.modality_minimums
        ],
        "other_requirements": [
            {
                "id": o.id,
                "kind": o.kind,
                "description": o.description,
                "required_hours": None if o.required_hours is None else h(o.required_hours),
                "earned_hours": None if o.earned_hours is None else h(o.earned_hours),
                "met": o.met,
            }
            for o in r.other_requirements
        ],
        "caps": [
            {
                "modality": c.modality,
                "category": c.category,
                "max_hours": h(c.max_hours),
                "used_hours": h(c.used_hours),
                "reached": c.reached,
            }
            for c in r.caps
        ],
        "discarded_hours": h(r.discarded_hours),
        "carryover_hours": h(r.carryover_hours),
        "rule_version": r.rule_version,
        "next_change_on": r.next_change_on,
        "previous_cycle": None if r.previous_cycle is None else _cycle(r.previous_cycle, h),
        "cycles": [_cycle(c, h) for c in r.cycles],
        "completions": [
            {
                "completion_id": o.completion_id,
                "counted_hours": h(o.counted_hours),
                "outcome": o.outcome,
                "reason": o.reason,
            }
            for o in r.completions
        ],
        "reasons": list(r.reasons),
    }


def _cycle(c: engine.CycleSummary, h: Callable[[Decimal], Any]) -> dict[str, Any]:
    return {
        "kind": c.kind,
        "start": c.start,
        "end": c.end,
        "met": c.met,
        "met_on": c.met_on,
        "earned_hours": h(c.earned_hours),
        "excess_hours": h(c.excess_hours),
        "renewed_on": c.renewed_on,
        "renewed_by_board": c.renewed_by_board,
    }
