"""`evaluate`: the walk over a certification's cycles (board actions, versions, carry-over) to
the current one, its status and next_change_on, and the Evaluation built from it."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from operator import attrgetter

from app.rules.engine.compiled import _Compiled
from app.rules.engine.counting import CYCLE, _initial_run, _Prep, _Run, _run_cycle
from app.rules.engine.cycles import _birthday, select_version
from app.rules.engine.dates import _ONE, add_months
from app.rules.engine.explain import _Explainer
from app.rules.engine.hours import _dec
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
    RuleVersion,
    Status,
    UnknownVersion,
)

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
    anchor = chain_start  # what the cycles' arithmetic counts from: the chain start, or the end of an initial phase
    initial_pending = not reinstated  # an initial phase belongs to the chain that starts on the issue date
    counted_before: dict[str, int] | None = None
    runs: list[_Run] = []
    while True:
        v = pinned or (versions[0] if len(versions) == 1 else select_version(versions, start))
        r = v.compiled
        if r.choices is not None or facts.cycle_option is not None or facts.variants:
            r = _chosen(r, facts, v.version)
        if initial_pending and r.initial is not None:
            initial_pending = False
            run = _initial_run(v, r, start, as_of, acts)
            if run.met_on is None:  # the phase is current
                runs.append(run)
                break
            if run.met_on > start:  # it ran until the day before its requirements were met
                run.end = run.met_on - _ONE
                runs.append(run)
            start = count_from = anchor = run.met_on
            continue
        initial_pending = False
        if r.anchor == "birthday":
            md = md or _birthday(facts)
            cmd = md
        else:
            cmd = r.fixed
        end = r.end(start, anchor, first, cmd)
        no_ce = bool(first and not reinstated and r.no_ce_under and add_months(start, r.no_ce_under) > end)
        carry = excess if excess < r.carry_max else r.carry_max
        slots = preps.get(id(r))
        if slots is None:
            slots = preps[id(r)] = [None] * len(comps)
        run = _run_cycle(
            v,
            r,
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
            no_ce,
            counted_before,
        )
        runs.append(run)
        if as_of > end and run.met_on is not None:  # passed over: met by E, or late on or before D
            if r.once_ever:
                counted_before = {**run.seen, **counted_before} if counted_before else dict(run.seen)
            if run.met_on <= end:
                excess, count_from = run.total - run.need, end + _ONE
            else:
                excess, count_from = 0, run.met_on + _ONE
            start, first = end + _ONE, False
            continue
        break
    return _result(runs, facts, as_of, chain_start, reinstated, hold, next_action, comps, explain,
                   requirements, preps.get(id(runs[-1].rules)) or [None] * len(comps))


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
    requirements: bool,
    run_preps: list[_Prep | None],
) -> Evaluation:
    run = runs[-1]
    r = run.rules
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
        from_text = _Explainer(run, runs, as_of, chain_start, reinstated, status, hold, comps, run_preps,
                               (facts.cycle_option, facts.variants))
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
        chain_start=chain_start,
        met_on=run.met_on,
        filing_due_on=due_on,
        period=run.kind,
        cycle_option=facts.cycle_option,
        variants=facts.variants,
    )


def _requirements(run: _Run) -> tuple[tuple[CategoryResult, ...], tuple[ModalityMinimumResult, ...],
                                      tuple[OtherResult, ...], tuple[CapResult, ...]]:
    """Each requirement of the cycle's rules with the hours (or attestation) it came to."""
    r = run.rules
    ce = run.kind == CYCLE  # an initial phase and a first cycle without CE require no hours
    categories = tuple(
        CategoryResult(
            category=slug,
            required_hours=_dec(need if ce else 0),
            earned_hours=_dec(got),
            remaining_hours=_dec(need - got if ce and got < need else 0),
            label=label,
            every_years=every,
            once=once,
        )
        for (slug, need, every, label, once), got in zip(r.cats, run.cat_sum, strict=True)
    )
    modality_minimums = tuple(
        ModalityMinimumResult(
            modalities=modalities,
            required_hours=_dec(need if ce else 0),
            earned_hours=_dec(got),
            remaining_hours=_dec(need - got if ce and got < need else 0),
            label=label,
        )
        for (modalities, need, label), got in zip(r.mods, run.mod_sum, strict=True)
    )
    declared = r.others if run.kind != "initial" else r.initial[3]  # type: ignore[index]
    others = tuple(
        OtherResult(
            id=oid,
            kind=kind,
            description=desc,
            required_hours=None if need is None else _dec(need),
            earned_hours=None if kind == "attestation" else _dec(got),
            met=met_on is not None,
        )
        for (oid, kind, need, desc), (got, met_on) in zip(declared, run.others, strict=True)
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
    return categories, modality_minimums, others, caps
