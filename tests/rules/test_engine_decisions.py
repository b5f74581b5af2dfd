"""Decisions that stay decided (compliance.md): recorded renewals, a migrated record's stated cycle, and
reinstatements that resume the chain of cycles a hold interrupted."""

from __future__ import annotations

import dataclasses

from app.rules.engine import CertificationFacts, cycles_before
from tests.rules.builders import approval, board, comp, d, ev, renewal, rules, stated, version

YEARLY = rules(cycle={"months": 12}, requirements={"total_hours": 10}, due_soon_days=30, grace_days=10)
BIENNIAL = rules(cycle={"months": 24}, requirements={"total_hours": 20}, due_soon_days=90, grace_days=30)
MET = [comp(1, "2025-03-01", 10)]
RENEWED = renewal("2025-01-01", "2025-12-31", "2026-01-02")


# --- recorded renewals ------------------------------------------------------------------------------------


def test_a_recorded_renewal_passes_its_cycle_over_when_the_data_no_longer_meets_it():
    voided = [comp(1, "2025-03-01", 10, accepted=False)]
    plain = ev(YEARLY, "2025-01-01", voided, "2026-03-01")
    assert (plain.status, plain.cycle_start) == ("lapsed", d("2025-01-01"))
    e = ev(YEARLY, "2025-01-01", voided, "2026-03-01", renewals=[RENEWED])
    assert (e.status, e.cycle_start, e.cycle_end) == ("in_progress", d("2026-01-01"), d("2026-12-31"))
    first = e.cycles[0]
    assert (first.met, first.renewed_on, first.renewed_by_board) == (False, d("2026-01-02"), False)
    assert (
        "The cycle 2025-01-01 to 2025-12-31 stands as renewed (recorded on 2026-01-02) although the data no "
        "longer meets it; only a board action (reopen or revoke) undoes a renewal" in e.reasons
    )


def test_before_the_day_a_renewal_was_recorded_the_plain_derivation_applies():
    voided = [comp(1, "2025-03-01", 10, accepted=False)]
    e = ev(YEARLY, "2025-01-01", voided, "2026-01-01", renewals=[RENEWED])
    assert (e.status, e.cycle_start) == ("overdue", d("2025-01-01"))
    assert e.cycles[0].renewed_on is None


def test_a_renewal_the_data_still_supports_changes_nothing_but_says_it_was_recorded():
    plain = ev(YEARLY, "2025-01-01", MET, "2026-03-01")
    e = ev(YEARLY, "2025-01-01", MET, "2026-03-01", renewals=[RENEWED])
    assert dataclasses.replace(
        e, cycles=plain.cycles, previous_cycle=plain.previous_cycle, reasons=()
    ) == dataclasses.replace(plain, reasons=())
    assert e.cycles[0].met and e.cycles[0].renewed_on == d("2026-01-02")


def test_a_reopened_renewal_leaves_the_cycle_to_the_plain_derivation_from_the_day_it_was_reopened():
    voided = [comp(1, "2025-03-01", 10, accepted=False)]
    reopened = renewal("2025-01-01", "2025-12-31", "2026-01-02", reopened="2026-02-01")
    assert ev(YEARLY, "2025-01-01", voided, "2026-01-31", renewals=[reopened]).cycle_start == d("2026-01-01")
    back = ev(YEARLY, "2025-01-01", voided, "2026-02-01", renewals=[reopened])
    assert (back.status, back.cycle_start) == ("lapsed", d("2025-01-01"))
    # renewed again after the reopen (the sweep records the next generation): it stands again from then
    again = renewal("2025-01-01", "2025-12-31", "2026-03-01")
    e = ev(YEARLY, "2025-01-01", voided, "2026-03-01", renewals=[reopened, again])
    assert e.cycle_start == d("2026-01-01")


