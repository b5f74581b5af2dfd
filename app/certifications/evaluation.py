"""Feeding the pure engine: the facts of a batch of certifications, read set-based as one plan.

The same plan (`app.reads`) serves every reader: a compliance check (one certification, on the
API's async reads), the writes that refresh a stored status, transcripts, and the sweep (batches
of a thousand, in its own transactions). It reads

1. the certifications, each with its holder's birthday, a key of its credential's rule versions
   and whether it has board actions or recorded activities;
2. the holders' completions, with each course's facts token;
3. only then what the per-process caches lack (rule documents, course topics and approvals), and
   the board actions and activities of the certifications that have any.

A compliance check is thus two queries when the caches are warm.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, NamedTuple

from sqlalchemy import Integer, Select, bindparam, exists, select, type_coerce
from sqlmodel import Session, col

from app.catalog.models import Course
from app.certifications.models import BoardAction, Certification, CertificationActivity
from app.clock import Clock
from app.completions.facts import completion_columns, completions_plan, engine_completions
from app.completions.models import Completion
from app.people.models import Person
from app.reads import Plan, Query, in_, run
from app.rules import engine
from app.rules import service as rules_service
from app.rules.engine import RuleVersion
from app.rules.engine.hours import decimal_hours


class CertRow(NamedTuple):
    """A certification as the evaluation reads it: what the engine needs, then the stored status columns
    (read by the sweep and lists; a compliance check leaves them None)."""

    id: int
    person_id: int
    credential_code: str
    state: str
    issued_on: date
    birth_month: int | None
    birth_day: int | None
    cycle_option: str | None
    variants: str
    rules_key: str | None
    has_actions: bool
    has_activities: bool
    number: str | None = None
    status: str | None = None
    cycle_start: date | None = None
    cycle_end: date | None = None
    grace_ends_on: date | None = None
    next_change_on: date | None = None
    evaluated_on: date | None = None
    dirty: bool = False


def cert_columns(dialect: str, *, stored: bool = True) -> list[Any]:
    """The columns of a `CertRow`, for queries that select certifications to evaluate (`stored`: with the
    stored status columns)."""
    c = Certification
    columns = [
        c.id, c.person_id, c.credential_code, c.state, c.issued_on, Person.birth_month, Person.birth_day,
        c.cycle_option, c.variants, rules_service.versions_key(dialect, c.credential_code),
        exists().where(col(BoardAction.certification_id) == col(c.id)),
        exists().where(col(CertificationActivity.certification_id) == col(c.id)),
    ]
    if stored:
        columns += [c.number, c.status, c.cycle_start, c.cycle_end, c.grace_ends_on, c.next_change_on,
                    c.evaluated_on, c.dirty]
    return columns


CERTIFICATIONS = Query(lambda d: (
    select(*cert_columns(d)).join(Person, col(Person.id) == col(Certification.person_id))
    .where(in_(d, Certification.id, "ids"))
    .order_by(col(Certification.id))
))
_CERT_WIDTH = len(CertRow._fields) - len(CertRow._field_defaults)


def _one_with_completions(dialect: str) -> Select:
    cert = (select(*cert_columns(dialect, stored=False))
            .join(Person, col(Person.id) == col(Certification.person_id))
            .where(col(Certification.id) == bindparam("id"))).cte("cert")
    if dialect == "postgresql":
        cert = cert.prefix_with("MATERIALIZED")  # its subqueries once, not once per completion
    return (select(*cert.c, *completion_columns())
            .select_from(cert)
            .outerjoin(Completion, col(Completion.person_id) == cert.c.person_id)
            .outerjoin(Course, col(Course.id) == col(Completion.course_id))
            .order_by(col(Completion.completed_on), col(Completion.id)))


ONE_WITH_COMPLETIONS = Query(_one_with_completions)
ACTIONS = Query(lambda d: (
    select(BoardAction.certification_id, BoardAction.kind, BoardAction.effective_on)
    .where(in_(d, BoardAction.certification_id, "ids"))
    .order_by(col(BoardAction.effective_on), col(BoardAction.id))
))
ACTIVITIES = Query(lambda d: (
    select(CertificationActivity.certification_id, CertificationActivity.kind, CertificationActivity.requirement_id,
           CertificationActivity.on, type_coerce(CertificationActivity.hours, Integer))
    .where(in_(d, CertificationActivity.certification_id, "ids"))
    .order_by(col(CertificationActivity.on), col(CertificationActivity.id))
))


@dataclass(slots=True)
class Inputs:
    cert: CertRow
    versions: list[RuleVersion]
    facts: engine.CertificationFacts
    completions: list[engine.Completion]
    activities: list[engine.Activity]

    @property
    def timezone(self) -> str:
        return self.versions[-1].rules.timezone if self.versions else "America/New_York"


def gather_plan(ids: Iterable[int], admit: Callable[[CertRow], bool] | None = None) -> Plan[dict[int, Inputs]]:
    """Everything the engine needs for these certifications (missing ids are absent, and so are those
    `admit` refuses: nothing more is read about them)."""
    wanted = sorted(set(ids))
    if not wanted:
        return {}
    rows = yield CERTIFICATIONS, {"ids": wanted}
    certs = [CertRow._make(r) for r in rows]
    return (yield from inputs_plan([c for c in certs if admit(c)] if admit else certs))


def one_plan(certification_id: int, admit: Callable[[CertRow], bool]) -> Plan[Inputs | None]:
    """`gather_plan` for one certification, in one query when the caches are warm (the compliance read).

    None when it does not exist or `admit` refuses it.
    """
    rows = yield ONE_WITH_COMPLETIONS, {"id": certification_id}
    if not rows:
        return None
    cert = CertRow(*rows[0][:_CERT_WIDTH])
    if not admit(cert):
        return None
    completions = [r[_CERT_WIDTH:] for r in rows if r[_CERT_WIDTH + 1] is not None]
    return (yield from inputs_plan([cert], completions))[cert.id]


def inputs_plan(certs: Sequence[CertRow], completion_rows: Sequence[Sequence[Any]] | None = None, *,
                accepted_only: bool = False) -> Plan[dict[int, Inputs]]:
    """The engine's inputs for certifications already read (`cert_columns`), keyed by id; their holders'
    completions are read unless given (rows of `completion_columns`; `accepted_only`: only the accepted
    ones, untitled, for evaluations without explanations)."""
    if not certs:
        return {}
    versions = yield from rules_service.versions_plan({c.credential_code: c.rules_key for c in certs})
    credentials: dict[int, set[tuple[str, str]]] = defaultdict(set)
    for c in certs:
        credentials[c.person_id].add((c.credential_code, c.state))
    if completion_rows is None:
        completions = yield from completions_plan(credentials, accepted_only=accepted_only)
    else:
        completions = yield from engine_completions(completion_rows, credentials)
    actions: dict[int, list[engine.BoardAction]] = defaultdict(list)
    with_actions = [c.id for c in certs if c.has_actions]
    if with_actions:
        for cert_id, kind, effective_on in (yield ACTIONS, {"ids": with_actions}):
            actions[cert_id].append(engine.BoardAction(kind=kind, effective_on=effective_on))
    activities: dict[int, list[engine.Activity]] = defaultdict(list)
    with_activities = [c.id for c in certs if c.has_activities]
    if with_activities:
        for cert_id, kind, requirement_id, on, hundredths in (yield ACTIVITIES, {"ids": with_activities}):
            activities[cert_id].append(engine.Activity(
                kind=kind, requirement_id=requirement_id, on=on,
                hours=None if hundredths is None else decimal_hours(hundredths)))
    no_completions: list[engine.Completion] = []
    out: dict[int, Inputs] = {}
    for c in certs:
        birthday = (c.birth_month, c.birth_day) if c.birth_month is not None and c.birth_day is not None else None
        out[c.id] = Inputs(
            cert=c,
            versions=versions.get(c.credential_code, []),
            facts=engine.CertificationFacts(issued_on=c.issued_on, credential_code=c.credential_code,
                                            birth_month_day=birthday, board_actions=tuple(actions.get(c.id, ())),
                                            cycle_option=c.cycle_option, variants=split_variants(c.variants)),
            completions=completions.get(c.person_id, no_completions),
            activities=activities.get(c.id, []),
        )
    return out


def split_variants(stored: str | None) -> tuple[str, ...]:
    """A certification's stored `variants` column as the engine takes it (sorted ids)."""
    return tuple(stored.split(",")) if stored else ()


def join_variants(variants: Collection[str]) -> str:
    """Variant ids as the `variants` column stores them."""
    return ",".join(sorted(set(variants)))


def gather(session: Session, certifications: Collection[Certification | CertRow]) -> dict[int, Inputs]:
    """Everything the engine needs for these certifications, in the session's transaction."""
    return run(gather_plan(c.id for c in certifications if c.id is not None), session)


def today_for(clock: Clock, inputs: Inputs) -> date:
    return clock.today(inputs.timezone)


def evaluate(inputs: Inputs, *, as_of: date, extra: Sequence[engine.Completion] = (),
             versions: Sequence[RuleVersion] | None = None, explain: bool = True) -> engine.Evaluation:
    return engine.evaluate(
        versions=versions or inputs.versions,
        facts=inputs.facts,
        completions=[*inputs.completions, *extra] if extra else inputs.completions,
        activities=inputs.activities,
        as_of=as_of,
        explain=explain,
    )
