"""Rule engine: exact hours, caps, carry-over, late CE in grace, approvals, duplicates."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tests.rules.builders import approval, comp, d, ev, outcome, rules

YEARLY = {"months": 12}


# --- exact decimals ----------------------------------------------------------------------------


def test_tenths_add_up_exactly():
    rs = rules(cycle=YEARLY, requirements={"total_hours": Decimal("0.3")})
    e = ev(rs, "2025-01-01", [comp(1, "2025-02-01", "0.1"), comp(2, "2025-02-02", "0.2")])
    assert (e.status, e.earned_hours, e.remaining_hours) == ("compliant", Decimal("0.30"), Decimal("0.00"))


def test_hundredths_add_up_exactly():
    comps = [comp(i, "2025-02-01", "0.01") for i in range(1, 101)]
    e = ev(rules(cycle=YEARLY, requirements={"total_hours": 1}), "2025-01-01", comps)
    assert (e.status, str(e.earned_hours)) == ("compliant", "1.00")


def test_every_hours_field_has_two_decimal_places():
    rs = rules(
        cycle=YEARLY,
        requirements={
            "total_hours": 20,
            "categories": [{"category": "ethics", "min_hours": Decimal("2.5"), "topics": ["ethics-and-boundaries"]}],
        },
        caps=[{"modality": "self_paced", "max_hours": 5}],
    )
    e = ev(rs, "2025-01-01", [comp(1, "2025-02-01", 3, topics=["ethics-and-boundaries"])])
    fields = [
        e.required_hours,
        e.earned_hours,
        e.remaining_hours,
        e.discarded_hours,
        e.carryover_hours,
        *(v for c in e.categories for v in (c.required_hours, c.earned_hours, c.remaining_hours)),
        e.caps[0].max_hours,
        e.caps[0].used_hours,
        e.completions[0].counted_hours,
    ]
    assert {f.as_tuple().exponent for f in fields} == {-2}
    assert [str(f) for f in fields[:3]] == ["20.00", "3.00", "17.00"]


def test_hours_past_two_places_round_half_up():
    e = ev(rules(cycle=YEARLY), "2025-01-01", [comp(1, "2025-02-01", "1.005")])
    assert str(e.earned_hours) == "1.01"


# --- caps ---------------------------------------------------------------------------------------

CAPPED = rules(cycle=YEARLY, caps=[{"modality": "self_paced", "max_hours": 5}])


def test_modality_cap_counts_the_crossing_completion_partly():
    comps = [
        comp(1, "2025-02-01", 3, "self_paced"),
        comp(2, "2025-03-01", 3, "self_paced"),
        comp(3, "2025-04-01", 2, "self_paced"),
        comp(4, "2025-05-01", 4, "in_person"),
    ]
    e = ev(CAPPED, "2025-01-01", comps)
    assert (str(e.earned_hours), str(e.discarded_hours)) == ("9.00", "3.00")
    assert [outcome(e, i)[:2] for i in (1, 2, 3, 4)] == [
        ("counted", "3.00"),
        ("partly_counted", "2.00"),
        ("not_counted", "0.00"),
        ("counted", "4.00"),
    ]
    assert outcome(e, 3)[2] == "self_paced hours over the 5.00-hour cap (2.00 discarded)"
    cap = e.caps[0]
    assert (cap.modality, cap.category, str(cap.used_hours), cap.reached) == ("self_paced", None, "5.00", True)


def test_caps_apply_in_date_order_then_by_id_whatever_the_input_order():
    comps = [comp(9, "2025-02-01", 4, "self_paced"), comp(3, "2025-02-01", 4, "self_paced")]
    e = ev(CAPPED, "2025-01-01", comps)
    assert outcome(e, 3)[:2] == ("counted", "4.00")
    assert outcome(e, 9)[:2] == ("partly_counted", "1.00")


def test_category_cap_by_approval_tag():
    rs = rules(cycle=YEARLY, approved_only=True, caps=[{"category": "professional-development", "max_hours": 4}])
    pd = approval("professional-development")
    comps = [
        comp(1, "2025-02-01", 3, approvals=[pd]),
        comp(2, "2025-03-01", 3, approvals=[pd]),
        comp(3, "2025-04-01", 3, approvals=[approval()]),
    ]
    e = ev(rs, "2025-01-01", comps)
    assert (str(e.earned_hours), str(e.discarded_hours)) == ("7.00", "2.00")
    assert outcome(e, 2) == (
        "partly_counted",
        "1.00",
        "counted 1.00 of 3.00 hours: professional-development hours over the 4.00-hour cap (2.00 discarded)",
    )
    assert (e.caps[0].category, str(e.caps[0].used_hours)) == ("professional-development", "4.00")


def test_category_cap_by_a_categorys_topics():
    rs = rules(
        cycle=YEARLY,
        requirements={
            "total_hours": 20,
            "categories": [{"category": "ethics", "min_hours": 1, "topics": ["ethics-and-boundaries"]}],
        },
        caps=[{"category": "ethics", "max_hours": 2}],
    )
    e = ev(rs, "2025-01-01", [comp(1, "2025-02-01", 5, topics=["ethics-and-boundaries"])])
    assert (str(e.earned_hours), str(e.categories[0].earned_hours)) == ("2.00", "2.00")


def test_two_caps_on_one_completion_the_tighter_one_binds():
    rs = rules(cycle=YEARLY, caps=[{"modality": "self_paced", "max_hours": 5}, {"category": "pd", "max_hours": 4}])
    e = ev(
        rs,
        "2025-01-01",
        [comp(1, "2025-02-01", 6, "self_paced", approvals=[approval("pd")]), comp(2, "2025-03-01", 2, "self_paced")],
    )
    assert [str(c.used_hours) for c in e.caps] == ["5.00", "4.00"]
    assert outcome(e, 1)[:2] == ("partly_counted", "4.00")
    assert "pd hours over the 4.00-hour cap" in outcome(e, 1)[2]
    assert outcome(e, 2)[:2] == ("partly_counted", "1.00")
    assert str(e.discarded_hours) == "3.00"


def test_capped_hours_do_not_feed_categories():
    rs = rules(
        cycle=YEARLY,
        requirements={
            "total_hours": 20,
            "categories": [{"category": "ethics", "min_hours": 6, "topics": ["ethics-and-boundaries"]}],
        },
        caps=[{"modality": "self_paced", "max_hours": 5}],
    )
    e = ev(rs, "2025-01-01", [comp(1, "2025-02-01", 6, "self_paced", topics=["ethics-and-boundaries"])])
    assert str(e.categories[0].earned_hours) == "5.00"


def test_zero_cap_refuses_a_modality():
    rs = rules(cycle=YEARLY, caps=[{"modality": "live_virtual", "max_hours": 0}])
    e = ev(rs, "2025-01-01", [comp(1, "2025-02-01", 2, "live_virtual")])
    assert outcome(e, 1)[:2] == ("not_counted", "0.00")
    assert e.caps[0].reached


# --- carry-over -------------------------------------------------------------------------------

CARRY = rules(cycle=YEARLY, requirements={"total_hours": 10}, carryover={"max_hours": 5}, grace_days=30)


@pytest.mark.parametrize(
    ("first_cycle_hours", "carried"),
    [
        pytest.param(10, "0.00", id="no-excess"),
        pytest.param(14, "4.00", id="excess-below-max"),
        pytest.param(18, "5.00", id="capped-at-max"),
    ],
)
def test_carryover_of_a_cycle_met_on_time(first_cycle_hours, carried):
    e = ev(CARRY, "2025-01-01", [comp(1, "2025-06-01", first_cycle_hours)], "2026-02-01")
    assert (str(e.carryover_hours), str(e.earned_hours)) == (carried, carried)
    assert str(e.previous_cycle.excess_hours) == f"{first_cycle_hours - 10}.00"


def test_carryover_chains_and_includes_its_own_carryover():
    comps = [comp(1, "2025-06-01", 18), comp(2, "2026-06-01", 8)]  # 5 carried + 8 = 13
    e = ev(CARRY, "2025-01-01", comps, "2027-02-01")
    assert [str(c.excess_hours) for c in e.cycles] == ["8.00", "3.00", "0.00"]
    assert str(e.carryover_hours) == "3.00"
    assert "Includes 3.00 hours carried over from the cycle 2026-01-01 to 2026-12-31" in e.reasons


def test_carryover_never_counts_toward_categories():
    rs = rules(
        cycle=YEARLY,
        carryover={"max_hours": 5},
        requirements={
            "total_hours": 10,
            "categories": [{"category": "ethics", "min_hours": 2, "topics": ["ethics-and-boundaries"]}],
        },
    )
    comps = [
        comp(1, "2025-03-01", 2, topics=["ethics-and-boundaries"]),
        comp(2, "2025-06-01", 13),
        comp(3, "2026-03-01", 5),
    ]
    e = ev(rs, "2025-01-01", comps, "2026-06-01")
    assert (str(e.earned_hours), str(e.categories[0].earned_hours), e.status) == ("10.00", "0.00", "in_progress")


def test_carryover_can_meet_a_cycle_on_its_first_day():
    rs = rules(cycle=YEARLY, requirements={"total_hours": 10}, carryover={"max_hours": 10})
    e = ev(rs, "2025-01-01", [comp(1, "2025-06-01", 20)], "2026-01-01")
    assert (e.status, e.met_on, e.next_change_on) == ("compliant", d("2026-01-01"), d("2027-01-01"))


# --- late CE in grace -------------------------------------------------------------------------

# cycle 2025; grace to 2026-01-30; 6 h on time, then late: met on 2026-01-15
LATE = [
    comp(1, "2025-06-01", 6),
    comp(2, "2026-01-10", 3),
    comp(3, "2026-01-15", 2),
    comp(4, "2026-01-15", 1),
    comp(5, "2026-01-20", 4),
]


def test_late_ce_counts_toward_the_overdue_cycle():
    e = ev(CARRY, "2025-01-01", LATE, "2026-01-12")
    assert (e.status, e.cycle_start, str(e.earned_hours)) == ("overdue", d("2025-01-01"), "9.00")
    assert outcome(e, 2) == ("counted", "3.00", "counted 3.00 hours (late, in the grace period)")


def test_cycle_met_in_grace_rolls_over_without_double_counting():
    on_day = ev(CARRY, "2025-01-01", LATE, "2026-01-15")
    prev = on_day.previous_cycle
    assert (prev.met_on, str(prev.earned_hours), str(prev.excess_hours)) == (d("2026-01-15"), "12.00", "2.00")
    assert (on_day.status, on_day.cycle_start, str(on_day.earned_hours)) == ("in_progress", d("2026-01-01"), "0.00")
    assert str(on_day.carryover_hours) == "0.00"  # met late: nothing carried over
    later = ev(CARRY, "2025-01-01", LATE, "2026-02-01")
    assert str(later.earned_hours) == "4.00"
    for late_one in (2, 3, 4):
        assert outcome(later, late_one)[0] == "not_counted"
        assert (
            "counted toward the late cycle 2025-01-01 to 2025-12-31, which it completed on 2026-01-15"
            in outcome(later, late_one)[2]
        )
    assert outcome(later, 5)[:2] == ("counted", "4.00")


def test_cycle_met_on_time_leaves_grace_completions_to_the_next_cycle():
    comps = [comp(1, "2025-06-01", 10), comp(2, "2026-01-10", 3)]
    e = ev(CARRY, "2025-01-01", comps, "2026-02-01")
    assert (e.cycle_start, str(e.earned_hours)) == (d("2026-01-01"), "3.00")


def test_late_ce_after_grace_does_not_count():
    e = ev(CARRY, "2025-01-01", [comp(1, "2025-06-01", 6), comp(2, "2026-02-05", 4)], "2026-03-01")
    assert (e.status, str(e.earned_hours)) == ("lapsed", "6.00")
    assert outcome(e, 2)[2] == "dated 2026-02-05, after the grace period ended on 2026-01-30"


def test_grace_without_late_ce_wv():
    rs = rules(cycle=YEARLY, requirements={"total_hours": 10}, grace_days=90, grace_counts_ce=False)
    comps = [comp(1, "2025-06-01", 6), comp(2, "2026-01-10", 5)]
    e = ev(rs, "2025-01-01", comps, "2026-01-12")
    assert (e.status, str(e.earned_hours), e.next_change_on) == ("overdue", "6.00", d("2026-04-01"))
    assert outcome(e, 2)[2] == (
        "dated 2026-01-10, after the cycle ended on 2025-12-31; CE completed after the cycle "
        "end does not count for XX-TEST"
    )
    assert ev(rs, "2025-01-01", comps, "2026-04-01").status == "lapsed"


# --- approvals --------------------------------------------------------------------------------

APPROVED_ONLY = rules(cycle=YEARLY, approved_only=True)


@pytest.mark.parametrize(
    ("approvals", "counts"),
    [
        pytest.param([], False, id="no-approval"),
        pytest.param([approval(code="OTHER-CODE")], False, id="approved-for-another-credential"),
        pytest.param([approval()], True, id="unbounded-approval"),
        pytest.param([approval(valid_from="2025-03-02")], False, id="day-before-valid-from"),
        pytest.param([approval(valid_from="2025-03-01")], True, id="on-valid-from"),
        pytest.param([approval(valid_until="2025-02-28")], False, id="day-after-valid-until"),
        pytest.param([approval(valid_until="2025-03-01")], True, id="on-valid-until"),
        pytest.param([approval(withdrawn_on="2025-03-01")], False, id="withdrawn-that-day"),
        pytest.param([approval(withdrawn_on="2025-03-02")], True, id="withdrawn-the-day-after"),
        pytest.param(
            [approval(valid_until="2025-01-31"), approval(valid_from="2025-02-01")], True, id="a-later-approval-covers"
        ),
    ],
)
def test_approved_only_needs_an_approval_covering_the_completion_date(approvals, counts):
    e = ev(APPROVED_ONLY, "2025-01-01", [comp(1, "2025-03-01", 2, approvals=approvals)])
    assert str(e.earned_hours) == ("2.00" if counts else "0.00")
    if not counts:
        assert outcome(e, 1)[2] == "not approved for XX-TEST on 2025-03-01"


@pytest.mark.parametrize("approved_only", [True, False])
def test_approval_hours_override_the_course_hours(approved_only):
    rs = rules(cycle=YEARLY, approved_only=approved_only)
    e = ev(rs, "2025-01-01", [comp(1, "2025-03-01", 4, approvals=[approval(hours="3.50")])])
    assert str(e.earned_hours) == "3.50"
    assert outcome(e, 1)[2] == ("counted 3.50 hours (the approval for XX-TEST sets 3.50 hours; the course has 4.00)")


def test_approval_hours_apply_only_while_the_approval_covers_the_date():
    a = approval(hours="1", valid_until="2025-02-01")
    e = ev(rules(cycle=YEARLY), "2025-01-01", [comp(1, "2025-03-01", 4, approvals=[a])])
    assert str(e.earned_hours) == "4.00"


def test_categories_from_approval_tags_or_topics():
    rs = rules(
        cycle=YEARLY,
        requirements={
            "total_hours": 20,
            "categories": [{"category": "ethics", "min_hours": 6, "topics": ["ethics-and-boundaries"]}],
        },
    )
    comps = [
        comp(1, "2025-02-01", 2, approvals=[approval("ethics")]),
        comp(2, "2025-02-02", 2, topics=["ethics-and-boundaries"]),
        comp(3, "2025-02-03", 2, approvals=[approval("ethics", code="OTHER-CODE")]),
        comp(4, "2025-02-04", 2, approvals=[approval("ethics", withdrawn_on="2025-02-04")]),
        comp(5, "2025-02-05", 2, topics=["suicide-prevention"]),
    ]
    e = ev(rs, "2025-01-01", comps)
    assert (str(e.earned_hours), str(e.categories[0].earned_hours)) == ("10.00", "4.00")


# --- duplicates ---------------------------------------------------------------------------------


def test_same_course_twice_in_a_cycle_counts_once():
    comps = [
        comp(7, "2025-05-01", 3, course="c"),
        comp(4, "2025-02-01", 3, course="c"),
        comp(2, "2025-05-01", 3, course="d"),
        comp(1, "2025-05-01", 3, course="d"),
    ]
    e = ev(rules(cycle=YEARLY), "2025-01-01", comps)
    assert str(e.earned_hours) == "6.00"
    assert outcome(e, 7) == ("not_counted", "0.00", "duplicate of completion #4")
    assert outcome(e, 2) == ("not_counted", "0.00", "duplicate of completion #1")


def test_a_retake_counts_when_the_first_attempt_was_not_accepted():
    comps = [comp(1, "2025-02-01", 3, course="c", accepted=False), comp(2, "2025-03-01", 3, course="c")]
    e = ev(rules(cycle=YEARLY), "2025-01-01", comps)
    assert outcome(e, 1)[2] == "not accepted (pending review or voided)"
    assert outcome(e, 2)[:2] == ("counted", "3.00")


def test_same_course_in_two_cycles_counts_in_each():
    rs = rules(cycle=YEARLY, requirements={"total_hours": 3})
    comps = [comp(1, "2025-02-01", 3, course="c"), comp(2, "2026-02-01", 3, course="c")]
    e = ev(rs, "2025-01-01", comps, "2026-03-01")
    assert (e.status, e.cycle_start, str(e.earned_hours)) == ("compliant", d("2026-01-01"), "3.00")