def test_a_rule_version_published_with_an_earlier_effective_from_does_not_undo_a_renewal():
    v1 = version(YEARLY, 1, "2020-01-01")
    v2 = version(
        rules(
            cycle={"months": 12},
            requirements={"total_hours": 12, "categories": [{"category": "ethics", "min_hours": 2}]},
            due_soon_days=30,
            grace_days=10,
        ),
        2,
        "2020-01-01",
    )
    plain = ev([v1, v2], "2025-01-01", MET, "2026-03-01")
    assert (plain.status, plain.cycle_start, plain.rule_version) == ("lapsed", d("2025-01-01"), 2)
    e = ev([v1, v2], "2025-01-01", MET, "2026-03-01", renewals=[RENEWED])
    assert (e.status, e.cycle_start) == ("in_progress", d("2026-01-01"))
    assert (e.cycles[0].met, e.cycles[0].rule_version) == (False, 2)


def test_an_approval_withdrawn_before_the_completion_does_not_undo_a_renewal():
    rs = rules(cycle={"months": 12}, requirements={"total_hours": 10}, grace_days=10, approved_only=True)
    approved = [comp(1, "2025-03-01", 10, approvals=[approval()])]
    withdrawn = [comp(1, "2025-03-01", 10, approvals=[approval(withdrawn_on="2025-02-01")])]
    assert ev(rs, "2025-01-01", approved, "2026-03-01").cycle_start == d("2026-01-01")
    assert ev(rs, "2025-01-01", withdrawn, "2026-03-01").status == "lapsed"
    assert ev(rs, "2025-01-01", withdrawn, "2026-03-01", renewals=[RENEWED]).cycle_start == d("2026-01-01")


def test_a_renewed_cycle_met_by_its_end_carries_its_excess_and_keeps_its_completions():
    rs = rules(cycle={"months": 12}, requirements={"total_hours": 10}, carryover={"max_hours": 3}, grace_days=10)
    comps = [comp(1, "2025-03-01", 12), comp(2, "2026-02-01", 2)]
    e = ev(rs, "2025-01-01", comps, "2026-03-01", renewals=[RENEWED])
    assert (str(e.carryover_hours), str(e.earned_hours)) == ("2.00", "4.00")
    voided = [comp(1, "2025-03-01", 12, accepted=False), comp(2, "2026-02-01", 2)]
    e = ev(rs, "2025-01-01", voided, "2026-03-01", renewals=[RENEWED])
    assert (str(e.carryover_hours), str(e.earned_hours)) == ("0.00", "2.00")  # unmet: nothing carried over


def test_after_a_recorded_end_off_the_arithmetic_the_next_cycles_count_from_it():
    rs = rules(cycle={"months": 12}, requirements={"total_hours": 10}, grace_days=10)
    e = ev(rs, "2025-01-15", [], "2026-03-01", renewals=[renewal("2025-01-15", "2026-01-31", "2026-02-02")])
    assert (e.cycle_start, e.cycle_end) == (d("2026-02-01"), d("2027-01-31"))
    later = ev(
        rs,
        "2025-01-15",
        [comp(1, "2026-05-01", 10)],
        "2027-03-01",
        renewals=[renewal("2025-01-15", "2026-01-31", "2026-02-02")],
    )
    assert (later.cycle_start, later.cycle_end) == (d("2027-02-01"), d("2028-01-31"))
    anniversary = rules(cycle={"months": 12, "ends_on_anniversary": True}, requirements={"total_hours": 10})
    e = ev(anniversary, "2025-01-15", [], "2026-03-01", renewals=[renewal("2025-01-15", "2026-01-31", "2026-02-02")])
    assert (e.cycle_start, e.cycle_end) == (d("2026-02-01"), d("2027-01-31"))


def test_a_standing_renewal_of_a_cycle_the_derivation_no_longer_has_is_reported_stranded():
    lost = renewal("2024-06-01", "2025-05-31", "2025-06-02")
    e = ev(YEARLY, "2025-01-01", [], "2025-07-01", renewals=[lost])
    assert e.stranded_renewals == (lost,)
    assert any("is no longer a cycle of this certification" in r for r in e.reasons)
    by_board = lost._replace(by_board=True)
    assert ev(YEARLY, "2025-01-01", [], "2025-07-01", renewals=[by_board]).stranded_renewals == ()
    # a reinstatement's new chain leaves the renewals of the chain before it behind
    old = renewal("2025-01-01", "2025-12-31", "2026-01-02")
    e = ev(YEARLY, "2025-01-01", MET, "2026-09-01", renewals=[old], actions=[board("reinstate", "2026-08-01")])
    assert (e.chain_start, e.stranded_renewals) == (d("2026-08-01"), ())


