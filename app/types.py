"""Shared API field types."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

from annotated_types import Ge, Le
from pydantic import Field, PlainSerializer

# Hours are exact decimals inside; JSON numbers on the wire (2 decimal places at most).
HoursOut = Annotated[
    Decimal,
    PlainSerializer(float, return_type=float, when_used="json"),
    Field(examples=[12.5]),
]
HoursIn = Annotated[
    Decimal,
    Field(gt=0, max_digits=7, decimal_places=2, examples=[1.5]),
    PlainSerializer(float, return_type=float, when_used="json"),
]

# Database ids: positive and within a 32-bit INTEGER column, checked at the edge so an absurd id is
# a 422, never a database overflow.
MAX_ID = 2_147_483_647
DbId = Annotated[int, Ge(1), Le(MAX_ID)]
