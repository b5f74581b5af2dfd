"""The roster import's shortcuts give exactly what the long way gives (issue 23):

- a CSV row whose cells the model would take as they are skips it (`roster_rows.cells_reader`): the item must
  be the one `RosterLine` validation gives, for any row, and a row with any cell the model refuses must not
  take the shortcut;
- CSV text without an apostrophe skips the unescaping of every cell (`csvio.read_table`);
- the route renders its report straight from the plan's items (`Plan.report_json`): the bytes must be those
  of `RosterReport` validated and serialized;
- on PostgreSQL new rows take ids reserved for them (`app.db.reserve_ids`): a row recorded meanwhile (as by a
  concurrent roster) still becomes a duplicate naming the completion recorded.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, date, datetime

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlmodel import select

from app import csvio
from app.auth.principal import Principal, Role
from app.clock import FixedClock
from app.completions import importer, roster_rows
from app.completions.importer import RosterReport
from app.completions.models import Completion
from app.completions.roster_rows import COLUMNS, cells_reader, parse_row
from app.completions.service import dedupe_key
from app.db import utcnow

PROPS = settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def by_the_model(n: int, header: list[str], cells: list[str]) -> dict:
    """The item the model gives for row `n`: cells as JSON (`_from_csv`), validated by `RosterLine`."""
    return parse_row(n, roster_rows._from_csv(dict(zip(header, cells, strict=True))))


def exactly(item: dict) -> list[tuple[str, str, str]]:
    """Keys in order, each value's type and exact text (Decimal("1.50") is not Decimal("1.5"), True is not 1)."""
    return [(k, type(v).__name__, repr(v)) for k, v in item.items()]


def _lengths(limit: int) -> st.SearchStrategy[str]:
    return st.one_of(
        st.text(max_size=limit + 2),
        st.integers(limit - 2, limit + 2).map(lambda k: "x" * k),
        st.text(alphabet="ÉéŁ漢 \t'\"=,", min_size=limit - 1, max_size=limit + 1),
    )


IDS = st.one_of(
    st.sampled_from(["", "0", "00", "1", "2147483647", "2147483648", "00000000001", "1.0", "2.9", "1e3", "+1", "-1"]),
    st.sampled_from(["١٢", "²", "１２", " 12", "12 ", "0x1F", "1_000"]),
    st.text(alphabet="0123456789", max_size=12),
    st.integers(-3, 2**31 + 3).map(str),
    st.text(max_size=6),
)
DAYS = st.one_of(
    st.dates(date(1900, 1, 1), date(2200, 12, 31)).map(date.isoformat),
    st.sampled_from(["", "1949-12-31", "1950-01-01", "2100-12-31", "2101-01-01", "2025-02-29", "2024-02-29"]),
    st.sampled_from(["2025-02-30", "2025-6-1", "20250610", "2025-06-10T00:00", "１９９９-01-01", "2025-06-10 "]),
    st.text(alphabet="0123456789-", max_size=11),
    st.text(max_size=12),
)
HOURS = st.one_of(
    st.sampled_from(["", "0", "0.00", "0.01", "0.001", "1.5", "1.50", "99999.99", "99999.991", "100000", "1e3"]),
    st.sampled_from(["-1", ".5", "5.", "1,5", " 1", "1.5.1", "NaN", "Infinity", "٣", "1_0"]),
    st.from_regex(r"[0-9]{0,7}(\.[0-9]{0,4})?", fullmatch=True),
    st.text(max_size=8),
)
CELLS = {
    "person_id": IDS,
    "credential_code": _lengths(32),
    "certificate_number": _lengths(64),
    "family_name": _lengths(100),
    "course_id": IDS,
    "course_external_id": _lengths(100),
    "completed_on": DAYS,
    "hours": HOURS,
}


# The strategies the draws below take, built once: one built inside a draw is built (and validated) again for
# every example, which took most of these properties' time.
VALID_IDS = st.one_of(st.just(""), st.integers(1, 2**31 - 1).map(str))
VALID_DAYS = st.dates(date(1950, 1, 1), date(2100, 12, 31))
VALID_HOURS = st.one_of(st.just(""), st.decimals("0.01", "99999.99", places=2).map(str))
VALID_TEXTS = {c: st.text(max_size=high) for c, (_, high) in roster_rows._TEXT_LENGTHS.items()}
OTHER_COLUMNS = st.lists(st.sampled_from([c for c in COLUMNS if c != "completed_on"]), unique=True)


@st.composite
def valid_cells(draw: st.DrawFn) -> dict[str, str]:
    """A row's cells as rosters are written: each one the model takes as it is (or empty)."""
    return {
        "person_id": draw(VALID_IDS),
        "course_id": draw(VALID_IDS),
        "completed_on": draw(VALID_DAYS).isoformat(),
        "hours": draw(VALID_HOURS),
        **{c: draw(text) for c, text in VALID_TEXTS.items()},
    }


