"""Bulk imports: one design for every upload, the certification roster (`app.certifications.bulk`), the
course catalog (`app.catalog.importer`) and the completion roster (`app.completions.importer`).

Each importer has the same three stages, and `run` chains them:

1. parse: the upload's bytes -> the rows as sent, numbered from 1 (CSV: the first line after the header is
   row 1). `read_upload` reads a CSV table (strictly: `app.csvio`) or a JSON array, by media type, and a body
   that is not a table of rows is refused whole (415, 422) before any row is looked at.
2. plan: every row validated, and what the rows touch read set-based, into a plan with one outcome per row
   (created, updated, unchanged, duplicate, or error with the row's errors) and the report the request
   answers with. Nothing is written.
3. apply: a plan with no errors is written in the request's transaction and audited, unless the request
   is a dry run. A plan with errors is refused whole (`refusal`): 422, or 403 when a row is out of the
   caller's scope, whose `errors` name each failing row (and field), with the report as `report`.

Certifications and courses answer with an `ImportReport` of their rows (counts by outcome and every row);
a completion roster answers with its own report: every row's outcome and the id of the completion it
created (or duplicates), so a center can void or correct one without searching.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, Literal, Protocol, Self, TypeVar

from pydantic import BaseModel, Field

from app import csvio
from app.errors import AppError, Forbidden, Unprocessable, UnsupportedMediaType
from app.inputs import loads

Outcome = Literal["created", "updated", "unchanged", "error"]
CSV_TYPES = frozenset({"text/csv", "application/csv"})


class RowError(BaseModel):
    """Why one row of an upload cannot be imported: the column (or field) and what is wrong with it."""

    field: str = Field(examples=["hours"])
    message: str


RowT = TypeVar("RowT", bound=BaseModel)


class ImportReport(BaseModel, Generic[RowT]):
    """What an upload did, or (a dry run, a refusal) would do: counts by outcome and every row's outcome."""

    dry_run: bool
    created: int
    updated: int
    unchanged: int
    errors: int
    rows: list[RowT]

    @classmethod
    def of(cls, rows: list[RowT], *, dry_run: bool) -> Self:
        """The report of these rows (each with an `outcome`), counted."""
        outcomes = [row.outcome for row in rows]  # type: ignore[attr-defined]
        return cls(
            dry_run=dry_run,
            created=outcomes.count("created"),
            updated=outcomes.count("updated"),
            unchanged=outcomes.count("unchanged"),
            errors=outcomes.count("error"),
            rows=rows,
        )


def media_type(content_type: str | None) -> str:
    return (content_type or "").split(";")[0].strip().lower()


@dataclass
class Upload:
    """An upload as read: `csv` rows (dicts of text cells, their columns checked; or, read `by_position`, each
    row's cells in the order of `header`) or a `json` document (anything: the importer checks its shape)."""

    format: Literal["csv", "json"]
    data: Any
    header: list[str] | None = None


def read_upload(
    body: bytes,
    content_type: str | None,
    *,
    required: Sequence[str],
    optional: Sequence[str] = (),
    json: bool = True,
    unsupported: str,
    by_position: bool = False,
) -> Upload:
    """The parse stage's common part: a CSV table or (when `json`) a JSON document, by media type; 415 with
    the `unsupported` message for any other. `by_position`: CSV rows as lists of cells (no dict per row)."""
    kind = media_type(content_type)
    if kind in CSV_TYPES:
        if by_position:
            header, cells = csvio.read_columns(body, required=required, optional=optional)
            return Upload("csv", cells, header)
        return Upload("csv", csvio.read_rows(body, required=required, optional=optional))
    if json and (kind == "application/json" or kind.endswith("+json")):
        return Upload("json", loads(body))
    raise UnsupportedMediaType(unsupported)


def row_problem(row: int, message: str, *, field: str | None = None, type: str = "row_error") -> dict[str, Any]:
    """One entry of a refusal's `errors`: a row (and field) of the upload and what is wrong with it."""
    if field is None:
        return {"loc": ["body", row], "field": f"row {row}", "message": message, "type": type}
    return {"loc": ["body", row, field], "field": f"row {row}.{field}", "message": message, "type": type}


def refusal(
    detail: str,
    *,
    errors: list[dict[str, Any]],
    report: dict[str, Any],
    forbidden: bool = False,
    error: type[AppError] | None = None,
) -> AppError:
    """The answer to a plan with errors: nothing is written; `errors` name the rows, `report` is the report."""
    kind = error or (Forbidden if forbidden else Unprocessable)
    return kind(detail, errors=errors, extensions={"report": report})


class Planned(Protocol):
    def refusal(self) -> AppError | None:
        """The error that refuses the whole upload, or None when every row can be imported."""


P = TypeVar("P", bound=Planned)
Rows = TypeVar("Rows")


def run(*, parse: Callable[[], Rows], plan: Callable[[Rows], P], apply: Callable[[P], None], dry_run: bool) -> P:
    """parse -> plan -> apply (unless a dry run); a plan with errors is refused and nothing is written.
    Returns the plan, whose report `apply` completed (the new records' ids)."""
    planned = plan(parse())
    refused = planned.refusal()
    if refused is not None:
        raise refused
    if not dry_run:
        apply(planned)
    return planned
