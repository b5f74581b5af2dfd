"""The pure engine alone, in process: CPU per certification of `engine.evaluate` over generated inputs.

No database, no server: every shipped rule set (content/rules), each with a second, later version for a
third of them, and seeded random certifications of them (issue dates over 14 years, birthdays, cycle
options and variants, 5-120 completions (5-12 a year) of courses with topics and approvals, duplicates, voided ones, a
few board actions, recorded renewals and activities for the rules' other requirements). Each mode
evaluates every certification once per round; the figure is the best round (least noise on a shared
machine), in microseconds per certification:

    .venv/bin/python -m bench.engine_micro                       # 2,000 certifications, best of 7
    .venv/bin/python -m bench.engine_micro --certs 5000 --rounds 11 --json
    PEER_CE_COMPILED=0 .venv/bin/python -m bench.engine_micro   # the pure-Python modules (app.build)

Modes: `sweep` (explain=False, requirements=False: what a sweep batch asks), `status` (explain=False,
per-requirement results), `explain` (everything: a compliance answer's reasons and per-completion
outcomes). The inputs are built once, before any timing, from the engine's public types only, so the
same script measures the engine before and after a change to its internals.
"""

from __future__ import annotations

import argparse
import json
import random
import time
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from app.build import engine_build
from app.rules import engine
from app.rules.document import RuleSet
from app.rules.loader import CONTENT_RULES_DIR, iter_content_rule_sets

AS_OF = date(2026, 12, 1)
MODALITIES = ("in_person", "live_virtual", "self_paced")


@dataclass(frozen=True, slots=True)
class Case:
    versions: tuple[engine.RuleVersion, ...]
    facts: engine.CertificationFacts
    completions: tuple[engine.Completion, ...]
    activities: tuple[engine.Activity, ...]


def _versions(rs: RuleSet, later: bool) -> tuple[engine.RuleVersion, ...]:
    first = engine.RuleVersion(1, rs.effective_from, rs)
    if not later:
        return (first,)
    total = rs.requirements.total_hours + 2
    second = rs.model_copy(update={"requirements": rs.requirements.model_copy(update={"total_hours": total})})
    return first, engine.RuleVersion(2, max(rs.effective_from, date(2024, 1, 1)), second)


def _courses(rs: RuleSet, rng: random.Random, n: int) -> list[tuple[str, frozenset[str], tuple[engine.Approval, ...]]]:
    """(course_key, topics, approvals) of `n` courses for one credential."""
    cats = list(rs.requirements.categories) + [c for v in rs.variants for c in v.categories]
    topics = sorted({t for c in cats for t in c.topics}) or ["general"]
    slugs = sorted({c.category for c in cats})
    out = []
    for i in range(n):
        tags = frozenset(rng.sample(slugs, k=min(len(slugs), rng.choice((0, 1, 1, 2))))) if slugs else frozenset()
        approvals: tuple[engine.Approval, ...] = ()
        roll = rng.random()
        if roll < 0.75:
            withdrawn = date(2024, rng.randint(1, 12), 1) if rng.random() < 0.03 else None
            hours = Decimal(rng.choice((1, 2, 3))) if rng.random() < 0.1 else None
            approvals = (engine.Approval(rs.code, tags, hours, withdrawn_on=withdrawn),)
        elif roll < 0.85:
            approvals = (engine.Approval("OTHER-CODE", tags),)
        out.append(
            (f"course:{rs.code}:{i}", frozenset(rng.sample(topics, k=min(len(topics), rng.randint(1, 2)))), approvals)
        )
    return out


