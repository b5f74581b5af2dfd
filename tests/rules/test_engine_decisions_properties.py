"""Decisions that stay decided, as properties over random certifications (hypothesis): a recorded renewal
stands under any later change of facts, holds resume, migrated chains."""

from __future__ import annotations

import dataclasses
from datetime import date, timedelta
from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.rules.engine import (
    Approval,
    BoardAction,
    CertificationFacts,
    Completion,
    Evaluation,
    RecordedRenewal,
    StatedCycle,
    cycles_before,
    evaluate,
)
from tests.rules.builders import CODE, version
from tests.rules.test_engine_properties import ALL_RULES, completion_lists, dates, issue_dates, maybe_date

BIRTHDAY = (3, 31)
PROPS = settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def run(versions, issued, comps, as_of, *, actions=(), renewals=(), stated=None) -> Evaluation:
    facts = CertificationFacts(issued, CODE, BIRTHDAY, tuple(actions), renewals=tuple(renewals), stated_cycle=stated)
    return evaluate(versions=versions, facts=facts, completions=comps, as_of=as_of)


def plain_cycles(e: Evaluation) -> tuple:
    """The cycles without the record of which renewals decided them."""
    return tuple(dataclasses.replace(c, renewed_on=None, renewed_by_board=False) for c in e.cycles)


CHANGES = st.sampled_from(["keep", "keep", "void", "remove", "hours", "withdraw", "redate"])
FEWER_HUNDREDTHS = st.integers(0, 400)


@st.composite
def later_changes(draw, comps: list[Completion]) -> list[Completion]:
    """The same completions after arbitrary later changes: voided, removed, hours changed, approvals withdrawn
    or re-dated, and new ones."""
    out = []
    for c in comps:
        change = draw(CHANGES)
        if change == "void":
            c = dataclasses.replace(c, accepted=False)
        elif change == "remove":
            continue
        elif change == "hours":
            c = dataclasses.replace(c, hours=Decimal(draw(FEWER_HUNDREDTHS)).scaleb(-2))
        elif change == "withdraw":
            c = dataclasses.replace(
                c, approvals=tuple(dataclasses.replace(a, withdrawn_on=draw(dates)) for a in c.approvals)
            )
        elif change == "redate":
            c = dataclasses.replace(
                c,
                approvals=tuple(
                    Approval(a.credential_code, a.categories, a.hours, draw(dates), draw(maybe_date))
                    for a in c.approvals
                ),
            )
        out.append(c)
    return out + draw(completion_lists(max_size=25))[:5]


@PROPS
@given(st.sampled_from(ALL_RULES), issue_dates, completion_lists(min_size=10), dates, st.integers(0, 3000), st.data())
def test_a_recorded_renewal_stands_under_any_later_change_of_facts(rs, issued, comps, d1, days, data):
    v1 = version(rs)
    first = run([v1], issued, comps, d1)
    recorded = [RecordedRenewal(c.start, c.end, d1) for c in first.cycles[:-1]]
    # later: completions voided or removed, hours and approvals changed, and a rule version (any other rule
    # set, other cycle length or anchor included) published with an earlier effective_from
    changed = data.draw(later_changes(comps))
    versions = [v1]
    if data.draw(st.booleans()):
        versions.append(
            version(data.draw(st.sampled_from(ALL_RULES)), 2, data.draw(st.dates(date(2015, 1, 1), d1)).isoformat())
        )
    d2 = d1 + timedelta(days=days)
    e = run(versions, issued, changed, d2, renewals=recorded)
    assert [(c.start, c.end, c.renewed_on) for c in e.cycles[: len(recorded)]] == [
        (r.cycle_start, r.cycle_end, d1) for r in recorded
    ]
    assert len(e.cycles) > len(recorded) and e.stranded_renewals == ()
    if recorded:
        assert e.cycle_start == recorded[-1].cycle_end + timedelta(days=1) or e.cycle_start > recorded[-1].cycle_end


@PROPS
@given(st.sampled_from(ALL_RULES), issue_dates, completion_lists(), dates, st.integers(1, 3000))
def test_before_a_renewal_was_recorded_the_result_is_the_plain_one(rs, issued, comps, d0, days):
    d1 = d0 + timedelta(days=days)
    first = run([version(rs)], issued, comps, d1)
    recorded = [RecordedRenewal(c.start, c.end, d1) for c in first.cycles[:-1]]
    assert run([version(rs)], issued, comps, d0, renewals=recorded) == run([version(rs)], issued, comps, d0)


