"""The read model's rows: every query selects exactly its typed row's fields, and the readers that unpack plain
tuples for speed read them by the right names."""

from __future__ import annotations

import importlib.util
from datetime import date
from typing import get_args, get_type_hints

import pytest

from app import build
from app.compliance import facts, queries
from app.compliance.rows import (
    FACTS_WIDTH,
    CertRow,
    CompletionRow,
    RenewalRecord,
    split_cert_completions,
)
from app.reads import Query, columns, run


def _queries() -> list[Query]:
    return [q for q in vars(queries).values() if isinstance(q, Query)] + [
        queries.claim(full=True),
        queries.claim(full=False),
    ]


def test_the_compliance_statement_is_short_enough_for_psycopg_to_cache_its_parsing():
    from psycopg._queries import MAX_CACHED_STATEMENT_LENGTH

    assert len(queries.ONE_WITH_COMPLETIONS.postgres_sql()[0].encode()) <= MAX_CACHED_STATEMENT_LENGTH


@pytest.mark.parametrize("dialect", ["postgresql", "sqlite"])
def test_every_query_selects_its_rows_fields(dialect):
    for query in _queries():
        statement = query.statement(dialect)
        if query.row is not None:
            assert len(statement.selected_columns) == len(query.row._fields), query.row
    one = queries.ONE_WITH_COMPLETIONS.statement(dialect)
    assert len(one.selected_columns) == FACTS_WIDTH + len(CompletionRow._fields)


def test_a_select_list_that_is_not_the_rows_fields_is_refused():
    with pytest.raises(TypeError, match="CompletionRow has the fields"):
        columns(CompletionRow, {"id": 1, "person_id": 2})


def test_completions_are_read_by_their_names_from_plain_tuples(db):
    row = CompletionRow(
        person_id=7,
        id=41,
        course_id=None,
        title="A title",
        hours=150,
        modality="self_paced",
        completed_on=date(2026, 1, 2),
        status="accepted",
        review_state=None,
        review_categories=None,
        facts_token=None,
    )
    out = run(facts.engine_completions([tuple(row)], {7: {("NC-CPSS", "NC")}}), db)
    [c] = out[7]
    assert (c.id, c.course_key, c.title, str(c.hours), c.modality, c.completed_on, c.accepted) == (
        41,
        "outside:41",
        "A title",
        "1.50",
        "self_paced",
        date(2026, 1, 2),
        True,
    )
    cert = tuple(range(FACTS_WIDTH))
    first, completions = split_cert_completions([cert + tuple(row)])
    assert first == CertRow(*cert) and completions == [tuple(row)]
    assert split_cert_completions([cert + (None,) * len(CompletionRow._fields)]) == (first, [])


def test_the_plain_completion_tuple_is_typed_field_for_field_as_its_row():
    # read from the source: a mypyc-compiled NamedTuple keeps only simplified annotations (`int | None` is `type`)
    spec = importlib.util.spec_from_file_location("rows_source", build.module_source("app.compliance.rows"))
    assert spec is not None and spec.loader is not None
    source = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(source)
    hints = get_type_hints(source.CompletionRow, globalns=vars(source))
    assert get_args(source.CompletionTuple) == tuple(hints[name] for name in source.CompletionRow._fields)
    assert source.CompletionRow._fields == CompletionRow._fields


def test_packed_renewals_unpack_in_cycle_order():
    packed = "2025-01-01|2025-12-31|2026-01-02|s|2026-02-01|0,2023-01-01|2024-12-31|2026-12-06|b||0"
    assert RenewalRecord.unpack(packed) == [
        RenewalRecord(date(2023, 1, 1), date(2024, 12, 31), date(2026, 12, 6), True, None, 0),
        RenewalRecord(date(2025, 1, 1), date(2025, 12, 31), date(2026, 1, 2), False, date(2026, 2, 1), 0),
    ]
    assert RenewalRecord.unpack(None) == [] and RenewalRecord.unpack("") == []
