"""Writers of one certification's row on PostgreSQL: they wait for each other in one order and never deadlock.

A completion that names its learner's certification holds `FOR KEY SHARE` on that row (the foreign key) until its
transaction ends; marking the row dirty and storing its status lock it `FOR NO KEY UPDATE`, which that share does
not block. With `FOR UPDATE` two writers that had both inserted such a completion each waited for the other's
share: a roster and a single completion of one holder sent at once, and one of them answered 503.
"""

from __future__ import annotations

import threading
from datetime import date

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session

from app.compliance import dirty
from app.compliance import status as stored_status
from app.migrate import upgrade_to_head
from tests.conftest import TEST_DATABASE_URL
from tests.support.databases import throwaway_database

pytestmark = pytest.mark.skipif(not TEST_DATABASE_URL, reason="row locks of PostgreSQL")


@pytest.fixture
def one_certification(tmp_path):
    """A migrated database holding one person and one certification: (session factory, certification id)."""
    with throwaway_database(TEST_DATABASE_URL, tmp_path) as url:
        engine = create_engine(url)
        upgrade_to_head(engine)
        with engine.begin() as conn:
            person = conn.execute(
                text(
                    "INSERT INTO person (given_name, family_name, email, created_at, updated_at) "
                    "VALUES ('Lee', 'Lock', 'lee@example.org', now(), now()) RETURNING id"
                )
            ).scalar_one()
            cert = conn.execute(
                text(
                    "INSERT INTO certification (person_id, credential_code, state, number, issued_on, status, dirty, "
                    "row_version, created_at, updated_at) VALUES (:p, 'KY-APSS', 'KY', 'K-1', DATE '2024-01-01', "
                    "'in_progress', false, 1, now(), now()) RETURNING id"
                ),
                {"p": person},
            ).scalar_one()
        try:
            yield sessionmaker(engine, class_=Session), person, cert
        finally:
            engine.dispose()


def _insert_completion(session: Session, person: int, cert: int, n: int) -> None:
    """A completion naming the learner's certification, as a roster row by certificate number writes it."""
    session.execute(text("SET LOCAL lock_timeout = '5s'"))  # a wait that would be a deadlock fails the test instead
    session.execute(
        text(
            "INSERT INTO completion (person_id, learner_certification_id, title, hours, modality, completed_on, "
            "status, source, reported_by, review_categories, created_at) VALUES (:p, :c, :t, 2, 'in_person', "
            ":d, 'accepted', 'provider', 'center', '[]', now())"
        ),
        {"p": person, "c": cert, "t": f"Course {n}", "d": date(2025, 1, n)},
    )


@pytest.mark.parametrize("write", ["mark", "store"])
def test_writers_that_both_inserted_a_completion_of_one_certification_take_turns(one_certification, write):
    factory, person, cert = one_certification

    def lock(session: Session) -> None:
        if write == "mark":
            dirty.mark(session, certification_ids=[cert])
        else:
            row = stored_status.Status(
                cert,
                "in_progress",
                date(2024, 1, 1),
                date(2025, 12, 31),
                date(2026, 1, 31),
                None,
                date(2025, 6, 1),
                None,
            )
            stored_status.store(session, [row], dirty=True)

    first, second = factory(), factory()
    try:
        _insert_completion(first, person, cert, 1)
        _insert_completion(second, person, cert, 2)  # both now hold the row's key share
        lock(first)  # not blocked by the second's key share
        finished = threading.Event()
        errors: list[BaseException] = []

        def then_second() -> None:
            try:
                lock(second)
                second.commit()
            except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
                errors.append(exc)
            finally:
                finished.set()

        thread = threading.Thread(target=then_second)
        thread.start()
        assert not finished.wait(0.5), errors  # the second waits for the first's row lock ...
        first.commit()
        thread.join(10)
        assert finished.is_set() and errors == []  # ... and goes on once it committed
    finally:
        first.close()
        second.close()
    with factory() as session:
        assert session.execute(text("SELECT count(*) FROM completion")).scalar_one() == 2
        assert session.execute(text("SELECT dirty FROM certification")).scalar_one() is True
