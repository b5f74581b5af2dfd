"""The schema comes from Alembic migrations, and the models never drift from them."""

from __future__ import annotations

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from app.config import Settings
from app.db import make_engine, metadata
from app.migrate import alembic_config, upgrade_to_head
from tests.conftest import TEST_DATABASE_URL
from tests.support.databases import throwaway_database


def _drift(engine) -> list:
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        return compare_metadata(context, metadata)


def test_models_and_migrations_do_not_drift(engine):
    """The test database was built by the migrations alone; the models must agree with it."""
    assert _drift(engine) == []


def test_upgrade_downgrade_upgrade_round_trip(tmp_path):
    with throwaway_database(TEST_DATABASE_URL, tmp_path) as url:
        engine = make_engine(Settings(_env_file=None, data_dir=tmp_path, database_url=url))
        upgrade_to_head(engine)
        assert "rule_set_version" in inspect(engine).get_table_names()
        cfg = alembic_config()
        with engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.downgrade(cfg, "base")
        assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
        upgrade_to_head(engine)
        assert _drift(engine) == []
        engine.dispose()


def test_migrating_twice_is_a_no_op(engine):
    upgrade_to_head(engine)
    assert _drift(engine) == []


def test_every_table_is_named_by_the_naming_convention(engine):
    inspector = inspect(engine)
    for table in inspector.get_table_names():
        if table == "alembic_version":
            continue
        pk = inspector.get_pk_constraint(table)["name"]
        assert pk in (f"pk_{table}", None), f"{table}: {pk}"  # SQLite does not report pk names
        for uq in inspector.get_unique_constraints(table):
            assert uq["name"].startswith(f"uq_{table}_")


