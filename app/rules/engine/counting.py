"""One cycle: which completions count (acceptance, approvals, duplicates, caps, categories and
their look-back windows, modality minimums, other requirements) and the date it was met."""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Sequence
from datetime import date

from app.rules.engine.compiled import _Compiled
from app.rules.engine.dates import _ONE, _month_days, add_months
from app.rules.engine.hours import _h
from app.rules.engine.types import Activity, Completion, RuleVersion

# --- one cycle ----------------------------------------------------------------------------

# completion outcome codes inside a cycle run
_COUNTED, _CAPPED, _NOT_ACCEPTED, _NOT_APPROVED, _DUPLICATE, _NO_HOURS, _REPEATED = range(7)

# what a run is: a renewal cycle, the initial certification phase, or a first cycle without CE
CYCLE, INITIAL, NO_CE = "cycle", "initial", "no_ce_first_cycle"

# a completion prepared for one rule version:
# (approved, credited hundredths, category indices, cap indices, modality-minimum indices, course h)
_Prep = tuple[bool, int, tuple[int, ...], tuple[int, ...], tuple[int, ...], int]


def _prepare(r: _Compiled, c: Completion) -> _Prep:
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
        cats, caps = hit
    else:
        cats, caps = (), r.cap_by_mod.get(c.modality, ())
    return approved, credit, cats, caps, r.mod_by_modality.get(c.modality, ()), course


def _prep_at(preps: list[_Prep | None], j: int, r: _Compiled, c: Completion) -> _Prep:
    p = preps[j] = _prepare(r, c)
    return p


class _Run:
    """What one cycle came to: sums in hundredths, met date, and per-completion outcomes."""

    __slots__ = (
        "version",
        "rules",
        "start",
        "end",
        "count_from",
        "carry_in",
        "total",
        "cat_sum",
        "mod_sum",
        "cap_used",
        "cap_discarded",
        "discarded",
        "met_on",
        "others",
        "outcomes",
        "lookback_hits",
        "windows",
        "kind",
        "need",
        "due_on",
        "grace_end",
        "seen",
        "renewed_on",
        "by_board",
    )


def _others(others: tuple, start: date, last: date, acts: Sequence[Activity]) -> tuple[list, date | None]:
    """Per other requirement (hundredths recorded, met date); and the date all were met."""
    results = []
    all_on: date | None = start
    for oid, kind, need, _ in others:
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
        results.append((got, met_on))
        if met_on is None:
            all_on = None
        elif all_on is not None and met_on > all_on:
            all_on = met_on
    return results, all_on


