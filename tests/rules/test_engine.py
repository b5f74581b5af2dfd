"""Rule engine: cycle arithmetic per anchor, version selection, statuses and next_change_on,
board holds and reinstatement chains, impossible inputs."""

from __future__ import annotations

import pytest

from app.rules.engine import (
    CertificationFacts,
    CredentialMismatch,
    InvalidFact,
    MissingFact,
    NoRuleVersions,
    RuleError,
    UnknownVersion,
    cycle_bounds,
    evaluate,
)
from tests.rules.builders import board, comp, d, ev, outcome, rules, version


def issue(months: int) -> dict:
    return {"anchor": "issue_date", "months": months}


def month_end(months: int) -> dict:
    return {"anchor": "issue_month_end", "months": months}


def month_start(months: int) -> dict:
    return {"anchor": "issue_month_start", "months": months}


def fixed(months: int, month: int, day: int, first: int = 0) -> dict:
    return {"anchor": "fixed", "months": months, "month": month, "day": day, "min_first_cycle_months": first}


# (anchor settings, issue date, cycle index, expected start, expected end)
CYCLES = [
    pytest.param(issue(24), "2025-03-15", 0, "2025-03-15", "2027-03-14", id="issue_date-first"),
    pytest.param(issue(24), "2025-03-15", 1, "2027-03-15", "2029-03-14", id="issue_date-second"),
    pytest.param(
        issue(1), "2025-01-31", 0, "2025-01-31", "2025-02-27", id="issue_date-jan31-plus-1-month-clamps-to-feb28"
    ),
    pytest.param(issue(1), "2025-01-31", 1, "2025-02-28", "2025-03-30", id="issue_date-jan31-keeps-day-31-no-drift"),
    pytest.param(issue(1), "2025-01-31", 2, "2025-03-31", "2025-04-29", id="issue_date-jan31-third"),
    pytest.param(issue(1), "2024-01-31", 0, "2024-01-31", "2024-02-28", id="issue_date-jan31-leap-year-feb29"),
    pytest.param(issue(12), "2024-02-29", 0, "2024-02-29", "2025-02-27", id="issue_date-feb29-non-leap-anniversary"),
    pytest.param(issue(12), "2024-02-29", 3, "2027-02-28", "2028-02-28", id="issue_date-feb29-back-to-leap"),
    pytest.param(issue(12), "2024-02-29", 4, "2028-02-29", "2029-02-27", id="issue_date-feb29-restarts-on-29th"),
    pytest.param(issue(24), "2024-02-29", 1, "2026-02-28", "2028-02-28", id="issue_date-feb29-24-months"),
    pytest.param(month_end(24), "2025-03-15", 0, "2025-03-15", "2027-03-31", id="month_end-first"),
    pytest.param(month_end(24), "2025-03-15", 1, "2027-04-01", "2029-03-31", id="month_end-second"),
    pytest.param(month_end(12), "2023-02-28", 0, "2023-02-28", "2024-02-29", id="month_end-ends-on-leap-feb29"),
    pytest.param(month_end(12), "2024-02-29", 0, "2024-02-29", "2025-02-28", id="month_end-feb29-issue"),
    pytest.param(month_end(12), "2024-02-29", 1, "2025-03-01", "2026-02-28", id="month_end-feb29-second"),
    pytest.param(month_end(1), "2025-01-31", 0, "2025-01-31", "2025-02-28", id="month_end-jan31-plus-1"),
    pytest.param(month_start(24), "2025-03-15", 0, "2025-03-15", "2027-02-28", id="month_start-first"),
    pytest.param(month_start(24), "2025-03-15", 1, "2027-03-01", "2029-02-28", id="month_start-second"),
    pytest.param(month_start(12), "2023-03-20", 0, "2023-03-20", "2024-02-29", id="month_start-leap-feb29"),
    pytest.param(month_start(1), "2025-01-31", 0, "2025-01-31", "2025-01-31", id="month_start-one-day-first-cycle"),
    pytest.param(month_start(1), "2025-01-31", 1, "2025-02-01", "2025-02-28", id="month_start-jan31-second"),
    pytest.param(
        fixed(12, 12, 31, first=12), "2025-03-10", 0, "2025-03-10", "2026-12-31", id="fixed-ga-first-after-jan1"
    ),
    pytest.param(
        fixed(12, 12, 31, first=12), "2025-12-31", 0, "2025-12-31", "2026-12-31", id="fixed-ga-exactly-12-months"
    ),
    pytest.param(fixed(12, 12, 31, first=12), "2025-03-10", 1, "2027-01-01", "2027-12-31", id="fixed-ga-second"),
    pytest.param(fixed(12, 12, 31), "2025-12-31", 0, "2025-12-31", "2025-12-31", id="fixed-min0-same-day"),
    pytest.param(fixed(24, 8, 30), "2025-09-01", 0, "2025-09-01", "2026-08-30", id="fixed-wv-first"),
    pytest.param(fixed(24, 8, 30), "2025-09-01", 1, "2026-08-31", "2028-08-30", id="fixed-wv-second"),
    pytest.param(fixed(12, 2, 29), "2025-01-10", 0, "2025-01-10", "2025-02-28", id="fixed-feb29-in-non-leap"),
    pytest.param(fixed(12, 2, 29), "2025-01-10", 3, "2027-03-01", "2028-02-29", id="fixed-feb29-in-leap"),
    pytest.param(fixed(12, 2, 29), "2025-01-10", 4, "2028-03-01", "2029-02-28", id="fixed-feb29-after-leap"),
    pytest.param(fixed(12, 2, 28), "2027-03-01", 1, "2028-02-29", "2029-02-28", id="fixed-feb28-cycle-starting-feb29"),
]


