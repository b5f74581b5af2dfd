"""Hot-path reads: SQLAlchemy Core queries compiled once and run on the raw driver.

A compliance check and a sweep batch read the same facts (certifications, completions, rules,
catalog). They are written once, as a *plan*: a generator that yields `(query, params)` and is
sent back each query's rows. A plan holds the logic and no I/O, so it runs unchanged

- on a session (`run`): writes, the sweep and every SQLite read, inside the caller's transaction;
- on an async psycopg pool (`PoolReads`): the API's compliance reads on PostgreSQL, on the event
  loop with no thread hop;
- in a worker thread on a session (`SessionReads`): the same reads on SQLite, and in tests, where
  the app's sessions share the test's rolled-back transaction.

On PostgreSQL a query is compiled once to SQL text and executed on the psycopg connection itself
(no statement construction, compilation or result processing per call; psycopg prepares it on
the server after a few calls). On SQLite the session executes it as usual. Queries select plain
values (hours as integer hundredths, JSON as text), so rows look the same on both, and each query
names the typed row (a NamedTuple) its rows come back as: `columns` builds its select list from that
row's fields, so a column and the name it is read by are declared together, once.
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Sequence
from typing import Any, NamedTuple, Protocol, TypeVar

import psycopg
from sqlalchemy import Integer, any_, bindparam
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session
from sqlalchemy.sql import Select
from starlette.concurrency import run_in_threadpool

T = TypeVar("T")
Rows = list[Any]
AnySelect = Select[*tuple[Any, ...]]  # a SELECT of any columns


def columns(row: type[NamedTuple], exprs: dict[str, Any], *, prefix: bool = False) -> list[Any]:
    """The select list of a query whose rows are `row`s: `exprs` maps each field, in order, to its SQL
    expression (`prefix`: the row's leading fields only). A list that is not the row's fields is an error
    at build time, so rows can never be read by the wrong names."""
    fields = row._fields[: len(exprs)] if prefix else row._fields
    if tuple(exprs) != fields:
        raise TypeError(f"{row.__name__} has the fields {fields}; the query selects {tuple(exprs)}")
    return list(exprs.values())


class Query:
    """A read, built per dialect from SQLAlchemy Core and compiled once for the raw driver; its rows come back
    as `row` (a NamedTuple class whose fields are the select list, see `columns`), or as plain tuples.

    `materialize=False` (the largest streams: a sweep batch reads some 15,000 completions) leaves the rows
    plain tuples in the order of `row`'s fields, which its reader unpacks: building a NamedTuple per row
    costs more than everything else done with it.
    """

    __slots__ = ("_build", "_built", "_compiled", "row", "materialize")

    def __init__(
        self, build: Callable[[str], AnySelect], row: type[NamedTuple] | None = None, *, materialize: bool = True
    ) -> None:
        self._build = build  # dialect name -> statement
        self._built: dict[str, AnySelect] = {}
        self._compiled: tuple[str, dict[str, Any]] | None = None
        self.row = row
        self.materialize = materialize

    def typed(self, rows: Sequence[Any]) -> Rows:
        """The driver's rows as this query's typed rows (no copy when it has no row type to build)."""
        row = self.row
        if row is None or not self.materialize:
            return rows if isinstance(rows, list) else list(rows)
        new = tuple.__new__
        return [new(row, r) for r in rows]

    def statement(self, dialect: str) -> AnySelect:
        stmt = self._built.get(dialect)
        if stmt is None:
            stmt = self._built[dialect] = self._build(dialect)
        return stmt

    def postgres_sql(self) -> tuple[str, dict[str, Any]]:
        """SQL text for psycopg and the statement's own parameter values (separators, literals)."""
        if self._compiled is None:
            from sqlalchemy.dialects.postgresql.psycopg import dialect

            compiled = self.statement("postgresql").compile(dialect=dialect())
            if "POSTCOMPILE" in compiled.string:
                raise ValueError(f"a hot-path query cannot have render-time parameters: {compiled.string}")
            self._compiled = compiled.string, {k: v for k, v in compiled.params.items() if v is not None}
        return self._compiled


Fetch = tuple[Query, dict[str, Any]]
Plan = Generator[Fetch, Rows, T]


def in_(dialect: str, column: Any, name: str | None, item_type: Any = Integer, values: list[Any] | None = None) -> Any:
    """`column IN (:name)`: one array parameter on PostgreSQL (not thousands to render and parse), an
    expanding list elsewhere. With `values` the parameter carries them (an anonymous one without `name`)."""
    if dialect == "postgresql":
        array = ARRAY(item_type)
        param = bindparam(name, type_=array) if values is None else bindparam(name, values, type_=array)
        return column == any_(param)
    return column.in_(bindparam(name, expanding=True) if values is None else bindparam(name, values, expanding=True))


def fetch_sync(session: Session, query: Query, params: dict[str, Any]) -> Rows:
    """One query in the session's transaction: psycopg directly on PostgreSQL, the session elsewhere."""
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        sql, defaults = query.postgres_sql()
        raw = connection.connection.dbapi_connection
        if not isinstance(raw, psycopg.Connection):
            raise TypeError(f"PostgreSQL is read through psycopg 3, not {type(raw).__name__}")
        cursor = raw.cursor()
        try:
            cursor.execute(sql, {**defaults, **params}, binary=True)  # binary rows: cheaper to load
            return query.typed(cursor.fetchall())
        finally:
            cursor.close()
    rows = session.execute(query.statement(connection.dialect.name), params).all()
    # plain tuples, as psycopg returns them: the compiled read model (app.build) checks the tuples it is typed with
    return query.typed([tuple(r) for r in rows])


def run(plan: Plan[T], session: Session) -> T:
    """Drive a plan on a session (sync)."""
    try:
        query, params = next(plan)
        while True:
            query, params = plan.send(fetch_sync(session, query, params))
    except StopIteration as done:
        return done.value


class Reads(Protocol):
    """Where the API runs its hot read plans (`app.state.reads`)."""

    async def run(self, plan: Plan[T]) -> T: ...

    async def open(self) -> None: ...

    async def close(self) -> None: ...


class SessionReads:
    """Plans run in a worker thread on a new session, in turn at the app's database gate: SQLite, and the
    tests' shared transaction."""

    def __init__(self, state: Any) -> None:
        self._state = state  # the app's state, read per call: tests swap the app's session factory

    def _run(self, plan: Plan[T]) -> T:
        with self._state.session_factory() as session:
            try:
                return run(plan, session)
            finally:
                session.rollback()

    async def run(self, plan: Plan[T]) -> T:
        async with self._state.db_gate.turn():
            return await run_in_threadpool(self._run, plan)

    async def open(self) -> None:
        return None

    async def close(self) -> None:
        return None


class PoolReads:
    """Plans run on an async psycopg pool of autocommit connections (PostgreSQL)."""

    def __init__(self, database_url: str, *, min_size: int, max_size: int) -> None:
        from psycopg_pool import AsyncConnectionPool

        conninfo = make_url(database_url).set(drivername="postgresql").render_as_string(hide_password=False)
        self.pool = AsyncConnectionPool(
            conninfo,
            min_size=min_size,
            max_size=max_size,
            open=False,
            kwargs={"autocommit": True},
            name="peer-ce-reads",
        )

    async def open(self) -> None:
        await self.pool.open(wait=True, timeout=30)

    async def close(self) -> None:
        await self.pool.close()

    async def run(self, plan: Plan[T]) -> T:
        async with self.pool.connection() as conn:
            cursor = conn.cursor()
            try:
                query, params = next(plan)
                while True:
                    sql, defaults = query.postgres_sql()
                    await cursor.execute(sql, {**defaults, **params}, binary=True)
                    query, params = plan.send(query.typed(await cursor.fetchall()))
            except StopIteration as done:
                return done.value
            finally:
                await cursor.close()
