"""`POST /v1/completions` as JSON or as `multipart/form-data` (the status page's self-report form).

A form carries the JSON body's fields as text fields and, optionally, the evidence file as `evidence`.
Numbers are read only when written as numbers ("1.5", "12"), so text such as "1e3" stays text and the
strict model refuses it, as it would in JSON. Either way the body goes through the same model.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.exceptions import RequestValidationError
from pydantic import ValidationError
from starlette.datastructures import UploadFile

from app.completions import evidence
from app.completions.schemas import CompletionCreate
from app.csvio import cell_decimal, cell_int
from app.errors import BadRequest, UnsupportedMediaType
from app.inputs import loads
from app.logs import BodyTooLarge

_INTS = {"person_id", "course_id"}
_FIELDS = set(CompletionCreate.model_fields)


@dataclass(frozen=True)
class Submission:
    data: CompletionCreate
    upload: evidence.Upload | None


def _validated(value: Any) -> CompletionCreate:
    try:
        return CompletionCreate.model_validate(value)
    except ValidationError as exc:
        raise RequestValidationError([{**e, "loc": ("body", *e["loc"])} for e in exc.errors()]) from None


async def submitted(request: Request) -> Submission:
    kind = (request.headers.get("content-type") or "").split(";")[0].strip().lower()
    if kind in ("multipart/form-data", "application/x-www-form-urlencoded"):
        return await _from_form(request)
    if kind not in ("application/json", "") and not kind.endswith("+json"):
        raise UnsupportedMediaType("Send the completion as application/json or multipart/form-data.")
    return Submission(data=_validated(loads(await request.body())), upload=None)


async def _from_form(request: Request) -> Submission:
    try:
        form = await request.form(max_files=1, max_fields=len(_FIELDS) + 1)
    except BodyTooLarge:  # past the request size limit while streaming: the middleware answers 413
        raise
    except Exception as exc:  # starlette/python-multipart: malformed or past the limits
        raise BadRequest(f"The form could not be read: {exc}") from None
    fields: dict[str, Any] = {}
    upload = None
    try:
        for name, value in form.multi_items():
            if isinstance(value, UploadFile):
                if name != "evidence":
                    raise BadRequest(f"Only one file is accepted, as `evidence`, not `{name}`.")
                data = await value.read()
                if data or value.filename:  # an empty file input sends an empty part with no name
                    upload = evidence.check(
                        value.filename, data, max_bytes=request.app.state.settings.evidence_max_bytes
                    )
            elif name == "evidence":
                if value != "":
                    raise UnsupportedMediaType("Send the evidence as a file (a PDF, PNG or JPEG), not as text.")
            elif name in fields:
                raise BadRequest(f"The form field `{name}` is given twice.")
            elif value != "" or name not in _FIELDS:  # an empty optional field is an absent one
                fields[name] = cell_int(value) if name in _INTS else cell_decimal(value) if name == "hours" else value
    finally:
        await form.close()
    return Submission(data=_validated(fields), upload=upload)


Submitted = Annotated[Submission, Depends(submitted)]


def create_doc() -> dict[str, Any]:
    """openapi_extra: the JSON body by reference, and the same fields as a form with the evidence file (its
    schema is filled in from the JSON one by `form_schema` once the document is built: app.openapi)."""
    return {
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {"schema": {"$ref": "#/components/schemas/CompletionCreate"}},
                "multipart/form-data": {
                    "schema": {"type": "object"},
                    "encoding": {"evidence": {"contentType": ", ".join(evidence.MEDIA_TYPES)}},
                },
            },
        }
    }


# In a form an empty field is an absent one (`_from_form`): the JSON body's rules read "not given" as null
# and "given" as a value of the type, the form's as the empty text and as a value that is not empty.
_FORM_ABSENT = {"type": "string", "maxLength": 0}
_FORM_GIVEN_TEXT = {"type": "string", "minLength": 1}


def _form_rules(rules: Any) -> Any:
    if isinstance(rules, list):
        return [_form_rules(rule) for rule in rules]
    if not isinstance(rules, dict):
        return rules
    if rules == {"type": "null"}:
        return dict(_FORM_ABSENT)
    if rules == {"type": "string"}:
        return dict(_FORM_GIVEN_TEXT)
    return {key: _form_rules(value) for key, value in rules.items()}


def form_schema(json_schema: dict[str, Any]) -> dict[str, Any]:
    """The form's schema: the JSON body's fields and rules (an absent field is the JSON null, an empty form
    field), plus the file."""
    import copy

    schema = copy.deepcopy(json_schema)
    schema.pop("examples", None)
    for prop in schema["properties"].values():
        options = prop.get("anyOf")
        if options and {"type": "null"} in options and len(options) == 2:
            prop.pop("anyOf")
            prop.pop("default", None)
            value = next(o for o in options if o != {"type": "null"})
            prop["anyOf"] = [value, dict(_FORM_ABSENT)]
    if "allOf" in schema:
        schema["allOf"] = _form_rules(schema["allOf"])
    schema["properties"]["evidence"] = {
        "type": "string",
        "format": "binary",
        "description": "A PDF, PNG or JPEG certificate (checked by content), at most PEER_CE_EVIDENCE_MAX_BYTES "
        "(10 MB by default)",
    }
    return schema
