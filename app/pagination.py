"""Opaque keyset cursors: lists are {items, next_cursor}."""

from __future__ import annotations

import base64
import json
from typing import Annotated, Any

from fastapi import Query
from sqlmodel import Session, col
from sqlmodel.sql.expression import Select

from app.errors import BadRequest

Cursor = Annotated[
    str | None,
    Query(max_length=512, description="Opaque cursor from a previous page's next_cursor"),
]


def encode_cursor(*values: Any) -> str:
    raw = json.dumps([v if isinstance(v, (int, str)) or v is None else str(v) for v in values])
    return base64.urlsafe_b64encode(raw.encode()).rstrip(b"=").decode()


def decode_cursor(cursor: str, arity: int) -> list[Any]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        values = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (ValueError, UnicodeDecodeError) as exc:
        raise BadRequest("The cursor is not valid; start again without it.") from exc
    if not isinstance(values, list) or len(values) != arity:
        raise BadRequest("The cursor is not valid; start again without it.")
    return values


def keyset_page(
    session: Session,
    query: Select[Any],
    key: Any,
    *,
    cursor: str | None,
    limit: int,
    newest_first: bool = False,
) -> tuple[list[Any], str | None]:
    """One page of `query` in `key` order (an integer id column), and the cursor of the next page."""
    column = col(key)
    query = query.order_by(column.desc() if newest_first else column).limit(limit + 1)
    if cursor:
        (last,) = decode_cursor(cursor, 1)
        if not isinstance(last, int):
            raise BadRequest("The cursor is not valid; start again without it.")
        query = query.where(column < last if newest_first else column > last)
    rows = list(session.exec(query))
    page = rows[:limit]
    return page, (encode_cursor(getattr(page[-1], column.key)) if len(rows) > limit else None)
