"""One cycle: which completions count (acceptance, approvals, duplicates, caps, categories and
their look-back windows, modality minimums, other requirements) and the date it was met."""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Final, Literal, NamedTuple

from app.rules.engine.compiled import NO_TARGETS, Other, Targets, _Compiled
from app.rules.engine.dates import _ONE, _month_days, add_months
from app.rules.engine.hours import _h
from app.rules.engine.types import Activity, Completion, RuleVersion

# --- one cycle ----------------------------------------------------------------------------

# completion outcome codes inside a cycle run
_COUNTED, _CAPPED, _NOT_ACCEPTED, _NOT_APPROVED, _DUPLICATE, _NO_HOURS, _REPEATED = range(7)

# what a run is: a renewal cycle, the initial certification phase, or a first cycle without CE
RunKind = Literal["cycle", "initial", "no_ce_first_cycle"]
CYCLE: Final = "cycle"
INITIAL: Final = "initial"
NO_CE: Final = "no_ce_first_cycle"


class _Prepared:
    """The completions of one evaluation prepared for one compiled rule set, one list per field, indexed like the
    completions (date order) and filled on first use (`fill`): the hot loop reads plain ints and shared tuples, and
    a completion costs no object of its own."""

    __slots__ = ("rules", "comps", "approved", "credit", "course", "targets")

    rules: _Compiled
    comps: Sequence[Completion]
    approved: list[bool]  # approved for the credential on its date
    credit: list[int]  # hundredths it is credited with (an approval's hours, else the course's); -1: not prepared
    course: list[int]  # the course's own hours
    targets: list[Targets]  # the categories, caps and modality minimums it counts toward (shared, memoized)

    def __init__(self, rules: _Compiled, comps: Sequence[Completion]) -> None:
        n = len(comps)
        self.rules, self.comps = rules, comps
        self.approved, self.credit, self.course, self.targets = [False] * n, [-1] * n, [0] * n, [NO_TARGETS] * n

    def fill(self, j: int) -> int:
        """Prepare completion `j` (approvals on its date, hours, categories, caps, modality minimums); its credit."""
        r, c = self.rules, self.comps[j]
        approved = False
        credit = -1
        tags: frozenset[str] | None = None
        if c.approvals:
            day = c.completed_on
            for a in c.approvals:
                if a.credential_code != r.code:
                    continue
                if a.valid_from is not None and day < a.valid_from:
                    continue
                if a.valid_until is not None and day > a.valid_until:
                    continue
                if a.withdrawn_on is not None and day >= a.withdrawn_on:
                    continue
                approved = True
                if credit < 0 and a.hours is not None:
                    credit = _h(a.hours)
                if a.categories:
                    tags = a.categories if tags is None else tags | a.categories
        course = _h(c.hours)
        if credit < 0:
            credit = course
        if r.tagged and (tags or c.topics):
            key = (tags, c.topics, c.modality)
            hit = r.tag_cache.get(key)
            if hit is None:
                hit = r.tag_targets(tags, c.topics, c.modality)
                if len(r.tag_cache) >= 4096:
                    r.tag_cache.clear()
                r.tag_cache[key] = hit
            self.targets[j] = hit
        else:
            self.targets[j] = r.untagged.get(c.modality, NO_TARGETS)
        self.approved[j], self.course[j], self.credit[j] = approved, course, credit
        return credit


class _Outcome(NamedTuple):
    """What the cycle made of one completion it looked at (`code`: `_COUNTED`, `_CAPPED`, ...)."""

    counted: int  # hundredths
    code: int
    about: int | None  # the binding cap's index (`_CAPPED`), the counted completion's id (`_DUPLICATE`, `_REPEATED`)


# Outcomes are immutable and most are alike: the common ones are shared rather than built per completion.
_OUT_NOT_ACCEPTED = _Outcome(0, _NOT_ACCEPTED, None)
_OUT_NOT_APPROVED = _Outcome(0, _NOT_APPROVED, None)
_OUT_NO_HOURS = _Outcome(0, _NO_HOURS, None)
_OUT_COUNTED: dict[int, _Outcome] = {}  # hundredths counted -> the outcome


