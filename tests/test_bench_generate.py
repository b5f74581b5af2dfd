"""The bench's data generator (`make bench`): it loads the current schema, and what it loads is realistic
enough for the engine's every outcome, non-CE requirements included."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import text

from app.clock import Clock
from app.db import make_engine, make_session_factory
from app.scheduler.sweep import run_sweep
from bench.common import settings_for
from bench.generate import Scale, generate, load_credentials
from tests.conftest import TEST_DATABASE_URL
from tests.support.databases import throwaway_database

pytestmark = pytest.mark.bench  # imports bench/: `-m "not bench"` runs the suite without it

GENERATED = ("person", "certification", "board_action", "completion", "certification_activity")


def _as_date(value: date | str) -> date:
    return value if isinstance(value, date) else date.fromisoformat(value)


def test_generator_loads_a_population_every_status_comes_out_of(tmp_path: Path) -> None:
    with throwaway_database(TEST_DATABASE_URL, tmp_path) as url:
        summary = generate(url, Scale.parse("1000"), data_dir=tmp_path / "data")
        settings = settings_for(url, tmp_path / "data", sweep_workers=1)
        engine = make_engine(settings)
        try:
            factory = make_session_factory(engine)
            with factory() as session:
                for table in GENERATED:
                    assert session.execute(text(f"SELECT count(*) FROM {table}")).scalar() == summary["rows"][table]
                credentials = load_credentials(session)
                activities = session.execute(
                    text(
                        'SELECT c.credential_code, c.issued_on, a.requirement_id, a.kind, a."on", a.hours '
                        "FROM certification_activity a JOIN certification c ON c.id = a.certification_id"
                    )
                ).all()
            yesterday = datetime.now(UTC).date() - timedelta(days=1)
            with_other = {code for code, cred in credentials.items() if cred.other}
            assert activities and with_other
            for code, issued_on, requirement_id, kind, on, hours in activities:
                required = {rid: (k, h) for rid, k, h in (*credentials[code].other, *credentials[code].initial)}
                assert required[requirement_id][0] == kind  # only what the holder's rules ask for
                assert (hours is None) == (kind == "attestation")
                assert _as_date(issued_on) <= _as_date(on) <= yesterday

            run = run_sweep(factory, engine, settings=settings, clock=Clock(), full=True, triggered_by="test")
            assert run.evaluated == 1000
            with factory() as session:
                rows = session.execute(text("SELECT credential_code, status FROM certification")).all()
        finally:
            engine.dispose()
    overall = Counter(status for _, status in rows)
    assert {"compliant", "in_progress", "due_soon", "lapsed"} <= set(overall), overall
    # Holders of rule sets with an attestation meet them too: they are not all bound to lapse.
    assert any(status == "compliant" for code, status in rows if code in with_other), Counter(
        status for code, status in rows if code in with_other
    )