@pytest.mark.parametrize(("cycle", "issued", "index", "start", "end"), CYCLES)
def test_cycle_bounds_per_anchor(cycle, issued, index, start, end):
    assert cycle_bounds(rules(cycle=cycle), d(issued), index) == (d(start), d(end))


def test_evaluation_reports_the_cycle_that_cycle_bounds_gives():
    rs = rules(cycle={"anchor": "issue_month_end", "months": 24})
    e = ev(rs, "2025-03-15", as_of="2026-01-01")
    assert (e.cycle_start, e.cycle_end) == cycle_bounds(rs, d("2025-03-15"))


BIRTHDAYS = [
    pytest.param((7, 4), "2025-07-01", 0, "2025-07-01", "2025-07-04", id="first-birthday-on-or-after-issue"),
    pytest.param((7, 4), "2025-07-01", 1, "2025-07-05", "2027-07-04", id="then-every-24-months"),
    pytest.param((2, 29), "2025-03-01", 0, "2025-03-01", "2026-02-28", id="feb29-birthday-non-leap"),
    pytest.param((2, 29), "2025-03-01", 1, "2026-03-01", "2028-02-29", id="feb29-birthday-leap"),
]


@pytest.mark.parametrize(("md", "issued", "index", "start", "end"), BIRTHDAYS)
def test_birthday_anchor(md, issued, index, start, end):
    rs = rules(cycle={"anchor": "birthday", "months": 24})
    assert cycle_bounds(rs, d(issued), index, birth_month_day=md) == (d(start), d(end))


def test_birthday_anchor_needs_the_birth_month_day():
    rs = rules(cycle={"anchor": "birthday", "months": 24})
    with pytest.raises(MissingFact) as err:
        ev(rs, "2025-07-01")
    assert err.value.fact == "birth_month_day"
    assert isinstance(err.value, RuleError)
    assert ev(rs, "2025-07-01", birthday=(7, 4), as_of="2025-07-02").cycle_end == d("2025-07-04")


def test_impossible_birthday_is_an_invalid_fact():
    with pytest.raises(InvalidFact):
        ev(rules(cycle={"anchor": "birthday", "months": 24}), "2025-07-01", birthday=(2, 30))


def test_no_versions_is_a_rule_error():
    with pytest.raises(NoRuleVersions):
        ev([], "2025-01-01")


def test_version_of_another_credential_is_a_rule_error():
    with pytest.raises(CredentialMismatch):
        evaluate(
            versions=[version(rules(code="OTHER-CODE"))],
            facts=CertificationFacts(d("2025-01-01"), "XX-TEST"),
            completions=(),
            as_of=d("2025-06-01"),
        )