def _counted(hundredths: int) -> _Outcome:
    hit = _OUT_COUNTED.get(hundredths)
    if hit is None:
        hit = _Outcome(hundredths, _COUNTED, None)
        if len(_OUT_COUNTED) < 4096:
            _OUT_COUNTED[hundredths] = hit
    return hit


class _OtherProgress(NamedTuple):
    """One other requirement in a run: hundredths recorded (0 for an attestation) and the date it was met."""

    got: int
    met_on: date | None


class _Run:
    """What one cycle came to: sums in hundredths, met date, and per-completion outcomes (a typed `__slots__`
    class filled field by field: built once per cycle, where a dataclass's keyword `__init__` of 24 fields costs
    some 5% of a sweep's evaluation)."""

    __slots__ = (
        "version",
        "rules",
        "kind",
        "start",
        "end",
        "count_from",
        "carry_in",
        "need",
        "total",
        "cat_sum",
        "mod_sum",
        "cap_used",
        "cap_discarded",
        "discarded",
        "others",
        "outcomes",
        "lookback_hits",
        "windows",
        "met_on",
        "due_on",
        "grace_end",
        "seen",
        "renewed_on",
        "by_board",
    )

    version: RuleVersion
    rules: _Compiled  # the version's rules with the certification's choices
    kind: RunKind
    start: date
    end: date
    count_from: date  # the first day whose CE counts (after a previous cycle met late, the day after it was met)
    carry_in: int
    need: int  # total hundredths required (0 when it requires no CE)
    total: int  # hundredths counted, carry-over included
    cat_sum: list[int]  # per category (`rules.cats`)
    mod_sum: list[int]  # per modality minimum (`rules.mods`)
    cap_used: list[int]  # per cap (`rules.caps`)
    cap_discarded: list[int]
    discarded: int
    others: list[_OtherProgress]  # per other requirement (`rules.others`, or the initial phase's)
    outcomes: dict[int, _Outcome] | None  # by completion index; None without explanations
    lookback_hits: dict[int, list[int]]  # completion index -> the look-back categories an earlier one counts toward
    windows: list[date | None]  # per category: the day before its look-back window (date.min: ever)
    met_on: date | None
    due_on: date  # the filing deadline
    grace_end: date
    seen: dict[str, int] | None  # course key -> index of the completion counted for it
    renewed_on: date | None  # passed over because a recorded renewal stands (recorded on this date)
    by_board: bool  # ... recorded by a board


@dataclass(slots=True)  # never mutated: built once per walk
class _Records:
    """What one walk over a chain reads: the certification's completions (date order) and activities, the
    chain's first day, the evaluation date and whether outcomes are explained."""

    comps: list[Completion]
    dates: list[date]  # comps[j].completed_on
    acts: Sequence[Activity]
    chain_start: date
    as_of: date
    explain: bool

    # the dataclass's own __init__, compiled natively (app/rules/engine/types.py says why)
    def __init__(
        self,
        comps: list[Completion],
        dates: list[date],
        acts: Sequence[Activity],
        chain_start: date,
        as_of: date,
        explain: bool,
    ) -> None:
        self.comps = comps
        self.dates = dates
        self.acts = acts
        self.chain_start = chain_start
        self.as_of = as_of
        self.explain = explain


def _others(
    others: tuple[Other, ...], start: date, last: date, acts: Sequence[Activity]
) -> tuple[list[_OtherProgress], date | None]:
    """Per other requirement (hundredths recorded, met date); and the date all were met."""
    results = []
    all_on: date | None = start
    for o in others:
        oid, kind, need = o.id, o.kind, o.need or 0  # no hours needed: met on the first day (not an attestation)
        got, met_on = 0, None
        if kind != "attestation" and not need:
            met_on = start
        for a in acts:
            if a.on < start:
                continue
            if a.on > last:
                break
            if a.requirement_id == oid or (a.requirement_id is None and a.kind == kind):
                if kind == "attestation":
                    met_on = a.on
                    break
                got += _h(a.hours) if a.hours is not None else 0
                if met_on is None and got >= need:
                    met_on = a.on
        results.append(_OtherProgress(got, met_on))
        if met_on is None:
            all_on = None
        elif all_on is not None and met_on > all_on:
            all_on = met_on
    return results, all_on