# --- migrated records ---------------------------------------------------------------------------------------


def test_a_migrated_record_is_in_the_cycle_its_board_stated_from_the_day_it_was_registered():
    board_renewals = [renewal("2023-02-01", "2025-01-31", "2026-12-06", by_board=True)]
    statement = stated("2025-02-01", "2026-12-06")
    plain = ev(BIENNIAL, "2023-02-01", [], "2026-12-06")
    assert plain.status == "lapsed"
    e = ev(BIENNIAL, "2023-02-01", [], "2026-12-06", renewals=board_renewals, stated_cycle=statement)
    assert (e.status, e.cycle_start, e.cycle_end, str(e.carryover_hours)) == (
        "due_soon",
        d("2025-02-01"),
        d("2027-01-31"),
        "0.00",
    )
    assert (e.cycles[0].renewed_by_board, e.cycles[0].renewed_on, e.stranded_renewals) == (True, d("2026-12-06"), ())
    assert (
        "The cycles from 2023-02-01 to 2025-01-31 count as renewed by the board (recorded on 2026-12-06, when "
        "it registered the certification)" in e.reasons
    )
    assert (
        ev(BIENNIAL, "2023-02-01", [], "2026-12-05", renewals=board_renewals, stated_cycle=statement).status == "lapsed"
    )


def test_a_board_states_its_own_cycle_end_and_the_hours_carried_into_the_cycle():
    board_renewals = [renewal("2023-02-01", "2025-01-31", "2026-12-06", by_board=True)]
    statement = stated("2025-02-01", "2026-12-06", end="2027-03-31", carryover="2")
    e = ev(
        BIENNIAL,
        "2023-02-01",
        [comp(1, "2026-01-10", 3)],
        "2026-12-06",
        renewals=board_renewals,
        stated_cycle=statement,
    )
    assert (e.status, e.cycle_end, str(e.carryover_hours), str(e.earned_hours)) == (
        "in_progress",
        d("2027-03-31"),
        "2.00",
        "5.00",
    )
    assert "Includes 2.00 hours carried over, as the board stated when it registered the certification" in e.reasons
    assert (
        "The board registered the certification in the cycle starting on 2025-02-01 and ending on 2027-03-31 "
        "(recorded on 2026-12-06)" in e.reasons
    )
    # the next cycles count from the stated end
    met = [comp(i, f"2026-0{i}-10", 10) for i in range(1, 3)]
    later = ev(BIENNIAL, "2023-02-01", met, "2027-05-01", renewals=board_renewals, stated_cycle=statement)
    assert (later.cycle_start, later.cycle_end) == (d("2027-04-01"), d("2029-03-31"))
    # the board's renewals carry nothing over, whatever the data says of the cycles before
    rich = [comp(1, "2024-01-10", 40)]
    e = ev(
        BIENNIAL,
        "2023-02-01",
        rich,
        "2026-12-06",
        renewals=board_renewals,
        stated_cycle=stated("2025-02-01", "2026-12-06"),
    )
    assert str(e.carryover_hours) == "0.00"


def test_a_stated_first_cycle_carries_hours_in_without_earlier_cycles():
    e = ev(BIENNIAL, "2025-02-01", [], "2026-01-01", stated_cycle=stated("2025-02-01", "2025-12-01", carryover="4"))
    assert (str(e.carryover_hours), str(e.remaining_hours), e.cycle_end) == ("4.00", "16.00", d("2027-01-31"))


