"""Every date the API accepts lies in 1950-01-01..2100-12-31, and no rule set can take the engine's month
arithmetic from such a date past what `datetime.date` holds: issued, completed, acted on and evaluated on
the first and last accepted days, under the longest cycles, first cycles, initial periods, grace periods
(in days and in months), filing deadlines and due-soon windows the rule schema allows, every anchor
evaluates; so does every shipped rule set, with each of its cycle options and all of its variants."""

from __future__ import annotations

from datetime import date

import pytest

from app.rules.loader import CONTENT_RULES_DIR, iter_content_rule_sets
from app.types import FIRST_DAY, LAST_DAY
from tests.rules.builders import act, board, comp, ev, rules

FAR = date(2200, 1, 1)  # nothing the engine answers for an accepted date comes near date.max
CYCLES = {
    "issue_date": {"anchor": "issue_date", "months": 120},
    "issue_date-ends-on-anniversary": {"anchor": "issue_date", "months": 120, "ends_on_anniversary": True},
    "issue_month_end": {"anchor": "issue_month_end", "months": 120},
    "issue_month_start": {"anchor": "issue_month_start", "months": 120},
    "fixed": {"anchor": "fixed", "months": 120, "month": 12, "day": 31, "min_first_cycle_months": 120},
    "fixed-in-2200": {"anchor": "fixed", "months": 120, "month": 12, "day": 31, "year": 2200},
    "fixed-in-1900": {"anchor": "fixed", "months": 120, "month": 12, "day": 31, "year": 1900},
    "birthday": {"anchor": "birthday", "months": 120, "min_first_cycle_months": 120},
}
GRACE = {"grace-days": {"grace_days": 730}, "grace-months": {"grace_months": 24}}
EDGES = [(FIRST_DAY, FIRST_DAY), (FIRST_DAY, LAST_DAY), (LAST_DAY, LAST_DAY)]


@pytest.mark.parametrize("grace", sorted(GRACE))
@pytest.mark.parametrize("anchor", sorted(CYCLES))
@pytest.mark.parametrize(("issued", "as_of"), EDGES, ids=["first-first", "first-last", "last-last"])
def test_the_widest_rules_evaluate_on_the_first_and_last_accepted_days(anchor, grace, issued, as_of):
    rs = rules(
        cycle=CYCLES[anchor],
        due_soon_days=730,
        filing_days_before_end=365,
        effective_from=FIRST_DAY.isoformat(),
        initial_period={"months": 60, "extension_months": 60},
        **GRACE[grace],
        requirements={
            "total_hours": 20,
            "other": [{"id": "ethics-form", "kind": "attestation", "description": "Sign the form"}],
        },
    )
    on = as_of.isoformat()
    e = ev(
        rs,
        issued.isoformat(),
        [comp(1, on, 3)],
        as_of=on,
        activities=[act("attestation", on, requirement_id="ethics-form")],
        actions=[board("reinstate", on)] if as_of > issued else [],
        birthday=(2, 29),
    )
    assert e.grace_ends_on < FAR
    assert e.next_change_on is None or e.next_change_on < FAR


def _choices(rule_set) -> list[tuple[str | None, tuple[str, ...]]]:
    options = [o.id for o in rule_set.cycle_options] or [None]
    return [(option, tuple(v.id for v in rule_set.variants)) for option in options]


@pytest.mark.parametrize("rule_set", iter_content_rule_sets(CONTENT_RULES_DIR), ids=lambda r: r.code)
def test_every_shipped_rule_set_evaluates_on_the_last_accepted_day(rule_set):
    for option, variants in _choices(rule_set):
        for issued in (FIRST_DAY, LAST_DAY):
            e = ev(
                rule_set,
                issued.isoformat(),
                [comp(1, LAST_DAY.isoformat(), 3)],
                as_of=LAST_DAY.isoformat(),
                birthday=(2, 29),
                option=option,
                variants=variants,
            )
            assert e.grace_ends_on < FAR and (e.next_change_on is None or e.next_change_on < FAR)
