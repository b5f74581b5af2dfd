"""Whose data a report covers, and which days: the caller's scope, the board's today, a bounded period.

A board's reports cover its states; an admin's every state; a training center's (provider role) the
states its courses are approved in today, for CE demand. A `state` or `credential_code` filter narrows
that scope and never widens it: a state outside it gives empty (zero) results, as a list would.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Connection, and_, false, select
from sqlmodel import Session, col

from app.auth.principal import Principal, Role
from app.catalog.models import Course, CourseApproval
from app.catalog.search import valid_on
from app.catalog.service import CATALOG_TIMEZONE
from app.certifications.models import Certification
from app.clock import Clock
from app.constants import DEFAULT_TIMEZONE
from app.errors import Forbidden, Unprocessable
from app.reports.snapshots import zones_of
from app.rules import service as rules_service
from app.uow import run_unit

MAX_PERIOD_DAYS = 3 * 365 + 1  # the longest period a report over completions reads (3 years)


@dataclass(frozen=True)
class Scope:
    """The certifications (and their holders) a report counts."""

    states: frozenset[str] | None  # None: every state
    credential_code: str | None = None

    @property
    def everything(self) -> bool:
        return self.states is None and self.credential_code is None

    def where(self, state: Any = Certification.state, code: Any = Certification.credential_code) -> list[Any]:
        """WHERE clauses on certification columns (state and credential code)."""
        clauses: list[Any] = []
        if self.states is not None:
            clauses.append(col(state).in_(sorted(self.states)) if self.states else false())
        if self.credential_code is not None:
            clauses.append(col(code) == self.credential_code)
        return clauses

    def holders(self) -> ColumnElement[bool] | None:
        """The people certified in scope, as a subquery of person ids (None: anyone)."""
        if self.everything:
            return None
        return select(col(Certification.person_id)).where(and_(*self.where())).scalar_subquery()


def resolve(
    session: Session,
    principal: Principal,
    *,
    state: str | None = None,
    credential_code: str | None = None,
    clock: Clock | None = None,
) -> Scope:
    """The caller's scope narrowed by the filters."""
    if principal.role is not Role.provider:
        return of_admin_or_board(principal, state=state, credential_code=credential_code)
    code = credential_code.strip().upper() if credential_code else None
    wanted = frozenset({state.upper()}) if state else None
    today = clock.today(CATALOG_TIMEZONE) if clock else date.today()
    approved = frozenset(
        session.execute(
            select(col(CourseApproval.state))
            .distinct()
            .join(Course, col(Course.id) == col(CourseApproval.course_id))
            .where(col(Course.provider_id) == principal.provider_id, col(Course.status) == "published", valid_on(today))
        ).scalars()
    )
    return Scope(states=approved & wanted if wanted is not None else approved, credential_code=code)


def of_admin_or_board(principal: Principal, *, state: str | None = None, credential_code: str | None = None) -> Scope:
    """`resolve` for an admin or a board (nothing to read)."""
    code = credential_code.strip().upper() if credential_code else None
    wanted = frozenset({state.upper()}) if state else None
    if principal.is_admin:
        states = wanted
    elif principal.role is Role.board:
        states = principal.states & wanted if wanted is not None else frozenset(principal.states)
    else:
        raise Forbidden("Reports are for admins, boards and training centers.")
    return Scope(states=states, credential_code=code)


_CREDENTIALS: dict[str, tuple[float, dict[str, tuple[str, str]]]] = {}
CREDENTIALS_SECONDS = 60.0


def credentials(session: Session) -> dict[str, tuple[str, str]]:
    """Every credential's state and board time zone, read at most once a minute per database (a rule version
    that moves a board to another time zone is seen within the minute)."""
    key = _database_key(session)
    hit = cached_credentials(key)
    if hit is not None:
        return hit
    states = {code: state for state, codes in rules_service.codes_by_state(session).items() for code in codes}
    zones = zones_of(session, states)
    value = {code: (state, zones.get(code, DEFAULT_TIMEZONE)) for code, state in states.items()}
    _CREDENTIALS[key] = (time.monotonic(), value)
    return value


def _database_key(session: Session) -> str:
    bind = session.get_bind()
    return str((bind.engine if isinstance(bind, Connection) else bind).url)


def cached_credentials(key: str) -> dict[str, tuple[str, str]] | None:
    """`credentials` of the database `key` (its engine's URL) when read within the minute, else None."""
    hit = _CREDENTIALS.get(key)
    if hit is not None and time.monotonic() - hit[0] < CREDENTIALS_SECONDS:
        return hit[1]
    return None


def today(session: Session, clock: Clock, scope: Scope) -> date:
    """The calendar date the report stands on: today in the scope's boards' time zones (the earliest of them
    when they differ, so no board's day is reported before it has come)."""
    return today_of(credentials(session), clock, scope)


async def today_read(app_state: Any, clock: Clock, scope: Scope) -> date:
    """`today` for a route without a session (`app_state`: the app's state): from the credentials read within
    the minute, or read in a unit of their own."""
    known = cached_credentials(str(app_state.engine.url))
    if known is None:
        known = await run_unit(app_state, credentials, write=False)
    return today_of(known, clock, scope)


def today_of(known: dict[str, tuple[str, str]], clock: Clock, scope: Scope) -> date:
    """`today` given every credential's state and time zone (`credentials`)."""
    zones = {
        zone
        for code, (state, zone) in known.items()
        if (scope.states is None or state in scope.states)
        and (scope.credential_code is None or code == scope.credential_code)
    } or {DEFAULT_TIMEZONE}
    return min(clock.today(zone) for zone in zones)


def period(
    start: date | None,
    end: date | None,
    *,
    today: date,
    default_days: int = 365,
    max_days: int = MAX_PERIOD_DAYS,
    names: tuple[str, str] = ("from", "to"),
) -> tuple[date, date]:
    """[start, end], both inclusive: by default the `default_days` up to today; 422 when reversed or too long."""
    end = end or today
    start = start or end - timedelta(days=default_days - 1)
    if start > end:
        raise Unprocessable(
            f"'{names[0]}' ({start}) is after '{names[1]}' ({end}).",
            errors=[
                {
                    "loc": ["query", names[0]],
                    "field": f"query.{names[0]}",
                    "message": f"after '{names[1]}'",
                    "type": "value_error",
                }
            ],
        )
    if (end - start).days + 1 > max_days:
        raise Unprocessable(
            f"The period {start} to {end} is longer than {max_days} days; ask for less.",
            errors=[
                {
                    "loc": ["query", names[0]],
                    "field": f"query.{names[0]}",
                    "message": f"at most {max_days} days before '{names[1]}'",
                    "type": "value_error",
                }
            ],
        )
    return start, end