def _initial_run(v: RuleVersion, r: _Compiled, start: date, as_of: date, acts: Sequence[Activity]) -> _Run:
    """The initial certification phase: no CE; its requirements, recorded within it (extension
    included) and on or before `as_of`, end it on the date they are all met."""
    assert r.initial is not None
    _, months, extension, others = r.initial
    end = add_months(start, months) - _ONE
    last = add_months(start, months + extension) - _ONE
    other_res, met_on = _others(others, start, min(last, as_of), acts)
    if not others:  # nothing to meet: the phase simply runs its course
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
    v: RuleVersion,
    r: _Compiled,
    start: date,
    end: date,
    count_from: date,
    chain_start: date,
    as_of: date,
    carry_in: int,
    comps: Sequence[Completion],
    dates: list[date],
    preps: list[_Prep | None],
    acts: Sequence[Activity],
    explain: bool,
    no_ce: bool = False,
    counted_before: dict[str, int] | None = None,
) -> _Run:
    """One cycle of rules `r` (version `v`, with the certification's choices); `no_ce`: a first cycle
    that requires no CE; `counted_before`: courses counted in earlier cycles when a course counts once."""
    cats, mods, caps = r.cats, r.mods, r.caps
    cat_sum = [0] * len(cats)
    mod_sum = [0] * len(mods)
    cap_used = [0] * len(caps)
    cap_discarded = [0] * len(caps)
    outcomes: dict[int, tuple[int, int, object]] | None = {} if explain else None
    lookback_hits: dict[int, list[int]] = {}
    windows: list[date | None] = [None] * len(cats)
    lookback_keys: list[dict[str, int] | None] = [None] * len(cats)

    if r.lookback and not no_ce:  # every_years and once categories: completions of earlier cycles too
        for i, (_, _, every, _, once) in enumerate(cats):
            if once:  # ever: any completion up to E, also before the certification was issued
                w = date.min
            elif every is None:
                continue
            else:  # (E - N years, E]
                w = date(end.year - every, end.month, min(end.day, _month_days(end.year - every, end.month)))
            windows[i] = w
            lo_d = w if w == date.min else max(w + _ONE, chain_start)
            hi_d = min(count_from - _ONE, as_of)
            keys: dict[str, int] = {}
            lookback_keys[i] = keys
            if lo_d > hi_d:
                continue
            for j in range(bisect_left(dates, lo_d), bisect_right(dates, hi_d)):
                c = comps[j]
                if not c.accepted or c.course_key in keys:
                    continue
                p = preps[j] or _prep_at(preps, j, r, c)
                if (r.approved_only and not p[0]) or i not in p[2]:
                    continue
                keys[c.course_key] = j
                cat_sum[i] += p[1]
                lookback_hits.setdefault(j, []).append(i)

    total = carry_in
    need_total = 0 if no_ce else r.total
    unmet = 0 if no_ce else (
        (total < need_total) + sum(cat_sum[i] < cats[i][1] for i in range(len(cats))) + len(mods))
    met_at = start if unmet == 0 else None
    other_res, others_on = _others(r.others, start, min(end, as_of), acts) if r.others else ([], start)

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
    j = lo
    while j < hi:
        c = comps[j]
        day = dates[j]
        if j >= hi_main:  # late CE in grace counts only until the date the cycle is met
            if late_met is not None:
                if day > late_met:
                    break
            elif unmet == 0 and others_on is not None:
                break  # met by its end: nothing after the end belongs to this cycle
        j += 1
        if not c.accepted:
            if outcomes is not None:
                outcomes[j - 1] = (0, _NOT_ACCEPTED, None)
            continue
        p = preps[j - 1] or _prep_at(preps, j - 1, r, c)
        if r.approved_only and not p[0]:
            if outcomes is not None:
                outcomes[j - 1] = (0, _NOT_APPROVED, None)
            continue
        key = c.course_key
        first = seen.get(key)
        if first is not None:
            if outcomes is not None:
                outcomes[j - 1] = (0, _DUPLICATE, comps[first].id)
            continue
        if counted_before is not None:
            earlier = counted_before.get(key)
            if earlier is not None:
                if outcomes is not None:
                    outcomes[j - 1] = (0, _REPEATED, comps[earlier].id)
                continue
        seen[key] = j - 1
        h = p[1]
        counted = h
        binding = -1
        if p[3]:
            for ci in p[3]:
                room = caps[ci][2] - cap_used[ci]
                if room < counted:
                    counted = room if room > 0 else 0
                    binding = ci
            for ci in p[3]:
                cap_used[ci] += counted
            if binding >= 0:
                discarded += h - counted
                cap_discarded[binding] += h - counted
        if counted:
            before = total
            total += counted
            if before < need_total <= total:
                unmet -= 1
            for i in p[2]:
                w = windows[i]
                if w is not None:
                    lk = lookback_keys[i]
                    if day <= w or (lk and key in lk):
                        continue
                before = cat_sum[i]
                cat_sum[i] = before + counted
                if before < cats[i][1] <= before + counted:
                    unmet -= 1
            for mi in p[4]:
                before = mod_sum[mi]
                mod_sum[mi] = before + counted
                if before < mods[mi][1] <= before + counted:
                    unmet -= 1
            if unmet == 0 and met_at is None:
                met_at = day
                if day > end and others_on is not None:
                    late_met = day
        if outcomes is not None:
            if binding >= 0:
                outcomes[j - 1] = (counted, _CAPPED, binding)
            else:
                outcomes[j - 1] = (counted, _COUNTED if h else _NO_HOURS, None)

    run = _Run()
    run.version, run.rules, run.kind, run.need = v, r, NO_CE if no_ce else CYCLE, need_total
    run.due_on, run.grace_end, run.seen = end - r.filing, g_end, seen
    run.renewed_on, run.by_board = None, False
    run.start, run.end, run.count_from, run.carry_in = start, end, count_from, carry_in
    run.total, run.cat_sum, run.mod_sum = total, cat_sum, mod_sum
    run.cap_used, run.cap_discarded, run.discarded = cap_used, cap_discarded, discarded
    run.others, run.outcomes, run.lookback_hits, run.windows = (
        other_res,
        outcomes,
        lookback_hits,
        windows,
    )
    if unmet == 0 and others_on is not None and met_at is not None:
        run.met_on = met_at if met_at > others_on else others_on
    else:
        run.met_on = None
    return run