@st.composite
def csv_rows(draw: st.DrawFn) -> tuple[list[str], list[str]]:
    """A header (any columns, in any order, with completed_on) and a row of cells under it: cells as rosters
    are written, some of them (often one, so that the rest would let the row skip the model) replaced by
    anything, near the edges of what the model takes."""
    header = draw(OTHER_COLUMNS)
    header.insert(draw(st.integers(0, len(header))), "completed_on")
    cells = draw(valid_cells())
    for column in draw(st.lists(st.sampled_from(header), max_size=3)):
        cells[column] = draw(CELLS[column])
    return header, [cells[column] for column in header]


@PROPS
@given(csv_rows())
def test_a_row_that_skips_the_model_is_the_row_the_model_gives(case):
    header, cells = case
    fast = cells_reader(header)(7, cells)
    if fast is not None:
        assert exactly(fast) == exactly(by_the_model(7, header, cells))


@st.composite
def valid_rows(draw: st.DrawFn) -> tuple[list[str], list[str]]:
    header = draw(st.permutations(list(COLUMNS)))
    cells = draw(valid_cells())
    return header, [cells[c] for c in header]


@PROPS
@given(valid_rows())
def test_rows_the_model_takes_as_they_are_skip_it(case):
    header, cells = case
    fast = cells_reader(header)(3, cells)
    assert fast is not None
    assert exactly(fast) == exactly(by_the_model(3, header, cells))


def test_a_cell_the_model_refuses_sends_its_row_through_the_model():
    header = ["person_id", "course_id", "completed_on", "hours"]
    reader = cells_reader(header)
    for cells in (
        ["1e3", "3", "2025-06-10", ""],
        ["12", "2.9", "2025-06-10", ""],
        ["12", "3", "2025-6-10", ""],
        ["12", "3", "0001-01-01", ""],
        ["12", "3", "", ""],
        ["0", "3", "2025-06-10", ""],
        ["12", "3", "2025-06-10", "0"],
        ["12", "3", "2025-06-10", "-1"],
        ["12", "3", "2025-06-10", "1.234"],
        ["2147483648", "3", "2025-06-10", ""],
    ):
        assert reader(1, cells) is None, cells
        assert by_the_model(1, header, cells)["errors"], cells


def test_text_one_character_too_long_sends_its_row_through_the_model():
    limits = {"credential_code": 32, "certificate_number": 64, "family_name": 100, "course_external_id": 100}
    assert {c: high for c, (_, high) in roster_rows._TEXT_LENGTHS.items()} == limits  # as `RosterLine` says
    header = ["person_id", *limits, "completed_on"]
    reader = cells_reader(header)
    for column, limit in limits.items():
        for length, skips in ((limit, True), (limit + 1, False)):
            cells = ["12", *("x" * (length if c == column else 1) for c in limits), "2025-06-10"]
            fast = reader(1, cells)
            assert (fast is not None) == skips, (column, length)
            if fast is not None:
                assert exactly(fast) == exactly(by_the_model(1, header, cells))


@settings(max_examples=150, deadline=None)
@given(st.lists(st.lists(st.text(alphabet="ab '=+-@\t,\"é", max_size=6), min_size=2, max_size=2), max_size=6))
def test_csv_cells_read_back_as_written_with_or_without_apostrophes(rows):
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\r\n").writerows([["a", "b"], *rows])
    body = buf.getvalue().encode()
    expected = [
        [csvio.unescape_cell(c.strip()) for c in cells]
        for cells in csv.reader(io.StringIO(buf.getvalue(), newline=""), strict=True)
        if cells and not (len(cells) == 1 and not cells[0].strip())
    ]
    assert csvio.read_table(body) == (expected[0], expected[1:])


def test_a_roster_parses_as_the_model_reads_each_row():
    """A whole file, its rows mixing cells the model takes as they are and cells it refuses."""
    text = (
        "credential_code,certificate_number,family_name,course_id,course_external_id,completed_on,hours,person_id\r\n"
        "nc-cpss,NC-1, Rivera ,3,,2025-06-10,1.5,\r\n"
        ",,,3,,2025-06-10,,12\r\n"
        ",,,,EXT-1,2025-06-10,2,12\r\n"
        "NC-CPSS,NC-2,Ng,3,EXT-1,2025-06-10,,\r\n"
        ",,,3,,2025-06-31,,12\r\n"
        ",,,3,,2025-06-10,1e3,12\r\n"
        ",,,x,,2025-06-10,,\r\n"
        "'=NC,'@2,'+Ng,3,,2025-06-10,0.5,\r\n"
    )
    header, rows = csvio.read_columns(text.encode(), required=["completed_on"], optional=COLUMNS)
    expected = [by_the_model(n, header, cells) for n, cells in enumerate(rows, start=1)]
    assert [exactly(i) for i in roster_rows.parse(text.encode(), "text/csv")] == [exactly(i) for i in expected]
    assert [bool(i["errors"]) for i in expected] == [False, False, False, True, True, True, True, False]


