"""The compliance read renders its JSON straight from the engine's result (no model validation per
request): that document must be exactly what `CompliancePublic` validates and serializes."""

from __future__ import annotations

import json
from types import SimpleNamespace

from hypothesis import given
from hypothesis import strategies as st

from app.certifications import presenters
from app.certifications.schemas import CompliancePublic
from tests.rules.builders import CODE
from tests.rules.test_engine_properties import (
    ALL_RULES,
    PROPS,
    activities,
    board_actions,
    completion_lists,
    dates,
    issue_dates,
    run,
)

CERT = SimpleNamespace(id=7, credential_code=CODE)


def reference(result, as_of) -> CompliancePublic:
    """The model validated from the engine's result attribute by attribute, independently of the presenter."""
    return CompliancePublic.model_validate(
        {
            **{f: getattr(result, f) for f in CompliancePublic.model_fields if hasattr(result, f)},
            "certification_id": CERT.id,
            "credential_code": CERT.credential_code,
            "as_of": as_of,
        },
        from_attributes=True,
    )


@PROPS
@given(st.sampled_from(ALL_RULES), issue_dates, completion_lists(), dates, board_actions, activities)
def test_compliance_json_is_the_validated_model_serialized(rs, issued, comps, as_of, actions, acts):
    result = run(rs, issued, comps, as_of, actions, acts)
    expected = reference(result, as_of)

    # the same bytes (so the same keys, order, values and JSON types: 1.0 is not 1, true is not 1)
    assert presenters.compliance_json(CERT, result, as_of) == expected.model_dump_json().encode()  # type: ignore[arg-type]
    assert presenters.compliance(CERT, result, as_of) == expected  # type: ignore[arg-type]


def test_the_engine_and_the_schema_know_the_same_statuses_and_outcomes():
    """The compliance read is not validated per request: a status the schema lacks would go out unchecked."""
    from typing import get_args

    from app.certifications.schemas import CompletionOutcome, Status
    from app.rules import engine

    assert set(get_args(engine.types.Status)) == set(get_args(Status))
    assert set(get_args(engine.types.Outcome)) == set(get_args(CompletionOutcome.model_fields["outcome"].annotation))


def test_every_section_is_rendered_when_present():
    """A rule set with categories, modality minimums, caps and other requirements fills every list."""
    from datetime import date, timedelta
    from decimal import Decimal

    from app.rules.engine import Approval, Completion
    from tests.rules.builders import act, rules

    rs = rules(
        cycle={"months": 12},
        requirements={
            "total_hours": 10,
            "categories": [{"category": "ethics", "min_hours": 2}],
            "modality_minimums": [{"modalities": ["in_person"], "min_hours": 2}],
            "other": [{"id": "coe", "kind": "attestation", "description": "Sign the code of ethics"}],
        },
        caps=[{"modality": "self_paced", "max_hours": 1}],
    )
    issued = date(2023, 1, 10)
    comps = [
        Completion(
            i,
            f"c{i}",
            issued + timedelta(days=30 * i),
            Decimal("2.25"),
            "self_paced" if i % 2 else "in_person",
            True,
            approvals=(Approval(credential_code=CODE, categories=frozenset({"ethics"})),),
        )
        for i in range(1, 30)
    ]
    signed = [act("attestation", f"{year}-06-01", requirement_id="coe") for year in (2023, 2024)]
    result = run(rs, issued, comps, date(2025, 6, 1), acts=signed)
    doc = json.loads(presenters.compliance_json(CERT, result, date(2025, 6, 1)))  # type: ignore[arg-type]

    assert doc["certification_id"] == 7 and doc["as_of"] == "2025-06-01"
    assert doc["categories"][0]["category"] == "ethics"
    assert doc["modality_minimums"][0]["modalities"] == ["in_person"]
    assert doc["other_requirements"][0] == {
        "id": "coe",
        "kind": "attestation",
        "description": "Sign the code of ethics",
        "required_hours": None,
        "earned_hours": None,
        "met": False,
    }  # not signed in this cycle
    assert doc["caps"][0]["modality"] == "self_paced" and doc["caps"][0]["max_hours"] == 1.0
    assert doc["previous_cycle"] is not None and doc["cycles"]
    assert {o["outcome"] for o in doc["completions"]} >= {"counted", "not_counted"}
    assert isinstance(doc["earned_hours"], float)
    assert json.loads(reference(result, date(2025, 6, 1)).model_dump_json()) == doc
