"""Rule-set schema validation, the loader, and the shipped content/rules files."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from app.rules.document import RuleSet
from app.rules.engine import CertificationFacts, RuleVersion, evaluate
from app.rules.loader import (
    CONTENT_RULES_DIR,
    SCHEMA_FILE,
    RuleFileError,
    export_json_schema,
    iter_content_rule_sets,
    load_rule_file,
    render_json_schema,
)

SHIPPED = sorted(CONTENT_RULES_DIR.glob("*.yaml"))
EXPECTED_CODES = {
    "NC-CPSS",
    "VA-RPRS",
    "KY-APSS",
    "KY-FPSS",
    "KY-RADPSS",
    "PA-CPS",
    "PA-CRS",
    "GA-CPS-MH",
    "GA-CPS-AD",
    "TX-PS",
    "CA-CMPSS",
    "NY-CRPA",
    "WA-CPSS",
    "OH-PEER",
    "MI-CPSS",
    "IL-CPRS",
    "WV-PRSS",
    "ICRC-PR",
    # the second pass (December 2026)
    "MS-CPSSP",
    "NE-CPSS",
    "OR-PSS",
    "SC-CPSS",
    "WI-CPS",
    "NY-NYCPS",
    "KY-YPSS",
    "PA-CFRS",
    "NY-CARC",
    "WV-PRSS-MH",
    "WV-PRSS-SUD",
}
NOT_SHIPPED = {"VA-CPRS", "TN-CPRS", "FL-CRPS", "IL-CRSS", "NM-CPSW", "MN-CPS", "MT-CBHPSS", "NV-PRSS", "DC-CPS"}
# the topic taxonomy the catalog ships (content/topics.yaml)
TOPICS = {
    "mental-health-substance-use",
    "co-occurring-disorders",
    "trauma-informed-practice",
    "cultural-competence",
    "lgbtq-affirming-support",
    "suicide-prevention",
    "harm-reduction",
    "crisis-support",
    "ethics-and-boundaries",
    "self-disclosure",
    "supervision",
    "documentation",
    "whole-health-wellness",
    "transition-age-youth",
    "recovery-oriented-practice",
    "medication-supported-recovery",
    "system-navigation",
    "human-trafficking",
    "health-equity",
    "law-and-ethics",
    "peer-support-core",
}


# --- shipped content --------------------------------------------------------------------------


@pytest.mark.parametrize("path", SHIPPED, ids=[p.stem for p in SHIPPED])
def test_shipped_rule_file_loads_and_is_named_after_its_code(path: Path):
    rs = load_rule_file(path)
    assert path.stem == rs.code.lower()
    assert rs.notes.strip()
    for category in [*rs.requirements.categories, *(c for v in rs.variants for c in v.categories)]:
        assert set(category.topics) <= TOPICS, category.category


@pytest.mark.parametrize("path", SHIPPED, ids=[p.stem for p in SHIPPED])
def test_shipped_rule_sets_name_their_sources_and_where_each_figure_comes_from(path: Path):
    rs = load_rule_file(path)
    for source in rs.sources:  # every source is an address, read on a date, and says what it says
        assert source.url and source.read_on and source.note.strip(), source.id
    assert any(s.verified for s in rs.sources)
    assert "requirements.total_hours" in rs.figure_sources and "cycle" in rs.figure_sources
    cited = {k for k, ids in rs.figure_sources.items() if any(s.verified for s in rs.sources if s.id in ids)}
    for key in rs.figure_paths() - {"effective_from", "carryover", "course_counts_once"}:
        if key.startswith(
            (
                "requirements.categories.",
                "requirements.other.",
                "caps.",
                "cycle_options.",
                "variants.",
                "initial_period",
                "superseded_by",
            )
        ):
            assert key in cited, f"{rs.code}: {key} names no verified source"
    assert "Read on 2026-12-05" in rs.notes  # the notes say what was read where


def test_the_expected_credentials_ship_and_unverified_ones_do_not():
    codes = {rs.code for rs in iter_content_rule_sets(CONTENT_RULES_DIR)}
    assert codes == EXPECTED_CODES
    assert not codes & NOT_SHIPPED


@pytest.mark.parametrize("path", SHIPPED, ids=[p.stem for p in SHIPPED])
def test_shipped_rules_evaluate(path: Path):
    rs = load_rule_file(path)
    option = rs.cycle_options[0] if rs.cycle_options else None
    facts = CertificationFacts(
        date(2025, 3, 15), rs.code, birth_month_day=(7, 4), cycle_option=option.id if option else None
    )
    e = evaluate(versions=[RuleVersion(1, rs.effective_from, rs)], facts=facts, completions=(), as_of=date(2026, 1, 1))
    if e.period == "cycle":
        assert e.status in ("in_progress", "due_soon", "overdue", "lapsed")
        assert e.required_hours == (option.total_hours if option else rs.requirements.total_hours)
    else:  # an initial certification phase, or a first cycle without CE
        assert e.required_hours == 0 and (e.status == "compliant") == (e.period == "no_ce_first_cycle")


def _get(rs: RuleSet, dotted: str) -> Any:
    value: Any = rs
    for part in dotted.split("."):
        value = value[int(part)] if part.isdigit() else getattr(value, part)
    return value


@pytest.mark.parametrize(
    ("code", "field", "expected"),
    [
        ("NC-CPSS", "cycle.anchor", "issue_month_end"),
        ("NC-CPSS", "grace_days", 30),
        ("NC-CPSS", "due_soon_days", 90),
        ("VA-RPRS", "requirements.categories.0.min_hours", Decimal(2)),
        ("GA-CPS-MH", "cycle.min_first_cycle_months", 0),
        ("GA-CPS-MH", "carryover.max_hours", Decimal(0)),
        ("GA-CPS-AD", "grace_days", 59),
        ("WV-PRSS", "grace_days", 59),
        ("WV-PRSS", "grace_counts_ce", False),
        ("WV-PRSS", "cycle.month", 9),
        ("WV-PRSS", "cycle.day", 30),
        ("WV-PRSS", "filing_days_before_end", 31),
        ("WV-PRSS", "superseded_by", ["WV-PRSS-MH", "WV-PRSS-SUD"]),
        ("WV-PRSS-MH", "requirements.other.1.id", "personal-recovery-statement"),
        ("WA-CPSS", "cycle.anchor", "birthday"),
        ("WA-CPSS", "cycle.no_ce_first_cycle_under_months", 24),
        ("WA-CPSS", "effective_from", date(2025, 7, 1)),
        ("WA-CPSS", "requirements.categories.2.every_years", 6),
        ("WA-CPSS", "requirements.categories.3.every_years", 4),
        ("MI-CPSS", "cycle.anchor", "issue_month_start"),
        ("MI-CPSS", "cycle.ends_on_anniversary", True),
        ("MI-CPSS", "requirements.total_hours", Decimal(32)),
        ("NY-CRPA", "caps.0.category", "professional-development"),
        ("NY-CRPA", "cycle.months", 36),
        ("NY-CRPA", "filing_days_before_end", 45),
        ("NY-CRPA", "requirements.categories.1.once", True),
        ("NY-CRPA", "variants.0.extra_hours", Decimal(6)),
        ("NY-NYCPS", "cycle_options.1.total_hours", Decimal(20)),
        ("TX-PS", "effective_from", date(2019, 1, 1)),
        ("TX-PS", "initial_period.months", 6),
        ("TX-PS", "initial_period.extension_months", 6),
        ("IL-CPRS", "course_counts_once", True),
        ("GA-CPS-MH", "cycle.no_ce_first_cycle_under_months", 12),
        ("MS-CPSSP", "cycle.year", 2015),
        ("MS-CPSSP", "cycle.months", 48),
        ("NE-CPSS", "cycle.year", 2025),
        ("NC-CPSS", "variants.0.categories.0.min_hours", Decimal(8)),
        ("KY-YPSS", "variants.0.extra_hours", Decimal(4)),
        ("PA-CRS", "grace_months", 6),
        ("OH-PEER", "requirements.other.0.kind", "attestation"),
        ("CA-CMPSS", "requirements.other.0.id", "code-of-ethics"),
        ("PA-CPS", "requirements.total_hours", Decimal(36)),
    ],
)
def test_shipped_rules_encode_the_researched_figures(code, field, expected):
    assert _get(load_rule_file(CONTENT_RULES_DIR / f"{code.lower()}.yaml"), field) == expected


def test_approved_only_exactly_where_the_research_says_approved_only():
    approved = {rs.code for rs in iter_content_rule_sets(CONTENT_RULES_DIR) if rs.approved_only}
    assert approved == {
        "VA-RPRS",
        "GA-CPS-AD",
        "GA-CPS-MH",
        "NY-CRPA",
        "NY-CARC",
        "NY-NYCPS",
        "MI-CPSS",
        "IL-CPRS",
        "WV-PRSS",
        "WV-PRSS-MH",
        "WV-PRSS-SUD",
        "OR-PSS",
        "SC-CPSS",
    }


def test_schema_json_is_the_exported_schema():
    assert SCHEMA_FILE.read_text(encoding="utf-8") == render_json_schema(), (
        "content/rules/schema.json is stale: run `python -m app.rules.loader`"
    )


def test_export_json_schema_writes_sorted_indented_json(tmp_path: Path):
    out = export_json_schema(tmp_path / "schema.json")
    text = out.read_text(encoding="utf-8")
    assert text.endswith("}\n") and text == json.dumps(json.loads(text), indent=2, sort_keys=True) + "\n"


def test_json_schema_documents_every_field_and_carries_a_valid_example():
    schema = RuleSet.model_json_schema()
    RuleSet.model_validate(schema["examples"][0])
    models = [schema, *schema["$defs"].values()]
    undocumented = [name for m in models for name, prop in m["properties"].items() if not prop.get("description")]
    assert undocumented == []


# --- validation errors ------------------------------------------------------------------------

VALID: dict[str, Any] = {
    "code": "XX-TEST",
    "state": "XX",
    "name": "Test",
    "body": "Board",
    "effective_from": "2024-01-01",
    "cycle": {"anchor": "issue_date", "months": 24},
    "requirements": {"total_hours": 20},
    "source": "test",
}


def doc(**over: Any) -> dict[str, Any]:
    out = json.loads(json.dumps(VALID))
    out.update(over)
    return out


def _with_sources(sources: list[dict[str, Any]]) -> dict[str, Any]:
    out = {k: v for k, v in doc().items() if k != "source"}
    out["sources"] = sources
    return out


def test_a_legacy_source_text_reads_as_one_unverified_source():
    rs = RuleSet.model_validate(doc(source="WVCBAPP 2025 form"))
    assert [(s.id, s.title, s.url, s.verified) for s in rs.sources] == [("source", "WVCBAPP 2025 form", None, False)]


@pytest.mark.parametrize(
    ("document", "loc", "message"),
    [
        pytest.param(
            doc(cycle={"anchor": "fixed", "months": 12}),
            ("cycle", "month"),
            "required when the anchor is 'fixed'",
            id="fixed-without-month",
        ),
        pytest.param(
            doc(cycle={"anchor": "fixed", "months": 12, "month": 2, "day": 30}),
            ("cycle", "day"),
            "month 2 has no day 30",
            id="fixed-impossible-day",
        ),
        pytest.param(
            doc(cycle={"anchor": "issue_date", "months": 12, "month": 6}),
            ("cycle", "month"),
            "only allowed when the anchor is 'fixed'",
            id="month-without-fixed",
        ),
        pytest.param(
            doc(cycle={"anchor": "fixed", "months": 18, "month": 6, "day": 1}),
            ("cycle", "months"),
            "multiple of 12",
            id="fixed-months-not-whole-years",
        ),
        pytest.param(
            doc(cycle={"anchor": "birthday", "months": 30}),
            ("cycle", "months"),
            "multiple of 12",
            id="birthday-months-not-whole-years",
        ),
        pytest.param(
            doc(cycle={"anchor": "birthday", "months": 24, "day": 3}),
            ("cycle", "day"),
            "only allowed",
            id="birthday-with-day",
        ),
        pytest.param(
            doc(cycle={"anchor": "issue_date", "months": 12, "min_first_cycle_months": 6}),
            ("cycle", "min_first_cycle_months"),
            "only used with",
            id="min-first-without-fixed",
        ),
        pytest.param(
            doc(cycle={"anchor": "monthly", "months": 12}), ("cycle", "anchor"), "Input should be", id="unknown-anchor"
        ),
        pytest.param(
            doc(cycle={"anchor": "issue_date", "months": 0}),
            ("cycle", "months"),
            "greater than or equal to 1",
            id="zero-months",
        ),
        pytest.param(
            doc(caps=[{"modality": "self_paced", "category": "pd", "max_hours": 4}]),
            ("caps", 0, "category"),
            "not both",
            id="cap-with-both",
        ),
        pytest.param(
            doc(caps=[{"max_hours": 4}]),
            ("caps", 0, "category"),
            "one of modality or category is required",
            id="cap-with-neither",
        ),
        pytest.param(
            doc(caps=[{"modality": "webinar", "max_hours": 4}]),
            ("caps", 0, "modality"),
            "Input should be",
            id="cap-unknown-modality",
        ),
        pytest.param(
            doc(caps=[{"modality": "self_paced", "max_hours": 4}, {"modality": "self_paced", "max_hours": 2}]),
            ("caps",),
            "capped twice",
            id="cap-twice",
        ),
        pytest.param(
            doc(requirements={"total_hours": 1.125}),
            ("requirements", "total_hours"),
            "no more than 2 decimal places",
            id="three-decimal-hours",
        ),
        pytest.param(
            doc(requirements={"total_hours": -1}),
            ("requirements", "total_hours"),
            "greater than or equal to 0",
            id="negative-hours",
        ),
        pytest.param(
            doc(requirements={"total_hours": 20, "categories": [{"category": "ethics", "min_hours": 0}]}),
            ("requirements", "categories", 0, "min_hours"),
            "greater than 0",
            id="zero-category-minimum",
        ),
        pytest.param(
            doc(requirements={"total_hours": 20, "categories": [{"category": "Ethics", "min_hours": 1}]}),
            ("requirements", "categories", 0, "category"),
            "pattern",
            id="category-not-a-slug",
        ),
        pytest.param(
            doc(
                requirements={
                    "total_hours": 20,
                    "categories": [{"category": "ethics", "min_hours": 1}, {"category": "ethics", "min_hours": 2}],
                }
            ),
            ("requirements", "categories"),
            "category listed twice: ethics",
            id="duplicate-category",
        ),
        pytest.param(
            doc(requirements={"total_hours": 20, "categories": [{"category": "sp", "min_hours": 1, "every_years": 0}]}),
            ("requirements", "categories", 0, "every_years"),
            "greater than or equal to 1",
            id="every-zero-years",
        ),
        pytest.param(
            doc(requirements={"total_hours": 20, "modality_minimums": [{"modalities": [], "min_hours": 5}]}),
            ("requirements", "modality_minimums", 0, "modalities"),
            "at least 1 item",
            id="modality-minimum-without-modalities",
        ),
        pytest.param(
            doc(
                requirements={
                    "total_hours": 20,
                    "other": [{"id": "coe", "kind": "attestation", "hours": 1, "description": "x"}],
                }
            ),
            ("requirements", "other", 0, "hours"),
            "an attestation has no hours",
            id="attestation-with-hours",
        ),
        pytest.param(
            doc(
                requirements={"total_hours": 20, "other": [{"id": "svc", "kind": "service_hours", "description": "x"}]}
            ),
            ("requirements", "other", 0, "hours"),
            "hours are required for service_hours",
            id="service-hours-without-hours",
        ),
        pytest.param(
            doc(
                requirements={
                    "total_hours": 20,
                    "other": [
                        {"id": "a", "kind": "attestation", "description": "x"},
                        {"id": "a", "kind": "attestation", "description": "y"},
                    ],
                }
            ),
            ("requirements", "other"),
            "requirement id listed twice: a",
            id="duplicate-other-id",
        ),
        pytest.param(doc(foo=1), ("foo",), "Extra inputs are not permitted", id="unknown-field"),
        pytest.param(
            doc(cycle={"anchor": "issue_date", "months": 12, "foo": 1}),
            ("cycle", "foo"),
            "Extra inputs are not permitted",
            id="unknown-nested-field",
        ),
        pytest.param(doc(code="nc-cpss"), ("code",), "pattern", id="lower-case-code"),
        pytest.param(doc(state="North Carolina"), ("state",), "pattern", id="state-not-two-letters"),
        pytest.param(
            doc(timezone="Mars/Olympus_Mons"), ("timezone",), "unknown IANA time zone", id="unknown-time-zone"
        ),
        pytest.param(doc(source="   "), ("sources",), "name where the rules come from", id="blank-legacy-source"),
        pytest.param(
            {k: v for k, v in VALID.items() if k != "source"}, ("sources",), "Field required", id="missing-sources"
        ),
        pytest.param(_with_sources([]), ("sources",), "at least 1 item", id="no-sources"),
        pytest.param(
            _with_sources([{"id": "a", "title": "A", "url": "pacertboard.org"}]),
            ("sources", 0, "url"),
            "pattern",
            id="source-url-not-an-address",
        ),
        pytest.param(doc(due_soon_days=731), ("due_soon_days",), "less than or equal to 730", id="due-soon-too-long"),
        pytest.param(doc(grace_days=-1), ("grace_days",), "greater than or equal to 0", id="negative-grace"),
    ],
)
def test_invalid_documents_give_field_level_errors(document, loc, message):
    with pytest.raises(ValidationError) as err:
        RuleSet.model_validate(document)
    errors = {e["loc"]: e["msg"] for e in err.value.errors()}
    assert loc in errors, errors
    assert message in errors[loc]


def test_defaults_and_a_feb29_fixed_date():
    rs = RuleSet.model_validate(doc(cycle={"anchor": "fixed", "months": 12, "month": 2, "day": 29}))
    assert (rs.timezone, rs.carryover.max_hours, rs.due_soon_days, rs.grace_days) == (
        "America/New_York",
        Decimal(0),
        90,
        0,
    )
    assert (rs.grace_counts_ce, rs.approved_only, rs.notes, rs.caps) == (True, False, "", [])


def test_json_round_trip_keeps_the_rule_set():
    for rs in iter_content_rule_sets(CONTENT_RULES_DIR):
        assert RuleSet.model_validate(rs.model_dump(mode="json")) == rs
        assert RuleSet.model_validate_json(rs.model_dump_json()) == rs


# --- loader errors ----------------------------------------------------------------------------


def test_loader_names_the_file_and_the_fields(tmp_path: Path):
    bad = tmp_path / "xx-test.yaml"
    bad.write_text("code: XX-TEST\nstate: XX\ncycle: {anchor: fixed, months: 12}\n", encoding="utf-8")
    with pytest.raises(RuleFileError) as err:
        load_rule_file(bad)
    assert str(bad) in str(err.value) and "cycle.month:" in str(err.value)
    assert ("cycle", "month") in {tuple(e["loc"]) for e in err.value.errors}


@pytest.mark.parametrize(
    ("text", "message"),
    [("- just\n- a list\n", "one mapping"), ("code: [unclosed\n", "not valid YAML")],
)
def test_loader_rejects_files_that_are_not_one_mapping(tmp_path: Path, text: str, message: str):
    path = tmp_path / "x.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(RuleFileError, match=message):
        load_rule_file(path)


def test_content_files_must_be_named_after_their_code(tmp_path: Path):
    (tmp_path / "wrong-name.yaml").write_text(
        (CONTENT_RULES_DIR / "nc-cpss.yaml").read_text(encoding="utf-8"), encoding="utf-8"
    )
    with pytest.raises(RuleFileError, match="nc-cpss.yaml"):
        iter_content_rule_sets(tmp_path)


def test_the_coverage_table_accounts_for_every_state_and_dc_and_every_shipped_credential():
    import re

    doc = (CONTENT_RULES_DIR.parents[1] / "docs" / "rules.md").read_text(encoding="utf-8")
    table = doc[doc.index("## Coverage of the 50 states and DC") :]
    table = table[: table.index("\n## ")]
    rows = {m[0]: (m[1], m[2]) for m in re.findall(r"^\| ([A-Z]{2}) \| ([a-z ]+) \| (.+) \|$", table, re.M)}
    states = [
        "AL",
        "AK",
        "AZ",
        "AR",
        "CA",
        "CO",
        "CT",
        "DE",
        "DC",
        "FL",
        "GA",
        "HI",
        "ID",
        "IL",
        "IN",
        "IA",
        "KS",
        "KY",
        "LA",
        "ME",
        "MD",
        "MA",
        "MI",
        "MN",
        "MS",
        "MO",
        "MT",
        "NE",
        "NV",
        "NH",
        "NJ",
        "NM",
        "NY",
        "NC",
        "ND",
        "OH",
        "OK",
        "OR",
        "PA",
        "RI",
        "SC",
        "SD",
        "TN",
        "TX",
        "UT",
        "VT",
        "VA",
        "WA",
        "WV",
        "WI",
        "WY",
    ]
    assert sorted(rows) == sorted(states) and len(rows) == 51
    shipped: dict[str, set[str]] = {}
    for rs in iter_content_rule_sets(CONTENT_RULES_DIR):
        if rs.state != "US":
            shipped.setdefault(rs.state, set()).add(rs.code)
    for state, (coverage, text) in rows.items():
        assert coverage in ("shipped", "not found", "not certifying"), state
        assert (coverage == "shipped") == (state in shipped), state
        for code in shipped.get(state, ()):
            assert code in text, (state, code)
        assert text.strip(), state
