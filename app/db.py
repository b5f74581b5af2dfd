"""Database engine, sessions and the shared column types.

One commit point: a request's unit of work (`app.uow`) commits once, after the response is
rendered and before it is sent (and rolls back on any error); services only add and flush. Jobs
use ``session_scope()``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from decimal import Decimal
from operator import itemgetter
from typing import Annotated, Any, Protocol

from fastapi import Depends, Request
from sqlalchemy import (
    JSON,
    DateTime,
    Engine,
    Integer,
    MetaData,
    String,
    Table,
    TypeDecorator,
    any_,
    bindparam,
    cast,
    create_engine,
    event,
    inspect,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session, SQLModel

from app.config import Settings

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
metadata: MetaData = SQLModel.metadata
metadata.naming_convention = NAMING_CONVENTION

JSONDocument = JSON().with_variant(JSONB(), "postgresql")


class HoursType(TypeDecorator):
    """Exact CE hours stored as integer hundredths of an hour (never binary floats)."""

    impl = Integer
    cache_ok = True

    def process_bind_param(self, value: Decimal | None, dialect: Any) -> int | None:
        if value is None:
            return None
        return int((Decimal(value) * 100).to_integral_exact())

    def process_result_value(self, value: int | None, dialect: Any) -> Decimal | None:
        if value is None:
            return None
        return Decimal(value).scaleb(-2)


class UTCDateTime(TypeDecorator):
    """Timezone-aware UTC timestamps on every database (SQLite would drop the offset)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are not stored; use app.db.utcnow()")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def utcnow() -> datetime:
    return datetime.now(UTC)


WRITE = {"peer_ce_write": True}
"""Execution options of a unit of work that writes: on SQLite it takes the write lock when it begins."""


def make_engine(settings: Settings) -> Engine:
    """The app's engine. Its pool holds `db_pool_size + db_max_overflow` connections; requests are admitted
    to them through `app.uow.Gate`, which keeps `settings.db_reserved` of them for the jobs."""
    url = settings.resolved_database_url
    pool = {
        "pool_size": settings.db_pool_size,
        "max_overflow": settings.db_max_overflow,
        "pool_timeout": settings.db_pool_timeout_seconds,
    }
    if url.startswith("sqlite"):
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            url, connect_args={"check_same_thread": False, "timeout": settings.sqlite_busy_timeout_seconds}, **pool
        )
        _configure_sqlite(engine)
        return engine
    return create_engine(url, pool_pre_ping=True, **pool)


def _configure_sqlite(engine: Engine) -> None:
    """WAL (readers never wait for the writer), and writers that queue instead of failing.

    SQLite has one writer at a time. A deferred `BEGIN` that reads and then writes cannot wait for the
    lock (SQLite answers "database is locked" at once, whatever the busy timeout, to avoid a deadlock).
    So a unit of work that writes begins with `BEGIN IMMEDIATE` (execution option `WRITE`): it takes the
    write lock up front, waiting up to the busy timeout for the writer before it, and then cannot fail
    for contention. Units that only read begin deferred and run beside the writer.
    """

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not pysqlite, emit BEGIN: transactional DDL and savepoints work.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        immediate = connection.get_execution_options().get("peer_ce_write")
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def make_session_factory(bind: Any) -> sessionmaker[Session]:
    return sessionmaker(bind=bind, class_=Session, expire_on_commit=False)


async def get_session(request: Request) -> AsyncIterator[Session]:
    """The request's session: its unit of work (`app.uow`) admits it to a connection and commits it once."""
    from app.uow import request_session

    async with request_session(request) as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session, scope="function")]


@contextmanager
def session_scope(session_factory: sessionmaker[Session], *, write: bool = False) -> Iterator[Session]:
    """A unit of work for jobs and the CLI: commit on success, roll back on error.

    `write=True` for work that writes: on SQLite it takes the write lock up front, so it waits for a
    concurrent writer instead of failing.
    """
    session = session_factory(execution_options=WRITE) if write else session_factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def get_scoped(session: Session, model: Any, ident: int, *, scope: Any, missing: Exception) -> Any:
    """`model` row `ident` if `scope` (a WHERE clause, or None for everything) admits it; else raise `missing`.

    Out-of-scope rows are reported exactly like absent ones, so ids leak nothing.
    """
    from sqlmodel import select

    query = select(model).where(model.id == ident)
    if scope is not None:
        query = query.where(scope)
    row = session.exec(query).first()
    if row is None:
        raise missing
    return row


def contains(column: Any, text: str) -> Any:
    """Case-insensitive "contains `text`", with LIKE's wildcards in the text taken literally."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return column.ilike(f"%{escaped}%", escape="\\")


def in_values(session: Session, column: Any, values: list[Any], item_type: Any) -> Any:
    """`column IN values` in the session's dialect (`app.reads.in_` with the values bound). On PostgreSQL ids
    and text go as the text of their array when they can (`_array_text`): psycopg adapts a list a value at a
    time (a regular expression each), which cost more than anything else done with a roster's 10,000 keys."""
    from app.reads import in_

    dialect = session.get_bind().dialect.name
    if dialect == "postgresql" and (array := _array_text(values, item_type)) is not None:
        return column == any_(cast(bindparam(None, array, type_=String), ARRAY(item_type)))
    return in_(dialect, column, None, item_type, values)


