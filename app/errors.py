"""Domain errors and the one RFC 9457 problem+json rendering for every error."""

from __future__ import annotations

import json
import logging
from typing import Any, ClassVar

from fastapi import FastAPI, Request
from fastapi.dependencies.models import Dependant
from fastapi.exceptions import RequestValidationError
from fastapi.routing import iter_route_contexts
from pydantic import BaseModel, ConfigDict, Field
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import JSONResponse
from starlette.routing import Match

from app.context import request_id_var

log = logging.getLogger("peer_ce.errors")

PROBLEM_MEDIA_TYPE = "application/problem+json"
TYPE_BASE = "https://peer-ce.org/problems/"


class FieldError(BaseModel):
    loc: list[str | int] = Field(description="Path to the offending field, e.g. ['body', 'hours'].")
    field: str = Field(description="The same path as a dotted string, e.g. 'body.hours'.")
    message: str
    type: str = Field(description="Machine-readable error kind, e.g. 'missing', 'value_error'.")
    line: int | None = Field(default=None, description="CSV uploads: the 1-based line of the file it is on.")


class Problem(BaseModel):
    """An RFC 9457 problem details object."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "type": "https://peer-ce.org/problems/not-found",
                    "title": "Not found",
                    "status": 404,
                    "detail": "Certification 42 was not found.",
                    "instance": "/v1/certifications/42",
                    "request_id": "5f0c6f3e9a8b4c1d",
                }
            ]
        }
    )

    type: str
    title: str
    status: int
    detail: str | None = None
    instance: str | None = None
    request_id: str | None = None
    errors: list[FieldError] | None = None


class AppError(Exception):
    """A domain error that knows its HTTP status; rendered once as problem+json."""

    status: ClassVar[int] = 400
    title: ClassVar[str] = "Bad request"
    slug: ClassVar[str] = "bad-request"

    def __init__(
        self,
        detail: str | None = None,
        *,
        errors: list[dict[str, Any]] | None = None,
        headers: dict[str, str] | None = None,
        extensions: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(detail or self.title)
        self.detail = detail
        self.errors = errors
        self.headers = headers
        self.extensions = extensions


class BadRequest(AppError):
    pass


class Unauthorized(AppError):
    status, title, slug = 401, "Unauthorized", "unauthorized"

    def __init__(self, detail: str | None = None) -> None:
        super().__init__(detail, headers={"WWW-Authenticate": 'Bearer error="invalid_token"'})


class Forbidden(AppError):
    status, title, slug = 403, "Forbidden", "forbidden"


class NotFound(AppError):
    status, title, slug = 404, "Not found", "not-found"


class Conflict(AppError):
    status, title, slug = 409, "Conflict", "conflict"


class PreconditionFailed(AppError):
    status, title, slug = 412, "Precondition failed", "precondition-failed"


class PayloadTooLarge(AppError):
    status, title, slug = 413, "Request body too large", "payload-too-large"


class UnsupportedMediaType(AppError):
    status, title, slug = 415, "Unsupported media type", "unsupported-media-type"


class Unprocessable(AppError):
    status, title, slug = 422, "Validation failed", "validation"


class TooManyRequests(AppError):
    status, title, slug = 429, "Too many requests", "rate-limited"


class BodyRejected(StarletteHTTPException):
    """An AppError raised while FastAPI parses a request body, which lets only HTTPExceptions through."""

    def __init__(self, error: AppError) -> None:
        super().__init__(error.status, error.detail)
        self.error = error


class ServiceUnavailable(AppError):
    status, title, slug = 503, "Service unavailable", "unavailable"


def field_errors(raw: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Pydantic-style error dicts -> our FieldError shape (no input values echoed back)."""
    out = []
    for err in raw:
        loc = [p if isinstance(p, int) else str(p) for p in err.get("loc", ())]
        out.append(
            {
                "loc": loc,
                "field": ".".join(str(p) for p in loc),
                "message": str(err.get("msg", "invalid value")),
                "type": str(err.get("type", "value_error")),
            }
        )
    return out


