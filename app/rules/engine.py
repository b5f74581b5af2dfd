"""The pure compliance evaluator: compliance.md (and docs/rules.md) as code.

No database, web framework, clock or I/O: every input is an argument and the evaluation date is
`as_of`. Hours are integer hundredths inside and 2-place Decimals in the results. A rule version
is compiled once (when its `RuleVersion` is built); `evaluate` then walks the certification's
cycles from the start of its chain to the cycle current on `as_of`.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from operator import attrgetter
from typing import Literal

from app.rules.schema import RuleSet

Status = Literal["in_progress", "due_soon", "compliant", "overdue", "lapsed", "suspended", "revoked", "inactive"]
Outcome = Literal["counted", "partly_counted", "not_counted"]


# --- errors -------------------------------------------------------------------------------


class RuleError(Exception):
    """The inputs cannot be evaluated with these rules."""


class NoRuleVersions(RuleError):
    """No rule version was given."""


class CredentialMismatch(RuleError):
    """A rule version belongs to another credential than the certification."""


class UnknownVersion(RuleError):
    """The certification is pinned to a version that was not given."""


class MissingFact(RuleError):
    """The rules need a fact about the certification that it lacks."""

    def __init__(self, fact: str) -> None:
        super().__init__(f"the rules need the certification's {fact}, which is not recorded")
        self.fact = fact


class InvalidFact(RuleError):
    """A fact about the certification is impossible (e.g. birthday 2/30)."""


# --- inputs -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RuleVersion:
    """One stored version of a rule set; compiled for the engine when built."""

    version: int
    effective_from: date
    rules: RuleSet
    compiled: _Compiled = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "compiled", _Compiled(self.rules))


@dataclass(frozen=True, slots=True)
class Approval:
    """A board's approval of a course for one credential, bounded by dates."""

    credential_code: str
    categories: frozenset[str] = frozenset()
    hours: Decimal | None = None
    valid_from: date | None = None
    valid_until: date | None = None
    withdrawn_on: date | None = None


@dataclass(frozen=True, slots=True)
class Completion:
    """One completion of a course by the certification's holder."""

    id: int
    course_key: str
    completed_on: date
    hours: Decimal
    modality: str
    accepted: bool
    title: str = ""
    topics: frozenset[str] = frozenset()
    approvals: tuple[Approval, ...] = ()


@dataclass(frozen=True, slots=True)
class Activity:
    """A recorded non-CE activity: service or supervision hours, or a signed attestation."""

    kind: str
    requirement_id: str | None
    on: date
    hours: Decimal | None = None


@dataclass(frozen=True, slots=True)
class BoardAction:
    kind: Literal["suspend", "revoke", "inactivate", "reinstate"]
    effective_on: date


@dataclass(frozen=True, slots=True)
class CertificationFacts:
    issued_on: date
    credential_code: str
    birth_month_day: tuple[int, int] | None = None
    board_actions: tuple[BoardAction, ...] = ()
    pinned_version: int | None = None


# --- outputs ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CategoryResult:
    category: str
    required_hours: Decimal
    earned_hours: Decimal
    remaining_hours: Decimal
    label: str | None
    every_years: int | None


@dataclass(frozen=True, slots=True)
class ModalityMinimumResult:
    modalities: tuple[str, ...]
    required_hours: Decimal
    earned_hours: Decimal
    remaining_hours: Decimal
    label: str | None


@dataclass(frozen=True, slots=True)
class OtherResult:
    id: str
    kind: str
    description: str
    required_hours: Decimal | None
    earned_hours: Decimal | None
    met: bool


@dataclass(frozen=True, slots=True)
class CapResult:
    modality: str | None
    category: str | None
    max_hours: Decimal
    used_hours: Decimal
    reached: bool


@dataclass(frozen=True, slots=True)
class CycleSummary:
    start: date
    end: date
    met: bool
    met_on: date | None
    excess_hours: Decimal
    earned_hours: Decimal
    required_hours: Decimal
    rule_version: int


@dataclass(frozen=True, slots=True)
class CompletionOutcome:
    completion_id: int
    counted_hours: Decimal
    outcome: Outcome
    reason: str


