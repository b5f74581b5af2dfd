"""The OpenAPI document: error responses as problem+json, exported sorted and stable."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from fastapi.routing import iter_route_contexts

from app.errors import PROBLEM_MEDIA_TYPE

_PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}


def install(app: FastAPI) -> None:
    """Replace app.openapi with a generator whose /v1 error responses are problem+json only."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            spec = get_openapi(
                title=app.title,
                version=app.version,
                summary=app.summary,
                description=app.description,
                routes=app.routes,
                tags=app.openapi_tags,
                license_info=app.license_info,
            )
            for path, operations in spec.get("paths", {}).items():
                if not path.startswith("/v1/"):
                    continue
                for operation in operations.values():
                    for code, response in operation.get("responses", {}).items():
                        if code.startswith(("4", "5")):
                            response["content"] = {PROBLEM_MEDIA_TYPE: {"schema": _PROBLEM_REF}}
            _declare_idempotency_key(app, spec)
            _declare_optional_tokens(app, spec)
            _add_request_schemas(spec)
            spec = _clean_schema_names(spec)
            _restore_null_examples(spec)
            schemas = spec.get("components", {}).get("schemas", {})
            text = json.dumps(spec.get("paths", {}))
            for unused in ("HTTPValidationError", "ValidationError"):
                if f'/{unused}"' not in text:
                    schemas.pop(unused, None)
            app.openapi_schema = spec
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def _add_request_schemas(spec: dict[str, Any]) -> None:
    """Request bodies a route reads itself (JSON or a form) and documents by reference (`openapi_extra`)."""
    from app.completions.schemas import CompletionCreate

    schemas = spec.setdefault("components", {}).setdefault("schemas", {})
    for model in (CompletionCreate,):
        schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
        for name, sub in schema.pop("$defs", {}).items():
            schemas.setdefault(name, sub)
        schemas.setdefault(model.__name__, schema)
    from app.completions.forms import form_schema

    form = spec["paths"]["/v1/completions"]["post"]["requestBody"]["content"]["multipart/form-data"]
    form["schema"] = form_schema(schemas["CompletionCreate"])