# --- the report ------------------------------------------------------------------------------------------


MAYBE_ID = st.one_of(st.none(), st.integers(1, 2**31 - 1))
ERROR_LISTS = st.lists(st.text(), min_size=1, max_size=3)
MAYBE_TEXTS = [st.one_of(st.none(), st.text(min_size=low, max_size=high)) for low, high in ((1, 32), (1, 64), (0, 100))]
MAYBE_TITLE = st.one_of(st.none(), st.text(min_size=1, max_size=100))
OUTCOMES = st.sampled_from(["created", "duplicate"])


@st.composite
def items(draw: st.DrawFn) -> dict:
    """A plan's item in any state: invalid, or valid with its outcome and completion."""
    n = draw(st.integers(1, 10**6))
    if draw(st.booleans()):
        return roster_rows._item(n, *[None] * 8, draw(ERROR_LISTS))
    item = roster_rows._item(
        n,
        draw(MAYBE_ID),
        *[draw(text) for text in MAYBE_TEXTS],
        draw(MAYBE_ID),
        draw(MAYBE_TITLE),
        draw(VALID_DAYS),
        None,
    )
    if not item["errors"]:
        item["outcome"] = draw(OUTCOMES)
        item["completion_id"], item["key"] = draw(MAYBE_ID), "k"
    return item


@settings(max_examples=200, deadline=None)
@given(st.lists(items(), min_size=1, max_size=12), st.booleans(), st.integers(0, 5))
def test_the_report_json_is_the_report_serialized(rows, dry_run, duplicates):
    planned = importer.Plan(
        items=rows,
        to_insert=[],
        created={},
        dry_run=dry_run,
        new=3,
        duplicates=duplicates,
        errors=sum(i["outcome"] == "error" for i in rows),
        actor="admin:t",
        source="admin",
        now=utcnow(),
    )
    assert planned.report_json() == planned.report.model_dump_json().encode()


def test_the_route_answers_the_report_as_the_model_serializes_it(admin, course, peer):
    text = (
        "person_id,course_id,completed_on,hours\r\n"
        f"{peer['person']['id']},{course['id']},2025-06-10,1.5\r\n"
        f"{peer['person']['id']},{course['id']},2025-06-10,\r\n"
    )
    for dry_run in ("true", "false", "false"):
        response = admin.post(
            "/v1/completions/import",
            params={"dry_run": dry_run},
            content=text.encode(),
            headers={"Content-Type": "text/csv"},
        )
        assert response.status_code == 200 and response.headers["content-type"] == "application/json"
        assert response.content == RosterReport.model_validate(response.json()).model_dump_json().encode()
    assert [r["outcome"] for r in json.loads(response.content)["items"]] == ["duplicate", "duplicate"]


def test_a_completion_recorded_meanwhile_makes_its_row_a_duplicate(db, course, peer):
    """Between the plan and the insert another roster records one of the rows: that row becomes a duplicate
    naming that completion, the others are created with ids of their own (reserved ones on PostgreSQL)."""
    person_id, course_id = peer["person"]["id"], course["id"]
    body = "person_id,course_id,completed_on\r\n" + "".join(
        f"{person_id},{course_id},{day}\r\n" for day in ("2025-06-10", "2025-06-11")
    )
    admin = Principal(subject="t", role=Role.admin)
    clock = FixedClock(datetime(2025, 7, 1, 15, tzinfo=UTC))
    planned = importer.plan(
        db, principal=admin, rows=importer.parse(body.encode(), "text/csv"), dry_run=False, clock=clock
    )
    assert [i["outcome"] for i in planned.items] == ["created", "created"]
    meanwhile = Completion(
        person_id=person_id,
        course_id=course_id,
        title="Recorded meanwhile",
        hours=course["hours"],
        modality="live_virtual",
        completed_on=date(2025, 6, 10),
        status="accepted",
        source="admin",
        dedupe_key=dedupe_key(person_id, course_id, date(2025, 6, 10)),
        reported_by="admin:other",
    )
    db.add(meanwhile)
    db.flush()

    importer.apply(db, principal=admin, planned=planned)
    report = planned.report
    assert (report.created, report.duplicates, report.errors) == (1, 1, 0)
    (first, second) = report.items
    assert (first.outcome, first.completion_id) == ("duplicate", meanwhile.id)
    stored = db.exec(
        select(Completion).where(Completion.dedupe_key == dedupe_key(person_id, course_id, date(2025, 6, 11)))
    ).one()
    assert (second.outcome, second.completion_id) == ("created", stored.id) and stored.id != meanwhile.id
    assert planned.report_json() == report.model_dump_json().encode()
