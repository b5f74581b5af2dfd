"""Rule engine properties over random certifications (hypothesis)."""

from __future__ import annotations

import dataclasses
from datetime import date, timedelta
from decimal import Decimal
from itertools import pairwise

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.rules.engine import (
    Approval,
    BoardAction,
    CertificationFacts,
    Completion,
    Evaluation,
    evaluate,
)
from tests.rules.builders import CODE, act, rules, version

ETHICS = {"category": "ethics", "min_hours": 2, "topics": ["ethics-and-boundaries"]}
SP = {"category": "sp", "min_hours": 3, "every_years": 6, "topics": ["suicide-prevention"]}
OTHER = [{"id": "coe", "kind": "attestation", "description": "Sign the code of ethics"}]

UNCAPPED = [
    rules(
        cycle={"months": 12},
        requirements={"total_hours": 10, "categories": [ETHICS]},
        carryover={"max_hours": 3},
        grace_days=30,
        due_soon_days=60,
    ),
    rules(cycle={"anchor": "issue_month_end", "months": 24}, requirements={"total_hours": 20}, grace_days=30),
    rules(
        cycle={"anchor": "issue_month_start", "months": 24},
        carryover={"max_hours": 4},
        requirements={
            "total_hours": 8,
            "categories": [SP],
            "modality_minimums": [{"modalities": ["in_person"], "min_hours": 2}],
        },
        grace_days=60,
    ),
    rules(
        cycle={"anchor": "fixed", "months": 12, "month": 12, "day": 31, "min_first_cycle_months": 12},
        requirements={"total_hours": 12, "categories": [{"category": "gmhcn", "min_hours": 6}], "other": OTHER},
        grace_days=31,
    ),
]
ALL_RULES = [
    *UNCAPPED,
    rules(
        cycle={"months": 12},
        requirements={"total_hours": 10, "categories": [ETHICS]},
        caps=[{"modality": "self_paced", "max_hours": 4}, {"category": "pd", "max_hours": 2}],
        carryover={"max_hours": 5},
        grace_days=20,
    ),
    rules(
        cycle={"anchor": "fixed", "months": 24, "month": 8, "day": 30},
        approved_only=True,
        requirements={"total_hours": 6},
        grace_days=90,
        grace_counts_ce=False,
    ),
    rules(cycle={"anchor": "birthday", "months": 24}, requirements={"total_hours": 6}, grace_days=10),
]

ISSUED = date(2023, 3, 15)  # completions and dates cluster around it, so cycles pass and lapse
FIRST, LAST = ISSUED - timedelta(days=400), ISSUED + timedelta(days=7 * 365)
dates = st.dates(FIRST, LAST)
maybe_date = st.none() | dates
issue_dates = st.dates(ISSUED - timedelta(days=60), ISSUED + timedelta(days=60))

approvals = st.builds(
    Approval,
    credential_code=st.sampled_from([CODE, CODE, "OTHER-CODE"]),
    categories=st.frozensets(st.sampled_from(["ethics", "gmhcn", "pd"]), max_size=2),
    hours=st.none() | st.integers(0, 600).map(lambda n: Decimal(n).scaleb(-2)),
    valid_from=maybe_date,
    valid_until=maybe_date,
    withdrawn_on=maybe_date,
)


# The strategies a completion is drawn from, built once: a strategy made inside the draw is made, and validated,
# again for every completion of every example (most of these properties' time).
TOPIC_IDS = ["ethics-and-boundaries", "suicide-prevention", "peer-support-core"]
COURSE_KEYS = {d: st.sampled_from([f"c{k}" for k in range(10 + 30 * d)]) for d in (False, True)}
TOPIC_SETS = {d: st.frozensets(st.sampled_from(TOPIC_IDS), min_size=int(d), max_size=2) for d in (False, True)}
APPROVAL_LISTS = {
    True: st.lists(
        st.builds(
            Approval,
            credential_code=st.just(CODE),
            categories=st.frozensets(st.sampled_from(["ethics", "gmhcn", "pd"]), max_size=2),
        ),
        min_size=1,
        max_size=1,
    ),
    False: st.lists(approvals, max_size=2),
}
HUNDREDTHS = st.integers(0, 1200)
MODALITIES = st.sampled_from(["in_person", "live_virtual", "self_paced"])
MOSTLY_ACCEPTED = st.sampled_from([True, True, True, False])


@st.composite
def completion_lists(draw, min_size: int = 0, max_size: int = 30) -> list[Completion]:
    """Random completions; half the time "diligent" ones (accepted, approved, tagged, frequent)
    so that cycles are met on time, met late and carried over, not only lapsed."""
    diligent = draw(st.booleans())
    ids = draw(st.lists(st.integers(1, 10_000), min_size=max(min_size, 20 * diligent), max_size=max_size, unique=True))
    return [
        Completion(
            id=i,
            course_key=draw(COURSE_KEYS[diligent]),
            completed_on=draw(dates),
            hours=Decimal(draw(HUNDREDTHS)).scaleb(-2),
            modality=draw(MODALITIES),
            accepted=diligent or draw(MOSTLY_ACCEPTED),
            topics=draw(TOPIC_SETS[diligent]),
            approvals=tuple(draw(APPROVAL_LISTS[diligent])),
        )
        for i in ids
    ]


