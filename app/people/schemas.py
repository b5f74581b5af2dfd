from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, EmailStr, Field, JsonValue, field_validator, model_validator

from app.types import RequestModel, stripped_text

_NOT_BLANK = stripped_text(1)  # documents `_strip`
_NAME: dict[str, Any] = {"min_length": 1, "max_length": 100, "json_schema_extra": _NOT_BLANK}


def _stripped(value: str | None) -> str | None:
    if value is None:
        return None
    value = value.strip()
    if not value:
        raise ValueError("must not be blank")
    return value


class PersonBase(RequestModel):
    given_name: str = Field(**_NAME, examples=["Jordan"])
    family_name: str = Field(**_NAME, examples=["Rivera"])
    email: EmailStr = Field(examples=["jordan.rivera@example.org"])
    external_ref: str | None = Field(
        default=None, max_length=100, json_schema_extra=_NOT_BLANK, description="The board's own id"
    )
    birth_month: int | None = Field(
        default=None,
        ge=1,
        le=12,
        description="Only for credentials whose cycles end on the holder's birthday (WA).",
    )
    birth_day: int | None = Field(default=None, ge=1, le=31)

    @field_validator("given_name", "family_name", "external_ref")
    @classmethod
    def _strip(cls, value: str | None) -> str | None:
        return _stripped(value)

    @field_validator("email")
    @classmethod
    def _lower(cls, value: str) -> str:
        return value.lower()


# What `_birthday_pair` checks, stated in the schema (a field sent as null counts as not given).
_BIRTHDAY_PAIR: list[JsonValue] = [
    {
        "if": {"required": [a], "properties": {a: {"type": "integer"}}},
        "then": {"required": [b], "properties": {b: {"type": "integer"}}},
    }
    for a, b in (("birth_month", "birth_day"), ("birth_day", "birth_month"))
]


class PersonCreate(PersonBase):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"given_name": "Jordan", "family_name": "Rivera", "email": "jordan.rivera@example.org"}],
            "allOf": _BIRTHDAY_PAIR,
        },
    )

    @model_validator(mode="after")
    def _birthday_pair(self) -> PersonCreate:
        if (self.birth_month is None) != (self.birth_day is None):
            raise ValueError("birth_month and birth_day go together")
        return self


class PersonUpdate(RequestModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"email": "jordan.rivera@example.net"}, {"birth_month": 7, "birth_day": 14}]},
    )

    given_name: str | None = Field(default=None, **_NAME)
    family_name: str | None = Field(default=None, **_NAME)
    email: EmailStr | None = None
    external_ref: str | None = Field(default=None, max_length=100, json_schema_extra=_NOT_BLANK)
    birth_month: int | None = Field(default=None, ge=1, le=12)
    birth_day: int | None = Field(default=None, ge=1, le=31)

    @field_validator("given_name", "family_name", "external_ref")
    @classmethod
    def _strip(cls, value: str | None) -> str | None:
        return _stripped(value)

    @field_validator("email")
    @classmethod
    def _lower(cls, value: str | None) -> str | None:
        return value.lower() if value else value


class PersonPublic(BaseModel):
    model_config = ConfigDict(
        from_attributes=True,
        json_schema_extra={
            "examples": [
                {
                    "id": 12,
                    "given_name": "Jordan",
                    "family_name": "Rivera",
                    "email": "jordan.rivera@example.org",
                    "external_ref": "PA-000117",
                    "birth_month": None,
                    "birth_day": None,
                    "created_at": "2025-01-07T14:03:11Z",
                    "updated_at": "2025-01-07T14:03:11Z",
                }
            ]
        },
    )

    id: int
    given_name: str
    family_name: str
    email: str
    external_ref: str | None
    birth_month: int | None
    birth_day: int | None
    created_at: datetime
    updated_at: datetime
