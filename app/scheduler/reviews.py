"""A renewal review's reasons: why a cycle the sweep renewed is called into question, in plain English.

A recorded renewal stands whatever the facts say later (docs/compliance.md, "Decisions that stay decided").
When they no longer meet a renewed cycle, the sweep raises one `renewal_review` flag for it, carrying
these reasons so the board can decide (reopen the cycle, revoke, or leave it): when it was renewed and
with what, what changed since (the rule version, the hours, each completion that no longer counts in
full), and which requirement is now short. The cycle is evaluated for them as if its renewal were set
aside: the plain derivation, on every completion of the holder (voided and pending ones included, so
they can be named).
"""

from __future__ import annotations

import dataclasses
from datetime import date

from sqlmodel import Session, col, select

from app.compliance import facts as compliance
from app.rules import engine
from app.rules.engine.hours import _fmt, _h
from app.scheduler.flags import Evaluated
from app.scheduler.models import Renewal
from app.scheduler.notify import unmet_requirements


def reasons(session: Session, item: Evaluated, start: date, end: date, stranded: bool) -> list[str]:
    """The reasons of the review of the renewed cycle [start, end] of `item`'s certification."""
    renewal = session.exec(
        select(Renewal)
        .where(
            Renewal.certification_id == item.cert.id, Renewal.cycle_start == start, col(Renewal.reopened_on).is_(None)
        )
        .order_by(col(Renewal.generation).desc())
    ).first()
    out = [_renewed(start, end, renewal)]
    result = item.result
    if stranded:
        out.append(
            f"It is no longer a cycle of this certification: its issue date, a reinstatement or its rules "
            f"changed since (the current cycle is {result.cycle_start} to {result.cycle_end})"
        )
        return out
    inputs = compliance.gather(session, [item.cert.id]).get(item.cert.id)
    if inputs is None:
        return out
    facts = dataclasses.replace(
        inputs.facts,
        renewals=tuple(
            x._replace(reopened_on=x.recorded_on) if x.cycle_start == start and x.stands_on(item.day) else x
            for x in inputs.facts.renewals
        ),
    )
    try:
        plain = compliance.evaluate(inputs, as_of=item.day, facts=facts)
    except engine.RuleError as exc:
        return [*out, f"It cannot be evaluated again: {exc}"]
    if plain.cycle_start != start:
        return [*out, "The data no longer meets it"]
    changed = []
    if renewal is not None and renewal.rule_version is not None and plain.rule_version != renewal.rule_version:
        changed.append(
            f"rule version {plain.rule_version} now evaluates it (it was renewed under version {renewal.rule_version})"
        )
    if renewal is not None and renewal.required_hours is not None and plain.required_hours != renewal.required_hours:
        changed.append(
            f"it now requires {_hours(plain.required_hours)} hours (it required {_hours(renewal.required_hours)})"
        )
    if renewal is not None and renewal.earned_hours is not None and plain.earned_hours != renewal.earned_hours:
        changed.append(
            f"its earned hours are now {_hours(plain.earned_hours)} (they were {_hours(renewal.earned_hours)})"
        )
    if changed:
        out.append("What changed: " + "; ".join(changed))
    last = plain.grace_ends_on if plain.met_on is None else plain.cycle_end
    by_id = {c.id: c for c in inputs.completions}
    for o in plain.completions:
        c = by_id.get(o.completion_id)
        if c is None or not start <= c.completed_on <= last:
            continue
        if o.outcome != "counted" or "sets" in o.reason:
            head = (
                f"Completion #{c.id} ({c.title}, {c.completed_on})"
                if c.title
                else f"Completion #{c.id} ({c.completed_on})"
            )
            out.append(f"{head} now: {'not counted: ' if o.outcome == 'not_counted' else ''}{o.reason}")
    short = unmet_requirements(plain)
    if short:
        out.append(
            "Now short: "
            + "; ".join(
                f"{u['label']}: {_num(u['earned_hours'])} of {_num(u['required_hours'])} hours "
                f"({_num(u['remaining_hours'])} short)"
                if u["remaining_hours"] is not None
                else f"{u['label']}: not met"
                for u in short
            )
        )
    return out


def _renewed(start: date, end: date, renewal: Renewal | None) -> str:
    line = f"The cycle {start} to {end} was renewed"
    if renewal is not None:
        line += f" on {renewal.recorded_on}"
        if renewal.earned_hours is not None and renewal.required_hours is not None:
            line += f" with {_hours(renewal.earned_hours)} of {_hours(renewal.required_hours)} hours" + (
                f" under rule version {renewal.rule_version}" if renewal.rule_version else ""
            )
    return line + "; the renewal stands until the board reopens the cycle or revokes the certification"


def _hours(value: object) -> str:
    return _fmt(_h(value))  # type: ignore[arg-type]


def _num(value: float | None) -> str:
    return f"{value:.2f}" if value is not None else "-"