def test_the_cycles_before_a_stated_start_follow_the_rules_arithmetic_the_last_ending_the_day_before():
    facts = CertificationFacts(d("2023-02-01"), BIENNIAL.code)
    v = [version(BIENNIAL)]
    assert cycles_before(versions=v, facts=facts, until=d("2025-02-01")) == [(d("2023-02-01"), d("2025-01-31"))]
    assert cycles_before(versions=v, facts=facts, until=d("2027-03-01")) == [
        (d("2023-02-01"), d("2025-01-31")),
        (d("2025-02-01"), d("2027-01-31")),
        (d("2027-02-01"), d("2027-02-28")),
    ]
    assert cycles_before(versions=v, facts=facts, until=d("2023-02-01")) == []


# --- holds resume ---------------------------------------------------------------------------------------------


def test_a_two_day_suspension_neither_restarts_a_24_month_cycle_nor_drops_it_from_the_history():
    comps = [comp(1, "2025-05-01", 8)]
    plain = ev(BIENNIAL, "2025-02-01", comps, "2026-04-01")
    e = ev(
        BIENNIAL,
        "2025-02-01",
        comps,
        "2026-04-01",
        actions=[board("suspend", "2026-03-01"), board("reinstate", "2026-03-03")],
    )
    assert (e.status, e.cycle_start, e.cycle_end, e.chain_start) == (
        "in_progress",
        d("2025-02-01"),
        d("2027-01-31"),
        d("2025-02-01"),
    )
    assert e.cycles == plain.cycles and e.earned_hours == plain.earned_hours
    assert e.resumed == (d("2026-03-01"), d("2026-03-03"))
    assert (
        "The board reinstatement on 2026-03-03 resumed the cycles: the cycle current when the hold began on "
        "2026-03-01 had not ended" in e.reasons
    )


def test_an_inactivation_resumes_too_and_several_holds_count_from_the_first():
    acts = [board("inactivate", "2026-03-01"), board("suspend", "2026-06-01"), board("reinstate", "2026-09-01")]
    e = ev(BIENNIAL, "2025-02-01", [], "2026-10-01", actions=acts)
    assert (e.cycle_start, e.resumed) == (d("2025-02-01"), (d("2026-03-01"), d("2026-09-01")))


def test_a_hold_past_the_end_of_its_cycle_ends_in_a_new_chain_on_the_reinstatement_date():
    e = ev(
        YEARLY,
        "2025-01-01",
        MET,
        "2026-03-01",
        actions=[board("inactivate", "2025-11-01"), board("reinstate", "2026-02-01")],
    )
    assert (e.chain_start, e.cycle_start, e.resumed) == (d("2026-02-01"), d("2026-02-01"), None)


def test_a_revocation_always_ends_in_a_new_chain():
    for acts in (
        [board("revoke", "2026-03-01"), board("reinstate", "2026-03-03")],
        [board("suspend", "2026-03-01"), board("revoke", "2026-03-02"), board("reinstate", "2026-03-03")],
    ):
        e = ev(BIENNIAL, "2025-02-01", [], "2026-04-01", actions=acts)
        assert (e.chain_start, e.cycle_start, e.cycle_end) == (d("2026-03-03"), d("2026-03-03"), d("2028-03-02"))


def test_a_reinstatement_may_state_the_start_of_its_chain():
    acts = [board("revoke", "2026-03-01"), board("reinstate", "2026-03-10", cycle_start="2026-03-01")]
    e = ev(BIENNIAL, "2025-02-01", [comp(1, "2026-03-05", 2)], "2026-04-01", actions=acts)
    assert (e.chain_start, e.cycle_start, e.cycle_end, str(e.earned_hours)) == (
        d("2026-03-01"),
        d("2026-03-01"),
        d("2028-02-29"),
        "2.00",
    )
    assert (
        "Cycles restarted with the board reinstatement on 2026-03-10, from 2026-03-01 as the board stated" in e.reasons
    )
    # stated after a suspension, it starts a chain where the reinstatement alone would have resumed one
    e = ev(
        BIENNIAL,
        "2025-02-01",
        [],
        "2026-04-01",
        actions=[board("suspend", "2026-03-01"), board("reinstate", "2026-03-03", cycle_start="2025-02-01")],
    )
    assert (e.chain_start, e.cycle_end, e.resumed) == (d("2025-02-01"), d("2027-01-31"), None)
