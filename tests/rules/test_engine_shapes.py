"""The rule shapes of the second reading of the boards' pages (docs/rules.md, E13-E20): first cycles
without CE, an initial certification phase, filing deadlines, holder-chosen cycle lengths, one-time
requirements and courses that count once, variants that add hours, and multi-year fixed cycles."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.rules.engine import InvalidFact, MissingFact, add_months, iter_cycle_bounds
from tests.rules.builders import act, approval, board, comp, d, ev, outcome, rules

# --- multi-year fixed cycles (cycle.year) and cycles that end on the 1st ---------------------------

FOUR_YEARS = {"anchor": "fixed", "months": 48, "month": 9, "day": 30, "year": 2015}
ODD_YEARS = {"anchor": "fixed", "months": 24, "month": 9, "day": 1, "year": 2025}
MONTH_FIRST = {"anchor": "issue_month_start", "months": 24, "ends_on_anniversary": True}
ANNIVERSARY = {"anchor": "issue_date", "months": 12, "ends_on_anniversary": True}


@pytest.mark.parametrize(
    ("cycle", "issued", "bounds"),
    [
        pytest.param(
            FOUR_YEARS,
            "2021-05-01",
            [("2021-05-01", "2023-09-30"), ("2023-10-01", "2027-09-30")],
            id="every-4-years-from-2015",
        ),
        pytest.param(
            FOUR_YEARS,
            "2023-09-30",
            [("2023-09-30", "2023-09-30"), ("2023-10-01", "2027-09-30")],
            id="issued-on-an-end-date",
        ),
        pytest.param(
            FOUR_YEARS,
            "2023-10-01",
            [("2023-10-01", "2027-09-30"), ("2027-10-01", "2031-09-30")],
            id="issued-the-day-after",
        ),
        pytest.param(
            FOUR_YEARS,
            "2010-01-05",
            [("2010-01-05", "2011-09-30"), ("2011-10-01", "2015-09-30")],
            id="years-before-the-reference-year",
        ),
        pytest.param(
            ODD_YEARS, "2026-03-01", [("2026-03-01", "2027-09-01"), ("2027-09-02", "2029-09-01")], id="odd-years"
        ),
        pytest.param(
            ODD_YEARS,
            "2025-09-02",
            [("2025-09-02", "2027-09-01"), ("2027-09-02", "2029-09-01")],
            id="odd-years-day-after",
        ),
        pytest.param(
            MONTH_FIRST,
            "2023-11-15",
            [("2023-11-15", "2025-11-01"), ("2025-11-02", "2027-11-01")],
            id="ends-on-the-1st",
        ),
        pytest.param(
            MONTH_FIRST,
            "2023-11-01",
            [("2023-11-01", "2025-11-01"), ("2025-11-02", "2027-11-01")],
            id="issued-on-the-1st",
        ),
        pytest.param(
            {**MONTH_FIRST, "months": 12},
            "2024-01-31",
            [("2024-01-31", "2025-01-01"), ("2025-01-02", "2026-01-01")],
            id="from-the-31st",
        ),
        pytest.param(
            ANNIVERSARY,
            "2024-01-01",
            [("2024-01-01", "2025-01-01"), ("2025-01-02", "2026-01-01")],
            id="ends-on-the-anniversary",
        ),
        pytest.param(
            {**ANNIVERSARY, "months": 1},
            "2024-01-31",
            [("2024-01-31", "2024-02-29"), ("2024-03-01", "2024-03-31"), ("2024-04-01", "2024-04-30")],
            id="anniversary-keeps-the-31st",
        ),
    ],
)
def test_cycle_bounds_of_new_anchor_shapes(cycle: dict[str, Any], issued: str, bounds: list[tuple[str, str]]):
    rs = rules(cycle=cycle)
    got = iter_cycle_bounds(rs, d(issued))
    assert [next(got) for _ in bounds] == [(d(a), d(b)) for a, b in bounds]


@settings(max_examples=150, deadline=None)
@given(
    issued=st.dates(min_value=d("2000-01-01"), max_value=d("2060-12-31")),
    months=st.sampled_from([1, 12, 24, 36]),
    anchor=st.sampled_from(["issue_date", "issue_month_start"]),
)
def test_a_cycle_that_ends_on_the_anniversary_is_the_plain_one_a_day_longer(issued, months, anchor):
    plain = iter_cycle_bounds(rules(cycle={"anchor": anchor, "months": months}), issued)
    later = iter_cycle_bounds(rules(cycle={"anchor": anchor, "months": months, "ends_on_anniversary": True}), issued)
    previous_end = None
    for k in range(5):
        (_, e), (s2, e2) = next(plain), next(later)
        assert e2 == e + timedelta(days=1)  # the anniversary itself, never drifting
        assert s2 == (issued if k == 0 else previous_end + timedelta(days=1))
        previous_end = e2


@settings(max_examples=150, deadline=None)
@given(
    issued=st.dates(min_value=d("2000-01-01"), max_value=d("2060-12-31")),
    step=st.sampled_from([2, 3, 4, 5]),
    year=st.integers(1990, 2030),
    day=st.integers(1, 28),
    month=st.integers(1, 12),
)
def test_fixed_cycles_with_a_year_end_only_in_its_years(issued, step, year, day, month):
    rs = rules(cycle={"anchor": "fixed", "months": 12 * step, "month": month, "day": day, "year": year})
    bounds = iter_cycle_bounds(rs, issued)
    (s1, e1), (s2, e2), (s3, e3) = next(bounds), next(bounds), next(bounds)
    assert s1 == issued and s2 == e1 + timedelta(days=1) and s3 == e2 + timedelta(days=1)
    for e in (e1, e2, e3):
        assert (e.month, e.day) == (month, day) and (e.year - year) % step == 0
    assert e1 - issued < timedelta(days=366 * step)  # the first end is the first one in its years
    assert e3.year - e2.year == step and e2.year - e1.year == step


# --- no CE in a short first cycle -------------------------------------------------------------------

WA_LIKE = rules(
    cycle={"anchor": "birthday", "months": 24, "no_ce_first_cycle_under_months": 24}, requirements={"total_hours": 30}
)
NE_LIKE = rules(cycle={**ODD_YEARS, "no_ce_first_cycle_under_months": 12}, requirements={"total_hours": 20})


@pytest.mark.parametrize(
    ("rs", "issued", "as_of", "birthday", "status", "start", "end", "required", "period"),
    [
        pytest.param(
            WA_LIKE,
            "2025-08-01",
            "2026-03-01",
            (7, 4),
            "compliant",
            "2025-08-01",
            "2026-07-04",
            "0",
            "no_ce_first_cycle",
            id="wa-partial-first-period-needs-nothing",
        ),
        pytest.param(
            WA_LIKE,
            "2025-08-01",
            "2026-07-05",
            (7, 4),
            "in_progress",
            "2026-07-05",
            "2028-07-04",
            "30",
            "cycle",
            id="wa-first-full-cycle-needs-30",
        ),
        pytest.param(
            NE_LIKE,
            "2026-09-02",
            "2027-01-01",
            None,
            "compliant",
            "2026-09-02",
            "2027-09-01",
            "0",
            "no_ce_first_cycle",
            id="ne-under-12-months-waived",
        ),
        pytest.param(
            NE_LIKE,
            "2026-09-01",
            "2027-01-01",
            None,
            "in_progress",
            "2026-09-01",
            "2027-09-01",
            "20",
            "cycle",
            id="ne-exactly-12-months-not-waived",
        ),
        pytest.param(
            NE_LIKE,
            "2025-10-01",
            "2026-01-01",
            None,
            "in_progress",
            "2025-10-01",
            "2027-09-01",
            "20",
            "cycle",
            id="ne-23-months-not-waived",
        ),
    ],
)
def test_first_cycle_without_ce(rs, issued, as_of, birthday, status, start, end, required, period):
    e = ev(rs, issued, [comp(1, issued, 3)], as_of, birthday=birthday)
    assert (e.status, e.cycle_start, e.cycle_end) == (status, d(start), d(end))
    assert (e.required_hours, e.period) == (Decimal(required), period)


def test_ce_in_a_first_cycle_without_ce_counts_toward_no_cycle():
    e = ev(WA_LIKE, "2025-08-01", [comp(1, "2025-09-01", 30)], "2026-08-01", birthday=(7, 4))
    assert (e.cycle_start, str(e.earned_hours), e.status) == (d("2026-07-05"), "0.00", "in_progress")
    assert e.cycles[0].kind == "no_ce_first_cycle" and e.cycles[0].met_on == d("2025-08-01")
    first = ev(WA_LIKE, "2025-08-01", [comp(1, "2025-09-01", 30)], "2026-01-01", birthday=(7, 4))
    assert "which requires no CE (it is shorter than 24 months)" in outcome(first, 1)[2]
    assert any("No CE is required in this cycle" in r for r in first.reasons)


def test_a_reinstatement_chain_has_no_first_cycle_waiver():
    assert ev(NE_LIKE, "2026-09-02", [], "2027-05-01").period == "no_ce_first_cycle"
    # a revocation: a reinstatement after it always starts a new chain (after a suspension it would resume)
    r = ev(
        NE_LIKE,
        "2026-09-02",
        [],
        "2027-05-01",
        actions=[board("revoke", "2027-01-01"), board("reinstate", "2027-03-01")],
    )
    assert (r.period, str(r.required_hours), r.cycle_start) == ("cycle", "20.00", d("2027-03-01"))


@settings(max_examples=120, deadline=None)
@given(
    issued=st.dates(min_value=d("2020-01-01"), max_value=d("2035-12-31")),
    under=st.integers(1, 24),
    days=st.integers(0, 2000),
    hours=st.lists(st.integers(0, 12), max_size=6),
)
def test_the_waiver_only_ever_removes_requirements_of_a_short_first_cycle(issued, under, days, hours):
    base = {"anchor": "fixed", "months": 24, "month": 9, "day": 1, "year": 2025}
    plain, waived = rules(cycle=base), rules(cycle={**base, "no_ce_first_cycle_under_months": under})
    comps = [comp(i + 1, (issued + timedelta(days=37 * i)).isoformat(), h) for i, h in enumerate(hours)]
    as_of = (issued + timedelta(days=days)).isoformat()
    a, b = ev(plain, issued.isoformat(), comps, as_of), ev(waived, issued.isoformat(), comps, as_of)
    first_end = a.cycles[0].end
    short = b.cycles[0].kind == "no_ce_first_cycle"
    assert short == (first_end < add_months(issued, under))
    if not short:
        assert (a.status, a.cycle_start, a.earned_hours) == (b.status, b.cycle_start, b.earned_hours)
    elif d(as_of) <= first_end:
        assert b.status == "compliant" and b.required_hours == 0


# --- an initial certification phase ----------------------------------------------------------------

TX_LIKE = rules(
    initial_period={
        "months": 6,
        "extension_months": 6,
        "requirements": [
            {
                "id": "supervised-work",
                "kind": "service_hours",
                "hours": 250,
                "description": "Document 250 hours of supervised work experience",
            }
        ],
    },
    requirements={"total_hours": 20},
)


@pytest.mark.parametrize(
    ("activities", "as_of", "status", "start", "end", "grace_end", "required", "period"),
    [
        pytest.param(
            [],
            "2025-02-01",
            "in_progress",
            "2025-01-10",
            "2025-07-09",
            "2026-01-09",
            "0",
            "initial",
            id="phase-in-progress",
        ),
        pytest.param(
            [], "2025-05-01", "due_soon", "2025-01-10", "2025-07-09", "2026-01-09", "0", "initial", id="phase-due-soon"
        ),
        pytest.param(
            [], "2025-08-01", "overdue", "2025-01-10", "2025-07-09", "2026-01-09", "0", "initial", id="phase-extension"
        ),
        pytest.param(
            [],
            "2026-01-10",
            "lapsed",
            "2025-01-10",
            "2025-07-09",
            "2026-01-09",
            "0",
            "initial",
            id="phase-lapsed-after-extension",
        ),
        pytest.param(
            [("2025-04-01", "100"), ("2025-06-15", "150")],
            "2025-07-01",
            "in_progress",
            "2025-06-15",
            "2027-06-14",
            "2027-06-14",
            "20",
            "cycle",
            id="two-year-cycles-from-the-date-met",
        ),
        pytest.param(
            [("2025-04-01", "100"), ("2025-06-15", "150")],
            "2025-06-14",
            "due_soon",
            "2025-01-10",
            "2025-07-09",
            "2026-01-09",
            "0",
            "initial",
            id="not-met-yet-on-the-eve",
        ),
        pytest.param(
            [("2025-10-01", "250")],
            "2025-12-01",
            "in_progress",
            "2025-10-01",
            "2027-09-30",
            "2027-09-30",
            "20",
            "cycle",
            id="met-during-the-extension",
        ),
    ],
)
def test_initial_certification_phase(activities, as_of, status, start, end, grace_end, required, period):
    acts = [act("service_hours", on, h, "supervised-work") for on, h in activities]
    e = ev(TX_LIKE, "2025-01-10", [comp(1, "2025-03-01", 20)], as_of, activities=acts)
    assert (e.status, e.cycle_start, e.cycle_end, e.grace_ends_on) == (status, d(start), d(end), d(grace_end))
    assert (e.required_hours, e.period) == (Decimal(required), period)


def test_the_phase_shows_its_requirement_and_ce_in_it_does_not_count():
    e = ev(
        TX_LIKE,
        "2025-01-10",
        [comp(1, "2025-03-01", 20)],
        "2025-02-01",
        activities=[act("service_hours", "2025-01-20", "40", "supervised-work")],
    )
    (req,) = e.other_requirements
    assert (req.id, str(req.earned_hours), str(req.required_hours), req.met) == (
        "supervised-work",
        "40.00",
        "250.00",
        False,
    )
    assert any("No CE is required in the initial certification" in r for r in e.reasons)
    later = ev(
        TX_LIKE,
        "2025-01-10",
        [comp(1, "2025-03-01", 20)],
        "2025-08-01",
        activities=[act("service_hours", "2025-06-01", "250", "supervised-work")],
    )
    assert (later.cycle_start, str(later.earned_hours)) == (d("2025-06-01"), "0.00")
    assert [c.kind for c in later.cycles] == ["initial", "cycle"]
    assert later.cycles[0].end == d("2025-05-31") and later.cycles[0].met_on == d("2025-06-01")


def test_a_phase_without_requirements_runs_its_course():
    rs = rules(initial_period={"months": 6}, requirements={"total_hours": 20})
    e = ev(rs, "2025-01-10", [], "2025-07-10")
    assert (e.cycle_start, e.cycle_end, e.period) == (d("2025-07-10"), d("2027-07-09"), "cycle")
    assert ev(rs, "2025-01-10", [], "2025-07-09").period == "initial"


# --- a filing deadline before the cycle end ----------------------------------------------------------

WV_LIKE = rules(
    cycle={"anchor": "fixed", "months": 24, "month": 9, "day": 30},
    filing_days_before_end=31,
    due_soon_days=60,
    grace_days=90,
    grace_counts_ce=False,
)


@pytest.mark.parametrize(
    ("as_of", "status", "next_change"),
    [
        pytest.param("2026-06-30", "in_progress", "2026-07-01", id="before-due-soon"),
        pytest.param("2026-07-01", "due_soon", "2026-08-31", id="due-soon-counts-back-from-the-filing-deadline"),
        pytest.param("2026-08-30", "due_soon", "2026-08-31", id="on-the-filing-deadline"),
        pytest.param("2026-08-31", "overdue", "2026-12-30", id="filing-deadline-missed-before-expiry"),
        pytest.param("2026-09-30", "overdue", "2026-12-30", id="expiry-day"),
        pytest.param("2026-12-29", "overdue", "2026-12-30", id="last-grace-day"),
        pytest.param("2026-12-30", "lapsed", None, id="lapsed"),
    ],
)
def test_filing_deadline_distinct_from_the_cycle_end(as_of, status, next_change):
    e = ev(WV_LIKE, "2025-10-15", [comp(1, "2025-11-01", 5)], as_of)
    assert (e.cycle_end, e.filing_due_on, e.grace_ends_on) == (d("2026-09-30"), d("2026-08-30"), d("2026-12-29"))
    assert (e.status, e.next_change_on) == (status, d(next_change) if next_change else None)


def test_ce_between_the_filing_deadline_and_the_cycle_end_counts_only_with_late_ce():
    comps = [comp(1, "2025-11-01", 5), comp(2, "2026-09-15", 15)]
    late_ce = rules(
        cycle={"anchor": "fixed", "months": 24, "month": 9, "day": 30}, filing_days_before_end=31, grace_days=59
    )
    e = ev(late_ce, "2025-10-15", comps, "2026-09-20")
    assert (e.status, e.met_on) == ("compliant", d("2026-09-15"))
    wv = ev(WV_LIKE, "2025-10-15", comps, "2026-09-20")
    assert (wv.status, str(wv.earned_hours)) == ("overdue", "5.00")
    assert outcome(wv, 2) == (
        "not_counted",
        "0.00",
        "dated 2026-09-15, after the renewal was due on 2026-08-30; "
        "CE completed after the filing deadline does not count for XX-TEST",
    )
    assert wv.reasons[0] == (
        "Overdue: the renewal of the cycle 2025-10-15 to 2026-09-30 was due by 2026-08-30 "
        "with requirements unmet; the certification expires on 2026-09-30; late renewal is "
        "possible until 2026-12-29"
    )


@pytest.mark.parametrize(
    ("as_of", "status"),
    [("2026-02-28", "overdue"), ("2026-07-31", "overdue"), ("2026-08-01", "lapsed")],
)
def test_a_grace_period_in_months_ends_on_the_same_day_months_later(as_of, status):
    rs = rules(cycle={"months": 12}, grace_months=6)
    e = ev(rs, "2025-02-01", [comp(1, "2025-03-01", 5)], as_of)
    assert (e.cycle_end, e.grace_ends_on, e.status) == (d("2026-01-31"), d("2026-07-31"), status)
    late = ev(rs, "2025-02-01", [comp(1, "2025-03-01", 5), comp(2, "2026-05-01", 15)], "2026-06-01")
    assert (late.cycle_start, late.previous_cycle.met_on) == (d("2026-02-01"), d("2026-05-01"))


# --- a cycle length the holder chooses ---------------------------------------------------------------

NYCPS_LIKE = rules(
    cycle_options=[
        {"id": "one-year", "months": 12, "total_hours": 10},
        {"id": "two-year", "months": 24, "total_hours": 20},
    ],
    requirements={"total_hours": 10},
    cycle={"months": 12},
)


@pytest.mark.parametrize(
    ("option", "end", "required"),
    [("one-year", "2026-03-14", "10.00"), ("two-year", "2027-03-14", "20.00")],
)
def test_the_chosen_cycle_option_sets_length_and_hours(option, end, required):
    e = ev(NYCPS_LIKE, "2025-03-15", [comp(1, "2025-05-01", 12)], "2025-06-01", option=option)
    assert (e.cycle_end, str(e.required_hours), e.cycle_option) == (d(end), required, option)
    assert (e.status == "compliant") == (option == "one-year")
    assert any(r.startswith(f"Cycle option {option}") for r in e.reasons)


def test_rules_with_options_need_the_holders_choice_and_refuse_unknown_ones():
    with pytest.raises(MissingFact, match="cycle_option"):
        ev(NYCPS_LIKE, "2025-03-15")
    with pytest.raises(InvalidFact, match="defines no cycle option 'three-year'"):
        ev(NYCPS_LIKE, "2025-03-15", option="three-year")
    with pytest.raises(InvalidFact, match="defines no cycle option"):
        ev(rules(), "2025-03-15", option="one-year")


@settings(max_examples=80, deadline=None)
@given(
    months=st.sampled_from([12, 24, 36]),
    per_year=st.integers(1, 20),
    days=st.integers(0, 1500),
    hours=st.lists(st.integers(0, 8), max_size=8),
)
def test_an_option_evaluates_like_a_rule_set_with_its_length_and_total(months, per_year, days, hours):
    total = per_year * months // 12
    chosen = rules(cycle_options=[{"id": "x", "months": months, "total_hours": total}])
    plain = rules(cycle={"months": months}, requirements={"total_hours": total})
    comps = [comp(i + 1, (d("2025-01-01") + timedelta(days=53 * i)).isoformat(), h) for i, h in enumerate(hours)]
    as_of = (d("2025-01-01") + timedelta(days=days)).isoformat()
    a, b = ev(plain, "2025-01-01", comps, as_of), ev(chosen, "2025-01-01", comps, as_of, option="x")
    assert (a.status, a.cycle_start, a.cycle_end, a.earned_hours, a.required_hours, a.next_change_on) == (
        b.status,
        b.cycle_start,
        b.cycle_end,
        b.earned_hours,
        b.required_hours,
        b.next_change_on,
    )


# --- variants that add hours -------------------------------------------------------------------------

WITH_VARIANTS = rules(
    requirements={"total_hours": 28, "categories": [{"category": "ethics", "min_hours": 4}]},
    variants=[
        {
            "id": "family",
            "label": "CRPA-Family",
            "extra_hours": 6,
            "categories": [{"category": "family", "min_hours": 6}, {"category": "cultural", "min_hours": 1}],
        },
        {"id": "military", "label": "military designation", "categories": [{"category": "military", "min_hours": 8}]},
    ],
)


@pytest.mark.parametrize(
    ("variants", "required", "categories"),
    [
        pytest.param((), "28.00", ["ethics"], id="base"),
        pytest.param(("family",), "34.00", ["ethics", "family", "cultural"], id="family-adds-6-hours"),
        pytest.param(("military",), "28.00", ["ethics", "military"], id="military-adds-a-minimum"),
        pytest.param(("family", "military"), "34.00", ["ethics", "family", "cultural", "military"], id="both"),
    ],
)
def test_variants_add_hours_and_minimums(variants, required, categories):
    e = ev(
        WITH_VARIANTS,
        "2025-03-15",
        [comp(1, "2025-05-01", 28, approvals=[approval("ethics")])],
        "2025-06-01",
        variants=variants,
    )
    assert str(e.required_hours) == required and [c.category for c in e.categories] == categories
    assert (e.status == "compliant") == (not variants)
    assert e.variants == tuple(sorted(variants))


def test_an_unknown_variant_is_refused():
    with pytest.raises(InvalidFact, match="defines no variant 'youth'"):
        ev(WITH_VARIANTS, "2025-03-15", variants=("youth",))


@settings(max_examples=80, deadline=None)
@given(
    days=st.integers(0, 1500),
    hours=st.lists(st.integers(0, 10), max_size=8),
    tags=st.lists(st.sampled_from(["ethics", "family", "cultural", "military"]), max_size=8),
)
def test_a_variant_never_makes_a_cycle_easier(days, hours, tags):
    comps = [
        comp(
            i + 1,
            (d("2025-03-15") + timedelta(days=61 * i)).isoformat(),
            h,
            approvals=[approval(tags[i % len(tags)])] if tags else [],
        )
        for i, h in enumerate(hours)
    ]
    as_of = (d("2025-03-15") + timedelta(days=days)).isoformat()
    base = ev(WITH_VARIANTS, "2025-03-15", comps, as_of)
    for variants in (("family",), ("military",), ("family", "military")):
        more = ev(WITH_VARIANTS, "2025-03-15", comps, as_of, variants=variants)
        assert more.required_hours >= base.required_hours
        if more.met_on is not None and more.cycle_start == base.cycle_start:
            assert base.met_on is not None and base.met_on <= more.met_on


# --- one-time requirements, and a course that counts once ever ---------------------------------------

ONCE = rules(
    cycle={"months": 36},
    requirements={
        "total_hours": 28,
        "categories": [{"category": "msr", "label": "medication-supported recovery", "min_hours": 4, "once": True}],
    },
)


def test_a_one_time_requirement_met_in_an_earlier_cycle_stays_met():
    comps = [comp(1, "2025-05-01", 4, approvals=[approval("msr")]), comp(2, "2025-06-01", 24)]
    first = ev(ONCE, "2025-03-15", comps, "2025-07-01")
    assert first.status == "compliant" and str(first.categories[0].earned_hours) == "4.00"
    later = ev(ONCE, "2025-03-15", [*comps, comp(3, "2028-05-01", 28)], "2028-06-01")
    assert later.cycle_start == d("2028-03-15") and later.status == "compliant"
    (msr,) = later.categories
    assert (str(msr.earned_hours), msr.once) == ("4.00", True)
    assert any("due once: hours completed at any time up to 2031-03-14 count" in r for r in later.reasons)
    assert "it still counts toward medication-supported recovery (due once)" in outcome(later, 1)[2]


def test_a_one_time_requirement_met_before_the_certification_counts():
    comps = [comp(1, "2024-11-01", 4, approvals=[approval("msr")]), comp(2, "2025-06-01", 28)]
    e = ev(ONCE, "2025-03-15", comps, "2025-07-01")
    assert (e.status, str(e.earned_hours), str(e.categories[0].earned_hours)) == ("compliant", "28.00", "4.00")


def test_a_one_time_requirement_not_yet_met_is_still_due():
    e = ev(ONCE, "2025-03-15", [comp(1, "2025-06-01", 28)], "2026-01-01")
    assert e.status == "in_progress" and str(e.categories[0].remaining_hours) == "4.00"
    assert ev(ONCE, "2025-03-15", [comp(1, "2025-06-01", 28)], "2028-03-15").status == "lapsed"


COUNTS_ONCE = rules(cycle={"months": 12}, requirements={"total_hours": 6}, course_counts_once=True)


def test_a_course_repeated_in_a_later_cycle_counts_nothing():
    comps = [comp(1, "2025-05-01", 6, course="ethics-101"), comp(2, "2026-05-01", 6, course="ethics-101")]
    e = ev(COUNTS_ONCE, "2025-03-15", comps, "2026-06-01")
    assert (e.cycle_start, str(e.earned_hours), e.status) == (d("2026-03-15"), "0.00", "in_progress")
    assert outcome(e, 2) == (
        "not_counted",
        "0.00",
        "the course was counted in an earlier cycle (completion #1); a course counts once for XX-TEST",
    )
    again = ev(rules(cycle={"months": 12}, requirements={"total_hours": 6}), "2025-03-15", comps, "2026-06-01")
    assert again.status == "compliant"


@settings(max_examples=80, deadline=None)
@given(
    days=st.integers(0, 1800),
    items=st.lists(st.tuples(st.integers(0, 1700), st.sampled_from("abc"), st.integers(1, 6)), max_size=8),
)
def test_counting_a_course_once_never_counts_more(days, items):
    comps = [
        comp(i + 1, (d("2025-01-01") + timedelta(days=off)).isoformat(), h, course=key)
        for i, (off, key, h) in enumerate(items)
    ]
    as_of = (d("2025-01-01") + timedelta(days=days)).isoformat()
    once = ev(COUNTS_ONCE, "2025-01-01", comps, as_of)
    plain = ev(rules(cycle={"months": 12}, requirements={"total_hours": 6}), "2025-01-01", comps, as_of)
    counted_once = [o for o in once.completions if o.outcome == "counted"]
    keys = [next(c.course_key for c in comps if c.id == o.completion_id) for o in counted_once]
    if once.cycle_start == plain.cycle_start:
        assert once.earned_hours <= plain.earned_hours
    assert len(keys) == len(set(keys))


# --- the schema refuses what cannot be meant ---------------------------------------------------------


@pytest.mark.parametrize(
    ("over", "message"),
    [
        ({"cycle": {"year": 2015}}, "only used with a 'fixed' anchor"),
        (
            {"cycle": {"anchor": "issue_month_end", "ends_on_anniversary": True}},
            "only used with an 'issue_date' or 'issue_month_start' anchor",
        ),
        (
            {
                "requirements": {
                    "total_hours": 1,
                    "categories": [{"category": "a", "min_hours": 1, "once": True, "every_years": 2}],
                }
            },
            "either once or every N years",
        ),
        (
            {
                "cycle": {"anchor": "fixed", "months": 24, "month": 9, "day": 30},
                "cycle_options": [{"id": "a", "months": 18, "total_hours": 5}],
            },
            "needs whole years",
        ),
        (
            {
                "variants": [{"id": "v", "label": "V", "categories": [{"category": "ethics", "min_hours": 1}]}],
                "requirements": {"total_hours": 1, "categories": [{"category": "ethics", "min_hours": 1}]},
            },
            "category already required elsewhere: ethics",
        ),
        ({"figure_sources": {"grace_days": ["nowhere"]}}, "names unknown sources: nowhere"),
        ({"grace_days": 30, "grace_months": 1}, "in days or in months, not both"),
        ({"figure_sources": {"requirements.categories.ethics": ["source"]}}, "names no figure of this rule set"),
        ({"superseded_by": ["XX-TEST"]}, "is not another credential code"),
        ({"sources": [{"id": "a", "title": "A"}], "source": "text"}, "give `sources`, not the legacy"),
    ],
)
def test_invalid_shapes_are_refused(over: dict[str, Any], message: str):
    from pydantic import ValidationError

    with pytest.raises(ValidationError, match=message):
        rules(**over)


# --- invariants of the initial phase and of filing deadlines ---------------------------------------


@settings(max_examples=80, deadline=None)
@given(met_after=st.integers(0, 360), days=st.integers(0, 1500), hours=st.lists(st.integers(0, 8), max_size=8))
def test_after_the_initial_phase_the_cycles_are_those_of_a_certification_issued_on_the_day_it_ended(
    met_after, days, hours
):
    issued = d("2025-01-10")
    met = issued + timedelta(days=met_after)
    comps = [comp(i + 1, (issued + timedelta(days=47 * i)).isoformat(), h) for i, h in enumerate(hours)]
    as_of = issued + timedelta(days=days)
    phased = ev(
        TX_LIKE,
        issued.isoformat(),
        comps,
        as_of.isoformat(),
        activities=[act("service_hours", met.isoformat(), "250", "supervised-work")],
    )
    if met > as_of or met > add_months(issued, 12) - timedelta(days=1):
        assert phased.period == "initial"
        return
    plain = ev(rules(requirements={"total_hours": 20}), met.isoformat(), comps, as_of.isoformat())
    assert (phased.status, phased.cycle_start, phased.cycle_end, phased.earned_hours, phased.next_change_on) == (
        plain.status,
        plain.cycle_start,
        plain.cycle_end,
        plain.earned_hours,
        plain.next_change_on,
    )


@settings(max_examples=80, deadline=None)
@given(filing=st.integers(1, 120), days=st.integers(0, 1200), hours=st.lists(st.integers(0, 8), max_size=8))
def test_with_late_ce_a_filing_deadline_moves_only_the_status_thresholds(filing, days, hours):
    base = {"cycle": {"months": 24}, "grace_days": 30}
    plain, filed = rules(**base), rules(**base, filing_days_before_end=filing)
    comps = [comp(i + 1, (d("2025-01-01") + timedelta(days=83 * i)).isoformat(), h) for i, h in enumerate(hours)]
    as_of = (d("2025-01-01") + timedelta(days=days)).isoformat()
    a, b = ev(plain, "2025-01-01", comps, as_of), ev(filed, "2025-01-01", comps, as_of)
    assert (a.cycle_start, a.cycle_end, a.earned_hours, a.met_on, a.grace_ends_on) == (
        b.cycle_start,
        b.cycle_end,
        b.earned_hours,
        b.met_on,
        b.grace_ends_on,
    )
    assert b.filing_due_on == b.cycle_end - timedelta(days=filing)
    order = ["in_progress", "due_soon", "overdue", "lapsed"]
    if a.status in order and b.status in order:  # the deadline can only make a status come earlier
        assert order.index(b.status) >= order.index(a.status)