@dataclass(frozen=True, slots=True)
class Evaluation:
    status: Status
    cycle_start: date
    cycle_end: date
    grace_ends_on: date
    required_hours: Decimal
    earned_hours: Decimal
    remaining_hours: Decimal
    categories: tuple[CategoryResult, ...]
    modality_minimums: tuple[ModalityMinimumResult, ...]
    other_requirements: tuple[OtherResult, ...]
    caps: tuple[CapResult, ...]
    discarded_hours: Decimal
    carryover_hours: Decimal
    rule_version: int
    next_change_on: date | None
    previous_cycle: CycleSummary | None
    cycles: tuple[CycleSummary, ...]
    completions: tuple[CompletionOutcome, ...]
    reasons: tuple[str, ...]
    chain_start: date
    met_on: date | None


# --- dates and hours ----------------------------------------------------------------------

_ONE = timedelta(days=1)
_MDAYS = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


def _month_days(y: int, m: int) -> int:
    if m == 2 and y % 4 == 0 and (y % 100 != 0 or y % 400 == 0):
        return 29
    return _MDAYS[m - 1]


def add_months(d: date, n: int, day: int | None = None) -> date:
    """`d` plus `n` months on day `day` (default d.day), clamped to the month's last day."""
    y, m = divmod(d.year * 12 + d.month - 1 + n, 12)
    want = d.day if day is None else day
    last = _month_days(y, m + 1)
    return date(y, m + 1, want if want <= last else last)


def _month_end(d: date, n: int) -> date:
    y, m = divmod(d.year * 12 + d.month - 1 + n, 12)
    return date(y, m + 1, _month_days(y, m + 1))


def _on(y: int, md: tuple[int, int]) -> date:
    m, d = md
    last = _month_days(y, m)
    return date(y, m, d if d <= last else last)


def _fixed_on_or_after(t: date, md: tuple[int, int]) -> date:
    c = _on(t.year, md)
    return c if c >= t else _on(t.year + 1, md)


_HUNDREDTHS: dict[Decimal, int] = {}
_DECIMALS: dict[int, Decimal] = {}
_CENT = Decimal(100)


def _h(d: Decimal) -> int:
    """Hours as integer hundredths (rounded half up past 2 places)."""
    v = _HUNDREDTHS.get(d)
    if v is None:
        x = d if isinstance(d, Decimal) else Decimal(str(d))
        v = int((x * _CENT).to_integral_value(ROUND_HALF_UP))
        if len(_HUNDREDTHS) < 8192:
            _HUNDREDTHS[d] = v
    return v


def _dec(n: int) -> Decimal:
    v = _DECIMALS.get(n)
    if v is None:
        v = Decimal(n).scaleb(-2)
        if len(_DECIMALS) < 8192:
            _DECIMALS[n] = v
    return v


def _fmt(n: int) -> str:
    return f"{n // 100}.{n % 100:02d}" if n >= 0 else "-" + _fmt(-n)


# --- compiled rules -----------------------------------------------------------------------