def test_pinned_version_that_does_not_exist_is_a_rule_error():
    with pytest.raises(UnknownVersion):
        ev([version()], "2025-01-01", pinned=7)


# --- version selection -----------------------------------------------------------------------

V1 = version(rules(requirements={"total_hours": 20}), n=1, effective_from="2020-01-01")
V2 = version(rules(requirements={"total_hours": 30}), n=2, effective_from="2027-01-01")
V3_SAME_DAY = version(rules(requirements={"total_hours": 25}), n=3, effective_from="2027-01-01")


@pytest.mark.parametrize(
    ("versions", "completions", "as_of", "pinned", "expected_version", "required"),
    [
        pytest.param([V1, V2], [], "2027-02-01", None, 1, "20.00", id="cycle-started-before-v2-keeps-v1"),
        pytest.param(
            [V2, V1], [comp(1, "2026-01-01", 20)], "2027-04-01", None, 2, "30.00", id="next-cycle-starts-after-v2"
        ),
        pytest.param(
            [V1, V2, V3_SAME_DAY],
            [comp(1, "2026-01-01", 20)],
            "2027-04-01",
            None,
            3,
            "25.00",
            id="same-day-ties-take-highest-version",
        ),
        pytest.param([V2], [], "2025-06-01", None, 2, "30.00", id="none-started-uses-earliest"),
        pytest.param([V1, V2], [], "2025-06-01", 2, 2, "30.00", id="pinned-version-overrides"),
    ],
)
def test_version_selected_by_cycle_start(versions, completions, as_of, pinned, expected_version, required):
    e = ev(versions, "2025-03-15", completions, as_of, pinned=pinned)
    assert e.rule_version == expected_version
    assert str(e.required_hours) == required
    assert e.cycles[-1].rule_version == expected_version


# --- status boundaries and next_change_on ----------------------------------------------------

# 10 h every 12 months from 2025-01-01: E = 2025-12-31, due soon from 2025-12-01,
# grace ends 2026-01-10.
STATUS_RULES = rules(cycle={"months": 12}, requirements={"total_hours": 10}, due_soon_days=30, grace_days=10)


@pytest.mark.parametrize(
    ("as_of", "status", "next_change"),
    [
        pytest.param("2024-12-31", "in_progress", "2025-12-01", id="before-issue"),
        pytest.param("2025-11-30", "in_progress", "2025-12-01", id="day-before-due-soon"),
        pytest.param("2025-12-01", "due_soon", "2026-01-01", id="due-soon-date"),
        pytest.param("2025-12-30", "due_soon", "2026-01-01", id="day-before-end"),
        pytest.param("2025-12-31", "due_soon", "2026-01-01", id="cycle-end"),
        pytest.param("2026-01-01", "overdue", "2026-01-11", id="day-after-end"),
        pytest.param("2026-01-09", "overdue", "2026-01-11", id="day-before-grace-end"),
        pytest.param("2026-01-10", "overdue", "2026-01-11", id="grace-end"),
        pytest.param("2026-01-11", "lapsed", None, id="day-after-grace-end"),
        pytest.param("2031-06-01", "lapsed", None, id="lapsed-stays-current-forever"),
    ],
)
def test_unmet_cycle_status_boundaries(as_of, status, next_change):
    e = ev(STATUS_RULES, "2025-01-01", [], as_of)
    assert (e.status, e.next_change_on) == (status, d(next_change) if next_change else None)
    assert (e.cycle_start, e.cycle_end, e.grace_ends_on) == (
        d("2025-01-01"),
        d("2025-12-31"),
        d("2026-01-10"),
    )


@pytest.mark.parametrize(
    ("as_of", "status", "start", "next_change"),
    [
        pytest.param("2025-05-31", "in_progress", "2025-01-01", "2025-12-01", id="day-before-met"),
        pytest.param("2025-06-01", "compliant", "2025-01-01", "2026-01-01", id="met-on-the-day"),
        pytest.param("2025-12-31", "compliant", "2025-01-01", "2026-01-01", id="compliant-on-end"),
        pytest.param("2026-01-01", "in_progress", "2026-01-01", "2026-12-01", id="rolls-over-day-after"),
    ],
)
def test_met_cycle_is_compliant_until_its_end_then_rolls_over(as_of, status, start, next_change):
    e = ev(STATUS_RULES, "2025-01-01", [comp(1, "2025-06-01", 10)], as_of)
    assert (e.status, e.cycle_start, e.next_change_on) == (status, d(start), d(next_change))