def _array_text(values: list[Any], item_type: Any) -> str | None:
    """The values as a PostgreSQL array literal: integers, or strings with no double quote or backslash (each
    element quoted, so commas, braces, spaces and the word NULL are text); None for anything else."""
    if item_type is Integer:
        try:
            return "{" + ",".join(map(int.__repr__, values)) + "}"  # TypeError for anything but an int
        except TypeError:
            return None
    if item_type is String and all(type(v) is str for v in values):
        joined = "".join(values)
        if '"' in joined or "\\" in joined:
            return None
        return '{"' + '","'.join(values) + '"}' if values else "{}"
    return None


class BinaryArray(list[Any]):
    """A list that psycopg sends to PostgreSQL as a binary array parameter.

    psycopg sends a plain list as a text array, formatting each element and matching it against a quoting regex
    in Python: for the sweep's status UPDATE (8 arrays of 1,000 values a batch) that took ~12 ms of CPU a batch,
    where the binary form takes ~2.5 (bench/README.md, "Issue 23, item 5"). The values and their SQL types are
    the same (an empty list, or one of Nones only, still goes as text: a binary array needs its elements' type).
    """

    __slots__ = ()


def _register_binary_arrays() -> None:
    import psycopg
    from psycopg.types.array import ListBinaryDumper

    psycopg.adapters.register_dumper(BinaryArray, ListBinaryDumper)


_register_binary_arrays()


class HasId(Protocol):
    @property
    def id(self) -> int | None: ...


def id_of(row: HasId) -> int:
    """A stored row's id (a table model's `id` is None only until its insert is flushed)."""
    if row.id is None:
        raise ValueError(f"{type(row).__name__} has no id before its insert is flushed")
    return row.id


def table_of(model: type[SQLModel]) -> Table:
    """The Table a table model maps (SQLModel sets `__table__` but does not declare it to type checkers)."""
    table = inspect(model).local_table
    if not isinstance(table, Table):
        raise TypeError(f"{model.__name__} is not a table model")
    return table


def is_postgres(bind: Engine | Session | Any) -> bool:
    engine = bind.get_bind() if isinstance(bind, Session) else bind
    return engine.dialect.name == "postgresql"


def bulk_insert(
    session: Session, table: Any, rows: list[dict[str, Any]], *, constants: dict[str, Any] | None = None
) -> None:
    """Insert many rows in the session's transaction: COPY on PostgreSQL, executemany elsewhere. Every row
    has the same keys; `constants` are columns with one value for every row (converted once).

    Values go through the columns' own bind processing (exact hours, UTC timestamps, JSON).
    """
    if not rows:
        return
    fixed = constants or {}
    connection = session.connection()
    if connection.dialect.name != "postgresql":
        connection.execute(table.insert(), [{**fixed, **row} for row in rows] if fixed else rows)
        return
    dialect = connection.dialect
    names = list(rows[0])
    converters = [_copy_converter(table.c[name].type, dialect) for name in names]
    special = [(i, convert) for i, convert in enumerate(converters) if convert is not None]
    tail = [  # the constants' values, converted once
        value if (convert := _copy_converter(table.c[name].type, dialect)) is None else convert(value)
        for name, value in fixed.items()
    ]
    values_of = itemgetter(*names) if len(names) > 1 else (lambda row: (row[names[0]],))
    import psycopg
    from sqlalchemy.exc import IntegrityError

    raw = connection.connection.dbapi_connection
    if not isinstance(raw, psycopg.Connection):
        raise TypeError(f"COPY needs psycopg 3, not {type(raw).__name__}")
    cursor = raw.cursor()
    columns = ", ".join(f'"{n}"' for n in [*names, *fixed])
    statement = f'COPY "{table.name}" ({columns}) FROM STDIN'
    try:
        with cursor.copy(statement) as copy:
            for row in rows:
                if special:
                    values = list(values_of(row))
                    for i, convert in special:
                        values[i] = convert(values[i])
                    values.extend(tail)
                    copy.write_row(values)
                else:
                    copy.write_row((*values_of(row), *tail))
    except psycopg.errors.IntegrityError as exc:  # as SQLAlchemy raises it for its own statements
        raise IntegrityError(statement, None, exc) from exc
    finally:
        cursor.close()


def reserve_ids(session: Session, table: Any, count: int) -> list[int] | None:
    """`count` new ids for rows of `table`, from the sequence of its serial `id` column, in the order its
    inserts would take them (so rows inserted with them are numbered as without). PostgreSQL only: None
    elsewhere."""
    if not is_postgres(session) or count <= 0:
        return None
    query = text(  # the sequence looked up once (an InitPlan), not per row; the ids as one text (one row to read)
        "SELECT string_agg(id::text, ',' ORDER BY id) FROM ("
        "SELECT nextval((SELECT CAST(pg_get_serial_sequence(:table, 'id') AS regclass))) AS id "
        "FROM generate_series(1, :count)) AS reserved"
    )
    ids: str = session.execute(query, {"table": table.name, "count": count}).scalar_one()
    return list(map(int, ids.split(",")))


def _copy_converter(column_type: Any, dialect: Any) -> Any:
    import json

    if isinstance(column_type, JSON):
        return lambda value: None if value is None else json.dumps(value)
    if isinstance(column_type, TypeDecorator) and (
        type(column_type).process_bind_param is not TypeDecorator.process_bind_param
    ):
        # The app's decorated types (HoursType, UTCDateTime) convert a value by what it equals: each value
        # once per COPY (a roster repeats its courses' hours and one timestamp).
        done: dict[tuple[type, Any], Any] = {}

        def convert(value: Any) -> Any:
            key = (type(value), value)
            try:
                return done[key]
            except KeyError:
                done[key] = out = column_type.process_bind_param(value, dialect)
                return out
            except TypeError:  # unhashable
                return column_type.process_bind_param(value, dialect)

        return convert
    return None