class _Compiled:
    """A rule set reduced to what the hot path reads: ints, tuples and dicts."""

    __slots__ = (
        "code",
        "anchor",
        "months",
        "fixed",
        "min_first",
        "total",
        "cats",
        "cat_index",
        "topic_cats",
        "tagged",
        "caps",
        "cap_by_mod",
        "cap_by_cat",
        "mods",
        "mod_by_modality",
        "others",
        "carry_max",
        "due_soon",
        "grace_days",
        "grace",
        "grace_ce",
        "approved_only",
        "lookback",
        "tag_cache",
    )

    def __init__(self, rs: RuleSet) -> None:
        cy, req = rs.cycle, rs.requirements
        self.code = rs.code
        self.anchor = cy.anchor
        self.months = cy.months
        self.fixed = (cy.month, cy.day) if cy.anchor == "fixed" else None
        self.min_first = cy.min_first_cycle_months
        self.total = _h(req.total_hours)
        # (slug, min, every_years, label)
        self.cats = tuple((c.category, _h(c.min_hours), c.every_years, c.label) for c in req.categories)
        self.cat_index = {c.category: i for i, c in enumerate(req.categories)}
        topic_cats: dict[str, list[int]] = {}
        for i, c in enumerate(req.categories):
            for t in c.topics:
                topic_cats.setdefault(t, []).append(i)
        self.topic_cats = {t: tuple(v) for t, v in topic_cats.items()}
        # (modality, category, max)
        self.caps = tuple((c.modality, c.category, _h(c.max_hours)) for c in rs.caps)
        by_mod: dict[str, list[int]] = {}
        by_cat: dict[str, list[int]] = {}
        for i, c in enumerate(rs.caps):
            if c.modality is not None:
                by_mod.setdefault(c.modality, []).append(i)
            else:
                by_cat.setdefault(c.category or "", []).append(i)
        self.cap_by_mod = {k: tuple(v) for k, v in by_mod.items()}
        self.cap_by_cat = {k: tuple(v) for k, v in by_cat.items()}
        self.tagged = bool(self.cats or self.cap_by_cat)
        # (modalities, min, label)
        self.mods = tuple((tuple(m.modalities), _h(m.min_hours), m.label) for m in req.modality_minimums)
        by_modality: dict[str, list[int]] = {}
        for i, m in enumerate(req.modality_minimums):
            for mod in m.modalities:
                by_modality.setdefault(mod, []).append(i)
        self.mod_by_modality = {k: tuple(v) for k, v in by_modality.items()}
        # (id, kind, hours or None, description)
        self.others = tuple((o.id, o.kind, None if o.hours is None else _h(o.hours), o.description) for o in req.other)
        self.carry_max = _h(rs.carryover.max_hours)
        self.due_soon = timedelta(days=rs.due_soon_days)
        self.grace_days = rs.grace_days
        self.grace = timedelta(days=rs.grace_days)
        self.grace_ce = rs.grace_counts_ce
        self.approved_only = rs.approved_only
        self.lookback = any(c[2] is not None for c in self.cats)
        # (approval tags, topics, modality) -> (category indices, cap indices); memoized
        self.tag_cache: dict[tuple, tuple[tuple[int, ...], tuple[int, ...]]] = {}

    def tag_targets(
        self, tags: frozenset[str] | None, topics: frozenset[str], modality: str
    ) -> tuple[tuple[int, ...], tuple[int, ...]]:
        """The required categories and the caps a completion counts toward."""
        found: set[int] = set()
        for t in tags or ():
            i = self.cat_index.get(t)
            if i is not None:
                found.add(i)
        for t in topics:
            found.update(self.topic_cats.get(t, ()))
        caps = set(self.cap_by_mod.get(modality, ()))
        for slug in set(tags or ()) | {self.cats[i][0] for i in found}:
            caps.update(self.cap_by_cat.get(slug, ()))
        return tuple(sorted(found)), tuple(sorted(caps))

    def end(self, start: date, anchor: date, first: bool, md: tuple[int, int] | None) -> date:
        """End of the cycle that starts on `start` (the chain's first cycle when `first`)."""
        a = self.anchor
        if a == "issue_date":
            return add_months(start, self.months, anchor.day) - _ONE
        if a == "issue_month_end":
            return _month_end(start, self.months if first else self.months - 1)
        if a == "issue_month_start":
            return add_months(start.replace(day=1) if first else start, self.months) - _ONE
        assert md is not None
        if first:
            after = add_months(start, self.min_first) if self.min_first else start
            return _fixed_on_or_after(after, md)
        # the next fixed date on or after the start, then whole years up to `months`
        return _on(_fixed_on_or_after(start, md).year + self.months // 12 - 1, md)


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


def select_version(versions: Sequence[RuleVersion], on: date) -> RuleVersion:
    """The version in effect on a date: latest effective_from on or before it (ties: highest
    version); the earliest version when none has started."""
    if not versions:
        raise NoRuleVersions("no rule versions were given")
    best: RuleVersion | None = None
    for v in versions:
        if v.effective_from <= on and (
            best is None or (v.effective_from, v.version) > (best.effective_from, best.version)
        ):
            best = v
    if best is None:
        best = min(versions, key=lambda v: (v.effective_from, v.version))
    return best


# --- one cycle ----------------------------------------------------------------------------

# completion outcome codes inside a cycle run
_COUNTED, _CAPPED, _NOT_ACCEPTED, _NOT_APPROVED, _DUPLICATE, _NO_HOURS = range(6)

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
    )


def _others(r: _Compiled, start: date, last: date, acts: Sequence[Activity]) -> tuple[list, date | None]:
    """Per other requirement (hundredths recorded, met date); and the date all were met."""
    results = []
    all_on: date | None = start
    for oid, kind, need, _ in r.others:
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


