"""`evaluate`: the walk over a certification's cycles (board actions, versions, carry-over) to
the current one, its status and next_change_on, and the Evaluation built from it."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date
from operator import attrgetter

from app.rules.engine.compiled import _Compiled
from app.rules.engine.counting import CYCLE, INITIAL, _initial_run, _Prepared, _Records, _Run, _run_cycle
from app.rules.engine.cycles import _birthday, select_version
from app.rules.engine.dates import _ONE, add_months
from app.rules.engine.explain import _Explainer
from app.rules.engine.hours import _dec, _h
from app.rules.engine.types import (
    Activity,
    BoardAction,
    CapResult,
    CategoryResult,
    CertificationFacts,
    Completion,
    CompletionOutcome,
    CredentialMismatch,
    CycleSummary,
    Evaluation,
    InvalidFact,
    MissingFact,
    ModalityMinimumResult,
    NoRuleVersions,
    OtherResult,
    RecordedRenewal,
    RuleVersion,
    Status,
    UnknownVersion,
)

# --- evaluation ---------------------------------------------------------------------------

_HOLDS: dict[str, Status] = {"suspend": "suspended", "revoke": "revoked", "inactivate": "inactive"}
_by_day_then_id = attrgetter("completed_on", "id")
_by_effective_on = attrgetter("effective_on")  # stable: actions of one date in the order recorded


def evaluate(
    *,
    versions: Sequence[RuleVersion],
    facts: CertificationFacts,
    completions: Sequence[Completion],
    as_of: date,
    activities: Sequence[Activity] = (),
    explain: bool = True,
    requirements: bool = True,
) -> Evaluation:
    """Evaluate a certification's current cycle as of a date.

    `explain=False` skips the reasons and per-completion outcomes (both come back empty), and
    `requirements=False` the per-requirement results (categories, modality minimums, other
    requirements, caps): the sweep needs only the status, dates, hours and cycles.
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

    comps = sorted(completions, key=_by_day_then_id)
    dates = [c.completed_on for c in comps]
    acts = sorted(activities, key=attrgetter("on")) if activities else ()
    preps: dict[int, _Prepared] = {}  # per compiled rule set (by id: each holds its rule set)
    if facts.board_actions:

        def current_end(start: date, reinstated: bool, day: date) -> date:
            records = _Records(comps, dates, acts, chain_start=start, as_of=day, explain=False)
            return _walk(versions, pinned, facts, records, preps, reinstated)[0][-1].end

        chain = _chain(facts, as_of, current_end)
    else:
        chain = _Chain(facts.issued_on)
    records = _Records(comps, dates, acts, chain_start=chain.start, as_of=as_of, explain=explain)
    runs, applied = _walk(versions, pinned, facts, records, preps, chain.reinstated)
    stranded: tuple[RecordedRenewal, ...] = ()
    if facts.renewals:
        # a reinstatement's new chain leaves the renewals of the chains before it behind, not stranded
        stranded = tuple(
            x
            for x in facts.renewals
            if not x.by_board
            and x.stands_on(as_of)
            and x.cycle_start not in applied
            and (not chain.reinstated or x.cycle_start >= chain.start)
        )
    r = runs[-1].rules
    return _result(
        runs, facts, as_of, chain, comps, explain, requirements, preps.get(id(r)) or _Prepared(r, comps), stranded
    )


class _Chain:
    """What the board actions on or before the evaluation date make of the certification's cycles."""

    __slots__ = ("start", "reinstated", "restarted_on", "hold", "next_action", "resumed")

    start: date
    reinstated: bool
    restarted_on: date | None
    hold: BoardAction | None
    next_action: date | None
    resumed: tuple[date, date] | None

    def __init__(self, issued_on: date) -> None:
        self.start = issued_on  # the first day of the current chain of cycles
        self.reinstated = False  # the chain began with a reinstatement (no initial phase, no first-cycle waiver)
        self.restarted_on = None  # the reinstatement that began it
        self.hold = None  # the hold in effect on the date
        self.next_action = None  # the first board action after the date
        self.resumed = None  # (hold began, reinstated): the chain went on beneath a hold