async def send_problem(
    send: Any,
    *,
    status: int,
    title: str,
    slug: str,
    detail: str | None,
    instance: str | None,
    headers: dict[str, str] | None = None,
) -> None:
    """Write a problem+json response straight to an ASGI `send` (for middleware, outside the router)."""
    body = json.dumps(
        {
            "type": TYPE_BASE + slug,
            "title": title,
            "status": status,
            "detail": detail,
            "instance": instance,
            "request_id": request_id_var.get(),
        }
    ).encode()
    raw_headers = [(b"content-type", PROBLEM_MEDIA_TYPE.encode()), (b"content-length", str(len(body)).encode())]
    raw_headers += [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()]
    await send({"type": "http.response.start", "status": status, "headers": raw_headers})
    await send({"type": "http.response.body", "body": body})


def problem_response(
    request: Request | None,
    *,
    status: int,
    title: str,
    slug: str,
    detail: str | None = None,
    errors: list[dict[str, Any]] | None = None,
    headers: dict[str, str] | None = None,
    instance: str | None = None,
    extensions: dict[str, Any] | None = None,
) -> JSONResponse:
    body: dict[str, Any] = {
        "type": TYPE_BASE + slug,
        "title": title,
        "status": status,
        "detail": detail,
        "instance": instance if instance is not None else (request.url.path if request else None),
        "request_id": request_id_var.get(),
    }
    if errors is not None:
        body["errors"] = errors
    if extensions:
        body.update({k: v for k, v in extensions.items() if k not in body})
    return JSONResponse(body, status_code=status, headers=headers, media_type=PROBLEM_MEDIA_TYPE)


async def _app_error(request: Request, exc: AppError) -> JSONResponse:
    return problem_response(
        request,
        status=exc.status,
        title=exc.title,
        slug=exc.slug,
        detail=exc.detail,
        errors=exc.errors,
        headers=exc.headers,
        extensions=exc.extensions,
    )


async def _body_rejected(request: Request, exc: BodyRejected) -> JSONResponse:
    return await _app_error(request, exc.error)


async def _validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
    raw = list(exc.errors())
    if any(e.get("type") == "json_invalid" for e in raw):
        return problem_response(
            request,
            status=400,
            title="Malformed JSON",
            slug="malformed-json",
            detail="The request body is not valid JSON.",
            errors=field_errors(raw),
        )
    if any(e.get("loc", ())[:1] == ("path",) and e.get("type") == "int_parsing" for e in raw):
        # `/v1/completions/import` reached `/v1/completions/{completion_id}`: a segment that is no id means
        # the id route does not apply, so the answer is the path's own (405 naming its methods), or 404.
        if allowed := allowed_methods(request):
            return problem_response(
                request,
                status=405,
                title="Method not allowed",
                slug="method-not-allowed",
                detail=_not_allowed(request, allowed),
                headers={"Allow": ", ".join(allowed)},
            )
        return problem_response(
            request, status=404, title="Not found", slug="not-found", detail=f"No resource at {request.url.path}."
        )
    return problem_response(
        request,
        status=422,
        title="Validation failed",
        slug="validation",
        detail=f"{len(raw)} field(s) failed validation.",
        errors=field_errors(raw),
    )


_HTTP_TITLES = {
    401: ("Unauthorized", "unauthorized"),
    403: ("Forbidden", "forbidden"),
    404: ("Not found", "not-found"),
    405: ("Method not allowed", "method-not-allowed"),
    406: ("Not acceptable", "not-acceptable"),
    413: ("Request body too large", "payload-too-large"),
    415: ("Unsupported media type", "unsupported-media-type"),
}


async def _http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
    title, slug = _HTTP_TITLES.get(exc.status_code, ("HTTP error", f"http-{exc.status_code}"))
    detail = exc.detail if isinstance(exc.detail, str) else None
    headers = getattr(exc, "headers", None)
    if exc.status_code == 404 and detail == "Not Found":
        detail = f"No resource at {request.url.path}."
    if exc.status_code == 405:
        allowed = allowed_methods(request)
        headers = {**(headers or {}), "Allow": ", ".join(allowed)}
        detail = _not_allowed(request, allowed)
    return problem_response(request, status=exc.status_code, title=title, slug=slug, detail=detail, headers=headers)


def _not_allowed(request: Request, allowed: list[str]) -> str:
    return f"{request.method} is not supported at {request.url.path}; it supports {', '.join(allowed)}."


def _integer_path_params(dependant: Dependant) -> set[str]:
    """The route's path parameters typed `int`, its dependencies' included (a course loaded by its id)."""
    names: set[str] = set()
    pending = [dependant]
    while pending:
        current = pending.pop()
        names |= {p.name for p in current.path_params if p.field_info.annotation is int}
        pending.extend(current.dependencies)
    return names


