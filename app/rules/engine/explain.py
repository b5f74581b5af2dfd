"""Plain-English reasons and per-completion outcomes for one evaluation."""

from __future__ import annotations

from datetime import date
from functools import cached_property

from app.rules.engine.compiled import Other
from app.rules.engine.counting import (
    _CAPPED,
    _DUPLICATE,
    _NO_HOURS,
    _NOT_ACCEPTED,
    _NOT_APPROVED,
    _REPEATED,
    CYCLE,
    INITIAL,
    NO_CE,
    _Prepared,
    _Run,
)
from app.rules.engine.dates import _ONE
from app.rules.engine.hours import _dec, _fmt, _h
from app.rules.engine.types import (
    BoardAction,
    Completion,
    CompletionOutcome,
    RecordedRenewal,
    StatedCycle,
    Status,
)

# --- explanations -------------------------------------------------------------------------

_ZERO = _dec(0)


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
        prepared: _Prepared,
        choices: tuple[str | None, tuple[str, ...]] = (None, ()),
        *,
        restarted_on: date | None = None,
        resumed: tuple[date, date] | None = None,
        stated: StatedCycle | None = None,
        stranded: tuple[RecordedRenewal, ...] = (),
    ) -> None:
        self.run, self.runs, self.as_of = run, runs, as_of
        self.restarted_on = restarted_on or chain_start
        self.resumed, self.stranded = resumed, stranded
        self.stated = stated if stated is not None and stated.recorded_on <= as_of else None
        self.chain_start, self.reinstated = chain_start, reinstated
        self.status, self.hold, self.comps = status, hold, comps
        self.prepared = prepared  # the completions prepared for the current cycle's rules, from the evaluation
        self.days = [c.completed_on.isoformat() for c in comps]
        r = run.rules
        self.r = r
        self.choices = choices
        self.grace_end = run.grace_end
        self.noun = r.initial[0] if run.kind == INITIAL and r.initial else "cycle"
        if as_of <= run.end:
            self.deadline: date | None = run.end
        elif (r.grace_ce or run.kind == INITIAL) and as_of <= self.grace_end:
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
            line = f"Cycles restarted with the board reinstatement on {self.restarted_on.isoformat()}"
            if self.restarted_on != self.chain_start:
                line += f", from {self.chain_start.isoformat()} as the board stated"
            out.append(line)
        if self.resumed is not None:
            began, back = self.resumed
            out.append(
                f"The board reinstatement on {back.isoformat()} resumed the cycles: the cycle current when "
                f"the hold began on {began.isoformat()} had not ended"
            )
        out.extend(self._decided())
        out.extend(self._choices())
        if run.kind == INITIAL:
            assert r.initial is not None
            longer = f", extendable once until {self.grace_end.isoformat()}" if r.initial.extension else ""
            out.append(
                f"No CE is required in the {r.initial.label} ({s} to {e}{longer}); the renewal cycles begin "
                "on the date its requirements are met"
            )
            out.extend(self._other_lines(r.initial.others, s, e))
            return self._with_completions(out, outcomes)
        if run.kind != CYCLE:
            out.append(
                f"No CE is required in this cycle: it is the certification's first cycle and shorter "
                f"than {r.no_ce_under} months; CE completed in it counts toward no cycle's hours"
            )
            out.extend(self._other_lines(r.others, s, e))
            return self._with_completions(out, outcomes)
        if r.filing:
            out.append(f"The renewal is due by {run.due_on.isoformat()}; the certification expires on {e}")
        out.append(f"{_fmt(run.total)} of {_fmt(run.need)} hours earned; {self._still(run.need, run.total)}")
        if run.carry_in and self.stated is not None and self.stated.start == run.start:
            out.append(
                f"Includes {_fmt(run.carry_in)} hours carried over, as the board stated when it registered "
                "the certification"
            )
        elif run.carry_in:
            prev = self.runs[-2]
            out.append(
                f"Includes {_fmt(run.carry_in)} hours carried over from the cycle "
                f"{prev.start.isoformat()} to {prev.end.isoformat()}"
            )
        for cat, got, w in zip(r.cats, run.cat_sum, run.windows, strict=True):
            name = cat.label or cat.slug
            line = f"{_fmt(got)} of {_fmt(cat.need)} {name} hours earned; {self._still(cat.need, got)}"
            if cat.once:
                line += f" (due once: hours completed at any time up to {e} count)"
            elif cat.every_years is not None and w is not None:
                line += (
                    f" (due once every {cat.every_years} years: hours completed from "
                    f"{max(w + _ONE, self.chain_start).isoformat()} to {e} count)"
                )
            out.append(line)
        for m, got in zip(r.mods, run.mod_sum, strict=True):
            name = m.label or " or ".join(m.modalities)
            out.append(f"{_fmt(got)} of {_fmt(m.need)} {name} hours earned; {self._still(m.need, got)}")
        out.extend(self._other_lines(r.others, s, e))
        for cap, used, lost in zip(r.caps, run.cap_used, run.cap_discarded, strict=True):
            if used or lost:
                line = f"{cap.modality or cap.category} cap: {_fmt(used)} of {_fmt(cap.max)} hours used"
                out.append(line + (f"; {_fmt(lost)} discarded" if lost else ""))
        return self._with_completions(out, outcomes)

    def _with_completions(self, out: list[str], outcomes: tuple[CompletionOutcome, ...]) -> tuple[str, ...]:
        for o, c, day in zip(outcomes, self.comps, self.days, strict=True):
            head = f"Completion #{c.id} ({c.title}, {day})" if c.title else f"Completion #{c.id} ({day})"
            if o.outcome == "not_counted":
                out.append(f"{head} was not counted: {o.reason}")
            else:
                out.append(f"{head} {o.reason}")
        return tuple(out)

    def _other_lines(self, declared: tuple[Other, ...], s: str, e: str) -> list[str]:
        out = []
        for o, progress in zip(declared, self.run.others, strict=True):
            got, met_on = progress.got, progress.met_on
            if o.kind == "attestation":
                done = f"recorded on {met_on.isoformat()}" if met_on else f"not recorded between {s} and {e}"
                out.append(f"Attestation {o.id} ({o.description}): {done}")
            else:
                words = o.kind.replace("_", " ")
                out.append(
                    f"{_fmt(got)} of {_fmt(o.need or 0)} {words} recorded for {o.id} ({o.description}); "
                    f"{self._still(o.need or 0, got)}"
                )
        return out

    def _decided(self) -> list[str]:
        """Recorded decisions the walk followed: renewals the data alone would not give, a board's stated cycle,
        and standing renewals of cycles the derivation no longer has."""
        out = []
        by_board = [(x, x.renewed_on) for x in self.runs[:-1] if x.renewed_on is not None and x.by_board]
        if by_board:
            (first, _), (last, recorded_on) = by_board[0], by_board[-1]
            out.append(
                f"The cycles from {first.start.isoformat()} to {last.end.isoformat()} count as renewed by "
                f"the board (recorded on {recorded_on.isoformat()}, when it registered the certification)"
            )
        for x in self.runs[:-1]:
            if x.renewed_on is not None and not x.by_board and x.met_on is None:
                out.append(
                    f"The cycle {x.start.isoformat()} to {x.end.isoformat()} stands as renewed (recorded on "
                    f"{x.renewed_on.isoformat()}) although the data no longer meets it; only a board action "
                    "(reopen or revoke) undoes a renewal"
                )
        st = self.stated
        if st is not None and st.start == self.run.start:
            out.append(
                f"The board registered the certification in the cycle starting on {st.start.isoformat()}"
                + (f" and ending on {st.end.isoformat()}" if st.end is not None else "")
                + f" (recorded on {st.recorded_on.isoformat()})"
            )
        for renewal in self.stranded:
            out.append(
                f"The renewal of the cycle {renewal.cycle_start.isoformat()} to {renewal.cycle_end.isoformat()} "
                f"recorded on {renewal.recorded_on.isoformat()} is no longer a cycle of this certification (its "
                "issue date, a reinstatement or the rules changed); it stands until a board reopens it"
            )
        return out

    def _choices(self) -> list[str]:
        """The certification's cycle option and variants, as its rules apply them."""
        option, variants = self.choices
        rs, out = self.r.rules, []
        if option is not None:
            o = next(x for x in rs.cycle_options if x.id == option)
            out.append(
                f"Cycle option {o.label or o.id}: {o.months}-month cycles with "
                f"{_fmt(self.r.total)} hours each, as chosen for this certification"
            )
        for vid in variants:
            x = next(x for x in rs.variants if x.id == vid)
            added = [f"{_fmt(_h(x.extra_hours))} more hours"] if x.extra_hours else []
            added += [f"{_fmt(_h(c.min_hours))} {c.label or c.category} hours" for c in x.categories]
            out.append(f"Variant {x.label}: " + (", ".join(added) if added else "no added hours"))
        return out

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
        run, noun = self.run, self.noun
        filing = run.due_on != run.end
        if st == "in_progress":
            return f"In progress: {noun} {s} to {e}; due soon from {(run.due_on - self.r.due_soon).isoformat()}"
        if st == "due_soon":
            days = (run.due_on - self.as_of).days
            when = "today" if days == 0 else f"in {days} day{'s' if days != 1 else ''}"
            if filing:
                return (
                    f"Due soon: the renewal of the cycle {s} to {e} is due by {run.due_on.isoformat()} "
                    f"({when}) with requirements unmet"
                )
            return f"Due soon: the {noun} {s} to {e} ends {when} with requirements unmet"
        g = self.grace_end.isoformat()
        if run.kind == INITIAL:
            if st == "overdue":
                return (
                    f"Overdue: the {noun} {s} to {e} ended with its requirements unmet; the board may "
                    f"extend it once, until {g}"
                )
            return (
                f"Lapsed: the {noun} {s} to {e} ended with its requirements unmet"
                + (f" and its extension ended on {g}" if g != e else "")
                + "; only a board reinstatement starts a new chain of cycles"
            )
        if st == "overdue" and self.as_of <= run.end:
            late = f"; late renewal is possible until {g}" if self.r.grace_days else ""
            return (
                f"Overdue: the renewal of the cycle {s} to {e} was due by {run.due_on.isoformat()} with "
                f"requirements unmet; the certification expires on {e}{late}"
            )
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
        got = self.run.outcomes or {}
        processed, outside = self._processed, self._outside
        return tuple(
            processed(j, c, day, *got[j]) if j in got else outside(j, c, day)
            for j, (c, day) in enumerate(zip(self.comps, self.days, strict=True))
        )

    def _outside(self, j: int, c: Completion, day: str) -> CompletionOutcome:
        """A completion the current cycle did not look at: why not."""
        run, r, on = self.run, self.r, c.completed_on
        if on > self.as_of:
            why = f"dated {day}, after the evaluation date {self._iso['as_of']}"
        elif run.kind == INITIAL and on >= run.start:
            why = f"dated {day}, in the {self.noun} that began on {self._iso['start']}, which requires no CE"
        elif run.kind != CYCLE and run.start <= on <= run.end:
            why = (
                f"dated {day}, in the first cycle {self._iso['start']} to {self._iso['end']}, which requires "
                f"no CE (it is shorter than {r.no_ce_under} months)"
            )
        elif on < self.chain_start and self.reinstated:
            why = (
                f"dated {day}, before the current cycle: cycles restarted with the board "
                f"reinstatement on {self._iso['restarted_on']}"
            )
        elif on < run.count_from and on >= run.start:
            prev = self.runs[-2]
            why = (
                f"dated {day}, counted toward the late cycle {prev.start.isoformat()} to "
                f"{prev.end.isoformat()}, which it completed on {prev.met_on}"
            )
        elif not r.grace_ce and run.due_on < on <= run.end:
            why = (
                f"dated {day}, after the renewal was due on {run.due_on.isoformat()}; CE completed after the "
                f"filing deadline does not count for {r.code}"
            )
        elif on > run.end and not r.grace_ce:
            why = (
                f"dated {day}, after the cycle ended on {self._iso['end']}; CE completed "
                f"after the cycle end does not count for {r.code}"
            )
        elif first := self._in_first_cycle_without_ce(on):
            why = f"dated {day}, in the first cycle {first}, which required no CE; it counts toward no cycle's hours"
        elif on > self.grace_end:
            why = (
                f"dated {day}, after the grace period ended on {self._iso['grace_end']}"
                if (r.grace_days)
                else f"dated {day}, after the cycle ended on {self._iso['end']}"
            )
        else:
            why = f"dated {day}, outside the cycle {self._iso['start']} to {self._iso['end']}"
        hits = run.lookback_hits.get(j)
        if hits:
            names = " and ".join(
                f"{r.cats[i].label or r.cats[i].slug} "
                + ("(due once)" if r.cats[i].once else f"(due once every {r.cats[i].every_years} years)")
                for i in hits
            )
            why += f"; it still counts toward {names}"
        return CompletionOutcome(c.id, _ZERO, "not_counted", why)

    def _in_first_cycle_without_ce(self, on: date) -> str | None:
        first = self.runs[0]
        if first is not self.run and first.kind == NO_CE and first.start <= on <= first.end:
            return f"{first.start.isoformat()} to {first.end.isoformat()}"
        return None

    @cached_property
    def _iso(self) -> dict[str, str]:
        """The evaluation's own dates as text, formatted once for every completion's reason."""
        return {
            "as_of": self.as_of.isoformat(),
            "restarted_on": self.restarted_on.isoformat(),
            "start": self.run.start.isoformat(),
            "end": self.run.end.isoformat(),
            "grace_end": self.grace_end.isoformat(),
        }

    def _processed(
        self, j: int, c: Completion, day: str, counted: int, code: int, about: int | None
    ) -> CompletionOutcome:
        """A completion the current cycle looked at: what it counted, and why (`about`: see `_Outcome`)."""
        r = self.r
        if code == _NOT_ACCEPTED:
            return CompletionOutcome(c.id, _ZERO, "not_counted", "not accepted (pending review or voided)")
        if code == _NOT_APPROVED:
            return CompletionOutcome(c.id, _ZERO, "not_counted", f"not approved for {r.code} on {day}")
        if code == _DUPLICATE:
            return CompletionOutcome(c.id, _ZERO, "not_counted", f"duplicate of completion #{about}")
        if code == _NO_HOURS:
            return CompletionOutcome(c.id, _ZERO, "not_counted", "carries no hours")
        if code == _REPEATED:
            return CompletionOutcome(
                c.id,
                _ZERO,
                "not_counted",
                f"the course was counted in an earlier cycle (completion #{about}); a course counts once for {r.code}",
            )
        prepared = self.prepared
        credit = prepared.credit[j]
        if credit < 0:
            credit = prepared.fill(j)
        cats, course = prepared.targets[j].cats, prepared.course[j]
        notes = []
        if cats:
            names = [r.cats[i].label or r.cats[i].slug for i in cats]
            notes.append("toward " + ", ".join(names))
        if c.completed_on > self.run.end:
            notes.append("late, in the grace period")
        if credit != course:
            notes.append(f"the approval for {r.code} sets {_fmt(credit)} hours; the course has {_fmt(course)}")
        extra = f" ({'; '.join(notes)})" if notes else ""
        if code == _CAPPED:
            assert about is not None
            cap = r.caps[about]
            why = (
                f"{cap.modality or cap.category} hours over the {_fmt(cap.max)}-hour cap "
                f"({_fmt(credit - counted)} discarded)"
            )
            if not counted:
                return CompletionOutcome(c.id, _ZERO, "not_counted", why)
            return CompletionOutcome(
                c.id,
                _dec(counted),
                "partly_counted",
                f"counted {_fmt(counted)} of {_fmt(credit)} hours{extra}: {why}",
            )
        return CompletionOutcome(c.id, _dec(counted), "counted", f"counted {_fmt(counted)} hours{extra}")