def _chain(facts: CertificationFacts, as_of: date, current_end: Callable[[date, bool, date], date]) -> _Chain:
    """The chain of cycles current on `as_of` (docs/compliance.md, "Holds").

    A reinstatement after a suspension or inactivation resumes the chain that was current when the hold
    began, when the cycle then current has not ended by the reinstatement; otherwise, and always after a
    revocation (or with no hold before it: a lapsed certification), it starts a new chain on its date, or on
    the `cycle_start` the board stated. Reinstatements dated before the issue date are ignored.
    """
    chain = _Chain(facts.issued_on)
    if not facts.board_actions:
        return chain
    last: BoardAction | None = None
    hold_began: date | None = None
    revoked = False
    for ba in sorted(facts.board_actions, key=_by_effective_on):
        if ba.effective_on > as_of:
            if chain.next_action is None:
                chain.next_action = ba.effective_on
            continue
        last = ba
        if ba.kind != "reinstate":
            if hold_began is None:
                hold_began = ba.effective_on
            revoked = revoked or ba.kind == "revoke"
            continue
        if ba.effective_on >= facts.issued_on:
            if ba.cycle_start is not None:
                chain.start, chain.reinstated, chain.restarted_on, chain.resumed = (
                    ba.cycle_start,
                    True,
                    ba.effective_on,
                    None,
                )
            elif (
                hold_began is not None
                and not revoked
                and current_end(chain.start, chain.reinstated, hold_began) >= ba.effective_on
            ):
                chain.resumed = (hold_began, ba.effective_on)
            else:
                chain.start, chain.reinstated, chain.restarted_on, chain.resumed = (
                    ba.effective_on,
                    True,
                    ba.effective_on,
                    None,
                )
        hold_began, revoked = None, False
    if last is not None and last.kind != "reinstate":
        chain.hold = last
    return chain


def _walk(
    versions: Sequence[RuleVersion],
    pinned: RuleVersion | None,
    facts: CertificationFacts,
    records: _Records,
    preps: dict[int, _Prepared],
    reinstated: bool,
) -> tuple[list[_Run], set[date]]:
    """The walk over a chain's cycles (from `records.chain_start`; `reinstated`: the chain began with a
    reinstatement) to the one current on `records.as_of` (docs/compliance.md, "Which cycle is current"), with
    recorded renewals and a board's stated cycle as inputs ("Decisions that stay decided"): the runs of its
    cycles, and the starts of the recorded renewals that passed cycles over."""
    chain_start, as_of, acts = records.chain_start, records.as_of, records.acts
    standing: dict[date, RecordedRenewal] | None = None
    if facts.renewals:
        standing = {x.cycle_start: x for x in facts.renewals if x.stands_on(as_of) and x.cycle_end >= x.cycle_start}
    stated = facts.stated_cycle if facts.stated_cycle is not None and facts.stated_cycle.recorded_on <= as_of else None
    applied: set[date] = set()
    md: tuple[int, int] | None = None
    start, count_from, first, excess = chain_start, chain_start, True, 0
    anchor = chain_start  # what the cycles' arithmetic counts from: the chain start, or the end of an initial phase
    initial_pending = not reinstated  # an initial phase belongs to the chain that starts on the issue date
    counted_before: dict[str, int] | None = None
    runs: list[_Run] = []
    while True:
        v = pinned or (versions[0] if len(versions) == 1 else select_version(versions, start))
        r = v.compiled
        if r.choices is not None or facts.cycle_option is not None or facts.variants:
            r = _chosen(r, facts, v.version)
        renewal = standing.get(start) if standing else None
        if initial_pending and r.initial is not None:
            initial_pending = False
            run = _initial_run(v, r, start, as_of, acts)
            if renewal is not None:  # the phase stands as renewed: the cycles begin the day after it
                run.end, run.renewed_on, run.by_board = renewal.cycle_end, renewal.recorded_on, renewal.by_board
                runs.append(run)
                applied.add(start)
                start = count_from = anchor = renewal.cycle_end + _ONE
                continue
            if run.met_on is None:  # the phase is current
                runs.append(run)
                break
            if run.met_on > start:  # it ran until the day before its requirements were met
                run.end = run.met_on - _ONE
                runs.append(run)
            start = count_from = anchor = run.met_on
            continue
        initial_pending = False
        cmd: tuple[int, int] | None = r.fixed  # the cycle's (month, day): fixed, or the holder's birthday
        if r.anchor == "birthday":
            md = cmd = md or _birthday(facts)
        end = plain_end = r.end(start, anchor, first, cmd)
        carry = excess if excess < r.carry_max else r.carry_max
        if stated is not None and start == stated.start:  # the board's own dates and carry-over
            carry = _h(stated.carryover_hours)
            if stated.end is not None and stated.end >= start:
                end = stated.end
        if renewal is not None:
            end = renewal.cycle_end
        no_ce = bool(first and not reinstated and r.no_ce_under and add_months(start, r.no_ce_under) > end)
        prepared = preps.get(id(r))
        if prepared is None:
            prepared = preps[id(r)] = _Prepared(r, records.comps)
        run = _run_cycle(
            records,
            prepared,
            v,
            start=start,
            end=end,
            count_from=count_from,
            carry_in=carry,
            no_ce=no_ce,
            counted_before=counted_before,
        )
        runs.append(run)
        if renewal is not None or (as_of > end and run.met_on is not None):
            # passed over: a recorded renewal stands, or it was met by E, or late on or before D
            if renewal is not None:
                run.renewed_on, run.by_board = renewal.recorded_on, renewal.by_board
                applied.add(start)
            if r.once_ever and run.seen is not None:
                counted_before = {**run.seen, **counted_before} if counted_before else dict(run.seen)
            met_on = run.met_on
            if met_on is not None and met_on <= end and not run.by_board:
                excess, count_from = run.total - run.need, end + _ONE
            else:  # met late (its late CE stays with it), unmet but renewed, or renewed by a board: no excess
                excess, count_from = 0, (met_on + _ONE if met_on is not None and met_on > end else end + _ONE)
            if end != plain_end:
                anchor = r.reanchor(end + _ONE)
            start, first = end + _ONE, False
            continue
        break
    return runs, applied


