"""Who is calling, and what they may see."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, model_validator


class Role(StrEnum):
    admin = "admin"
    board = "board"
    provider = "provider"
    peer = "peer"


class Principal(BaseModel):
    """The authenticated caller, built from verified token claims."""

    model_config = ConfigDict(frozen=True)

    subject: str
    role: Role
    states: frozenset[str] = Field(default_factory=frozenset)
    provider_id: int | None = None
    person_id: int | None = None

    @model_validator(mode="after")
    def _scope_matches_role(self) -> Principal:
        if self.role is Role.board and not self.states:
            raise ValueError("a board token needs at least one state")
        if self.role is Role.provider and self.provider_id is None:
            raise ValueError("a provider token needs provider_id")
        if self.role is Role.peer and self.person_id is None:
            raise ValueError("a peer token needs person_id")
        return self

    @property
    def is_admin(self) -> bool:
        return self.role is Role.admin

    def sees_state(self, state: str) -> bool:
        """Admins see every state; boards only theirs."""
        return self.is_admin or (self.role is Role.board and state in self.states)

    @property
    def actor(self) -> str:
        """How this caller is named in the audit log."""
        return f"{self.role.value}:{self.subject}"
