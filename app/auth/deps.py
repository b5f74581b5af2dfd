"""Declarative auth dependencies: authenticated by default, roles and scopes on top."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.concurrency import run_in_threadpool

from app.auth.principal import Principal, Role
from app.errors import Forbidden, Unauthorized

bearer_scheme = HTTPBearer(
    auto_error=False,
    bearerFormat="JWT",
    description="A JWT from the board's identity provider (or `peer-ce token` in development).",
)


async def authenticated(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)],
) -> Principal:
    """The verified caller; 401 when the bearer token is missing or invalid.

    With a local key this is CPU only (a signature check), so it runs on the event loop rather than
    costing a thread-pool hop per request; a JWKS lookup may fetch keys, so it goes to the pool.
    """
    if credentials is None or credentials.scheme.lower() != "bearer" or not credentials.credentials:
        raise Unauthorized("A bearer token is required.")
    verifier = request.app.state.token_verifier
    if verifier.may_block:  # a JWKS refresh is network I/O: keep it off the event loop
        return await run_in_threadpool(verifier.verify, credentials.credentials)
    return verifier.verify(credentials.credentials)


PrincipalDep = Annotated[Principal, Depends(authenticated)]


async def optional_principal(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)],
) -> Principal | None:
    """The caller on a public route: None when anonymous, 401 when a token is sent but invalid."""
    return None if credentials is None else await authenticated(request, credentials)


MaybePrincipalDep = Annotated[Principal | None, Depends(optional_principal)]


def require_roles(*roles: Role) -> Callable[[Principal], Principal]:
    """A dependency that admits only the given roles (403 for the others)."""
    allowed = frozenset(roles)

    async def dependency(principal: PrincipalDep) -> Principal:
        if principal.role not in allowed:
            names = ", ".join(sorted(r.value for r in allowed))
            raise Forbidden(f"This operation needs one of the roles: {names}.")
        return principal

    return dependency


AdminDep = Annotated[Principal, Depends(require_roles(Role.admin))]
AdminOrBoardDep = Annotated[Principal, Depends(require_roles(Role.admin, Role.board))]