def _chosen(r: _Compiled, facts: CertificationFacts, version: int) -> _Compiled:
    """The rules of one version for this certification's cycle option and variants."""
    try:
        return r.choose(facts.cycle_option, facts.variants)
    except LookupError as exc:
        if isinstance(exc, KeyError):
            raise InvalidFact(f"{r.code} version {version} defines no {exc.args[0]}") from None
        raise MissingFact("cycle_option") from None


def _summary(run: _Run) -> CycleSummary:
    met = run.met_on is not None
    return CycleSummary(
        start=run.start,
        end=run.end,
        met=met,
        met_on=run.met_on,
        excess_hours=_dec(max(run.total - run.need, 0) if met else 0),
        earned_hours=_dec(run.total),
        required_hours=_dec(run.need),
        rule_version=run.version.version,
        kind=run.kind,
        renewed_on=run.renewed_on,
        renewed_by_board=run.by_board,
    )


def _result(
    runs: list[_Run],
    facts: CertificationFacts,
    as_of: date,
    chain: _Chain,
    comps: list[Completion],
    explain: bool,
    requirements: bool,
    prepared: _Prepared,
    stranded: tuple[RecordedRenewal, ...],
) -> Evaluation:
    run = runs[-1]
    r = run.rules
    hold, next_action = chain.hold, chain.next_action
    start, end = run.start, run.end
    grace_end, due_on = run.grace_end, run.due_on
    due_soon_on = due_on - r.due_soon
    status: Status
    if run.met_on is not None:
        status, nxt = "compliant", end + _ONE
    elif as_of < due_soon_on:
        status, nxt = "in_progress", due_soon_on
    elif as_of <= due_on:
        status, nxt = "due_soon", due_on + _ONE
    elif as_of <= grace_end:
        status, nxt = "overdue", grace_end + _ONE
    else:
        status, nxt = "lapsed", None
    if hold is not None:  # the hold decides the status; the cycles still roll over beneath it
        status = _HOLDS[hold.kind]
    if next_action is not None and (nxt is None or next_action < nxt):
        nxt = next_action

    categories, modality_minimums, others, caps = _requirements(run) if requirements else ((), (), (), ())
    cycles = tuple(_summary(x) for x in runs)
    outcomes: tuple[CompletionOutcome, ...] = ()
    reasons: tuple[str, ...] = ()
    if explain:
        from_text = _Explainer(
            run,
            runs,
            as_of,
            chain.start,
            chain.reinstated,
            status,
            hold,
            comps,
            prepared,
            (facts.cycle_option, facts.variants),
            restarted_on=chain.restarted_on,
            resumed=chain.resumed,
            stated=facts.stated_cycle,
            stranded=stranded,
        )
        outcomes = from_text.outcomes()
        reasons = from_text.reasons(outcomes)
    return Evaluation(
        status=status,
        cycle_start=start,
        cycle_end=end,
        grace_ends_on=grace_end,
        required_hours=_dec(run.need),
        earned_hours=_dec(run.total),
        remaining_hours=_dec(run.need - run.total if run.total < run.need else 0),
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
        chain_start=chain.start,
        met_on=run.met_on,
        filing_due_on=due_on,
        period=run.kind,
        cycle_option=facts.cycle_option,
        variants=facts.variants,
        stranded_renewals=stranded,
        resumed=chain.resumed,
    )


