"""Rule engine: requirements beyond the total (every-N-years categories, modality minimums,
non-CE requirements) and the plain-English reasons."""

from __future__ import annotations

import pytest

from tests.rules.builders import act, approval, comp, d, ev, outcome, rules

# --- every_years ------------------------------------------------------------------------------

# 24-month cycles from 2020-01-01: 2020-21, 2022-23, 2024-25, 2026-27; 10 h each;
# 3 h suicide prevention due once every 6 years.
SP = rules(
    requirements={
        "total_hours": 10,
        "categories": [
            {
                "category": "suicide-prevention",
                "min_hours": 3,
                "every_years": 6,
                "topics": ["suicide-prevention"],
                "label": "suicide prevention",
            }
        ],
    }
)
SP_2020 = comp(1, "2020-06-01", 3, topics=["suicide-prevention"], title="SP basics")
TOTALS = [comp(10 + y, f"{y}-03-01", 10) for y in (2020, 2022, 2024, 2026)]


@pytest.mark.parametrize(
    ("as_of", "cycle_start", "sp_earned", "status"),
    [
        pytest.param("2021-06-01", "2020-01-01", "3.00", "compliant", id="counted-in-its-own-cycle"),
        pytest.param("2023-06-01", "2022-01-01", "3.00", "compliant", id="still-inside-6-years"),
        pytest.param("2025-06-01", "2024-01-01", "3.00", "compliant", id="window-2020-to-2025"),
        pytest.param("2027-06-01", "2026-01-01", "0.00", "in_progress", id="outside-6-years-by-the-end"),
    ],
)
def test_every_years_category_counts_earlier_cycles_in_its_window(as_of, cycle_start, sp_earned, status):
    e = ev(SP, "2020-01-01", [SP_2020, *TOTALS], as_of)
    assert (e.cycle_start, str(e.categories[0].earned_hours), e.status) == (d(cycle_start), sp_earned, status)
    assert e.categories[0].every_years == 6


def test_earlier_completion_counts_only_toward_the_every_years_category():
    e = ev(SP, "2020-01-01", [SP_2020, *TOTALS], "2025-06-01")
    assert str(e.earned_hours) == "10.00"
    assert outcome(e, 1) == (
        "not_counted",
        "0.00",
        "dated 2020-06-01, outside the cycle 2024-01-01 to 2025-12-31; it still counts toward "
        "suicide prevention (due once every 6 years)",
    )
    assert (
        "3.00 of 3.00 suicide prevention hours earned; met (due once every 6 years: hours "
        "completed from 2020-01-01 to 2025-12-31 count)"
    ) in e.reasons


def test_every_years_window_starts_at_the_chain_start():
    e = ev(SP, "2019-06-01", [comp(1, "2019-05-01", 3, topics=["suicide-prevention"])], "2020-06-01")
    assert str(e.categories[0].earned_hours) == "0.00"


def test_every_years_window_shorter_than_the_cycle_excludes_early_cycle_hours():
    rs = rules(
        requirements={
            "total_hours": 10,
            "categories": [
                {"category": "health-equity", "min_hours": 2, "every_years": 1, "topics": ["health-equity"]}
            ],
        }
    )
    comps = [comp(1, "2025-03-01", 2, topics=["health-equity"])]
    e = ev(rs, "2025-01-01", comps, "2026-06-01")  # cycle ends 2026-12-31; window from 2026-01-01
    assert (str(e.earned_hours), str(e.categories[0].earned_hours)) == ("2.00", "0.00")


def test_same_course_in_the_window_counts_once_toward_the_every_years_category():
    comps = [SP_2020, comp(2, "2024-06-01", 3, course="course-1", topics=["suicide-prevention"]), *TOTALS]
    e = ev(SP, "2020-01-01", comps, "2025-06-01")
    assert (str(e.categories[0].earned_hours), str(e.earned_hours)) == ("3.00", "13.00")


# --- modality minimums ------------------------------------------------------------------------

LIVE = rules(
    cycle={"months": 12},
    requirements={
        "total_hours": 10,
        "modality_minimums": [
            {"modalities": ["in_person", "live_virtual"], "min_hours": 5, "label": "face-to-face live"}
        ],
    },
    caps=[{"modality": "live_virtual", "max_hours": 1}],
)


