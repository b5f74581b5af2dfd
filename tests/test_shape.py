"""One shape per domain: the same modules in every API domain, one bulk-import design, one clock, one default
time zone. These read the source, so a module that strays from the shape fails here, not in review."""

from __future__ import annotations

import ast
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from app.clock import FixedClock, get_clock

APP = Path(__file__).resolve().parent.parent / "app"
# The packages with routes; `compliance` is the read model every domain reads (no routes, no tables of its
# own), and `auth`, `health`, `ratelimit`, `web` are the app's plumbing.
DOMAINS = [
    "audit",
    "catalog",
    "certificates",
    "certifications",
    "completions",
    "people",
    "reports",
    "rules",
    "scheduler",
]


def _sources() -> dict[str, str]:
    return {str(p.relative_to(APP.parent)): p.read_text(encoding="utf-8") for p in APP.rglob("*.py")}


@pytest.mark.parametrize("domain", DOMAINS)
def test_every_domain_has_its_models_schemas_service_and_routes(domain):
    package = APP / domain
    for module in ("models.py", "schemas.py", "service.py"):
        assert (package / module).is_file(), f"app/{domain} has no {module}"
    assert (package / "router.py").is_file() != (package / "routers").is_dir(), (
        f"app/{domain}: its routes are in router.py, or in a routers/ package by use case (not both)"
    )


def test_a_router_module_holds_at_most_two_routers():
    """One, or two for one resource (e.g. its public and its authenticated routes); more: a routers/ package."""
    for name, text in _sources().items():
        if "/router" not in name:
            continue
        routers = [
            node
            for node in ast.walk(ast.parse(text))
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "APIRouter"
        ]
        assert len(routers) <= 2, f"{name} builds {len(routers)} routers"


def test_one_import_report_and_one_row_error():
    classes: dict[str, list[str]] = {}
    for name, text in _sources().items():
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, ast.ClassDef) and node.name in {"ImportReport", "RowError"}:
                classes.setdefault(node.name, []).append(name)
    assert classes == {"ImportReport": ["app/bulk.py"], "RowError": ["app/bulk.py"]}


@pytest.mark.parametrize(
    "importer", ["app/certifications/bulk.py", "app/catalog/importer.py", "app/completions/importer.py"]
)
def test_every_bulk_import_runs_the_shared_stages(importer):
    text = _sources()[importer]
    assert "bulk.run(" in text and "def parse(" in text and "def plan(" in text and "def apply(" in text


def test_routes_read_the_clock_through_the_dependency():
    """Only `app.clock.get_clock` reads the app's clock (and `create_app` sets it)."""
    readers = sorted(name for name, text in _sources().items() if "state.clock" in text)
    assert readers == ["app/clock.py", "app/main.py"]


def test_the_default_time_zone_is_written_once():
    """The rule-set example document (app/rules/document.py) names a real state's zone, not the default."""
    writers = sorted(name for name, text in _sources().items() if '"America/New_York"' in text)
    assert writers == ["app/constants.py", "app/rules/document.py"]


def test_production_code_has_no_test_or_bench_hooks():
    for name, text in _sources().items():
        assert "LAST_WORKERS" not in text and "exclusive=False" not in text, name
        assert 'kw.get("bind")' not in text, f"{name} inspects what its session factory is bound to"


def _report_day(admin) -> date:
    response = admin.get("/v1/reports/compliance")
    assert response.status_code == 200, response.text
    return date.fromisoformat(response.json()["as_of"])


def test_a_route_takes_today_from_the_app_clock_or_an_override(app, admin):
    app.state.clock = FixedClock(datetime(2027, 2, 15, 15, tzinfo=UTC))
    assert _report_day(admin) == date(2027, 2, 15)
    app.dependency_overrides[get_clock] = lambda: FixedClock(datetime(2028, 6, 1, 15, tzinfo=UTC))
    try:
        assert _report_day(admin) == date(2028, 6, 1)
    finally:
        app.dependency_overrides.clear()
    assert _report_day(admin) == date(2027, 2, 15)