def _initial_run(v: RuleVersion, r: _Compiled, start: date, as_of: date, acts: Sequence[Activity]) -> _Run:
    """The initial certification phase: no CE; its requirements, recorded within it (extension
    included) and on or before `as_of`, end it on the date they are all met."""
    assert r.initial is not None
    initial = r.initial
    end = add_months(start, initial.months) - _ONE
    last = add_months(start, initial.months + initial.extension) - _ONE
    other_res, met_on = _others(initial.others, start, min(last, as_of), acts)
    if not initial.others:  # nothing to meet: the phase simply runs its course
        met_on = end + _ONE if as_of > end else None
    run = _Run()
    run.version, run.rules, run.kind = v, r, INITIAL
    run.start, run.end, run.count_from, run.carry_in = start, end, start, 0
    run.total, run.need, run.discarded = 0, 0, 0
    run.cat_sum, run.mod_sum = [0] * len(r.cats), [0] * len(r.mods)
    run.cap_used, run.cap_discarded = [0] * len(r.caps), [0] * len(r.caps)
    run.others, run.outcomes, run.lookback_hits, run.windows = other_res, {}, {}, [None] * len(r.cats)
    run.met_on, run.due_on, run.grace_end, run.seen = met_on, end, last, None
    run.renewed_on, run.by_board = None, False
    return run


