"""The API keeps its OpenAPI contract: schemathesis generates requests for every operation (as an admin)
and checks that none gets a server error, every status and response matches the document, and no request the
document allows is refused by request validation (tests/contract_hooks.py; schemathesis.toml configures the
same for `st run` against a server).

Bounded: PEER_CE_CONTRACT_EXAMPLES generated cases per operation (default 5; `make contract` uses more),
all inside the test's rolled-back transaction. The examples in the document must be valid too.
"""

from __future__ import annotations

import json
import os

import jsonschema_rs
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given
from hypothesis import settings as hypothesis_settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.contract_hooks import request_validation_agrees
from tests.support.spec import app_spec

EXAMPLES = int(os.environ.get("PEER_CE_CONTRACT_EXAMPLES", "5"))
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    response_schema_conformance,
    content_type_conformance,
    request_validation_agrees,
]


SPEC = app_spec()
OPERATIONS = sorted(
    (op["operationId"], path, method) for path, methods in SPEC["paths"].items() for method, op in methods.items()
)


@pytest.fixture(scope="module")
def loaded_schema():
    return schemathesis.openapi.from_dict(app_spec())  # a copy of its own, as app_spec hands out


def _without_lifespan(app):
    """The test's app as the other API tests reach it: requests only.

    schemathesis runs an ASGI app's lifespan once per test (81 here). The service's lifespan prepares a process
    (start-up tasks, the signing keys, on PostgreSQL a read pool of its own, a full collection and a frozen heap):
    ~0.3 s each on PostgreSQL, and its pool read outside the test's transaction. An app that refuses the lifespan
    scope before its first message is served without one (the ASGI spec; schemathesis.python.asgi)."""

    async def requests_only(scope, receive, send):
        if scope["type"] == "lifespan":
            raise RuntimeError("served without a lifespan")
        await app(scope, receive, send)

    return requests_only


@pytest.mark.parametrize(("operation_id", "path", "method"), OPERATIONS, ids=[o[0] for o in OPERATIONS])
def test_every_operation_keeps_its_contract(app, tokens, loaded_schema, operation_id, path, method):
    loaded_schema.app = _without_lifespan(app)  # calls go to this test's app, inside its rolled-back transaction
    operation = loaded_schema[path][method]
    headers = {"Authorization": f"Bearer {tokens.admin()}"}

    @hypothesis_settings(
        max_examples=EXAMPLES,
        deadline=None,
        derandomize=True,
        database=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy())
    def check(case):
        case.call_and_validate(headers=headers, checks=CHECKS)

    check()


def _examples(spec: dict):
    """(where, schema name, example) for every example of a component schema and its properties."""
    for name, component in spec["components"]["schemas"].items():
        for example in component.get("examples", []):
            yield name, name, example
        for prop, sub in component.get("properties", {}).items():
            for example in sub.get("examples", []):
                yield f"{name}.{prop}", None, (prop, example)


def test_every_example_in_the_document_is_valid():
    spec = app_spec()
    checked = 0
    for where, name, example in _examples(spec):
        if name is None:
            prop, value = example
            component = where.split(".")[0]
            target = {**spec["components"]["schemas"][component]["properties"][prop]}
            target.pop("examples")
            validator = jsonschema_rs.validator_for({**spec, **target})
            value_to_check = value
        else:
            validator = jsonschema_rs.validator_for({**spec, "$ref": f"#/components/schemas/{name}"})
            value_to_check = example
        errors = [e.message for e in validator.iter_errors(value_to_check)]
        assert not errors, f"example of {where} is invalid: {errors[:3]}: {json.dumps(value_to_check)[:300]}"
        checked += 1
    assert checked > 20


def test_the_main_request_and_response_models_carry_examples():
    schemas = app_spec()["components"]["schemas"]
    for name in (
        "CertificationCreate",
        "PersonCreate",
        "CourseUpsert",
        "ApprovalCreate",
        "CompletionCreate",
        "CertificationPublic",
        "CompliancePublic",
        "PersonPublic",
        "CoursePublic",
        "CatalogEntry",
        "CompletionPublic",
        "Verification",
        "Problem",
    ):
        assert schemas[name].get("examples"), f"{name} has no example"