def allowed_methods(request: Request) -> list[str]:
    """Every method some route serves at this path, for `Allow` (Starlette's 405 names only the first route's).

    A route whose integer path parameter would receive a segment that is not a number does not count.
    """
    scope = {**request.scope, "method": "GET"}
    methods: set[str] = set()
    for route in iter_route_contexts(request.app.routes):
        if not route.methods:
            continue
        match, child = route.matches(scope)
        if match == Match.NONE:
            continue
        dependant = getattr(route, "dependant", None)
        params = child.get("path_params", {})
        integers = _integer_path_params(dependant) if dependant else set()
        if any(not str(params.get(name, "0")).isdigit() for name in integers):
            continue
        methods |= route.methods
    return sorted(methods)


OUT_OF_RANGE = (
    "A value in the request does not fit what the database holds (a number out of range, or text too long); "
    "nothing was changed."
)
UNAVAILABLE = "The database is not available right now; nothing was changed. Retry shortly."


async def _out_of_range(request: Request, exc: Exception) -> JSONResponse:
    """A number in the request the database cannot hold (an id past 64 bits): the client's input, not a 500."""
    log.warning("request value out of range for the database: %s", type(exc).__name__)
    return problem_response(request, status=422, title="Validation failed", slug="validation", detail=OUT_OF_RANGE)


async def _database_unavailable(request: Request, exc: Exception) -> JSONResponse:
    """The database could not be reached or did not answer in time (connection refused, the server's
    connection limit, the pool's wait): the request wrote nothing, and a retry may succeed."""
    log.error("database unavailable: %s", exc.__class__.__name__, exc_info=exc)
    return problem_response(
        request,
        status=503,
        title="Service unavailable",
        slug="unavailable",
        detail=UNAVAILABLE,
        headers={"Retry-After": "5"},
    )


def as_app_error(exc: BaseException) -> AppError | None:
    """The AppError the handlers below answer `exc` with (itself if it is one), None for any other: for work
    run in another process (`app.offload`), whose database exceptions do not cross back as they are."""
    from sqlalchemy.exc import DataError, OperationalError
    from sqlalchemy.exc import TimeoutError as PoolTimeout

    if isinstance(exc, AppError):
        return exc
    if isinstance(exc, OverflowError | DataError):
        log.warning("request value out of range for the database: %s", type(exc).__name__)
        return Unprocessable(OUT_OF_RANGE)
    if isinstance(exc, OperationalError | PoolTimeout):
        log.error("database unavailable: %s", exc.__class__.__name__, exc_info=exc)
        return ServiceUnavailable(UNAVAILABLE, headers={"Retry-After": "5"})
    return None


def install_error_handlers(app: FastAPI) -> None:
    from sqlalchemy.exc import DataError, OperationalError
    from sqlalchemy.exc import TimeoutError as PoolTimeout

    app.add_exception_handler(OverflowError, _out_of_range)  # SQLite: int beyond 64 bits
    app.add_exception_handler(DataError, _out_of_range)  # PostgreSQL: numeric value out of range
    app.add_exception_handler(OperationalError, _database_unavailable)
    app.add_exception_handler(PoolTimeout, _database_unavailable)
    app.add_exception_handler(AppError, _app_error)  # type: ignore[arg-type]
    app.add_exception_handler(BodyRejected, _body_rejected)  # type: ignore[arg-type]
    app.add_exception_handler(RequestValidationError, _validation_error)  # type: ignore[arg-type]
    app.add_exception_handler(StarletteHTTPException, _http_error)  # type: ignore[arg-type]


# Documented on every operation, so generated clients know the error shape.
def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    descriptions = {
        400: "Malformed request",
        401: "Missing or invalid bearer token",
        403: "Authenticated, but not allowed to do this",
        404: "Not found (or outside the caller's scope)",
        409: "Conflicts with the current state",
        412: "If-Match does not match the current ETag",
        413: "Request body too large",
        415: "Unsupported media type",
        422: "Validation failed; `errors` lists each field",
        429: "Rate limit exceeded",
    }
    return {
        s: {
            "model": Problem,
            "description": descriptions.get(s, "Error"),
            "content": {PROBLEM_MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}},
        }
        for s in statuses
    }
