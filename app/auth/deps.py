"""Declarative auth dependencies: authenticated by default, roles and scopes on top.

Each dependency is a `JWTBearer`: FastAPI's HTTP bearer security scheme (so OpenAPI documents it)
that also verifies the token and checks the caller's role, in one dependency rather than a chain
of three (each level costs every request).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.security import HTTPBearer
from starlette.concurrency import run_in_threadpool

from app.auth.principal import Principal, Role
from app.errors import Forbidden, Unauthorized

#: The longest bearer token accepted (8 KiB); longer ones get 401 before they are decoded.
MAX_TOKEN_CHARS = 8 * 1024


class JWTBearer(HTTPBearer):
    """The verified caller of a bearer JWT, admitted when its role is one of `roles` (any role when none).

    401 when the token is missing or invalid (None instead when `optional` and no bearer token is sent), 403
    for another role. A token verified recently, or any with a local key, is checked on the event loop
    (CPU only); a JWKS lookup may fetch keys, so a new token goes to the thread pool then.
    """

    def __init__(self, *roles: Role, optional: bool = False) -> None:
        super().__init__(
            auto_error=False,
            bearerFormat="JWT",
            scheme_name="HTTPBearer",
            description="A JWT from the board's identity provider (or `peer-ce token` in development).",
        )
        self.roles = frozenset(roles)
        self.optional = optional

    async def __call__(self, request: Request) -> Principal | None:  # type: ignore[override]
        scheme, _, token = (request.headers.get("authorization") or "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            if self.optional:
                return None
            raise Unauthorized("A bearer token is required.")
        if len(token) > MAX_TOKEN_CHARS:  # refused before any decoding: no real token is near this size
            raise Unauthorized(f"The bearer token is longer than {MAX_TOKEN_CHARS} characters.")
        token = token.strip()
        verifier = request.app.state.token_verifier
        principal = verifier.remembered(token)
        if principal is None:
            if verifier.may_block:  # a JWKS refresh is network I/O: keep it off the event loop
                principal = await run_in_threadpool(verifier.verify, token)
            else:
                principal = verifier.verify(token)
        if self.roles and principal.role not in self.roles:
            names = ", ".join(sorted(r.value for r in self.roles))
            raise Forbidden(f"This operation needs one of the roles: {names}.")
        return principal


authenticated = JWTBearer()
PrincipalDep = Annotated[Principal, Depends(authenticated)]
MaybePrincipalDep = Annotated[Principal | None, Depends(JWTBearer(optional=True))]


def require_roles(*roles: Role) -> JWTBearer:
    """A dependency that admits only the given roles (403 for the others)."""
    return JWTBearer(*roles)


AdminDep = Annotated[Principal, Depends(require_roles(Role.admin))]
AdminOrBoardDep = Annotated[Principal, Depends(require_roles(Role.admin, Role.board))]


def requires_token(route: Any) -> bool:
    """True when a route admits only callers with a valid bearer token (a non-optional `JWTBearer`)."""
    pending = list(route.dependant.dependencies)
    while pending:
        dependant = pending.pop()
        if isinstance(dependant.call, JWTBearer) and not dependant.call.optional:
            return True
        pending.extend(dependant.dependencies)
    return False
