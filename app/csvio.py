"""CSV in and out: one strict reader for every upload, formula-injection-safe cells on the way out.

The reader refuses, with 422 problem+json whose `errors` name the line: text that is not UTF-8 (a BOM
is fine), NUL characters, a cell longer than `MAX_CELL_CHARS`, malformed quoting, a header naming a
column twice, missing or unknown columns, and a line with more or fewer cells than the header. Cells
are text: `cell_int` and `cell_decimal` turn the ones that are written exactly as numbers into numbers
(digits, and digits with a decimal point), so that "2.9", "1e3" or " 12" stay text and the strict
models refuse them.
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from collections.abc import AsyncIterable, AsyncIterator, Iterable, Sequence
from decimal import Decimal
from typing import Annotated, Any

from fastapi import Depends, Request

from app.errors import Unprocessable, UnsupportedMediaType
from app.inputs import NUL_MESSAGE

_FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
MAX_CELL_CHARS = 10_000  # characters in one CSV cell (a course description is at most 5,000)
_MAX_LINE_ERRORS = 100  # line errors reported at once
_TOO_LONG = f"a cell is longer than {MAX_CELL_CHARS} characters"


def require_csv(content_type: str | None) -> None:
    if (content_type or "").split(";")[0].strip().lower() not in {"text/csv", "application/csv"}:
        raise UnsupportedMediaType("Send the file as text/csv.")


def _line_error(line: int, message: str, kind: str) -> dict[str, Any]:
    return {"loc": ["body", "line", line], "field": f"line {line}", "message": message, "type": kind, "line": line}


def _refuse(errors: list[dict[str, Any]], what: str) -> Unprocessable:
    lines = ", ".join(str(e["line"]) for e in errors[:10]) + (", ..." if len(errors) > 10 else "")
    return Unprocessable(f"{what} (line{'s' if len(errors) > 1 else ''} {lines}); nothing was imported.", errors=errors)


def read_table(body: bytes) -> tuple[list[str], list[list[str]]]:
    """The header (names stripped) and the data rows (cells stripped) of a CSV upload; blank lines are skipped."""
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = body.count(b"\n", 0, exc.start) + 1
        raise _refuse([_line_error(line, "not UTF-8 text", "csv_encoding")], "The file is not UTF-8 text") from exc
    nul = text.find("\x00")
    if nul >= 0:
        line = text.count("\n", 0, nul) + 1
        raise _refuse([_line_error(line, NUL_MESSAGE, "nul_character")], NUL_MESSAGE)
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    long_cells = len(text) > MAX_CELL_CHARS  # else no cell can be too long: not worth a look per row
    escaped = "'" in text  # else no cell is escaped (`safe_cell`): not worth a look per cell
    header: list[str] | None = None
    rows: list[list[str]] = []
    errors: list[dict[str, Any]] = []
    line = 1  # the first line of the row being read
    try:
        for cells in reader:
            if len(errors) >= _MAX_LINE_ERRORS:
                break
            if not cells or (len(cells) == 1 and not cells[0].strip()):
                pass  # a blank line
            elif long_cells and max(map(len, cells)) > MAX_CELL_CHARS:
                errors.append(_line_error(line, _TOO_LONG, "csv_cell_size"))
            elif header is None:
                header = list(map(str.strip, cells))
                twice = sorted(name for name, count in Counter(header).items() if count > 1)
                if twice:
                    errors.append(_line_error(line, f"column(s) named twice: {', '.join(twice)}", "csv_header"))
            elif len(cells) != len(header):
                errors.append(
                    _line_error(line, f"{len(cells)} cell(s) where the header has {len(header)}", "csv_cell_count")
                )
            elif escaped:
                rows.append([unescape_cell(c.strip()) for c in cells])
            else:
                rows.append(list(map(str.strip, cells)))
            line = reader.line_num + 1
    except csv.Error as exc:  # the reader cannot resynchronise after one
        if "field larger than field limit" in str(exc):
            errors.append(_line_error(line, _TOO_LONG, "csv_cell_size"))
        else:
            errors.append(_line_error(line, f"not valid CSV: {exc}", "csv_syntax"))
    if errors:
        raise _refuse(errors, "The file is not a CSV table this upload accepts")
    if header is None:
        raise Unprocessable("The file is empty.", errors=[_line_error(1, "no header", "csv_header")])
    return header, rows


def read_rows(body: bytes, *, required: Sequence[str], optional: Sequence[str] = ()) -> list[dict[str, str]]:
    """Parse a CSV upload with `read_table`; 422 naming any missing or unknown columns."""
    header, rows = read_columns(body, required=required, optional=optional)
    return [dict(zip(header, cells, strict=True)) for cells in rows]


def read_columns(
    body: bytes, *, required: Sequence[str], optional: Sequence[str] = ()
) -> tuple[list[str], list[list[str]]]:
    """`read_rows` as the header and each row's cells in its order (no dict per row, for large uploads)."""
    header, rows = read_table(body)
    missing = [c for c in required if c not in header]
    unknown = [c for c in header if c not in required and c not in optional]
    if missing or unknown:
        problems = ([f"missing column(s): {', '.join(missing)}"] if missing else []) + (
            [f"unknown column(s): {', '.join(unknown)}"] if unknown else []
        )
        raise Unprocessable(
            "; ".join(problems) + f". Expected: {', '.join([*required, *optional])}.",
            errors=[
                {"loc": ["body", "header"], "field": "body.header", "message": p, "type": "csv_header", "line": 1}
                for p in problems
            ],
        )
    if not rows:
        raise Unprocessable("The file has a header but no rows.")
    return header, rows


def _digits(text: str) -> bool:
    return text.isdigit() and text.isascii() and len(text) <= 4300  # int() refuses longer text


def cell_int(text: str) -> int | str:
    """A cell written as digits, as an integer; any other text unchanged (for the model to refuse)."""
    return int(text) if _digits(text) else text


def cell_decimal(text: str) -> Decimal | str:
    """A cell written as digits with an optional decimal point, as a Decimal; any other text unchanged."""
    whole, point, fraction = text.partition(".")
    return Decimal(text) if _digits(whole) and (not point or _digits(fraction)) else text


def safe_cell(value: Any) -> str:
    """A cell that spreadsheets will not run as a formula (an apostrophe before =, +, -, @ ...)."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_PREFIXES) else text


def unescape_cell(text: str) -> str:
    """`safe_cell` undone: what an export escaped reads back as it was stored, so a file round-trips."""
    return text[1:] if text.startswith("'") and text[1:].startswith(_FORMULA_PREFIXES) else text


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


BOM = "\ufeff"


async def csv_lines_async(
    header: Sequence[str], rows: AsyncIterable[Sequence[Any]], *, bom: bool = False
) -> AsyncIterator[str]:
    """`csv_lines` for rows that come from an async source (batches read in turn at the database gate);
    `bom`: starting with a byte-order mark, so spreadsheet programs read the file as UTF-8."""
    lines = _Lines()
    yield (BOM if bom else "") + lines.line(header, escape=False)
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
        schema: dict[str, Any] = (
            {"type": "string"} if "csv" in media_type else {"type": "array", "items": {"type": "object"}}
        )
        if example and "csv" in media_type:
            schema["example"] = example
        content[media_type] = {"schema": schema}
    return {"requestBody": {"required": True, "description": description, "content": content}}