def _run_cycle(
    v: RuleVersion,
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
) -> _Run:
    r = v.compiled
    cats, mods, caps = r.cats, r.mods, r.caps
    cat_sum = [0] * len(cats)
    mod_sum = [0] * len(mods)
    cap_used = [0] * len(caps)
    cap_discarded = [0] * len(caps)
    outcomes: dict[int, tuple[int, int, object]] | None = {} if explain else None
    lookback_hits: dict[int, list[int]] = {}
    windows: list[date | None] = [None] * len(cats)
    lookback_keys: list[dict[str, int] | None] = [None] * len(cats)

    if r.lookback:  # every_years categories: completions in (E - N years, E] from earlier cycles
        for i, (_, _, every, _) in enumerate(cats):
            if every is None:
                continue
            w = date(end.year - every, end.month, min(end.day, _month_days(end.year - every, end.month)))
            windows[i] = w
            lo_d = max(w + _ONE, chain_start)
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
    need_total = r.total
    unmet = (total < need_total) + sum(cat_sum[i] < cats[i][1] for i in range(len(cats))) + len(mods)
    met_at = start if unmet == 0 else None
    other_res, others_on = _others(r, start, min(end, as_of), acts) if r.others else ([], start)

    lo = bisect_left(dates, count_from)
    hi_main = bisect_right(dates, end if end < as_of else as_of)
    hi = hi_main
    if as_of > end and r.grace_ce and r.grace_days:
        g_end = end + r.grace
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
    run.version, run.rules = v, r
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


# --- evaluation ---------------------------------------------------------------------------

_HOLDS: dict[str, Status] = {"suspend": "suspended", "revoke": "revoked", "inactivate": "inactive"}
_by_day_then_id = attrgetter("completed_on", "id")


def evaluate(
    *,
    versions: Sequence[RuleVersion],
    facts: CertificationFacts,
    completions: Sequence[Completion],
    as_of: date,
    activities: Sequence[Activity] = (),
    explain: bool = True,
) -> Evaluation:
    """Evaluate a certification's current cycle as of a date.

    `explain=False` skips the reasons and per-completion outcomes (both come back empty):
    for sweeps that only need the status, dates and hours.
    """
    if not versions:
        raise NoRuleVersions(f"no rule versions were given for {facts.credential_code}")
    for v in versions:
        if v.rules.code != facts.credential_code:
            raise CredentialMismatch(f"rule version {v.version} is for {v.rules.code}, not {facts.credential_code}")
    pinned: RuleVersion | None = None
    if facts.pinned_version is not None:
        pinned = next((v for v in versions if v.version == facts.pinned_version), None)
        if pinned is None:
            raise UnknownVersion(f"{facts.credential_code} has no rule version {facts.pinned_version}")

    # board actions: the chain start, a hold, and the next action after as_of
    chain_start, reinstated = facts.issued_on, False
    hold: BoardAction | None = None
    next_action: date | None = None
    if facts.board_actions:
        last: BoardAction | None = None
        for ba in sorted(facts.board_actions, key=attrgetter("effective_on")):
            if ba.effective_on <= as_of:
                last = ba
                if ba.kind == "reinstate" and ba.effective_on >= facts.issued_on:
                    chain_start, reinstated = ba.effective_on, True
            elif next_action is None:
                next_action = ba.effective_on
        if last is not None and last.kind != "reinstate":
            hold = last

    comps = sorted(completions, key=_by_day_then_id)
    dates = [c.completed_on for c in comps]
    acts = sorted(activities, key=attrgetter("on")) if activities else ()
    preps: dict[int, list[_Prep | None]] = {}  # per compiled rule set, per completion

    md: tuple[int, int] | None = None
    start, count_from, first, excess = chain_start, chain_start, True, 0
    runs: list[_Run] = []
    while True:
        v = pinned or (versions[0] if len(versions) == 1 else select_version(versions, start))
        r = v.compiled
        if r.anchor == "birthday":
            md = md or _birthday(facts)
            cmd = md
        else:
            cmd = r.fixed
        end = r.end(start, chain_start, first, cmd)
        carry = excess if excess < r.carry_max else r.carry_max
        slots = preps.get(id(r))
        if slots is None:
            slots = preps[id(r)] = [None] * len(comps)
        run = _run_cycle(
            v,
            start,
            end,
            count_from,
            chain_start,
            as_of,
            carry,
            comps,
            dates,
            slots,
            acts,
            explain,
        )
        runs.append(run)
        if as_of > end and run.met_on is not None:  # passed over: met by E, or late on or before D
            if run.met_on <= end:
                excess, count_from = run.total - r.total, end + _ONE
            else:
                excess, count_from = 0, run.met_on + _ONE
            start, first = end + _ONE, False
            continue
        break
    return _result(runs, facts, as_of, chain_start, reinstated, hold, next_action, comps, explain)