@pytest.mark.parametrize(
    ("comps", "live", "status"),
    [
        pytest.param([comp(1, "2025-02-01", 10, "self_paced")], "0.00", "in_progress", id="total-met-minimum-not"),
        pytest.param(
            [
                comp(1, "2025-02-01", 4, "in_person"),
                comp(2, "2025-02-02", 6, "self_paced"),
                comp(3, "2025-02-03", 1, "live_virtual"),
            ],
            "5.00",
            "compliant",
            id="two-modalities-add-up",
        ),
        pytest.param(
            [
                comp(1, "2025-02-01", 4, "in_person"),
                comp(2, "2025-02-02", 6, "self_paced"),
                comp(3, "2025-02-03", 3, "live_virtual"),
            ],
            "5.00",
            "compliant",
            id="after-caps",
        ),
        pytest.param(
            [comp(1, "2025-02-01", 4, "in_person"), comp(2, "2025-02-02", 6, "live_virtual")],
            "5.00",
            "in_progress",
            id="capped-hours-do-not-count",
        ),
    ],
)
def test_modality_minimum_gates_met(comps, live, status):
    e = ev(LIVE, "2025-01-01", comps, "2025-06-01")
    assert (str(e.modality_minimums[0].earned_hours), e.status) == (live, status)
    assert e.modality_minimums[0].modalities == ("in_person", "live_virtual")


# --- other requirements -----------------------------------------------------------------------

OTHER = rules(
    cycle={"months": 12},
    requirements={
        "total_hours": 2,
        "other": [
            {"id": "code-of-ethics", "kind": "attestation", "description": "Sign the code of ethics"},
            {"id": "service", "kind": "service_hours", "hours": 50, "description": "Peer services"},
        ],
    },
)
HOURS = [comp(1, "2025-02-01", 2)]


@pytest.mark.parametrize(
    ("activities", "attested", "service", "met_on"),
    [
        pytest.param([], False, "0.00", None, id="nothing-recorded"),
        pytest.param(
            [
                act("attestation", "2025-03-01", requirement_id="code-of-ethics"),
                act("service_hours", "2025-04-01", "30"),
                act("service_hours", "2025-05-01", "20"),
            ],
            True,
            "50.00",
            "2025-05-01",
            id="met-when-the-last-requirement-is",
        ),
        pytest.param(
            [
                act("attestation", "2024-12-31", requirement_id="code-of-ethics"),
                act("service_hours", "2025-04-01", "50", requirement_id="service"),
            ],
            False,
            "50.00",
            None,
            id="attestation-before-the-cycle",
        ),
        pytest.param(
            [act("attestation", "2025-03-01", requirement_id="other-id"), act("service_hours", "2025-04-01", "50")],
            False,
            "50.00",
            None,
            id="attestation-for-another-requirement",
        ),
        pytest.param(
            [
                act("attestation", "2025-03-01", requirement_id="code-of-ethics"),
                act("service_hours", "2025-04-01", "50"),
                act("service_hours", "2025-07-01", "9"),
            ],
            True,
            "50.00",
            "2025-04-01",
            id="activities-after-the-date-ignored",
        ),
    ],
)
def test_other_requirements_gate_met(activities, attested, service, met_on):
    e = ev(OTHER, "2025-01-01", HOURS, "2025-06-01", activities=activities)
    attestation, hours = e.other_requirements
    assert (attestation.met, attestation.earned_hours, attestation.required_hours) == (attested, None, None)
    assert (str(hours.earned_hours), str(hours.required_hours)) == (service, "50.00")
    assert e.met_on == (d(met_on) if met_on else None)
    assert e.status == ("compliant" if met_on else "in_progress")


def test_other_requirements_recorded_after_the_cycle_end_do_not_count_even_in_grace():
    rs = rules(
        cycle={"months": 12},
        grace_days=30,
        requirements={
            "total_hours": 2,
            "other": [{"id": "code-of-ethics", "kind": "attestation", "description": "Sign the code of ethics"}],
        },
    )
    acts = [act("attestation", "2026-01-05", requirement_id="code-of-ethics")]
    e = ev(rs, "2025-01-01", HOURS, "2026-01-10", activities=acts)
    assert (e.status, e.other_requirements[0].met) == ("overdue", False)


# --- reasons ----------------------------------------------------------------------------------

NC = rules(
    code="XX-TEST",
    cycle={"anchor": "issue_month_end", "months": 24},
    grace_days=30,
    requirements={
        "total_hours": 20,
        "categories": [{"category": "ethics", "min_hours": 6, "topics": ["ethics-and-boundaries"]}],
    },
    caps=[{"modality": "self_paced", "max_hours": 5}],
)
NC_COMPS = [
    comp(41, "2026-03-02", 3, title="Ethics refresher", topics=["ethics-and-boundaries"]),
    comp(44, "2026-04-02", 7, "self_paced", title="Online module"),
    comp(45, "2026-05-02", 7, "self_paced", course="course-44", title="Online module"),
    comp(46, "2025-01-10", 2, title="Old course"),
    comp(47, "2026-06-02", 2, accepted=False),
    comp(48, "2027-02-03", 2, title="Future"),
]


