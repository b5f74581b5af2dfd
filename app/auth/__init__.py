"""Bearer-token authentication and the caller's scope."""

from app.auth.deps import (
    AdminDep,
    AdminOrBoardDep,
    PrincipalDep,
    authenticated,
    require_roles,
)
from app.auth.principal import Principal, Role

__all__ = ["AdminDep", "AdminOrBoardDep", "Principal", "PrincipalDep", "Role", "authenticated", "require_roles"]