def _summary(run: _Run) -> CycleSummary:
    r = run.rules
    met = run.met_on is not None
    return CycleSummary(
        start=run.start,
        end=run.end,
        met=met,
        met_on=run.met_on,
        excess_hours=_dec(max(run.total - r.total, 0) if met else 0),
        earned_hours=_dec(run.total),
        required_hours=_dec(r.total),
        rule_version=run.version.version,
    )


def _result(
    runs: list[_Run],
    facts: CertificationFacts,
    as_of: date,
    chain_start: date,
    reinstated: bool,
    hold: BoardAction | None,
    next_action: date | None,
    comps: list[Completion],
    explain: bool,
) -> Evaluation:
    run = runs[-1]
    r = run.rules
    start, end = run.start, run.end
    grace_end = end + r.grace
    due_soon_on = end - r.due_soon
    status: Status
    if run.met_on is not None:
        status, nxt = "compliant", end + _ONE
    elif as_of < due_soon_on:
        status, nxt = "in_progress", due_soon_on
    elif as_of <= end:
        status, nxt = "due_soon", end + _ONE
    elif as_of <= grace_end:
        status, nxt = "overdue", grace_end + _ONE
    else:
        status, nxt = "lapsed", None
    if hold is not None:  # the hold decides the status; the cycles still roll over beneath it
        status = _HOLDS[hold.kind]
    if next_action is not None and (nxt is None or next_action < nxt):
        nxt = next_action

    categories = tuple(
        CategoryResult(
            category=slug,
            required_hours=_dec(need),
            earned_hours=_dec(got),
            remaining_hours=_dec(need - got if got < need else 0),
            label=label,
            every_years=every,
        )
        for (slug, need, every, label), got in zip(r.cats, run.cat_sum, strict=True)
    )
    modality_minimums = tuple(
        ModalityMinimumResult(
            modalities=modalities,
            required_hours=_dec(need),
            earned_hours=_dec(got),
            remaining_hours=_dec(need - got if got < need else 0),
            label=label,
        )
        for (modalities, need, label), got in zip(r.mods, run.mod_sum, strict=True)
    )
    others = tuple(
        OtherResult(
            id=oid,
            kind=kind,
            description=desc,
            required_hours=None if need is None else _dec(need),
            earned_hours=None if kind == "attestation" else _dec(got),
            met=met_on is not None,
        )
        for (oid, kind, need, desc), (got, met_on) in zip(r.others, run.others, strict=True)
    )
    caps = tuple(
        CapResult(
            modality=mod,
            category=cat,
            max_hours=_dec(cap_max),
            used_hours=_dec(used),
            reached=used >= cap_max,
        )
        for (mod, cat, cap_max), used in zip(r.caps, run.cap_used, strict=True)
    )
    cycles = tuple(_summary(x) for x in runs)
    outcomes: tuple[CompletionOutcome, ...] = ()
    reasons: tuple[str, ...] = ()
    if explain:
        from_text = _Explainer(run, runs, as_of, chain_start, reinstated, status, hold, comps)
        outcomes = from_text.outcomes()
        reasons = from_text.reasons(outcomes)
    return Evaluation(
        status=status,
        cycle_start=start,
        cycle_end=end,
        grace_ends_on=grace_end,
        required_hours=_dec(r.total),
        earned_hours=_dec(run.total),
        remaining_hours=_dec(r.total - run.total if run.total < r.total else 0),
        categories=categories,
        modality_minimums=modality_minimums,
        other_requirements=others,
        caps=caps,
        discarded_hours=_dec(run.discarded),
        carryover_hours=_dec(run.carry_in),
        rule_version=run.version.version,
        next_change_on=nxt,
        previous_cycle=cycles[-2] if len(cycles) > 1 else None,
        cycles=cycles,
        completions=outcomes,
        reasons=reasons,
        chain_start=chain_start,
        met_on=run.met_on,
    )


# --- explanations -------------------------------------------------------------------------


