"""Every date the API accepts lies in 1950-01-01..2100-12-31, and no rule set can take the engine's month
arithmetic from such a date past what `datetime.date` holds: issued, completed, acted on and evaluated on
the first and last accepted days, under the longest cycles, first cycles, grace and due-soon windows the
rule schema allows, every anchor evaluates."""

from __future__ import annotations

from datetime import date

import pytest

from app.rules.loader import CONTENT_RULES_DIR, iter_content_rule_sets
from app.types import FIRST_DAY, LAST_DAY
from tests.rules.builders import act, board, comp, ev, rules

CYCLES = {
    "issue_date": {"anchor": "issue_date", "months": 120},
    "issue_month_end": {"anchor": "issue_month_end", "months": 120},
    "issue_month_start": {"anchor": "issue_month_start", "months": 120},
    "fixed": {"anchor": "fixed", "months": 120, "month": 12, "day": 31, "min_first_cycle_months": 120},
    "birthday": {"anchor": "birthday", "months": 120, "min_first_cycle_months": 120},
}
EDGES = [(FIRST_DAY, FIRST_DAY), (FIRST_DAY, LAST_DAY), (LAST_DAY, LAST_DAY)]


@pytest.mark.parametrize("anchor", sorted(CYCLES))
@pytest.mark.parametrize(("issued", "as_of"), EDGES, ids=["first-first", "first-last", "last-last"])
def test_the_widest_rules_evaluate_on_the_first_and_last_accepted_days(anchor, issued, as_of):
    rs = rules(cycle=CYCLES[anchor], grace_days=730, due_soon_days=730, effective_from=FIRST_DAY.isoformat(),
               requirements={"total_hours": 20, "other": [{"id": "ethics-form", "kind": "attestation",
                                                           "description": "Sign the form"}]})
    on = as_of.isoformat()
    e = ev(rs, issued.isoformat(), [comp(1, on, 3)], as_of=on, activities=[act("attestation", on,
                                                                                requirement_id="ethics-form")],
           actions=[board("reinstate", on)] if as_of > issued else [], birthday=(2, 29))
    assert e.cycle_start <= as_of <= e.grace_ends_on < date(2200, 1, 1)
    assert e.next_change_on is None or e.next_change_on < date(2200, 1, 1)


@pytest.mark.parametrize("rule_set", iter_content_rule_sets(CONTENT_RULES_DIR), ids=lambda r: r.code)
def test_every_shipped_rule_set_evaluates_on_the_last_accepted_day(rule_set):
    e = ev(rule_set, LAST_DAY.isoformat(), [comp(1, LAST_DAY.isoformat(), 3)], as_of=LAST_DAY.isoformat(),
           birthday=(2, 29))
    assert e.cycle_start == LAST_DAY and e.grace_ends_on < date(2200, 1, 1)
