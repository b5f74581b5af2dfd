"""Input hygiene holds for every route by construction: JSON bodies go through one parser, every date
input is bounded in the document as in the code, and every operation taking a body documents the 400 of
a body that is not JSON or nested too deeply."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.routing import APIRoute

from app.inputs import MAX_JSON_DEPTH, GuardedRoute, NestedTooDeeply, loads
from app.types import DAY_PATTERN


def test_every_route_parses_its_json_body_through_the_guard(app):
    routes = [r for r in app.router.routes if isinstance(r, APIRoute)]
    for included in app.router.routes:
        if hasattr(included, "effective_route_contexts"):
            routes += [context.original_route for context in included.effective_route_contexts()]
    assert len(routes) > 50
    assert [r.path for r in routes if not isinstance(r, GuardedRoute)] == []


def _date_schemas(schema: Any, schemas: dict[str, Any], seen: set[str]) -> list[dict[str, Any]]:
    """Every `format: date` schema reachable from `schema`."""
    found = []
    if isinstance(schema, dict):
        ref = schema.get("$ref")
        if ref and ref not in seen:
            seen.add(ref)
            found += _date_schemas(schemas[ref.rsplit("/", 1)[-1]], schemas, seen)
        if schema.get("format") == "date":
            found.append(schema)
        for value in schema.values():
            found += _date_schemas(value, schemas, seen)
    elif isinstance(schema, list):
        for value in schema:
            found += _date_schemas(value, schemas, seen)
    return found


def test_every_date_the_api_accepts_is_bounded_in_the_document(app):
    spec = app.openapi()
    schemas = spec["components"]["schemas"]
    dates = []
    for operations in spec["paths"].values():
        for operation in operations.values():
            dates += _date_schemas(operation.get("parameters", []), schemas, set())
            dates += _date_schemas(operation.get("requestBody", {}), schemas, set())
    assert len(dates) >= 20
    assert [d for d in dates if d.get("pattern") != DAY_PATTERN] == []


def test_every_operation_with_a_body_documents_the_400_of_a_body_that_is_not_json(app):
    spec = app.openapi()
    assert [
        (method, path)
        for path, operations in spec["paths"].items()
        for method, operation in operations.items()
        if "requestBody" in operation and "400" not in operation["responses"]
    ] == []


def test_the_depth_limit_counts_arrays_and_objects_from_the_top():
    assert loads(("[" * MAX_JSON_DEPTH + "]" * MAX_JSON_DEPTH).encode()) is not None
    assert loads(('{"a":' * (MAX_JSON_DEPTH - 1) + "[]" + "}" * (MAX_JSON_DEPTH - 1)).encode())
    too_deep = [
        "[" * (MAX_JSON_DEPTH + 1) + "]" * (MAX_JSON_DEPTH + 1),
        '{"a":' * MAX_JSON_DEPTH + "[]" + "}" * MAX_JSON_DEPTH,
    ]
    for body in too_deep:
        with pytest.raises(NestedTooDeeply):
            loads(body.encode())
