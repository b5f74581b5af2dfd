"""Fixtures of the scope walk: one world per test module, one savepoint per test.

The world (tests/security/world.py) is built once per module through the API, in a transaction that is
rolled back when the module ends; each test runs in a savepoint of it, rolled back after the test, so
a call that wrongly succeeds cannot change what the next test sees. These fixtures have names of their
own: the suite's usual `client`, `admin`, `db` and `app` keep working here as everywhere else.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest
from sqlalchemy import Connection
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session, SQLModel

import app.models  # noqa: F401  (every table registered in the metadata)
from app.main import create_app
from tests.security import world as world_module
from tests.support.client import ApiClient


@dataclass
class Env:
    connection: Connection
    app: object
    client: ApiClient  # anonymous; .as_(token) for the others
    world: world_module.World
    tokens: object
    document: dict = None  # the OpenAPI document the app serves
    baseline: dict = None  # snapshot() of the world: every test starts from it (savepoints)
    _clients: dict = field(default_factory=dict)

    def as_role(self, role: str) -> ApiClient:
        """A client of one walked role (or admin); tokens are minted once per module."""
        if role not in self._clients:
            self._clients[role] = self.client.as_(self._token(role))
        return self._clients[role]

    def _token(self, role: str) -> str | None:
        w, t = self.world, self.tokens
        token = {
            "anonymous": None,
            "admin": t.admin(),
            world_module.BOARD: t.board("NC"),
            world_module.PROVIDER: t.provider(w["provider_A"]),
            world_module.PEER: t.peer(w["person_nc"]),
        }[role]
        return token

    def unchanged(self, skip: frozenset[str] = frozenset()) -> dict[str, tuple[int, str]]:
        """(before, after) of the tables not skipped: the world as built, and as it is now."""
        return {k: v for k, v in self.baseline.items() if k not in skip}, self.snapshot(skip)

    def snapshot(self, skip: frozenset[str] = frozenset()) -> dict[str, tuple[int, str]]:
        """Every table's row count and a digest of all its rows and columns."""
        names = [t.name for t in SQLModel.metadata.sorted_tables if t.name not in skip]
        cursor = self.connection.connection.cursor()  # the DB-API cursor of the test's own transaction
        try:
            if self.connection.dialect.name == "postgresql":  # one round trip, digests made by the server
                cursor.execute(
                    " UNION ALL ".join(
                        f"SELECT '{name}', count(*), md5(coalesce(string_agg(t::text, E'\\n' ORDER BY t::text), ''))"
                        f' FROM "{name}" t'
                        for name in names
                    )
                )
                return {name: (count, digest) for name, count, digest in cursor.fetchall()}
            out = {}
            for name in names:
                cursor.execute(f'SELECT * FROM "{name}"')
                rows = sorted(map(repr, cursor.fetchall()))
                out[name] = (len(rows), hashlib.sha256("\n".join(rows).encode()).hexdigest())
            return out
        finally:
            cursor.close()


@pytest.fixture(scope="module")
def walk_env(engine, settings, tokens) -> Iterator[Env]:
    with engine.connect() as conn:
        outer = conn.begin()
        try:
            app = create_app(settings, engine=engine)
            app.state.session_factory = sessionmaker(
                bind=conn, class_=Session, expire_on_commit=False, join_transaction_mode="create_savepoint"
            )
            app.state.clock = world_module.CLOCK
            client = ApiClient(app)
            try:
                built = world_module.build(client, tokens)
                env = Env(connection=conn, app=app, client=client, world=built, tokens=tokens, document=app.openapi())
                env.baseline = env.snapshot()
                yield env
            finally:
                client.close()
        finally:
            outer.rollback()


@pytest.fixture
def env(walk_env: Env) -> Iterator[Env]:
    """The module's world, inside a savepoint that is rolled back after the test."""
    savepoint = walk_env.connection.begin_nested()
    try:
        yield walk_env
    finally:
        if savepoint.is_active:
            savepoint.rollback()
