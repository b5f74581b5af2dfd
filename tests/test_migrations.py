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


def test_upgrading_a_database_that_holds_data_keeps_it(tmp_path):
    """Later migrations meet filled tables: a course with topics (referenced by other tables) survives
    0007 and 0008 up, down and up again."""
    from sqlalchemy import text

    with throwaway_database(TEST_DATABASE_URL, tmp_path) as url:
        engine = make_engine(Settings(_env_file=None, data_dir=tmp_path, database_url=url))
        cfg = alembic_config()

        def migrate(revision: str, *, down: bool = False) -> None:
            with engine.begin() as conn:
                cfg.attributes["connection"] = conn
                (command.downgrade if down else command.upgrade)(cfg, revision)

        migrate("0006")
        with engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO provider (id, name, kind, created_at, updated_at) "
                    "VALUES (1, 'ATTC', 'attc_region', '2026-01-01', '2026-01-01')"
                )
            )
            conn.execute(text("INSERT INTO topic (id, name, description) VALUES ('ethics', 'Ethics', 'Ethics')"))
            conn.execute(
                text(
                    "INSERT INTO course (id, provider_id, external_id, title, hours, modality, status, "
                    "available_from, created_at, updated_at) VALUES (1, 1, 'c-1', 'Ethics', 300, "
                    "'self_paced', 'published', '2026-01-01', '2026-01-01', '2026-01-01')"
                )
            )
            conn.execute(text("INSERT INTO course_topic (course_id, topic_id) VALUES (1, 'ethics')"))
        migrate("head")
        migrate("0006", down=True)
        migrate("head")
        with engine.connect() as conn:
            assert conn.execute(text("SELECT id, facts_token FROM course")).all() == [(1, "migrated")]
            assert conn.execute(text("SELECT course_id, topic_id FROM course_topic")).all() == [(1, "ethics")]
        assert _drift(engine) == []
        engine.dispose()
