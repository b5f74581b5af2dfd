"""Declarative auth dependencies: authenticated by default, roles and scopes on top."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from app.auth.principal import Principal, Role
from app.errors import Forbidden, Unauthorized

bearer_scheme = HTTPBearer(
    auto_error=False,
    bearerFormat="JWT",
    description="A JWT from the board's identity provider (or `peer-ce token` in development).",
)


def authenticated(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)],
) -> Principal:
    """The verified caller; 401 when the bearer token is missing or invalid."""
    if credentials is None or credentials.scheme.lower() != "bearer" or not credentials.credentials:
        raise Unauthorized("A bearer token is required.")
    return request.app.state.token_verifier.verify(credentials.credentials)


PrincipalDep = Annotated[Principal, Depends(authenticated)]


def require_roles(*roles: Role) -> Callable[[Principal], Principal]:
    """A dependency that admits only the given roles (403 for the others)."""
    allowed = frozenset(roles)

    def dependency(principal: PrincipalDep) -> Principal:
        if principal.role not in allowed:
            names = ", ".join(sorted(r.value for r in allowed))
            raise Forbidden(f"This operation needs one of the roles: {names}.")
        return principal

    return dependency


AdminDep = Annotated[Principal, Depends(require_roles(Role.admin))]
AdminOrBoardDep = Annotated[Principal, Depends(require_roles(Role.admin, Role.board))]
