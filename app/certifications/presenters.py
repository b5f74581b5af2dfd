"""Turning records and engine results into API shapes."""

from __future__ import annotations

from datetime import date

from app.certifications.models import Certification
from app.certifications.schemas import CertificationPublic, CompliancePublic, PersonSummary
from app.people.models import Person
from app.rules import engine


def certification(cert: Certification, person: Person) -> CertificationPublic:
    return CertificationPublic(
        **cert.model_dump(exclude={"person_id", "dirty", "row_version"}),
        person=PersonSummary(id=person.id, given_name=person.given_name, family_name=person.family_name),  # type: ignore[arg-type]
    )


def compliance(cert: Certification, result: engine.Evaluation, as_of: date) -> CompliancePublic:
    return CompliancePublic.model_validate(
        {
            **{f: getattr(result, f) for f in CompliancePublic.model_fields if hasattr(result, f)},
            "certification_id": cert.id,
            "credential_code": cert.credential_code,
            "as_of": as_of,
        },
        from_attributes=True,
    )
