"""A rule set compiled once for the hot path, and the cycle ends its anchor implies."""

from __future__ import annotations

from datetime import date, timedelta
from typing import NamedTuple

from app.rules.document import CycleOption, OtherRequirement, RuleSet
from app.rules.engine.dates import _ONE, _fixed_on_or_after, _month_end, _on, add_months
from app.rules.engine.hours import _h

# --- compiled rules -----------------------------------------------------------------------

# Hours are integer hundredths throughout. The NamedTuples below are read by name outside the per-completion
# loop; that loop reads the parallel tuples of plain ints (`_Compiled.cat_need`, `mod_need`, `cap_max`).


class Category(NamedTuple):
    """A required category: its slug, hours, look-back (`every_years`, or `once` ever) and how reasons name it."""

    slug: str
    need: int
    every_years: int | None
    label: str | None
    once: bool


class Cap(NamedTuple):
    """A per-cycle cap on the hours of a modality or of a category."""

    modality: str | None
    category: str | None
    max: int


class ModalityMinimum(NamedTuple):
    """A minimum of hours from some delivery modalities."""

    modalities: tuple[str, ...]
    need: int
    label: str | None


class Other(NamedTuple):
    """A non-CE requirement (service or supervision hours, or an attestation)."""

    id: str
    kind: str
    need: int | None
    description: str


class Initial(NamedTuple):
    """The initial certification phase: its name, length, extension and requirements."""

    label: str
    months: int
    extension: int
    others: tuple[Other, ...]


class Targets(NamedTuple):
    """What a completion's approval tags, topics and modality count toward: indices of the required categories,
    of the caps and of the modality minimums."""

    cats: tuple[int, ...]
    caps: tuple[int, ...]
    mods: tuple[int, ...]


NO_TARGETS = Targets((), (), ())


# (approval tags, topics, modality): the key of the memoized `Targets`
TagKey = tuple[frozenset[str] | None, frozenset[str], str]
# (cycle option, variants): the key of a certification's chosen rules
ChoiceKey = tuple[str | None, tuple[str, ...]]