@PROPS
@given(st.sampled_from(ALL_RULES), issue_dates, completion_lists(), dates, st.integers(0, 3000))
def test_renewals_recorded_from_the_derivation_change_nothing_while_the_facts_stay(rs, issued, comps, d1, days):
    first = run([version(rs)], issued, comps, d1)
    recorded = [RecordedRenewal(c.start, c.end, d1) for c in first.cycles[:-1]]
    d2 = d1 + timedelta(days=days)
    plain = run([version(rs)], issued, comps, d2)
    e = run([version(rs)], issued, comps, d2, renewals=recorded)
    assert plain_cycles(e) == plain.cycles
    assert (e.status, e.cycle_start, e.cycle_end, e.earned_hours, e.carryover_hours, e.next_change_on) == (
        plain.status,
        plain.cycle_start,
        plain.cycle_end,
        plain.earned_hours,
        plain.carryover_hours,
        plain.next_change_on,
    )
    assert all(c.renewed_on == d1 for c in e.cycles[: len(recorded)])


@PROPS
@given(
    st.sampled_from(ALL_RULES),
    issue_dates,
    completion_lists(),
    st.integers(0, 2500),
    st.integers(1, 400),
    st.integers(0, 1500),
    st.sampled_from(["suspend", "inactivate"]),
)
def test_a_reinstatement_after_a_hold_resumes_exactly_when_the_held_cycle_has_not_ended(
    rs, issued, comps, to_hold, held, after, kind
):
    v = [version(rs)]
    hold_on = issued + timedelta(days=to_hold)
    back_on = hold_on + timedelta(days=held)
    as_of = back_on + timedelta(days=after)
    actions = [BoardAction(kind, hold_on), BoardAction("reinstate", back_on)]  # type: ignore[arg-type]
    e = run(v, issued, comps, as_of, actions=actions)
    if run(v, issued, comps, hold_on).cycle_end >= back_on:  # the cycle current when the hold began goes on
        plain = run(v, issued, comps, as_of)
        assert e.resumed == (hold_on, back_on) and e.chain_start == issued
        assert dataclasses.replace(e, resumed=None, reasons=plain.reasons) == plain
    else:
        assert (e.resumed, e.chain_start, e.cycles[0].start) == (None, back_on, back_on)
    revoked = run(v, issued, comps, as_of, actions=[BoardAction("revoke", hold_on), actions[1]])
    assert revoked.chain_start == back_on


@PROPS
@given(
    st.sampled_from(ALL_RULES),
    issue_dates,
    completion_lists(),
    st.integers(0, 2500),
    st.integers(0, 400),
    st.integers(0, 1500),
    st.integers(0, 600),
)
def test_a_migrated_record_is_in_its_stated_cycle_and_never_lapsed_by_the_cycles_before(
    rs, issued, comps, to_start, to_register, after, carry
):
    v = [version(rs)]
    start = issued + timedelta(days=to_start)
    registered = start + timedelta(days=to_register)
    as_of = registered + timedelta(days=after)
    facts = CertificationFacts(issued, CODE, BIRTHDAY)
    before = cycles_before(versions=v, facts=facts, until=start)
    assert all(a[1] + timedelta(days=1) == b[0] for a, b in zip(before, before[1:], strict=False))
    assert not before or (before[0][0] == issued and before[-1][1] < start)
    renewals = [RecordedRenewal(s, e, registered, by_board=True) for s, e in before]
    stated = StatedCycle(start, registered, carryover_hours=Decimal(carry).scaleb(-2))
    e = run(v, issued, comps, as_of, renewals=renewals, stated=stated)
    assert [(c.start, c.end, c.renewed_by_board) for c in e.cycles[: len(before)]] == [(s, x, True) for s, x in before]
    at_start = e.cycles[len(before)]
    assert at_start.start == start and e.stranded_renewals == ()
    if e.cycle_start == start:
        assert e.carryover_hours == stated.carryover_hours
        if as_of <= e.cycle_end:
            assert e.status in ("in_progress", "due_soon", "compliant")