def test_roll_over_reports_previous_cycle_and_history():
    e = ev(STATUS_RULES, "2025-01-01", [comp(1, "2025-06-01", 12)], "2026-02-01")
    prev = e.previous_cycle
    assert prev is not None
    assert (prev.start, prev.end, prev.met, prev.met_on) == (
        d("2025-01-01"),
        d("2025-12-31"),
        True,
        d("2025-06-01"),
    )
    assert (str(prev.excess_hours), str(prev.earned_hours)) == ("2.00", "12.00")
    assert [c.start for c in e.cycles] == [d("2025-01-01"), d("2026-01-01")]
    assert e.cycles[-1].met is False


def test_no_grace_goes_from_due_soon_to_lapsed():
    rs = rules(cycle={"months": 12}, requirements={"total_hours": 10}, due_soon_days=30)
    e = ev(rs, "2025-01-01", [], "2025-12-31")
    assert (e.status, e.next_change_on) == ("due_soon", d("2026-01-01"))
    assert ev(rs, "2025-01-01", [], "2026-01-01").status == "lapsed"


@pytest.mark.parametrize(
    ("as_of", "status"),
    [("2025-12-30", "in_progress"), ("2025-12-31", "due_soon")],
)
def test_zero_due_soon_days_makes_only_the_end_date_due_soon(as_of, status):
    rs = rules(cycle={"months": 12}, requirements={"total_hours": 10}, due_soon_days=0)
    assert ev(rs, "2025-01-01", [], as_of).status == status


# --- board holds and reinstatement ----------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "status"),
    [("suspend", "suspended"), ("revoke", "revoked"), ("inactivate", "inactive")],
)
def test_hold_overrides_status_while_cycles_roll_over_beneath_it(kind, status):
    comps = [comp(1, "2025-03-01", 10)]
    e = ev(STATUS_RULES, "2025-01-01", comps, "2025-07-01", actions=[board(kind, "2025-06-15")])
    # compliant beneath the hold: the cycle still rolls over on 2026-01-01
    assert (e.status, e.met_on, e.next_change_on) == (status, d("2025-03-01"), d("2026-01-01"))
    assert e.reasons[0].startswith(f"{status.capitalize()}: board action on 2025-06-15")
    later = ev(STATUS_RULES, "2025-01-01", comps, "2026-01-01", actions=[board(kind, "2025-06-15")])
    assert (later.status, later.cycle_start) == (status, d("2026-01-01"))
    lapsed = ev(STATUS_RULES, "2025-01-01", [], "2026-07-01", actions=[board(kind, "2026-06-15")])
    assert (lapsed.status, lapsed.next_change_on) == (status, None)


def test_hold_applies_from_its_date():
    acts = [board("suspend", "2025-06-15")]
    assert ev(STATUS_RULES, "2025-01-01", [], "2025-06-14", actions=acts).status == "in_progress"
    assert ev(STATUS_RULES, "2025-01-01", [], "2025-06-15", actions=acts).status == "suspended"


def test_future_board_action_is_the_next_change():
    e = ev(STATUS_RULES, "2025-01-01", [], "2025-05-01", actions=[board("suspend", "2025-06-15")])
    assert (e.status, e.next_change_on) == ("in_progress", d("2025-06-15"))
    lapsed = ev(STATUS_RULES, "2025-01-01", [], "2026-03-01", actions=[board("reinstate", "2026-04-02")])
    assert (lapsed.status, lapsed.next_change_on) == ("lapsed", d("2026-04-02"))
    held = ev(
        STATUS_RULES,
        "2025-01-01",
        [],
        "2025-07-01",
        actions=[board("suspend", "2025-06-15"), board("reinstate", "2025-08-01")],
    )
    assert (held.status, held.next_change_on) == ("suspended", d("2025-08-01"))


