"""What every request's input must be before the API's code sees it.

- A JSON body, whether FastAPI parses it for a model or an upload parses it itself (rosters, course
  uploads), goes through `loads`: UTF-8 text, standard JSON (no NaN or Infinity), arrays and objects
  nested at most `MAX_JSON_DEPTH` levels (else 400 "nested too deeply", never a RecursionError), and
  no NUL character or unpaired surrogate in any string or key (422: neither database stores them).
- A path or query string carries no NUL character (`%00`): 422.

`GuardedRoute` is the route class of every router: it checks the URL and hands FastAPI a request whose
`json()` is `loads`.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Coroutine, MutableMapping
from typing import Any

from fastapi.routing import APIRoute
from starlette.requests import Request
from starlette.responses import Response

from app.errors import AppError, BodyRejected, Unprocessable

MAX_JSON_DEPTH = 32  # levels of arrays and objects in a JSON body; the top-level array or object is 1
NUL_MESSAGE = "NUL characters are not allowed"
SURROGATE_MESSAGE = "Unpaired surrogate characters (\\ud800-\\udfff) are not allowed"


class MalformedJson(AppError):
    status, title, slug = 400, "Malformed JSON", "malformed-json"


class NestedTooDeeply(AppError):
    status, title, slug = 400, "Nested too deeply", "nested-too-deeply"


def _error(loc: list[str | int], message: str, kind: str) -> dict[str, Any]:
    return {"loc": loc, "field": ".".join(str(p) for p in loc), "message": message, "type": kind}


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def loads(body: bytes) -> Any:
    """Parse a JSON request body under the rules above; AppError (400 or 422) for anything else."""
    try:
        text = body.decode("utf-8-sig")  # RFC 8259: JSON between systems is UTF-8 (a BOM is tolerated)
    except UnicodeDecodeError as exc:
        raise MalformedJson(
            "The request body is not UTF-8 text.", errors=[_error(["body", exc.start], "not UTF-8", "json_invalid")]
        ) from exc
    try:
        value = json.loads(text, parse_constant=_no_constant)
    except RecursionError:
        raise _too_deep() from None
    except json.JSONDecodeError as exc:
        raise MalformedJson(
            "The request body is not valid JSON.",
            errors=[_error(["body", exc.pos], f"JSON decode error: {exc.msg}", "json_invalid")],
        ) from exc
    except ValueError as exc:  # NaN/Infinity, or an integer of more than 4300 digits
        raise MalformedJson(
            "The request body is not valid JSON.", errors=[_error(["body"], str(exc), "json_invalid")]
        ) from exc
    if _deeper_than(value, MAX_JSON_DEPTH):
        raise _too_deep()
    # Both can only come from escapes (raw control characters and invalid UTF-8 are refused above),
    # so the strings are looked at only when the text has one: a cheap test on the largest bodies.
    if "\\u0000" in text or "\\ud" in text or "\\uD" in text:
        _check_strings(value)
    return value


def _too_deep() -> NestedTooDeeply:
    return NestedTooDeeply(
        f"The JSON body is nested too deeply: at most {MAX_JSON_DEPTH} levels of arrays and objects are accepted."
    )


_CONTAINERS = (dict, list)


def _deeper_than(value: Any, limit: int) -> bool:
    """True when arrays and objects nest more than `limit` levels: breadth-first, no recursion, and a
    row of scalars (a roster line) is looked at in one C-level pass."""
    level = [value] if type(value) in _CONTAINERS else []
    depth = 0
    while level:
        depth += 1
        if depth > limit:
            return True
        below: list[Any] = []
        for node in level:
            items = node.values() if type(node) is dict else node
            kinds = set(map(type, items))
            if dict in kinds or list in kinds:
                below.extend(items if kinds <= {dict, list} else (v for v in items if type(v) in _CONTAINERS))
        level = below
    return False


def _check_strings(value: Any) -> None:
    """422 naming the first string (or key) with a NUL character or an unpaired surrogate."""
    pending: list[tuple[Any, list[str | int]]] = [(value, ["body"])]
    while pending:
        node, loc = pending.pop()
        if isinstance(node, str):
            _check_text(node, loc)
        elif isinstance(node, dict):
            for key, item in node.items():
                _check_text(key, [*loc, "(key)"])
                pending.append((item, [*loc, key]))
        elif isinstance(node, list):
            pending.extend((item, [*loc, i]) for i, item in enumerate(node))


def _check_text(text: str, loc: list[str | int]) -> None:
    if "\x00" in text:
        raise Unprocessable(NUL_MESSAGE + ".", errors=[_error(loc, NUL_MESSAGE, "nul_character")])
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise Unprocessable(
            SURROGATE_MESSAGE + ".", errors=[_error(loc, SURROGATE_MESSAGE, "unpaired_surrogate")]
        ) from None


def check_url(scope: MutableMapping[str, Any]) -> None:
    """422 for a NUL character in the path or the query string."""
    query = scope.get("query_string", b"")
    for where, found in (("path", "\x00" in scope.get("path", "")), ("query", b"%00" in query or b"\x00" in query)):
        if found:
            raise Unprocessable(
                f"{NUL_MESSAGE} in the {where}.", errors=[_error([where], NUL_MESSAGE, "nul_character")]
            )


class GuardedRequest(Request):
    """A request whose JSON body is parsed by `loads`."""

    async def json(self) -> Any:
        if not hasattr(self, "_json"):
            try:
                self._json = loads(await self.body())
            except AppError as exc:  # FastAPI turns any other exception raised here into a bare 400
                raise BodyRejected(exc) from exc
        return self._json


class GuardedRoute(APIRoute):
    """The route class of every router: URL checked, JSON bodies parsed by `loads`."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def guarded(request: Request) -> Response:
            check_url(request.scope)
            return await handler(GuardedRequest(request.scope, request.receive))

        return guarded