def _others(declared: list[OtherRequirement]) -> tuple[Other, ...]:
    return tuple(Other(o.id, o.kind, None if o.hours is None else _h(o.hours), o.description) for o in declared)


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
        "cat_need",
        "cat_index",
        "topic_cats",
        "tagged",
        "caps",
        "cap_max",
        "cap_by_mod",
        "cap_by_cat",
        "mods",
        "mod_need",
        "mod_by_modality",
        "untagged",
        "others",
        "carry_max",
        "due_soon",
        "grace_days",
        "grace_months",
        "grace",
        "grace_ce",
        "approved_only",
        "lookback",
        "tag_cache",
        "year",
        "on_anniversary",
        "no_ce_under",
        "filing",
        "once_ever",
        "initial",
        "choices",
        "options",
        "rules",
    )

    code: str
    anchor: str
    months: int
    fixed: tuple[int, int] | None  # (month, day) of a fixed anchor
    min_first: int
    total: int
    cats: tuple[Category, ...]
    cat_need: tuple[int, ...]  # cats[i].need
    cat_index: dict[str, int]  # slug -> index in cats
    topic_cats: dict[str, tuple[int, ...]]  # topic -> the categories it counts toward
    tagged: bool  # categories or category caps: approval tags and topics matter
    caps: tuple[Cap, ...]
    cap_max: tuple[int, ...]  # caps[i].max
    cap_by_mod: dict[str, tuple[int, ...]]
    cap_by_cat: dict[str, tuple[int, ...]]
    mods: tuple[ModalityMinimum, ...]
    mod_need: tuple[int, ...]  # mods[i].need
    mod_by_modality: dict[str, tuple[int, ...]]
    untagged: dict[str, Targets]  # modality -> the targets of a completion without approval tags or topics
    others: tuple[Other, ...]
    carry_max: int
    due_soon: timedelta
    grace_days: int  # truthy when there is a grace period (in days or months)
    grace_months: int
    grace: timedelta
    grace_ce: bool
    approved_only: bool
    lookback: bool  # a category looks back before the cycle (every_years, once)
    tag_cache: dict[TagKey, Targets]
    year: int | None
    on_anniversary: bool
    no_ce_under: int
    filing: timedelta
    once_ever: bool
    initial: Initial | None
    choices: dict[ChoiceKey, _Compiled] | None  # None: no options or variants, or already chosen
    options: dict[str, CycleOption]
    rules: RuleSet

    def __init__(self, rs: RuleSet) -> None:
        cy, req = rs.cycle, rs.requirements
        self.code = rs.code
        self.anchor = cy.anchor
        self.months = cy.months
        self.fixed = None  # (month, day): both set when the anchor is fixed
        if cy.anchor == "fixed" and cy.month is not None and cy.day is not None:
            self.fixed = (cy.month, cy.day)
        self.min_first = cy.min_first_cycle_months
        self.year = cy.year if cy.anchor == "fixed" else None
        self.on_anniversary = cy.ends_on_anniversary
        self.no_ce_under = cy.no_ce_first_cycle_under_months
        self.total = _h(req.total_hours)
        self.cats = tuple(Category(c.category, _h(c.min_hours), c.every_years, c.label, c.once) for c in req.categories)
        self.cat_need = tuple(c.need for c in self.cats)
        self.cat_index = {c.category: i for i, c in enumerate(req.categories)}
        topic_cats: dict[str, list[int]] = {}
        for i, c in enumerate(req.categories):
            for t in c.topics:
                topic_cats.setdefault(t, []).append(i)
        self.topic_cats = {t: tuple(v) for t, v in topic_cats.items()}
        self.caps = tuple(Cap(cap.modality, cap.category, _h(cap.max_hours)) for cap in rs.caps)
        self.cap_max = tuple(cap.max for cap in self.caps)
        by_mod: dict[str, list[int]] = {}
        by_cat: dict[str, list[int]] = {}
        for i, cap in enumerate(rs.caps):
            if cap.modality is not None:
                by_mod.setdefault(cap.modality, []).append(i)
            else:
                by_cat.setdefault(cap.category or "", []).append(i)
        self.cap_by_mod = {k: tuple(v) for k, v in by_mod.items()}
        self.cap_by_cat = {k: tuple(v) for k, v in by_cat.items()}
        self.tagged = bool(self.cats or self.cap_by_cat)
        self.mods = tuple(ModalityMinimum(tuple(m.modalities), _h(m.min_hours), m.label) for m in req.modality_minimums)
        self.mod_need = tuple(m.need for m in self.mods)
        by_modality: dict[str, list[int]] = {}
        for i, m in enumerate(req.modality_minimums):
            for mod in m.modalities:
                by_modality.setdefault(mod, []).append(i)
        self.mod_by_modality = {k: tuple(v) for k, v in by_modality.items()}
        self.untagged = {
            m: Targets((), self.cap_by_mod.get(m, ()), self.mod_by_modality.get(m, ()))
            for m in (*self.cap_by_mod, *self.mod_by_modality)
        }
        self.others = _others(req.other)
        self.carry_max = _h(rs.carryover.max_hours)
        self.due_soon = timedelta(days=rs.due_soon_days)
        self.grace_months = rs.grace_months
        self.grace_days = rs.grace_days or rs.grace_months  # truthy when there is a grace period
        self.grace = timedelta(days=rs.grace_days)
        self.grace_ce = rs.grace_counts_ce
        self.approved_only = rs.approved_only
        self.lookback = any(c.every_years is not None or c.once for c in self.cats)
        self.filing = timedelta(days=rs.filing_days_before_end)
        self.once_ever = rs.course_counts_once
        ip = rs.initial_period
        self.initial = (
            None if ip is None else Initial(ip.label, ip.months, ip.extension_months, _others(ip.requirements))
        )
        self.rules = rs
        self.options = {o.id: o for o in rs.cycle_options}
        # (cycle option, variants) -> the rules a certification with those choices is evaluated with
        self.choices = {} if rs.cycle_options or rs.variants else None
        self.tag_cache = {}  # memoized `tag_targets`

    def tag_targets(self, tags: frozenset[str] | None, topics: frozenset[str], modality: str) -> Targets:
        """The required categories and the caps a completion counts toward."""
        found: set[int] = set()
        for t in tags or ():
            i = self.cat_index.get(t)
            if i is not None:
                found.add(i)
        for t in topics:
            found.update(self.topic_cats.get(t, ()))
        caps = set(self.cap_by_mod.get(modality, ()))
        for slug in set(tags or ()) | {self.cats[i].slug for i in found}:
            caps.update(self.cap_by_cat.get(slug, ()))
        return Targets(tuple(sorted(found)), tuple(sorted(caps)), self.mod_by_modality.get(modality, ()))

    def grace_end(self, end: date) -> date:
        """The last day of the grace period after a cycle that ends on `end`."""
        return add_months(end, self.grace_months) if self.grace_months else end + self.grace

    def choose(self, option: str | None, variants: tuple[str, ...]) -> _Compiled:
        """The rules for a certification's cycle option and variants (compiled once per combination).

        Raises KeyError naming what this rule set does not define, LookupError when an option is needed.
        """
        if self.choices is None:
            if option is not None:
                raise KeyError(f"cycle option {option!r}")
            if variants:
                raise KeyError(f"variant {variants[0]!r}")
            return self
        key = (option, variants)
        hit = self.choices.get(key)
        if hit is not None:
            return hit
        rs = self.rules
        cycle, req = rs.cycle, rs.requirements
        if self.options:
            if option is None:
                raise LookupError("cycle_option")
            chosen = self.options.get(option)
            if chosen is None:
                raise KeyError(f"cycle option {option!r}")
            cycle = cycle.model_copy(update={"months": chosen.months})
            req = req.model_copy(update={"total_hours": chosen.total_hours})
        elif option is not None:
            raise KeyError(f"cycle option {option!r}")
        if variants:
            by_id = {x.id: x for x in rs.variants}
            total, cats = req.total_hours, list(req.categories)
            for vid in variants:
                x = by_id.get(vid)
                if x is None:
                    raise KeyError(f"variant {vid!r}")
                total += x.extra_hours
                cats += x.categories
            req = req.model_copy(update={"total_hours": total, "categories": cats})
        hit = _Compiled(rs.model_copy(update={"cycle": cycle, "requirements": req}))
        hit.choices = None  # already chosen
        if len(self.choices) < 256:
            self.choices[key] = hit
        return hit

    def reanchor(self, start: date) -> date:
        """The anchor that makes a later cycle starting on `start` run its plain length: after a recorded cycle
        end that is not the arithmetic's (a renewal or a board's stated end), the next cycles count from it."""
        if self.anchor == "issue_date" and self.on_anniversary:
            return start - _ONE  # its cycles end on the anniversary of the previous end
        return start

    def end(self, start: date, anchor: date, first: bool, md: tuple[int, int] | None) -> date:
        """End of the cycle that starts on `start` (the chain's first cycle when `first`)."""
        a = self.anchor
        if a == "issue_date":
            if self.on_anniversary:  # ends ON the anniversary; the next cycle starts the day after it
                return add_months(anchor if first else start - _ONE, self.months, anchor.day)
            return add_months(start, self.months, anchor.day) - _ONE
        if a == "issue_month_end":
            return _month_end(start, self.months if first else self.months - 1)
        if a == "issue_month_start":
            if self.on_anniversary:  # ends ON the 1st; the next cycle starts on the 2nd
                return add_months(start.replace(day=1) if first else start - _ONE, self.months)
            return add_months(start.replace(day=1) if first else start, self.months) - _ONE
        assert md is not None
        if first:
            after = add_months(start, self.min_first) if self.min_first else start
            end = _fixed_on_or_after(after, md)
            if self.year is not None:  # only in the years `year` + k * months/12
                step = self.months // 12
                off = (end.year - self.year) % step
                if off:
                    end = _on(end.year + step - off, md)
            return end
        # the next fixed date on or after the start, then whole years up to `months`
        return _on(_fixed_on_or_after(start, md).year + self.months // 12 - 1, md)