def cases(n: int, seed: int = 7) -> list[Case]:
    """`n` certifications spread over every shipped rule set, reproducible for a seed."""
    rng = random.Random(seed)
    rule_sets = iter_content_rule_sets(CONTENT_RULES_DIR)
    per_set = [(rs, _versions(rs, i % 3 == 0), _courses(rs, rng, 60)) for i, rs in enumerate(rule_sets)]
    out = []
    for k in range(n):
        rs, versions, courses = per_set[k % len(per_set)]
        issued = date(2012, 1, 1) + timedelta(days=int((rng.random() ** 0.7) * 5300))
        option = rng.choice(rs.cycle_options).id if rs.cycle_options else None
        variants = tuple(sorted(v.id for v in rs.variants if rng.random() < 0.5))
        actions: tuple[engine.BoardAction, ...] = ()
        roll = rng.random()
        if roll < 0.04:
            on = issued + timedelta(days=rng.randint(200, 1500))
            actions = (engine.BoardAction("suspend", on),)
            if roll < 0.02:
                actions += (engine.BoardAction("reinstate", on + timedelta(days=rng.randint(20, 200))),)
        span = max((AS_OF - issued).days, 1)
        comps = []
        for j in range(min(120, 5 + int(span / 365 * rng.uniform(5, 12)))):  # most holders keep up
            key, topics, approvals = rng.choice(courses)
            comps.append(
                engine.Completion(
                    id=k * 100 + j,
                    course_key=key,
                    completed_on=issued + timedelta(days=rng.randint(0, span)),
                    hours=Decimal(rng.choice((1, 1.5, 2, 3, 4, 6, 8))),
                    modality=rng.choice(MODALITIES),
                    accepted=rng.random() > 0.03,
                    title=f"Course {key}",
                    topics=topics,
                    approvals=approvals,
                )
            )
        others = list(rs.requirements.other) + (list(rs.initial_period.requirements) if rs.initial_period else [])
        acts = []
        for o in others:
            for _ in range(rng.randint(0, 4)):
                on = issued + timedelta(days=rng.randint(0, span))
                hours = None if o.kind == "attestation" else Decimal(rng.randint(5, 40))
                acts.append(engine.Activity(o.kind, o.id if rng.random() < 0.8 else None, on, hours))
        renewals: tuple[engine.RecordedRenewal, ...] = ()
        if rng.random() < 0.2:
            start, end = (
                engine.cycle_bounds(versions[0].rules, issued, birth_month_day=(3, 14))
                if not rs.initial_period and not rs.cycle_options
                else (issued, issued + timedelta(days=700))
            )
            if end < AS_OF:
                renewals = (engine.RecordedRenewal(start, end, end + timedelta(days=5)),)
        facts = engine.CertificationFacts(
            issued_on=issued,
            credential_code=rs.code,
            birth_month_day=(rng.randint(1, 12), rng.randint(1, 28)),
            board_actions=actions,
            cycle_option=option,
            variants=variants,
            renewals=renewals,
        )
        out.append(Case(versions, facts, tuple(comps), tuple(acts)))
    return out


MODES = {"sweep": (False, False), "status": (False, True), "explain": (True, True)}


def measure(inputs: list[Case], rounds: int) -> dict[str, float]:
    """Best-of-`rounds` CPU microseconds per certification, per mode."""
    evaluate = engine.evaluate
    out: dict[str, float] = {}
    for mode, (explain, requirements) in MODES.items():
        best = float("inf")
        for _ in range(rounds):
            started = time.process_time()
            for c in inputs:
                evaluate(
                    versions=c.versions,
                    facts=c.facts,
                    completions=c.completions,
                    as_of=AS_OF,
                    activities=c.activities,
                    explain=explain,
                    requirements=requirements,
                )
            best = min(best, time.process_time() - started)
        out[mode] = round(best / len(inputs) * 1e6, 2)
    return out


def fingerprint(inputs: list[Case]) -> str:
    """A digest of every evaluation (status, dates, hours, reasons): equal before and after a refactoring."""
    import hashlib

    digest = hashlib.sha256()
    for c in inputs:
        e = evaluate_one(c)
        digest.update(repr(e).encode())
    return digest.hexdigest()[:16]


def evaluate_one(c: Case) -> engine.Evaluation:
    return engine.evaluate(
        versions=c.versions, facts=c.facts, completions=c.completions, as_of=AS_OF, activities=c.activities
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--certs", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--json", action="store_true", help="one JSON line instead of a table")
    args = parser.parse_args()
    inputs = cases(args.certs, args.seed)
    for c in inputs:  # warm: compiled rules, choices, tag caches, hours caches
        evaluate_one(c)
    result = {
        "build": engine_build(),  # mypyc (compiled) or python: PEER_CE_COMPILED
        "certs": len(inputs),
        "rounds": args.rounds,
        "fingerprint": fingerprint(inputs),
        "us_per_cert": measure(inputs, args.rounds),
    }
    if args.json:
        print(json.dumps(result))
        return
    print(
        f"engine build {result['build']}: {len(inputs)} certifications, best of {args.rounds} rounds; "
        f"evaluations digest {result['fingerprint']}"
    )
    for mode, us in result["us_per_cert"].items():
        print(f"  {mode:8} {us:8.2f} µs per certification")


if __name__ == "__main__":
    main()
