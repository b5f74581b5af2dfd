"""Shared API field types, the strict base of request bodies, and the limits of what the API accepts.

Request bodies are parsed as JSON and validated strictly: a JSON value must already have the field's
type (no "12" for 12, no 2.9 or 1.0 or true for an integer, no 5 for a string). The exceptions are the
types JSON has no literal for: dates are strings written YYYY-MM-DD, hours are JSON numbers. Query and
path parameters arrive as text and convert from it; CSV cells are converted by `app.csvio` before the
same models see them.
"""

from __future__ import annotations

import math
import re
from datetime import date
from decimal import Decimal
from typing import Annotated, Any

from annotated_types import Ge, Le
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, PlainSerializer, WithJsonSchema
from pydantic_core import PydanticCustomError


class RequestModel(BaseModel):
    """A request body: strict JSON types and no unknown fields."""

    model_config = ConfigDict(strict=True, extra="forbid")


def stripped_text(min_length: int) -> dict[str, Any]:
    """`json_schema_extra` of a string that is stripped before `min_length` applies: a pattern that holds
    exactly when the stripped text has at least `min_length` characters (as the API checks it)."""
    middle = "" if min_length == 1 else "[\\s\\S]*" if min_length == 2 else f"[\\s\\S]{{{min_length - 2},}}"
    return {"pattern": "\\S" if min_length == 1 else f"\\S{middle}\\S"}


# --- dates --------------------------------------------------------------------------------

# Every date the API accepts (bodies, query parameters, CSV cells) lies in this range: wide enough for
# any real certification, completion or rule version, and far enough from date.max that the rule
# engine's month arithmetic (cycles of up to 120 months, a first cycle of up to 120 more, grace and
# due-soon windows of up to 730 days) can never overflow.
FIRST_DAY = date(1950, 1, 1)
LAST_DAY = date(2100, 12, 31)
DAY_RANGE = f"from {FIRST_DAY.isoformat()} to {LAST_DAY.isoformat()}"
# The same range as a pattern, so that the OpenAPI document states what is validated.
DAY_PATTERN = r"^(19[5-9][0-9]|20[0-9]{2}|2100)-[0-9]{2}-[0-9]{2}$"
_ISO_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def parse_day(value: Any) -> date:
    """A calendar date within the accepted range, from a `date` or a string written YYYY-MM-DD."""
    if isinstance(value, str) and _ISO_DAY.fullmatch(value):
        try:
            value = date.fromisoformat(value)
        except ValueError:
            raise PydanticCustomError("date_invalid", "Input should be a calendar date") from None
    if type(value) is not date:
        raise PydanticCustomError("date_format", "Input should be a date written YYYY-MM-DD")
    if not FIRST_DAY <= value <= LAST_DAY:
        raise PydanticCustomError("date_range", "Dates must be {range}", {"range": DAY_RANGE})
    return value


Day = Annotated[
    date,
    BeforeValidator(parse_day),
    WithJsonSchema({"type": "string", "format": "date", "pattern": DAY_PATTERN}),
]
"""A date the API accepts: YYYY-MM-DD, from 1950-01-01 to 2100-12-31."""


# --- numbers ------------------------------------------------------------------------------


def json_number(value: Any) -> Any:
    """A JSON number (int or float; Decimal from Python) as a Decimal; anything else, booleans and strings
    included, is refused."""
    if isinstance(value, bool) or not isinstance(value, (int, float, Decimal)):
        raise PydanticCustomError("decimal_type", "Input should be a number")
    if isinstance(value, float):
        if not math.isfinite(value):
            raise PydanticCustomError("finite_number", "Input should be a finite number")
        return Decimal(repr(value))  # the shortest text of the float: 1.1 is 1.1, not 1.100000000000000088...
    return Decimal(value) if isinstance(value, int) else value


MAX_HOURS = Decimal("99999.99")
_CENT = Decimal("0.01")


def _hours(*, positive: bool) -> BeforeValidator:
    """Hours from a JSON number: finite, above (or from) 0, at most 99999.99, at most two decimal places.

    One check in place of pydantic's `gt`/`max_digits`/`decimal_places`, which cost more than the rest of a
    roster row's validation together."""

    def check(value: Any) -> Decimal:
        hours = json_number(value)
        if not hours.is_finite():
            raise PydanticCustomError("finite_number", "Input should be a finite number")
        if hours <= 0 if positive else hours < 0:
            raise PydanticCustomError(
                "greater_than" if positive else "greater_than_equal",
                "Input should be greater than {gt}" if positive else "Input should be greater than or equal to {ge}",
                {"gt": 0} if positive else {"ge": 0},
            )
        if hours > MAX_HOURS:
            raise PydanticCustomError(
                "less_than_equal", "Input should be less than or equal to {le}", {"le": str(MAX_HOURS)}
            )
        if hours != hours.quantize(_CENT):
            raise PydanticCustomError(
                "decimal_max_places",
                "Decimal input should have no more than {decimal_places} decimal places",
                {"decimal_places": 2},
            )
        return hours

    return BeforeValidator(check)


POSITIVE_HOURS = _hours(positive=True)
HOURS = _hours(positive=False)

# Hours are exact decimals inside; JSON numbers on the wire (2 decimal places at most).
HoursOut = Annotated[
    Decimal,
    PlainSerializer(float, return_type=float, when_used="json"),
    Field(examples=[12.5]),
]
HoursIn = Annotated[
    Decimal,
    POSITIVE_HOURS,
    WithJsonSchema(
        {
            "type": "number",
            "exclusiveMinimum": 0,
            "maximum": float(MAX_HOURS),
            "multipleOf": 0.01,
            "description": "At most two decimal places",
            "examples": [1.5],
        }
    ),
    PlainSerializer(float, return_type=float, when_used="json"),
]

# Database ids: positive and within a 32-bit INTEGER column, checked at the edge so an absurd id is
# a 422, never a database overflow.
MAX_ID = 2_147_483_647
DbId = Annotated[int, Ge(1), Le(MAX_ID)]
