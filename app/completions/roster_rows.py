"""A completion roster's rows as sent: the parse stage of `app.completions.importer`.

Each row is checked on its own by `RosterLine` (strict JSON types, no unknown fields; CSV cells are converted
first, `_from_csv`) into the item the plan works with (`_item`): its values, or the reasons it has none.

A CSV row whose every cell the model would take as it is (ids written as digits within range, text within
its length, a date YYYY-MM-DD within range, hours as `HoursIn` takes them) skips the model and the dicts
that feed it (`_from_cells`): the same item at a fraction of the cost, which is most of a large roster's
parse stage. Any other row goes through the model, which says what is wrong with it.
tests/completions/test_roster_rows.py checks that both ways give the same item for any row.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Any

from annotated_types import MaxLen, MinLen
from pydantic import Field, ValidationError
from pydantic_core import PydanticCustomError

from app import bulk
from app.csvio import cell_decimal, cell_int
from app.errors import Unprocessable
from app.types import MAX_ID, POSITIVE_HOURS, Day, DbId, HoursIn, RequestModel, parse_day

COLUMNS = (
    "person_id",
    "credential_code",
    "certificate_number",
    "family_name",
    "course_id",
    "course_external_id",
    "completed_on",
    "hours",
)
REQUIRED = ("completed_on",)
_INT_COLUMNS = ("person_id", "course_id")


class RosterLine(RequestModel):
    """One roster row as sent: strict JSON types (CSV cells are converted first), no unknown fields."""

    person_id: DbId | None = None
    credential_code: str | None = Field(default=None, min_length=1, max_length=32)
    certificate_number: str | None = Field(default=None, min_length=1, max_length=64)
    family_name: str | None = Field(default=None, max_length=100)
    course_id: DbId | None = None
    course_external_id: str | None = Field(default=None, min_length=1, max_length=100)
    completed_on: Day
    hours: HoursIn | None = None


def parse(body: bytes, content_type: str | None) -> list[dict[str, Any]]:
    """The roster's rows, each checked on its own; 415 for another media type, 422 for a file that is not a
    roster table."""
    upload = bulk.read_upload(
        body,
        content_type,
        required=REQUIRED,
        optional=[c for c in COLUMNS if c not in REQUIRED],
        unsupported="Send the roster as text/csv or application/json.",
        by_position=True,
    )
    if upload.format == "csv":
        header: list[str] = upload.header  # type: ignore[assignment]
        _check_header(set(header))
        fast = cells_reader(header)
        return [
            fast(n, cells) or parse_row(n, _from_csv(dict(zip(header, cells, strict=True))))
            for n, cells in enumerate(upload.data, start=1)
        ]
    data = upload.data
    if not isinstance(data, list) or not all(isinstance(r, dict) for r in data):
        raise Unprocessable("A JSON roster is an array of objects.")
    return [parse_row(n, raw) for n, raw in enumerate(data, start=1)]


def _check_header(header: set[str]) -> None:
    """422 for a CSV roster without the columns that name a learner or a course."""
    if not ("person_id" in header or {"credential_code", "certificate_number"} <= header):
        raise Unprocessable(
            f"Roster columns must be {', '.join(COLUMNS)} (person_id or credential_code + certificate_number).",
            errors=[
                {
                    "loc": ["body", "header"],
                    "field": "body.header",
                    "type": "csv_header",
                    "line": 1,
                    "message": "missing column(s): person_id, or credential_code and certificate_number",
                }
            ],
        )
    if not header & {"course_id", "course_external_id"}:
        raise Unprocessable(
            "A roster names each course by course_id or by course_external_id.",
            errors=[
                {
                    "loc": ["body", "header"],
                    "field": "body.header",
                    "type": "csv_header",
                    "line": 1,
                    "message": "missing column: course_id or course_external_id",
                }
            ],
        )


def _from_csv(row: dict[str, str]) -> dict[str, Any]:
    """CSV cells as the JSON a roster would hold: empty cells absent, ids and hours as numbers when written so."""
    out: dict[str, Any] = {k: v for k, v in row.items() if v}
    for column in _INT_COLUMNS:
        if column in out:
            out[column] = cell_int(out[column])
    if "hours" in out:
        out["hours"] = cell_decimal(out["hours"])
    return out


def parse_row(n: int, raw: dict[str, Any]) -> dict[str, Any]:
    """Row `n` (a JSON object, or CSV cells as `_from_csv` converts them) checked by the model."""
    try:
        line = RosterLine.model_validate(raw)
    except ValidationError as exc:
        errors = [
            f"unknown field {e['loc'][0]}"
            if e["type"] == "extra_forbidden"
            else f"{'.'.join(map(str, e['loc']))}: {e['msg']}"
            for e in exc.errors(include_url=False)
        ]
        return _item(n, None, None, None, None, None, None, None, None, errors)
    return _item(
        n,
        line.person_id,
        line.credential_code,
        line.certificate_number,
        line.family_name,
        line.course_id,
        line.course_external_id,
        line.completed_on,
        line.hours,
    )


def _item(
    n: int,
    person_id: int | None,
    credential_code: str | None,
    certificate_number: str | None,
    family_name: str | None,
    course_id: int | None,
    course_external_id: str | None,
    completed_on: date | None,
    hours: Decimal | None,
    invalid: list[str] | None = None,
) -> dict[str, Any]:
    """Row `n` as the plan works with it (and, with its `outcome` and `completion_id`, as the report shows it):
    its valid values, or (`invalid`: the model's reasons) none."""
    errors: list[str] = []
    cert = None
    if invalid:
        errors = invalid
    else:
        if (course_id is None) == (course_external_id is None):
            errors.append("give course_id or course_external_id (one of them)")
        if credential_code and certificate_number:
            cert = (credential_code.upper(), certificate_number)
        if person_id is None and cert is None:
            errors.append("give person_id, or credential_code and certificate_number")
    return {  # the report's fields first, in its order (`importer.Plan.report_json`), then the plan's own
        "row": n,
        "outcome": "error",
        "person_id": person_id,
        "course_id": course_id,
        "course_external_id": course_external_id,
        "completed_on": completed_on,
        "completion_id": None,
        "errors": errors,
        "cert": cert,
        "family_name": (family_name or "").strip() or None,
        "hours": hours,
        "learner_certification_id": None,
        "key": None,  # the dedupe key, once the row is known to be valid
    }


# --- the CSV rows the model would take as they are -------------------------------------------------------


def _text_lengths(name: str) -> tuple[int, int]:
    """The lengths `RosterLine` takes for a text field (an empty CSV cell is no value, so at least 1)."""
    metadata = RosterLine.model_fields[name].metadata
    low = max([1, *(m.min_length for m in metadata if isinstance(m, MinLen))])
    return low, min(m.max_length for m in metadata if isinstance(m, MaxLen))


_TEXT_LENGTHS = {
    name: _text_lengths(name) for name in ("credential_code", "certificate_number", "family_name", "course_external_id")
}
_check_hours: Callable[[Any], Decimal] = POSITIVE_HOURS.func  # type: ignore[assignment]


class _Refused(Exception):
    """A cell the model would refuse (or convert): the row goes through the model instead."""


def _cell_id(text: str) -> int | None:
    if not text:
        return None
    if len(text) > 10 or not (text.isdigit() and text.isascii()):
        raise _Refused
    value = int(text)
    if not 1 <= value <= MAX_ID:
        raise _Refused
    return value


def _cell_text(text: str, lengths: tuple[int, int]) -> str | None:
    if not text:
        return None
    if not lengths[0] <= len(text) <= lengths[1]:
        raise _Refused
    return text


def _cell_day(text: str) -> date:
    try:
        return parse_day(text)  # a missing date ("") too
    except PydanticCustomError:
        raise _Refused from None


def _cell_hours(text: str) -> Decimal | None:
    if not text:
        return None
    value = cell_decimal(text)
    if isinstance(value, str):
        raise _Refused
    try:
        return _check_hours(value)
    except PydanticCustomError:
        raise _Refused from None


def cells_reader(header: list[str]) -> Callable[[int, list[str]], dict[str, Any] | None]:
    """For CSV rows under this header: row `n`'s item when the model would take each of its cells as it is
    (what `parse_row` gives for it), or None (the row goes through the model)."""
    at = {name: header.index(name) for name in COLUMNS if name in header}
    person, course, day, hours = at.get("person_id"), at.get("course_id"), at["completed_on"], at.get("hours")
    code, number, name, external = (at.get(c) for c in _TEXT_LENGTHS)
    code_lengths, number_lengths, name_lengths, external_lengths = _TEXT_LENGTHS.values()

    def read(n: int, cells: list[str]) -> dict[str, Any] | None:
        try:
            return _item(
                n,
                None if person is None else _cell_id(cells[person]),
                None if code is None else _cell_text(cells[code], code_lengths),
                None if number is None else _cell_text(cells[number], number_lengths),
                None if name is None else _cell_text(cells[name], name_lengths),
                None if course is None else _cell_id(cells[course]),
                None if external is None else _cell_text(cells[external], external_lengths),
                _cell_day(cells[day]),
                None if hours is None else _cell_hours(cells[hours]),
            )
        except _Refused:
            return None

    return read
