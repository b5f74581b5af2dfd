"""What schemathesis needs to know about peer-ce beyond the OpenAPI document (`schemathesis.toml` loads this
for `st run`; tests/test_contract.py imports it).

- Page cursors (`format: cursor`) are opaque: only values the API issued are valid, so valid ones are
  generated the way the API makes them.
- A schema-valid request may still be refused for what no schema can know: a course that does not exist, a
  rule set's code that differs from the path, a renewal that was never recorded, an Idempotency-Key reused
  for another request (422, as the IETF draft requires). `schemathesis.toml` therefore lets
  `positive_data_acceptance` take 400 and 422 answers, and `request_validation_agrees` below fails any such
  answer that comes from request validation itself (the layer the document describes): a field the schema
  allows but the API's models refuse, a malformed-JSON verdict, a cursor the generator made. Those are
  contract mismatches, not business rules.
- An Idempotency-Key names one request: the same key on another request is refused (422, as the draft
  requires) whatever the data. A generator draws keys from the header's schema alone, so it sends the same few
  keys ("!", "!!") with every body; `before_call` below makes each generated key its own by appending a digest
  of the request it goes with (an identical request keeps its key and is replayed, as a client's retry is).
"""

from __future__ import annotations

import hashlib
import json
import re
from datetime import UTC, datetime

import schemathesis
from hypothesis import strategies as st
from schemathesis.specs.openapi.formats import register_string_format

from app.idempotency import HEADER as IDEMPOTENCY_KEY
from app.idempotency import MAX_KEY_LENGTH
from app.pagination import encode_cursor
from app.types import FIRST_DAY, LAST_DAY

_IDS = st.integers(min_value=1, max_value=2**31 - 1)
register_string_format("cursor", _IDS.map(encode_cursor))
register_string_format(
    "due-cursor", st.builds(lambda day, id_: encode_cursor(day.isoformat(), id_), st.dates(FIRST_DAY, LAST_DAY), _IDS)
)
register_string_format(
    "session-cursor",
    st.builds(
        lambda at, id_: encode_cursor(at.isoformat(), id_),
        st.datetimes(datetime(FIRST_DAY.year, 1, 1), datetime(LAST_DAY.year, 12, 31), timezones=st.just(UTC)),
        _IDS,
    ),
)


_DIGEST_CHARS = 16


@schemathesis.hook
def before_call(ctx, case, kwargs):
    """A generated Idempotency-Key becomes one for this request only (see the module's docstring)."""
    headers = case.headers or {}
    name = next((n for n in headers if n.lower() == IDEMPOTENCY_KEY.lower()), None)
    meta = case.meta
    if name is None or meta is None or not meta.generation.mode.is_positive:
        return
    key = headers[name]
    request = repr((case.method, case.formatted_path, sorted((case.query or {}).items()), case.body))
    digest = hashlib.sha256(request.encode("utf-8", "surrogatepass")).hexdigest()[:_DIGEST_CHARS]
    headers[name] = f"{key[: MAX_KEY_LENGTH - _DIGEST_CHARS - 1]}-{digest}"


# The problem details of request validation (app.errors, app.inputs, app.pagination): any other 4xx detail
# is a rule of the domain.
_REQUEST_VALIDATION = re.compile(
    r"^(\d+ field\(s\) failed validation\.|The request body is not valid JSON\.|NUL characters are not allowed"
    r"|Unpaired surrogate characters|The cursor is not valid)"
)


class RequestValidationMismatch(AssertionError):
    """A request the OpenAPI document allows was refused by request validation."""


@schemathesis.check
def request_validation_agrees(ctx, response, case):
    meta = case.meta
    if meta is None or not meta.generation.mode.is_positive or response.status_code not in (400, 422):
        return None
    try:
        detail = json.loads(response.content).get("detail") or ""
    except (ValueError, AttributeError):
        return None
    if _REQUEST_VALIDATION.match(detail) and any(_mismatch(error, case) for error in _errors(response)):
        raise RequestValidationMismatch(
            f"{case.operation.label}: a schema-valid request was refused by request validation "
            f"({response.status_code} {detail}): the OpenAPI document and the API's models disagree.\n"
            f"{response.content[:600]!r}"
        )
    return None


def _errors(response):
    errors = json.loads(response.content).get("errors") or []
    return errors or [{"type": "request"}]  # a verdict on the whole request (malformed JSON, NUL, cursor)


def _mismatch(error, case) -> bool:
    """Whether a request-validation error contradicts the document.

    Not a mismatch: `value_error`, the verdict of a model's own check relating fields (valid_until before
    valid_from, credential_code without certificate_number), which no JSON Schema can state; and an integral
    float (`85355.0`) for an integer, which JSON Schema counts as an integer and peer-ce's strict JSON types
    refuse by design (app/types.py).
    """
    kind = error.get("type")
    if kind == "value_error":
        return False
    if kind == "int_type":
        value = _at(case.body, error.get("loc", [])[1:])
        return not (isinstance(value, float) and value.is_integer())
    return True


def _at(value, path):
    for key in path:
        try:
            value = value[key]
        except (KeyError, IndexError, TypeError):
            return None
    return value
