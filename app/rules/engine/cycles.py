"""The cycles of a chain (bounds, birthday anchor) and the rule version in effect on a date."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import date
from typing import Protocol, TypeVar

from app.rules.document import RuleSet
from app.rules.engine.compiled import _Compiled
from app.rules.engine.dates import _ONE, _month_days
from app.rules.engine.types import CertificationFacts, InvalidFact, MissingFact, NoRuleVersions


def _birthday(facts: CertificationFacts) -> tuple[int, int]:
    md = facts.birth_month_day
    if md is None:
        raise MissingFact("birth_month_day")
    m, d = md
    if not (1 <= m <= 12 and 1 <= d <= _month_days(2000, m)):
        raise InvalidFact(f"birth_month_day {m}/{d} is not a calendar day")
    return md


def iter_cycle_bounds(
    rules: RuleSet, anchor_date: date, *, birth_month_day: tuple[int, int] | None = None
) -> Iterator[tuple[date, date]]:
    """The (start, end) of every cycle of a chain anchored on `anchor_date`, under one rule set."""
    c = _Compiled(rules)
    md = c.fixed
    if c.anchor == "birthday":
        md = _birthday(CertificationFacts(anchor_date, rules.code, birth_month_day))
    start, first = anchor_date, True
    while True:
        end = c.end(start, anchor_date, first, md)
        yield start, end
        start, first = end + _ONE, False


def cycle_bounds(
    rules: RuleSet,
    anchor_date: date,
    index: int = 0,
    *,
    birth_month_day: tuple[int, int] | None = None,
) -> tuple[date, date]:
    """The (start, end) of cycle number `index` (0 = first) of a chain anchored on `anchor_date`."""
    for i, bounds in enumerate(iter_cycle_bounds(rules, anchor_date, birth_month_day=birth_month_day)):
        if i == index:
            return bounds
    raise AssertionError("unreachable")  # pragma: no cover


class Dated(Protocol):
    """A numbered version effective from a date: the engine's `RuleVersion`, a stored `RuleSetVersion`."""

    @property
    def version(self) -> int: ...

    @property
    def effective_from(self) -> date: ...


V = TypeVar("V", bound=Dated)


def select_version(versions: Sequence[V], on: date) -> V:
    """The version in effect on a date: latest effective_from on or before it (ties: highest
    version); the earliest version when none has started. The one rule for the engine's versions
    and the stored ones (`app.rules.service.in_effect`)."""
    if not versions:
        raise NoRuleVersions("no rule versions were given")
    best: V | None = None
    for v in versions:
        if v.effective_from <= on and (
            best is None or (v.effective_from, v.version) > (best.effective_from, best.version)
        ):
            best = v
    if best is None:
        best = min(versions, key=lambda v: (v.effective_from, v.version))
    return best
