"""Database engine, sessions and the shared column types.

One commit point: a request's session commits once after the endpoint returned
(and rolls back on any error); services only add and flush. Jobs use
``session_scope()``.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from decimal import Decimal
from typing import Annotated, Any

from fastapi import Depends, Request
from sqlalchemy import (
    JSON,
    DateTime,
    Engine,
    Integer,
    MetaData,
    TypeDecorator,
    create_engine,
    event,
)
from sqlalchemy.dialects.postgresql import JSONB
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


def make_engine(settings: Settings) -> Engine:
    url = settings.resolved_database_url
    if url.startswith("sqlite"):
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})
        _configure_sqlite(engine)
        return engine
    return create_engine(
        url,
        pool_size=settings.db_pool_size,
        max_overflow=settings.db_max_overflow,
        pool_pre_ping=True,
    )


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not pysqlite, emit BEGIN: transactional DDL and savepoints work.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN")


def make_session_factory(bind: Any) -> sessionmaker[Session]:
    return sessionmaker(bind=bind, class_=Session, expire_on_commit=False)


def get_session(request: Request) -> Iterator[Session]:
    """The request's unit of work: commit once after the endpoint, roll back on error."""
    session: Session = request.app.state.session_factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


SessionDep = Annotated[Session, Depends(get_session, scope="function")]


@contextmanager
def session_scope(session_factory: sessionmaker[Session]) -> Iterator[Session]:
    """A unit of work for jobs and the CLI: commit on success, roll back on error."""
    session = session_factory()
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
    """`column IN values` in the session's dialect (`app.reads.in_` with the values bound)."""
    from app.reads import in_

    return in_(session.get_bind().dialect.name, column, None, item_type, values)


def is_postgres(bind: Engine | Session | Any) -> bool:
    engine = bind.get_bind() if isinstance(bind, Session) else bind
    return engine.dialect.name == "postgresql"


def bulk_insert(session: Session, table: Any, rows: list[dict[str, Any]]) -> None:
    """Insert many rows in the session's transaction: COPY on PostgreSQL, executemany elsewhere.

    Values go through the columns' own bind processing (exact hours, UTC timestamps, JSON).
    """
    if not rows:
        return
    connection = session.connection()
    if connection.dialect.name != "postgresql":
        connection.execute(table.insert(), rows)
        return
    names = list(rows[0])
    converted = [(name, _copy_converter(table.c[name].type, connection.dialect)) for name in names]
    plain = [name for name, convert in converted if convert is None]
    special = [(name, convert) for name, convert in converted if convert is not None]
    cursor = connection.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        columns = ", ".join(f'"{n}"' for n in [*plain, *(n for n, _ in special)])
        with cursor.copy(f'COPY "{table.name}" ({columns}) FROM STDIN') as copy:
            for row in rows:
                copy.write_row([*(row[n] for n in plain), *(convert(row[n]) for n, convert in special)])
    finally:
        cursor.close()


def _copy_converter(column_type: Any, dialect: Any) -> Any:
    import json

    if isinstance(column_type, JSON):
        return lambda value: None if value is None else json.dumps(value)
    if isinstance(column_type, TypeDecorator) and (
        type(column_type).process_bind_param is not TypeDecorator.process_bind_param
    ):
        return lambda value: column_type.process_bind_param(value, dialect)
    return None
