"""The app a test calls: built (routes and all) once per worker and settings, with new state for each test.

FastAPI builds the routes of an included router (dependants, body and response models) on first use, for
each app: some 0.15 s of CPU, which every test that built its own app paid again, most of the suite's time.
`routed_app` keeps one built app per (settings, engine) and gives it, for each test, the state (`app.state`)
of a newly created app: the same objects `create_app` sets up (clock, session factory, limiter, issuer,
token verifier, caches), so nothing a test leaves there reaches the next; dependency overrides are
cleared too. An app of other settings is built and kept separately; one a test added a route to is
replaced.

Only per-test fixtures use it: a test that needs two apps at once (or a module-scoped fixture, whose app
outlives a test) creates them with `create_app`.
"""

from __future__ import annotations

from fastapi import FastAPI
from sqlalchemy import Engine

from app.config import Settings
from app.main import create_app

_built: list[tuple[Settings, Engine, FastAPI, list[object]]] = []  # and the routes it was built with


def routed_app(settings: Settings, engine: Engine) -> FastAPI:
    """An app as `create_app(settings, engine=engine)` returns it, its routes already built."""
    fresh = create_app(settings, engine=engine)
    for built in _built:
        built_settings, built_engine, app, routes = built
        if built_engine is engine and built_settings == settings:
            if _same(app.router.routes, routes):
                app.state = fresh.state
                app.dependency_overrides.clear()
                return app
            _built.remove(built)  # a test added a route of its own (tests/test_errors.py): not for the next test
            break
    _built.append((settings, engine, fresh, list(fresh.router.routes)))
    return fresh


def _same(routes: list[object], built: list[object]) -> bool:
    return len(routes) == len(built) and all(a is b for a, b in zip(routes, built, strict=True))
