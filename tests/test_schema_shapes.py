"""The rules that relate a request's fields, as the OpenAPI document states them, accept exactly the bodies the
models accept: every combination of the fields involved (given, null or left out) is tried against both.
A client that validates against the document then never sends a body the API refuses for its shape, nor
holds back one it would take."""

from __future__ import annotations

import itertools
from typing import Any

import jsonschema_rs
import pytest
from pydantic import BaseModel, ValidationError

from app.completions.schemas import CompletionCreate
from app.rules import document
from app.sessions.schemas import SessionCreate
from tests.support.spec import app_spec

ABSENT = object()


def _disagreements(validator: Any, model: type[BaseModel], base: dict[str, Any], fields: dict[str, list[Any]]):
    tried = 0
    for combination in itertools.product(*fields.values()):
        body = dict(base)
        body.update({name: value for name, value in zip(fields, combination, strict=True) if value is not ABSENT})
        try:
            model.model_validate(body)
            accepted = True
        except ValidationError:
            accepted = False
        tried += 1
        if accepted != validator.is_valid(body):
            yield body, accepted
    assert tried == len(list(itertools.product(*fields.values())))


@pytest.fixture(scope="module")
def spec() -> dict[str, Any]:
    return app_spec()


def _component(spec: dict[str, Any], name: str) -> Any:
    return jsonschema_rs.validator_for({**spec, "$ref": f"#/components/schemas/{name}"})


def test_a_completion_names_one_learner_and_one_course_as_the_model_does(spec):
    values = {
        "person_id": 3,
        "credential_code": "NC-CPSS",
        "certificate_number": "NC-1",
        "family_name": "Rivera",
        "course_id": 4,
        "course_external_id": "TIP-101",
        "title": "Peer ethics",
        "provider_name": "Center",
        "hours": 1.5,
        "modality": "in_person",
    }
    fields = {name: [ABSENT, None, value] for name, value in values.items()}
    wrong = list(
        _disagreements(_component(spec, "CompletionCreate"), CompletionCreate, {"completed_on": "2026-10-02"}, fields)
    )
    assert not wrong, wrong[:3]


def test_the_self_report_form_reads_an_empty_field_as_an_absent_one_as_the_api_does(spec):
    """multipart/form-data: an empty text field is not given (app.completions.forms); numbers go as numbers."""
    form = spec["paths"]["/v1/completions"]["post"]["requestBody"]["content"]["multipart/form-data"]["schema"]
    validator = jsonschema_rs.validator_for({**spec, **form})
    texts = {"credential_code": "NC-CPSS", "certificate_number": "NC-1", "family_name": "Rivera"}
    texts |= {
        "course_external_id": "TIP-101",
        "title": "Peer ethics",
        "provider_name": "Center",
        "modality": "in_person",
    }
    fields: dict[str, list[Any]] = {name: [ABSENT, "", value] for name, value in texts.items()}
    fields |= {"person_id": [ABSENT, 3], "course_id": [ABSENT, 4], "hours": [ABSENT, 1.5]}
    wrong = []
    for combination in itertools.product(*fields.values()):
        body = {"completed_on": "2026-10-02"}
        body |= {name: value for name, value in zip(fields, combination, strict=True) if value is not ABSENT}
        try:
            CompletionCreate.model_validate({name: value for name, value in body.items() if value != ""})
            accepted = True
        except ValidationError:
            accepted = False
        if validator.is_valid(body) != accepted:
            wrong.append((body, accepted))
    assert not wrong, wrong[:3]


def test_a_new_session_held_in_person_names_a_location_as_the_service_requires(spec):
    base = {"starts_at": "2027-01-12T12:00:00", "ends_at": "2027-01-12T15:00:00", "timezone": "America/Chicago"}
    validator = _component(spec, "SessionCreate")
    for modality, location in itertools.product(("in_person", "hybrid", "live_virtual"), (ABSENT, None, "Room 4")):
        body = {**base, "modality": modality} | ({} if location is ABSENT else {"location": location})
        SessionCreate.model_validate(body)  # the model takes them all; the service refuses a missing location
        assert validator.is_valid(body) == (modality == "live_virtual" or isinstance(location, str)), body


RULE_SET_PARTS: list[tuple[type[BaseModel], dict[str, Any], dict[str, list[Any]]]] = [
    (
        document.Cycle,
        {},
        {
            "anchor": ["fixed", "birthday", "issue_date", "issue_month_start", "issue_month_end"],
            "months": [12, 6, 24],
            "month": [ABSENT, None, 2, 4, 1],
            "day": [ABSENT, None, 29, 30, 31, 1],
            "year": [ABSENT, None, 2015],
            "min_first_cycle_months": [ABSENT, 0, 3],
            "ends_on_anniversary": [ABSENT, False, True],
        },
    ),
    (document.Cap, {"max_hours": 3}, {"modality": [ABSENT, None, "in_person"], "category": [ABSENT, None, "ethics"]}),
    (
        document.OtherRequirement,
        {"id": "service", "description": "Volunteer"},
        {"kind": ["service_hours", "supervision_hours", "attestation"], "hours": [ABSENT, None, 2, 0]},
    ),
    (
        document.Contact,
        {"name": "Certification office"},
        {
            "url": [ABSENT, None, "https://board.example.gov"],
            "email": [ABSENT, None, "desk@example.gov"],
            "phone": [ABSENT, None, "(919) 555-0100"],
        },
    ),
    (
        document.CategoryRequirement,
        {"category": "ethics", "min_hours": 1},
        {
            "once": [ABSENT, False, True],
            "every_years": [ABSENT, None, 2],
            "topics": [ABSENT, [], ["a"], ["a", "a"], ["a", "b"]],
        },
    ),
    (
        document.ModalityMinimum,
        {"min_hours": 1},
        {"modalities": [[], ["in_person"], ["in_person", "in_person"], ["in_person", "self_paced"]]},
    ),
]


@pytest.mark.parametrize(("model", "base", "fields"), RULE_SET_PARTS, ids=[p[0].__name__ for p in RULE_SET_PARTS])
def test_the_parts_of_a_rule_set_relate_their_fields_as_the_model_does(model, base, fields):
    schema = document.RuleSet.model_json_schema()
    validator = jsonschema_rs.validator_for({"$defs": schema["$defs"], "$ref": f"#/$defs/{model.__name__}"})
    wrong = list(_disagreements(validator, model, base, fields))
    assert not wrong, wrong[:3]


def test_a_rule_set_states_what_its_own_validators_check():
    example = document.RuleSet.model_validate(document._EXAMPLE).model_dump(mode="json")
    validator = jsonschema_rs.validator_for(document.RuleSet.model_json_schema())
    source = example["sources"][0]["id"]
    changes: list[dict[str, Any]] = [
        {"grace_days": days, "grace_months": months} for days, months in itertools.product((0, 30), (0, 2))
    ]
    changes += [{"superseded_by": codes} for codes in ([], ["WV-A"], ["WV-A", "WV-A"], ["lower"], [""])]
    citations: list[dict[str, list[str]]] = [{}, {"cycle": []}, {"cycle": [source]}]
    changes += [{"figure_sources": cited} for cited in citations]
    changes += [{"sources": [{**example["sources"][0], "title": " "}]}]
    for change in changes:
        body = {**example, **change}
        try:
            document.RuleSet.model_validate(body)
            accepted = True
        except ValidationError:
            accepted = False
        assert validator.is_valid(body) == accepted, change