def _requirements(
    run: _Run,
) -> tuple[
    tuple[CategoryResult, ...], tuple[ModalityMinimumResult, ...], tuple[OtherResult, ...], tuple[CapResult, ...]
]:
    """Each requirement of the cycle's rules with the hours (or attestation) it came to."""
    r = run.rules
    ce = run.kind == CYCLE  # an initial phase and a first cycle without CE require no hours
    categories = tuple(
        CategoryResult(
            category=cat.slug,
            required_hours=_dec(cat.need if ce else 0),
            earned_hours=_dec(got),
            remaining_hours=_dec(cat.need - got if ce and got < cat.need else 0),
            label=cat.label,
            every_years=cat.every_years,
            once=cat.once,
        )
        for cat, got in zip(r.cats, run.cat_sum, strict=True)
    )
    modality_minimums = tuple(
        ModalityMinimumResult(
            modalities=m.modalities,
            required_hours=_dec(m.need if ce else 0),
            earned_hours=_dec(got),
            remaining_hours=_dec(m.need - got if ce and got < m.need else 0),
            label=m.label,
        )
        for m, got in zip(r.mods, run.mod_sum, strict=True)
    )
    declared = r.initial.others if run.kind == INITIAL and r.initial is not None else r.others
    others = tuple(
        OtherResult(
            id=o.id,
            kind=o.kind,
            description=o.description,
            required_hours=None if o.need is None else _dec(o.need),
            earned_hours=None if o.kind == "attestation" else _dec(progress.got),
            met=progress.met_on is not None,
        )
        for o, progress in zip(declared, run.others, strict=True)
    )
    caps = tuple(
        CapResult(
            modality=cap.modality,
            category=cap.category,
            max_hours=_dec(cap.max),
            used_hours=_dec(used),
            reached=used >= cap.max,
        )
        for cap, used in zip(r.caps, run.cap_used, strict=True)
    )
    return categories, modality_minimums, others, caps


def cycles_before(
    *, versions: Sequence[RuleVersion], facts: CertificationFacts, until: date
) -> list[tuple[date, date]]:
    """The cycles of the chain that starts on the issue date and begin before `until`, by the rules'
    arithmetic alone (no completions, an initial phase its nominal length); the last one ends on the day
    before `until` at the latest. A migrated record's board renews these (docs/compliance.md, "Migrated records")."""
    if not versions:
        raise NoRuleVersions(f"no rule versions were given for {facts.credential_code}")
    pinned = (
        next((v for v in versions if v.version == facts.pinned_version), None)
        if facts.pinned_version is not None
        else None
    )
    start = anchor = facts.issued_on
    first, initial_pending = True, True
    md: tuple[int, int] | None = None
    out: list[tuple[date, date]] = []
    while start < until:
        v = pinned or select_version(versions, start)
        r = v.compiled
        if r.choices is not None or facts.cycle_option is not None or facts.variants:
            r = _chosen(r, facts, v.version)
        if initial_pending and r.initial is not None:
            end = add_months(start, r.initial.months) - _ONE
        else:
            if r.anchor == "birthday":
                md = md or _birthday(facts)
            end = r.end(start, anchor, first, md if r.anchor == "birthday" else r.fixed)
            first = False
        out.append((start, min(end, until - _ONE)))
        if initial_pending and r.initial is not None:
            anchor = end + _ONE
        initial_pending = False
        start = end + _ONE
    return out