board_actions = st.just([]) | st.lists(
    st.builds(
        BoardAction,
        kind=st.sampled_from(["suspend", "revoke", "inactivate", "reinstate", "reinstate"]),
        effective_on=dates,
    ),
    max_size=3,
)
activities = st.lists(st.builds(lambda on: act("attestation", on.isoformat(), requirement_id="coe"), dates), max_size=3)
PROPS = settings(max_examples=75, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def run(rs, issued, comps, as_of, actions=(), acts=(), birthday=(3, 31)) -> Evaluation:
    facts = CertificationFacts(issued, CODE, birthday, tuple(actions))
    return evaluate(versions=[version(rs)], facts=facts, completions=comps, as_of=as_of, activities=acts)


def without_text(e: Evaluation) -> Evaluation:
    return dataclasses.replace(e, completions=(), reasons=())


@PROPS
@given(st.sampled_from(ALL_RULES), issue_dates, completion_lists(), dates, board_actions, activities)
def test_evaluation_ignores_completions_after_the_date(rs, issued, comps, as_of, actions, acts):
    everything = run(rs, issued, comps, as_of, actions, acts)
    known = run(rs, issued, [c for c in comps if c.completed_on <= as_of], as_of, actions, acts)
    assert without_text(everything) == without_text(known)
    assert [o for o in everything.completions if "after the evaluation date" not in o.reason] == list(known.completions)


@PROPS
@given(
    st.sampled_from(ALL_RULES), issue_dates, completion_lists(), dates, board_actions, st.randoms(use_true_random=False)
)
def test_result_does_not_depend_on_the_order_of_completions(rs, issued, comps, as_of, actions, rnd):
    shuffled = list(comps)
    rnd.shuffle(shuffled)
    assert run(rs, issued, comps, as_of, actions) == run(rs, issued, shuffled, as_of, actions)


@PROPS
@given(
    st.sampled_from(UNCAPPED),
    issue_dates,
    completion_lists(),
    dates,
    st.integers(1, 800),
    st.sampled_from(["in_person", "live_virtual", "self_paced"]),
    st.frozensets(st.sampled_from(["ethics-and-boundaries", "suicide-prevention"])),
)
def test_adding_a_counted_completion_never_lowers_earned_hours(rs, issued, comps, as_of, hundredths, modality, topics):
    comps = [c for c in comps if c.completed_on <= as_of]
    before = run(rs, issued, comps, as_of)
    if as_of > before.cycle_end:
        return  # a late cycle that becomes met moves on to the next cycle: not comparable
    extra = Completion(10_001, "a-new-course", as_of, Decimal(hundredths).scaleb(-2), modality, True, topics=topics)
    after = run(rs, issued, [*comps, extra], as_of)
    assert after.cycle_start == before.cycle_start
    assert after.earned_hours >= before.earned_hours
    for b, a in zip(before.categories, after.categories, strict=True):
        assert a.earned_hours >= b.earned_hours
    for b, a in zip(before.modality_minimums, after.modality_minimums, strict=True):
        assert a.earned_hours >= b.earned_hours


@PROPS
@given(
    st.sampled_from(ALL_RULES), issue_dates, completion_lists(), dates, st.integers(1, 3000), board_actions, activities
)
def test_history_at_a_later_date_extends_the_history_at_an_earlier_one(rs, issued, comps, d1, days, actions, acts):
    d2 = d1 + timedelta(days=days)
    comps = [c for c in comps if c.completed_on <= d1]
    acts = [a for a in acts if a.on <= d1]
    actions = [a for a in actions if a.effective_on <= d1]
    early = run(rs, issued, comps, d1, actions, acts)
    late = run(rs, issued, comps, d2, actions, acts)
    passed = early.cycles[:-1]
    assert late.cycles[: len(passed)] == passed
    assert all(c.met and c.met_on is not None and c.met_on <= d1 for c in passed)


@PROPS
@given(st.sampled_from(ALL_RULES), issue_dates, completion_lists(), dates, board_actions, activities)
def test_status_holds_until_next_change_on(rs, issued, comps, as_of, actions, acts):
    comps = [c for c in comps if c.completed_on <= as_of]
    acts = [a for a in acts if a.on <= as_of]
    e = run(rs, issued, comps, as_of, actions, acts)
    if e.next_change_on is None:
        later = as_of + timedelta(days=4000)
    else:
        assert e.next_change_on > as_of
        later = e.next_change_on - timedelta(days=1)
    same = run(rs, issued, comps, later, actions, acts)
    assert (same.status, same.cycle_start) == (e.status, e.cycle_start)


@PROPS
@given(st.sampled_from(ALL_RULES), issue_dates, completion_lists(), dates, board_actions)
def test_results_add_up(rs, issued, comps, as_of, actions):
    e = run(rs, issued, comps, as_of, actions)
    assert e.remaining_hours == max(e.required_hours - e.earned_hours, Decimal(0))
    assert e.earned_hours == e.carryover_hours + sum((o.counted_hours for o in e.completions), Decimal(0))
    assert (e.met_on is not None) == (e.status == "compliant") or e.status in ("suspended", "revoked", "inactive")
    assert e.cycles[-1].start == e.cycle_start and e.cycle_start <= e.cycle_end
    assert all(a.end + timedelta(days=1) == b.start for a, b in pairwise(e.cycles))
    hours = [
        e.required_hours,
        e.earned_hours,
        e.remaining_hours,
        e.discarded_hours,
        e.carryover_hours,
        *(c.earned_hours for c in e.categories),
        *(o.counted_hours for o in e.completions),
    ]
    assert {h.as_tuple().exponent for h in hours} == {-2}