def test_reinstatement_starts_a_new_chain_on_its_date():
    acts = [board("reinstate", "2026-03-10")]
    comps = [comp(1, "2026-02-01", 10), comp(2, "2026-04-01", 4)]
    before = ev(STATUS_RULES, "2025-01-01", comps, "2026-03-09", actions=acts)
    assert before.status == "lapsed"
    e = ev(STATUS_RULES, "2025-01-01", comps, "2026-05-01", actions=acts)
    assert (e.status, e.cycle_start, e.cycle_end) == ("in_progress", d("2026-03-10"), d("2027-03-09"))
    assert (e.chain_start, str(e.earned_hours), e.previous_cycle) == (d("2026-03-10"), "4.00", None)
    assert outcome(e, 1) == (
        "not_counted",
        "0.00",
        "dated 2026-02-01, before the current cycle: cycles restarted with the board reinstatement on 2026-03-10",
    )
    assert "Cycles restarted with the board reinstatement on 2026-03-10" in e.reasons


def test_latest_reinstatement_on_or_before_the_date_wins():
    acts = [
        board("reinstate", "2026-03-10"),
        board("suspend", "2027-05-01"),
        board("reinstate", "2027-06-01"),
        board("reinstate", "2030-01-01"),
    ]
    e = ev(STATUS_RULES, "2025-01-01", [], "2027-07-01", actions=acts)
    assert (e.status, e.cycle_start, e.cycle_end) == ("in_progress", d("2027-06-01"), d("2028-05-31"))
    assert e.next_change_on == d("2028-05-01")
    held = ev(STATUS_RULES, "2025-01-01", [], "2027-05-15", actions=acts)
    # the unmet cycle of the first reinstatement stays current (under the hold) until the next
    assert (held.status, held.cycle_start, held.next_change_on) == (
        "suspended",
        d("2026-03-10"),
        d("2027-06-01"),
    )


def test_reinstatement_anchor_follows_the_rule_anchor():
    rs = rules(cycle={"anchor": "issue_month_end", "months": 24})
    e = ev(rs, "2020-01-01", [], "2024-02-01", actions=[board("reinstate", "2024-01-20")])
    assert (e.cycle_start, e.cycle_end) == (d("2024-01-20"), d("2026-01-31"))


def test_walk_passes_every_cycle_met_by_its_end():
    comps = [comp(i, f"{2025 + i}-06-01", 10) for i in range(5)]
    e = ev(STATUS_RULES, "2025-01-01", comps, "2029-07-01")
    assert (e.status, e.cycle_start) == ("compliant", d("2029-01-01"))
    assert [c.met_on for c in e.cycles] == [d(f"{2025 + i}-06-01") for i in range(5)]


def test_status_only_evaluations_agree_with_full_ones():
    """The sweep's `explain=False, requirements=False` leaves out the details, never changes the answer."""
    rs = rules(
        requirements={"total_hours": 10, "categories": [{"category": "ethics", "min_hours": 2}]},
        caps=[{"modality": "self_paced", "max_hours": 4}],
    )
    v = version(rs)
    facts = CertificationFacts(d("2023-01-10"), rs.code)
    comps = [
        comp(1, "2023-03-01", 6, "self_paced"),
        comp(2, "2024-06-01", 5),
        comp(3, "2025-02-01", 3, approvals=[]),
        comp(4, "2025-03-01", 8, "live_virtual"),
    ]
    for as_of in ("2023-06-01", "2024-12-31", "2025-02-15", "2026-01-01"):
        full = evaluate(versions=[v], facts=facts, completions=comps, as_of=d(as_of))
        lean = evaluate(versions=[v], facts=facts, completions=comps, as_of=d(as_of), explain=False, requirements=False)
        assert full.categories and full.reasons and full.completions
        assert (lean.categories, lean.caps, lean.reasons, lean.completions) == ((), (), (), ())
        assert (lean.status, lean.cycle_start, lean.cycle_end, lean.next_change_on, lean.earned_hours, lean.cycles) == (
            full.status,
            full.cycle_start,
            full.cycle_end,
            full.next_change_on,
            full.earned_hours,
            full.cycles,
        )