def _declare_idempotency_key(app: FastAPI, spec: dict[str, Any]) -> None:
    """The Idempotency-Key header on every operation that honours it (`app.idempotency.honouring`)."""
    from app.idempotency import HEADER, MAX_KEY_LENGTH, TTL, honouring

    hours = int(TTL.total_seconds() // 3600)
    parameter = {
        "name": HEADER,
        "in": "header",
        "required": False,
        "description": f"Makes a retry safe: a repeat with the same key, method, path, query and body within "
        f"{hours} hours replays the first successful response (`Idempotent-Replayed: true`) and "
        "writes nothing; a duplicate sent meanwhile waits for the first; a key reused for another "
        "request is 422. Failed requests keep nothing.",
        "schema": {"type": "string", "minLength": 1, "maxLength": MAX_KEY_LENGTH, "pattern": "^[!-~]+$"},
    }
    for route in honouring(app):
        operation = spec["paths"][route.path]["post"]
        operation.setdefault("parameters", []).append(dict(parameter))
        operation["responses"].setdefault(
            "400",
            {
                "description": "Malformed request (an Idempotency-Key that is not 1 to 255 visible ASCII characters)",
                "content": {PROBLEM_MEDIA_TYPE: {"schema": _PROBLEM_REF}},
            },
        )


def _declare_optional_tokens(app: FastAPI, spec: dict[str, Any]) -> None:
    """Public operations that read a token when one is sent (a provider sees its own unpublished courses) say
    so: `security: [{}, {HTTPBearer: []}]`, anonymous or bearer. FastAPI declares any bearer dependency as
    required, which tells clients (and contract tests) that anonymous calls fail."""
    from app.auth.deps import requires_token

    for route in iter_route_contexts(app.routes):
        operations = spec["paths"].get(route.path_format or "", {})
        if not route.methods or getattr(route, "dependant", None) is None or requires_token(route):
            continue
        for method in route.methods:
            operation = operations.get(method.lower())
            if operation and operation.get("security"):
                operation["security"] = [{}, *operation["security"]]


def _clean_schema_names(spec: dict[str, Any]) -> dict[str, Any]:
    """Give every model a stable, clean name that is also its title, unique in the document.

    - Clashing models (FastAPI names them `app__catalog__schemas__ImportReport`) become the domain package
      plus the class name (`CatalogImportReport`), so they do not change when a module moves in its package.
    - A model whose request and response shapes differ (FastAPI's `RuleSet-Input` / `RuleSet-Output`) keeps
      its name for what clients send (`RuleSet`) and gets `Output` for what they receive (`RuleSetOutput`).
    - Each schema's `title` is its name: client generators name their types by title, and two schemas
      titled alike (one class name in two domains) would collide.
    """
    schemas = spec.get("components", {}).get("schemas", {})
    renames: dict[str, str] = {}
    for name in sorted(schemas):
        if "__" in name:
            parts = name.split("__")
            clean = parts[1].title().replace("_", "") + parts[-1]
        elif name.endswith("-Input"):
            clean = name.removesuffix("-Input")
        elif name.endswith("-Output"):
            clean = name.removesuffix("-Output") + "Output"
        else:
            continue
        if clean in schemas or clean in renames.values():
            raise RuntimeError(f"cannot rename OpenAPI schema {name} to {clean}: the name is taken")
        renames[name] = clean
    if renames:
        text = json.dumps(spec)
        for old, new in renames.items():
            text = text.replace(f'"#/components/schemas/{old}"', f'"#/components/schemas/{new}"')
        spec = json.loads(text)
        schemas = spec["components"]["schemas"]
        for old, new in renames.items():
            schemas[new] = schemas.pop(old)
    for name, schema in schemas.items():
        if "title" in schema or "properties" in schema:
            schema["title"] = name
    return spec


def _restore_null_examples(spec: dict[str, Any]) -> None:
    """Put back the nulls that FastAPI's export (exclude_none) strips from model examples.

    A required, nullable property missing from an example can only have been null there.
    """
    schemas = spec.get("components", {}).get("schemas", {})
    for component in schemas.values():
        for example in component.get("examples", []):
            _fill_nulls(example, component, schemas)


def _resolve(schema: dict[str, Any], schemas: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = schemas[schema["$ref"].rsplit("/", 1)[-1]]
    return schema


def _variant(schema: dict[str, Any], schemas: dict[str, Any], kind: str) -> dict[str, Any]:
    for option in [schema, *schema.get("anyOf", [])]:
        option = _resolve(option, schemas)
        if option.get("type") == kind or (kind == "object" and "properties" in option):
            return option
    return {}


def _fill_nulls(value: Any, schema: dict[str, Any], schemas: dict[str, Any]) -> None:
    schema = _resolve(schema, schemas)
    if isinstance(value, dict):
        shape = _variant(schema, schemas, "object")
        properties = shape.get("properties", {})
        for key in shape.get("required", []):
            nullable = any(o.get("type") == "null" for o in properties.get(key, {}).get("anyOf", []))
            if key not in value and nullable:
                value[key] = None
        for key, item in value.items():
            if key in properties:
                _fill_nulls(item, properties[key], schemas)
    elif isinstance(value, list):
        items = _variant(schema, schemas, "array").get("items", {})
        for item in value:
            _fill_nulls(item, items, schemas)


def build_spec() -> dict[str, Any]:
    from app.config import Settings
    from app.main import create_app

    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(_env_file=None, data_dir=Path(tmp), database_url=f"sqlite:///{tmp}/spec.sqlite3")
        return create_app(settings).openapi()


def spec_json() -> str:
    return json.dumps(build_spec(), indent=2, sort_keys=True, ensure_ascii=False) + "\n"
