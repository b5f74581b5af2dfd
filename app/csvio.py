"""CSV in and out: strict headers on the way in, formula-injection-safe cells on the way out."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterable, AsyncIterator, Iterable, Sequence
from typing import Annotated, Any

from fastapi import Depends, Request

from app.errors import Unprocessable, UnsupportedMediaType

_FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def require_csv(content_type: str | None) -> None:
    if (content_type or "").split(";")[0].strip().lower() not in {"text/csv", "application/csv"}:
        raise UnsupportedMediaType("Send the file as text/csv.")


def read_rows(body: bytes, *, required: Sequence[str], optional: Sequence[str] = ()) -> list[dict[str, str]]:
    """Parse a CSV upload; 422 naming any missing or unknown columns."""
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise Unprocessable("The file is not UTF-8 text.") from exc
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = [h.strip() for h in (reader.fieldnames or [])]
    missing = [c for c in required if c not in header]
    unknown = [c for c in header if c not in required and c not in optional]
    if missing or unknown:
        problems = ([f"missing column(s): {', '.join(missing)}"] if missing else []) + (
            [f"unknown column(s): {', '.join(unknown)}"] if unknown else [])
        raise Unprocessable(
            "; ".join(problems) + f". Expected: {', '.join([*required, *optional])}.",
            errors=[{"loc": ["body", "header"], "field": "body.header", "message": p, "type": "csv_header"}
                    for p in problems],
        )
    reader.fieldnames = header
    rows = []
    for raw in reader:
        if None in raw:
            raise Unprocessable(f"Line {reader.line_num} has more cells than the header.")
        rows.append({k: (v or "").strip() for k, v in raw.items()})
    if not rows:
        raise Unprocessable("The file has a header but no rows.")
    return rows


def safe_cell(value: Any) -> str:
    """A cell that spreadsheets will not run as a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_PREFIXES) else text


class _Lines:
    """CSV text a row at a time (cells escaped against formula injection)."""

    def __init__(self) -> None:
        self.buffer = io.StringIO()
        self.writer = csv.writer(self.buffer, lineterminator="\r\n")

    def line(self, row: Sequence[Any], *, escape: bool = True) -> str:
        self.buffer.seek(0)
        self.buffer.truncate()
        self.writer.writerow([safe_cell(v) for v in row] if escape else row)
        return self.buffer.getvalue()


def csv_lines(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> Iterable[str]:
    """Yield CSV text line by line (for streaming responses)."""
    lines = _Lines()
    yield lines.line(header, escape=False)
    for row in rows:
        yield lines.line(row)


async def csv_lines_async(header: Sequence[str], rows: AsyncIterable[Sequence[Any]]) -> AsyncIterator[str]:
    """`csv_lines` for rows that come from an async source (batches read in turn at the database gate)."""
    lines = _Lines()
    yield lines.line(header, escape=False)
    async for row in rows:
        yield lines.line(row)


async def raw_body(request: Request) -> bytes:
    """The request body as sent, whatever its media type (uploads parse it themselves)."""
    return await request.body()


RawBody = Annotated[bytes, Depends(raw_body)]


def upload_doc(description: str, *media_types: str, example: str | None = None) -> dict[str, Any]:
    """openapi_extra documenting a raw upload body in the given media types."""
    content: dict[str, Any] = {}
    for media_type in media_types:
        schema: dict[str, Any] = ({"type": "string"} if "csv" in media_type
                                  else {"type": "array", "items": {"type": "object"}})
        if example and "csv" in media_type:
            schema["example"] = example
        content[media_type] = {"schema": schema}
    return {"requestBody": {"required": True, "description": description, "content": content}}
