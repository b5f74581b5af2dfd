"""Opaque keyset cursors: lists are {items, next_cursor}, and `?count=true` adds their exact `total`."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Annotated, Any, Generic, TypeVar

from fastapi import Query
from pydantic import Field
from sqlalchemy import func, select
from sqlmodel import Session, col
from sqlmodel.sql.expression import Select, SelectOfScalar

from app.errors import BadRequest

T = TypeVar("T")

_CURSOR_HELP = (
    "Opaque cursor from a previous page's `next_cursor` (only values the API issued are valid; any other is 400)"
)
# The OpenAPI `format` names the kind of cursor, so a contract test can generate values the API issues.
Cursor = Annotated[str | None, Query(max_length=512, json_schema_extra={"format": "cursor"}, description=_CURSOR_HELP)]
"""Lists in id order: the cursor holds the last id."""
DueCursor = Annotated[
    str | None, Query(max_length=512, json_schema_extra={"format": "due-cursor"}, description=_CURSOR_HELP)
]
"""The due list, in deadline order: the cursor holds the last item's deadline and certification id."""
CountTotal = Annotated[
    bool,
    Query(
        description="Add `total`: how many items match the filters within your scope, over all pages "
        "(exact; costs one more query)"
    ),
]


# A page model's `total` field (`total: Total = None`): left out of the document unless it was asked for.
Total = Annotated[
    int | None,
    Field(
        ge=0,
        exclude_if=lambda value: value is None,
        description="Items matching the filters within your scope, over all pages: present with `count=true`",
    ),
]


@dataclass
class KeysetPage(Generic[T]):
    """One page, its next cursor and (when counted) the total; unpacks as `(items, next_cursor)`."""

    items: list[T]
    next_cursor: str | None
    total: int | None = None

    def __iter__(self) -> Iterator[Any]:
        return iter((self.items, self.next_cursor))


def count_rows(session: Session, query: Select[Any] | SelectOfScalar[Any]) -> int:
    """How many rows `query` selects (its order, limit and offset aside)."""
    inner = query.order_by(None).limit(None).offset(None).subquery()
    return int(session.execute(select(func.count()).select_from(inner)).scalar_one())


def encode_cursor(*values: Any) -> str:
    raw = json.dumps([v if isinstance(v, (int, str)) or v is None else str(v) for v in values])
    return base64.urlsafe_b64encode(raw.encode()).rstrip(b"=").decode()


def decode_cursor(cursor: str, arity: int) -> list[Any]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        values = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (ValueError, UnicodeDecodeError) as exc:
        raise BadRequest("The cursor is not valid; start again without it.") from exc
    # Every cursor ends with the last item's id (JSON true is no id, though Python counts it an int).
    if not isinstance(values, list) or len(values) != arity or type(values[-1]) is not int:
        raise BadRequest("The cursor is not valid; start again without it.")
    return values


def keyset_page(
    session: Session,
    query: SelectOfScalar[T],
    key: Any,
    *,
    cursor: str | None,
    limit: int,
    newest_first: bool = False,
    count: bool = False,
) -> KeysetPage[T]:
    """One page of `query` in `key` order (an integer id column), the cursor of the next page, and with
    `count` the number of rows `query` selects in all."""
    column = col(key)
    total = count_rows(session, query) if count else None
    query = query.order_by(column.desc() if newest_first else column).limit(limit + 1)
    if cursor:
        (last,) = decode_cursor(cursor, 1)
        query = query.where(column < last if newest_first else column > last)
    rows = list(session.exec(query))
    page = rows[:limit]
    name: str = key.key  # the mapped attribute's name
    return KeysetPage(page, encode_cursor(getattr(page[-1], name)) if len(rows) > limit else None, total)