def test_reasons_explain_the_status_hours_and_every_completion():
    e = ev(NC, "2025-03-15", NC_COMPS, "2027-02-01")
    assert e.reasons == (
        "Due soon: the cycle 2025-03-15 to 2027-03-31 ends in 58 days with requirements unmet",
        "8.00 of 20.00 hours earned; 12.00 still needed by 2027-03-31",
        "3.00 of 6.00 ethics hours earned; 3.00 still needed by 2027-03-31",
        "self_paced cap: 5.00 of 5.00 hours used; 2.00 discarded",
        "Completion #46 (Old course, 2025-01-10) was not counted: dated 2025-01-10, outside the "
        "cycle 2025-03-15 to 2027-03-31",
        "Completion #41 (Ethics refresher, 2026-03-02) counted 3.00 hours (toward ethics)",
        "Completion #44 (Online module, 2026-04-02) counted 5.00 of 7.00 hours: self_paced hours "
        "over the 5.00-hour cap (2.00 discarded)",
        "Completion #45 (Online module, 2026-05-02) was not counted: duplicate of completion #44",
        "Completion #47 (2026-06-02) was not counted: not accepted (pending review or voided)",
        "Completion #48 (Future, 2027-02-03) was not counted: dated 2027-02-03, after the evaluation date 2027-02-01",
    )
    assert [o.completion_id for o in e.completions] == [46, 41, 44, 45, 47, 48]


@pytest.mark.parametrize(
    ("as_of", "first", "total"),
    [
        pytest.param(
            "2026-12-30",
            "In progress: cycle 2025-03-15 to 2027-03-31; due soon from 2026-12-31",
            "8.00 of 20.00 hours earned; 12.00 still needed by 2027-03-31",
            id="in_progress",
        ),
        pytest.param(
            "2027-03-31",
            "Due soon: the cycle 2025-03-15 to 2027-03-31 ends today with requirements unmet",
            "8.00 of 20.00 hours earned; 12.00 still needed by 2027-03-31",
            id="due_soon-today",
        ),
        pytest.param(
            "2027-04-10",
            "Overdue: the cycle 2025-03-15 to 2027-03-31 ended with requirements unmet; "
            "CE completed until 2027-04-30 still counts toward it",
            "8.00 of 20.00 hours earned; 12.00 still needed by 2027-04-30",
            id="overdue",
        ),
        pytest.param(
            "2027-05-01",
            "Lapsed: the cycle 2025-03-15 to 2027-03-31 ended with requirements unmet and "
            "the grace period ended on 2027-04-30; only a board reinstatement starts a new cycle",
            "8.00 of 20.00 hours earned; 12.00 were still needed when the cycle ended on 2027-03-31",
            id="lapsed",
        ),
    ],
)
def test_status_reason_per_status(as_of, first, total):
    e = ev(NC, "2025-03-15", NC_COMPS[:5], as_of)
    assert e.reasons[:2] == (first, total)


def test_compliant_reason_names_the_date_met():
    e = ev(NC, "2025-03-15", [comp(1, "2025-06-01", 20, topics=["ethics-and-boundaries"])], "2025-07-01")
    assert e.reasons[:3] == (
        "Compliant: every requirement of the cycle 2025-03-15 to 2027-03-31 was met on 2025-06-01",
        "20.00 of 20.00 hours earned; met",
        "20.00 of 6.00 ethics hours earned; met",
    )


def test_not_approved_reason_names_credential_and_date():
    rs = rules(cycle={"months": 12}, approved_only=True)
    e = ev(rs, "2025-01-01", [comp(1, "2025-03-02", 2, approvals=[approval(code="OTHER-CODE")])])
    assert e.reasons[-1] == ("Completion #1 (2025-03-02) was not counted: not approved for XX-TEST on 2025-03-02")


def test_other_requirement_reasons():
    acts = [act("service_hours", "2025-04-01", "30")]
    e = ev(OTHER, "2025-01-01", HOURS, "2025-06-01", activities=acts)
    assert (
        "Attestation code-of-ethics (Sign the code of ethics): not recorded between 2025-01-01 and 2025-12-31"
        in e.reasons
    )
    assert (
        "30.00 of 50.00 service hours recorded for service (Peer services); 20.00 still needed by 2025-12-31"
        in e.reasons
    )


def test_explain_false_skips_reasons_but_not_results():
    full = ev(NC, "2025-03-15", NC_COMPS, "2027-02-01")
    lean = ev(NC, "2025-03-15", NC_COMPS, "2027-02-01", explain=False)
    assert (lean.reasons, lean.completions) == ((), ())
    assert (lean.status, lean.earned_hours, lean.categories, lean.caps, lean.cycles) == (
        full.status,
        full.earned_hours,
        full.categories,
        full.caps,
        full.cycles,
    )
