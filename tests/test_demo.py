"""`peer-ce demo`: every status occurs, the same seed gives the same data, and a second run adds nothing."""

from __future__ import annotations

import os
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from app.auth.tokens import TokenVerifier
from app.clock import FixedClock
from app.config import Settings
from app.demo import DemoError, instructions, run_demo
from tests.support.databases import throwaway_database

CLOCK = FixedClock(datetime(2026, 11, 22, 15, 0, tzinfo=UTC))
BASE = os.environ.get("PEER_CE_TEST_DATABASE_URL") or None


def _settings(directory: Path, database_url: str, **overrides) -> Settings:
    return Settings(_env_file=None, data_dir=directory, database_url=database_url, scheduler_enabled=False, **overrides)


def _snapshot(database_url: str) -> tuple[list, list]:
    engine = create_engine(database_url)
    try:
        with engine.connect() as conn:
            certs = conn.execute(
                text(
                    "SELECT p.email, c.credential_code, c.number, c.issued_on, c.status FROM certification c "
                    "JOIN person p ON p.id = c.person_id ORDER BY c.number"
                )
            ).all()
            completions = conn.execute(
                text(
                    "SELECT p.email, k.external_id, x.completed_on, x.hours FROM completion x JOIN person p "
                    "ON p.id = x.person_id JOIN course k ON k.id = x.course_id ORDER BY 1, 2, 3"
                )
            ).all()
    finally:
        engine.dispose()
    return [tuple(map(str, r)) for r in certs], [tuple(map(str, r)) for r in completions]


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory):
    directory = tmp_path_factory.mktemp("demo")
    with throwaway_database(BASE, directory) as url:
        settings = _settings(directory, url)
        report = run_demo(settings, peers=40, seed=11, clock=CLOCK)
        yield settings, url, report


def test_every_status_occurs_among_the_demo_peers(demo_db):
    _, _, report = demo_db
    assert report.created and report.peers == 40
    assert {"in_progress", "due_soon", "compliant", "overdue", "lapsed", "suspended"} <= set(report.statuses)
    assert sum(report.statuses.values()) == 41  # the featured peer holds two certifications
    assert report.completions > 100


def test_the_featured_peer_is_due_soon_with_a_gap_and_a_cap_reached(demo_db):
    _, url, report = demo_db
    assert report.featured == [("PA-CPS", "due_soon"), ("NY-CRPA", "in_progress")]


def test_flags_and_stored_statuses_come_from_a_sweep(demo_db):
    _, url, _ = demo_db
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            runs = conn.execute(text("SELECT triggered_by, evaluated FROM sweep_run")).all()
            flagged = conn.execute(text("SELECT count(*) FROM flag")).scalar_one()
    finally:
        engine.dispose()
    assert [r[0] for r in runs] == ["demo"] and runs[0][1] >= 41
    assert flagged > 0


def test_a_second_run_adds_nothing_and_prints_the_urls_again(demo_db):
    settings, url, first = demo_db
    before = _snapshot(url)
    again = run_demo(settings, peers=40, seed=11, clock=CLOCK)
    assert not again.created and "already present" in instructions(again, settings)
    assert _snapshot(url) == before
    assert again.statuses == first.statuses


def test_the_same_seed_gives_the_same_population(demo_db, tmp_path: Path):
    _, url, _ = demo_db
    with throwaway_database(BASE, tmp_path) as other:
        run_demo(_settings(tmp_path, other), peers=40, seed=11, clock=CLOCK)
        assert _snapshot(other) == _snapshot(url)


def test_instructions_carry_working_tokens_and_urls(demo_db):
    settings, _, report = demo_db
    text_out = instructions(report, settings)
    match = re.search(r"http://127\.0\.0\.1:8000/status#token=(\S+)", text_out)
    assert match, text_out
    principal = TokenVerifier(settings).verify(match.group(1))
    assert principal.role == "peer" and principal.person_id == report.featured_person_id
    assert "curl -H 'Authorization: Bearer " in text_out and "/v1/flags" in text_out


def test_the_demo_refuses_when_a_production_key_is_configured(tmp_path: Path):
    key = tmp_path / "key.pem"
    key.write_text("not used")
    settings = _settings(tmp_path, f"sqlite:///{tmp_path / 'x.sqlite3'}", jwt_public_key_file=key)
    with pytest.raises(DemoError):
        run_demo(settings, peers=10, seed=1, clock=CLOCK)
