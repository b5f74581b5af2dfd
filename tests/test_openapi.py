"""The committed OpenAPI document is the app's, and it documents what clients rely on."""

from __future__ import annotations

import json
from pathlib import Path

from tests.support.spec import app_spec

SPEC_FILE = Path(__file__).resolve().parent.parent / "openapi" / "openapi.json"


def test_committed_spec_matches_the_app():
    committed = json.loads(SPEC_FILE.read_text())
    assert committed == app_spec(), "openapi/openapi.json is stale: run `make openapi` and commit the result"


def test_every_operation_has_a_stable_id_a_tag_and_documented_errors():
    spec = app_spec()
    ids = []
    for path, methods in spec["paths"].items():
        for method, op in methods.items():
            ids.append(op["operationId"])
            assert op["operationId"][0].islower() and "_" not in op["operationId"], (path, method)
            assert op.get("tags"), (path, method)
            if path.startswith("/v1/"):
                errors = {code for code in op["responses"] if code.startswith(("4", "5"))}
                assert errors, f"{method.upper()} {path} documents no error responses"
                for code in errors:
                    content = op["responses"][code].get("content", {})
                    assert "application/problem+json" in content, (path, method, code)
    assert len(ids) == len(set(ids))


def test_bearer_security_scheme_is_declared():
    schemes = app_spec()["components"]["securitySchemes"]
    assert any(s.get("scheme") == "bearer" and s.get("bearerFormat") == "JWT" for s in schemes.values())


def test_operations_that_read_an_optional_token_say_anonymous_calls_work():
    """A public read that shows more to a signed-in owner declares `security: [{}, bearer]`; an operation
    that needs a token declares only the bearer; a fully public one declares none."""
    paths = app_spec()["paths"]
    assert paths["/v1/courses/{course_id}"]["get"]["security"] == [{}, {"HTTPBearer": []}]
    assert paths["/v1/courses/{course_id}/approvals"]["post"]["security"] == [{"HTTPBearer": []}]
    assert "security" not in paths["/v1/courses"]["get"]


def test_page_cursors_name_their_kind():
    paths = app_spec()["paths"]
    formats = {
        p["schema"].get("format")
        for op in (paths["/v1/completions"]["get"], paths["/v1/reports/due"]["get"])
        for p in op["parameters"]
        if p["name"] == "cursor"
    }
    assert formats == {"cursor", "due-cursor"}