def _run_cycle(
    records: _Records,
    prepared: _Prepared,
    v: RuleVersion,
    *,
    start: date,
    end: date,
    count_from: date,
    carry_in: int,
    no_ce: bool = False,
    counted_before: dict[str, int] | None = None,
) -> _Run:
    """One cycle [start, end] of version `v`'s rules with the certification's choices (`prepared.rules`): which of
    the records' completions count toward what, and the date it was met. CE counts from `count_from` (after a
    previous cycle met late, the day after it was met); `carry_in`: hundredths carried into it; `no_ce`: a first
    cycle that requires no CE; `counted_before`: courses counted in earlier cycles when a course counts once.

    The cycle's own values are keyword arguments, not a structure of their own: one more object per cycle costs
    about 2% of a sweep's evaluation (bench/engine_micro.py)."""
    r = prepared.rules
    comps, dates, as_of = records.comps, records.dates, records.as_of
    cats, cat_need, mod_need, cap_max = r.cats, r.cat_need, r.mod_need, r.cap_max
    approved_only = r.approved_only
    approved, credit, targets = prepared.approved, prepared.credit, prepared.targets
    cat_sum = [0] * len(cats)
    mod_sum = [0] * len(mod_need)
    cap_used = [0] * len(cap_max)
    cap_discarded = [0] * len(cap_max)
    outcomes: dict[int, _Outcome] | None = {} if records.explain else None
    lookback_hits: dict[int, list[int]] = {}
    windows: list[date | None] = [None] * len(cats)
    lookback_keys: list[dict[str, int] | None] = [None] * len(cats)

    if r.lookback and not no_ce:  # every_years and once categories: completions of earlier cycles too
        for i, cat in enumerate(cats):
            every = cat.every_years
            if cat.once:  # ever: any completion up to E, also before the certification was issued
                w = date.min
            elif every is None:
                continue
            else:  # (E - N years, E]
                w = date(end.year - every, end.month, min(end.day, _month_days(end.year - every, end.month)))
            windows[i] = w
            lo_d = w if w == date.min else max(w + _ONE, records.chain_start)
            hi_d = min(count_from - _ONE, as_of)
            keys: dict[str, int] = {}
            lookback_keys[i] = keys
            if lo_d > hi_d:
                continue
            for j in range(bisect_left(dates, lo_d), bisect_right(dates, hi_d)):
                c = comps[j]
                if not c.accepted or c.course_key in keys:
                    continue
                h = credit[j]
                if h < 0:
                    h = prepared.fill(j)
                if (approved_only and not approved[j]) or i not in targets[j].cats:
                    continue
                keys[c.course_key] = j
                cat_sum[i] += h
                lookback_hits.setdefault(j, []).append(i)

    total = carry_in
    need_total = 0 if no_ce else r.total
    unmet = (
        0 if no_ce else ((total < need_total) + sum(cat_sum[i] < cat_need[i] for i in range(len(cats))) + len(mod_need))
    )
    met_at = start if unmet == 0 else None
    other_res, others_on = _others(r.others, start, min(end, as_of), records.acts) if r.others else ([], start)

    lo = bisect_left(dates, count_from)
    # without late CE, a filing deadline before the end is the last day CE counts (WV: none once late)
    last = end - r.filing if r.filing and not r.grace_ce else end
    hi_main = bisect_right(dates, last if last < as_of else as_of)
    if no_ce:  # its completions count toward nothing (every_years windows of later cycles aside)
        lo = hi_main
    hi = hi_main
    g_end = end + r.grace if not r.grace_months else r.grace_end(end)
    if as_of > end and r.grace_ce and r.grace_days and not no_ce:
        hi = bisect_right(dates, g_end if g_end < as_of else as_of)
    late_met: date | None = None
    seen: dict[str, int] = {}
    discarded = 0
    for j in range(lo, hi):
        c = comps[j]
        day = dates[j]
        if j >= hi_main:  # late CE in grace counts only until the date the cycle is met
            if late_met is not None:
                if day > late_met:
                    break
            elif unmet == 0 and others_on is not None:
                break  # met by its end: nothing after the end belongs to this cycle
        if not c.accepted:
            if outcomes is not None:
                outcomes[j] = _OUT_NOT_ACCEPTED
            continue
        h = credit[j]
        if h < 0:
            h = prepared.fill(j)
        if approved_only and not approved[j]:
            if outcomes is not None:
                outcomes[j] = _OUT_NOT_APPROVED
            continue
        key = c.course_key
        first = seen.get(key)
        if first is not None:
            if outcomes is not None:
                outcomes[j] = _Outcome(0, _DUPLICATE, comps[first].id)
            continue
        if counted_before is not None:
            earlier = counted_before.get(key)
            if earlier is not None:
                if outcomes is not None:
                    outcomes[j] = _Outcome(0, _REPEATED, comps[earlier].id)
                continue
        seen[key] = j
        counted = h
        binding = -1
        cat_ix, caps, mod_ix = targets[j]
        if caps:
            for ci in caps:
                room = cap_max[ci] - cap_used[ci]
                if room < counted:
                    counted = room if room > 0 else 0
                    binding = ci
            for ci in caps:
                cap_used[ci] += counted
            if binding >= 0:
                discarded += h - counted
                cap_discarded[binding] += h - counted
        if counted:
            before = total
            total += counted
            if before < need_total <= total:
                unmet -= 1
            for i in cat_ix:
                window = windows[i]
                if window is not None:
                    lk = lookback_keys[i]
                    if day <= window or (lk and key in lk):
                        continue
                before = cat_sum[i]
                cat_sum[i] = before + counted
                if before < cat_need[i] <= before + counted:
                    unmet -= 1
            for mi in mod_ix:
                before = mod_sum[mi]
                mod_sum[mi] = before + counted
                if before < mod_need[mi] <= before + counted:
                    unmet -= 1
            if unmet == 0 and met_at is None:
                met_at = day
                if day > end and others_on is not None:
                    late_met = day
        if outcomes is not None:
            if binding >= 0:
                outcomes[j] = _Outcome(counted, _CAPPED, binding)
            else:
                outcomes[j] = (_OUT_COUNTED.get(h) or _counted(h)) if h else _OUT_NO_HOURS

    run = _Run()
    run.version, run.rules, run.kind, run.need = v, r, NO_CE if no_ce else CYCLE, need_total
    run.due_on, run.grace_end, run.seen = end - r.filing, g_end, seen
    run.renewed_on, run.by_board = None, False
    run.start, run.end, run.count_from, run.carry_in = start, end, count_from, carry_in
    run.total, run.cat_sum, run.mod_sum = total, cat_sum, mod_sum
    run.cap_used, run.cap_discarded, run.discarded = cap_used, cap_discarded, discarded
    run.others, run.outcomes, run.lookback_hits, run.windows = other_res, outcomes, lookback_hits, windows
    if unmet == 0 and others_on is not None and met_at is not None:
        run.met_on = met_at if met_at > others_on else others_on
    else:
        run.met_on = None
    return run