class _Explainer:
    """Plain-English reasons for one evaluation; deterministic for the same inputs."""

    def __init__(
        self,
        run: _Run,
        runs: list[_Run],
        as_of: date,
        chain_start: date,
        reinstated: bool,
        status: Status,
        hold: BoardAction | None,
        comps: list[Completion],
    ) -> None:
        self.run, self.runs, self.as_of = run, runs, as_of
        self.chain_start, self.reinstated = chain_start, reinstated
        self.status, self.hold, self.comps = status, hold, comps
        r = run.rules
        self.r = r
        self.grace_end = run.end + r.grace
        if as_of <= run.end:
            self.deadline: date | None = run.end
        elif r.grace_ce and as_of <= self.grace_end:
            self.deadline = self.grace_end
        else:
            self.deadline = None

    def _still(self, need: int, got: int) -> str:
        if got >= need:
            return "met"
        left = _fmt(need - got)
        if self.deadline is not None:
            return f"{left} still needed by {self.deadline.isoformat()}"
        return f"{left} were still needed when the cycle ended on {self.run.end.isoformat()}"

    def reasons(self, outcomes: tuple[CompletionOutcome, ...]) -> tuple[str, ...]:
        run, r = self.run, self.r
        s, e = run.start.isoformat(), run.end.isoformat()
        out = [self._status_line(s, e)]
        if self.reinstated:
            out.append(f"Cycles restarted with the board reinstatement on {self.chain_start.isoformat()}")
        out.append(f"{_fmt(run.total)} of {_fmt(r.total)} hours earned; {self._still(r.total, run.total)}")
        if run.carry_in:
            prev = self.runs[-2]
            out.append(
                f"Includes {_fmt(run.carry_in)} hours carried over from the cycle "
                f"{prev.start.isoformat()} to {prev.end.isoformat()}"
            )
        for (slug, need, every, label), got, w in zip(r.cats, run.cat_sum, run.windows, strict=True):
            name = label or slug
            line = f"{_fmt(got)} of {_fmt(need)} {name} hours earned; {self._still(need, got)}"
            if every is not None and w is not None:
                line += (
                    f" (due once every {every} years: hours completed from "
                    f"{max(w + _ONE, self.chain_start).isoformat()} to {e} count)"
                )
            out.append(line)
        for (modalities, need, label), got in zip(r.mods, run.mod_sum, strict=True):
            name = label or " or ".join(modalities)
            out.append(f"{_fmt(got)} of {_fmt(need)} {name} hours earned; {self._still(need, got)}")
        for (oid, kind, need, desc), (got, met_on) in zip(r.others, run.others, strict=True):
            if kind == "attestation":
                done = f"recorded on {met_on.isoformat()}" if met_on else f"not recorded between {s} and {e}"
                out.append(f"Attestation {oid} ({desc}): {done}")
            else:
                words = kind.replace("_", " ")
                out.append(
                    f"{_fmt(got)} of {_fmt(need or 0)} {words} recorded for {oid} ({desc}); "
                    f"{self._still(need or 0, got)}"
                )
        for (mod, cat, cap_max), used, lost in zip(r.caps, run.cap_used, run.cap_discarded, strict=True):
            if used or lost:
                line = f"{mod or cat} cap: {_fmt(used)} of {_fmt(cap_max)} hours used"
                out.append(line + (f"; {_fmt(lost)} discarded" if lost else ""))
        for o, c in zip(outcomes, self.comps, strict=True):
            title = f"{c.title}, " if c.title else ""
            head = f"Completion #{c.id} ({title}{c.completed_on.isoformat()})"
            if o.outcome == "not_counted":
                out.append(f"{head} was not counted: {o.reason}")
            else:
                out.append(f"{head} {o.reason}")
        return tuple(out)

    def _status_line(self, s: str, e: str) -> str:
        st = self.status
        if self.hold is not None:
            return (
                f"{st.capitalize()}: board action on {self.hold.effective_on.isoformat()}; "
                "the requirements below are shown for reference"
            )
        if st == "compliant":
            assert self.run.met_on is not None
            return f"Compliant: every requirement of the cycle {s} to {e} was met on {self.run.met_on.isoformat()}"
        if st == "in_progress":
            return f"In progress: cycle {s} to {e}; due soon from {(self.run.end - self.r.due_soon).isoformat()}"
        if st == "due_soon":
            days = (self.run.end - self.as_of).days
            when = "today" if days == 0 else f"in {days} day{'s' if days != 1 else ''}"
            return f"Due soon: the cycle {s} to {e} ends {when} with requirements unmet"
        g = self.grace_end.isoformat()
        if st == "overdue":
            if self.r.grace_ce:
                return (
                    f"Overdue: the cycle {s} to {e} ended with requirements unmet; "
                    f"CE completed until {g} still counts toward it"
                )
            return (
                f"Overdue: the cycle {s} to {e} ended with requirements unmet; late renewal "
                f"is possible until {g}, but CE completed after {e} does not count"
            )
        ended = f" and the grace period ended on {g}" if self.r.grace_days else ""
        return (
            f"Lapsed: the cycle {s} to {e} ended with requirements unmet{ended}; "
            "only a board reinstatement starts a new cycle"
        )

    def outcomes(self) -> tuple[CompletionOutcome, ...]:
        return tuple(self._outcome(j, c) for j, c in enumerate(self.comps))

    def _outcome(self, j: int, c: Completion) -> CompletionOutcome:
        run, r = self.run, self.r
        day = c.completed_on.isoformat()
        zero = _dec(0)
        got = run.outcomes.get(j) if run.outcomes is not None else None
        if got is not None:
            counted, code, arg = got
            return self._processed(c, counted, code, arg)
        if c.completed_on > self.as_of:
            why = f"dated {day}, after the evaluation date {self.as_of.isoformat()}"
        elif c.completed_on < self.chain_start and self.reinstated:
            why = (
                f"dated {day}, before the current cycle: cycles restarted with the board "
                f"reinstatement on {self.chain_start.isoformat()}"
            )
        elif c.completed_on < run.count_from and c.completed_on >= run.start:
            prev = self.runs[-2]
            why = (
                f"dated {day}, counted toward the late cycle {prev.start.isoformat()} to "
                f"{prev.end.isoformat()}, which it completed on {prev.met_on}"
            )
        elif c.completed_on > run.end and not r.grace_ce:
            why = (
                f"dated {day}, after the cycle ended on {run.end.isoformat()}; CE completed "
                f"after the cycle end does not count for {r.code}"
            )
        elif c.completed_on > self.grace_end:
            why = (
                f"dated {day}, after the grace period ended on {self.grace_end.isoformat()}"
                if (r.grace_days)
                else f"dated {day}, after the cycle ended on {run.end.isoformat()}"
            )
        else:
            why = f"dated {day}, outside the cycle {run.start.isoformat()} to {run.end.isoformat()}"
        hits = run.lookback_hits.get(j)
        if hits:
            names = " and ".join(f"{r.cats[i][3] or r.cats[i][0]} (due once every {r.cats[i][2]} years)" for i in hits)
            why += f"; it still counts toward {names}"
        return CompletionOutcome(c.id, zero, "not_counted", why)

    def _processed(self, c: Completion, counted: int, code: int, arg: object) -> CompletionOutcome:
        r = self.r
        day = c.completed_on.isoformat()
        if code == _NOT_ACCEPTED:
            return CompletionOutcome(c.id, _dec(0), "not_counted", "not accepted (pending review or voided)")
        if code == _NOT_APPROVED:
            return CompletionOutcome(c.id, _dec(0), "not_counted", f"not approved for {r.code} on {day}")
        if code == _DUPLICATE:
            return CompletionOutcome(c.id, _dec(0), "not_counted", f"duplicate of completion #{arg}")
        if code == _NO_HOURS:
            return CompletionOutcome(c.id, _dec(0), "not_counted", "carries no hours")
        p = _prepare(r, c)
        credit, cats, course = p[1], p[2], p[5]
        notes = []
        if cats:
            names = [r.cats[i][3] or r.cats[i][0] for i in cats]
            notes.append("toward " + ", ".join(names))
        if c.completed_on > self.run.end:
            notes.append("late, in the grace period")
        if credit != course:
            notes.append(f"the approval for {r.code} sets {_fmt(credit)} hours; the course has {_fmt(course)}")
        extra = f" ({'; '.join(notes)})" if notes else ""
        if code == _CAPPED:
            mod, cat, cap_max = r.caps[arg]  # type: ignore[index]
            why = f"{mod or cat} hours over the {_fmt(cap_max)}-hour cap ({_fmt(credit - counted)} discarded)"
            if not counted:
                return CompletionOutcome(c.id, _dec(0), "not_counted", why)
            return CompletionOutcome(
                c.id,
                _dec(counted),
                "partly_counted",
                f"counted {_fmt(counted)} of {_fmt(credit)} hours{extra}: {why}",
            )
        return CompletionOutcome(c.id, _dec(counted), "counted", f"counted {_fmt(counted)} hours{extra}")
