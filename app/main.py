"""The application factory: settings, database, auth, error handling and routers."""

from __future__ import annotations

import gc
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import anyio.to_thread
from fastapi import FastAPI
from sqlalchemy import Engine
from starlette.concurrency import run_in_threadpool

from app import __version__, api, build, docs, openapi
from app.auth.tokens import TokenVerifier, load_or_create_dev_key
from app.certificates.keys import Issuer
from app.clock import Clock
from app.completions.evidence import store_for as evidence_store_for
from app.config import Settings, get_settings
from app.db import is_postgres, make_engine, make_session_factory
from app.errors import install_error_handlers
from app.health.router import router as health_router
from app.logs import RequestContextMiddleware
from app.offload import UnitProcesses
from app.proxies import TrustedProxies
from app.ratelimit import RateLimiter, counter_for
from app.reads import PoolReads, SessionReads
from app.uow import Gate, UnitOfWorkMiddleware
from app.web.router import router as web_router

log = logging.getLogger("peer_ce")

OPENAPI_TAGS = [
    {"name": "credentials", "description": "State CE rule sets, versioned, as data."},
    {"name": "people", "description": "Peer specialists (minimal personal data)."},
    {"name": "certifications", "description": "Certification records, board actions and compliance."},
    {"name": "me", "description": "The calling peer's own view."},
    {"name": "verify", "description": "Public verification of a certification number."},
    {
        "name": "completions",
        "description": "Completions, rosters, reviews, corrections, transcripts and each completion's certificate.",
    },
    {
        "name": "certificates",
        "description": "Verifiable certificates (Open Badges 3.0, VC-JWT): the issuer's DID "
        "document and keys, revocation status lists, verification. Public.",
    },
    {"name": "topics", "description": "The booster topic taxonomy courses are tagged with."},
    {"name": "providers", "description": "Course providers and their catalogs: upserts and bulk upload."},
    {"name": "catalog", "description": "Booster courses: public search, retirement and board approvals."},
    {
        "name": "sessions",
        "description": "Dated sessions of courses (when, where, how to join and register): "
        "scheduled by their provider, searchable by date and state, and as iCalendar feeds. Public to read.",
    },
    {"name": "audit", "description": "Who changed what, when."},
    {
        "name": "scheduler",
        "description": "Compliance sweeps and the flags they raise (due soon, overdue, lapsed, back to compliant).",
    },
    {"name": "webhooks", "description": "Boards' signed webhook subscriptions and their delivery log."},
    {
        "name": "reports",
        "description": "Compliance counts and trend, the due list, CE demand by topic and provider "
        "activity, as JSON or CSV.",
    },
    {"name": "health", "description": "Liveness and readiness probes."},
]


def startup_tasks(settings: Settings, engine: Engine) -> None:
    """Migrate, load shipped content: what a fresh machine needs before serving."""
    from app.content import load_shipped_content
    from app.migrate import upgrade_to_head

    if settings.migrate_on_start:
        upgrade_to_head(engine)
    if settings.load_content_on_start:
        load_shipped_content(make_session_factory(engine), settings.content_dir)


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    settings: Settings = app.state.settings
    # the compiled engine or pure Python (app.build), and why pure Python when it is
    log.info(build.describe(), extra={"fields": {"engine_build": build.engine_build(), "version": __version__}})
    if settings.uses_dev_key:
        load_or_create_dev_key(settings.dev_key_path)
        log.warning(
            "using the DEVELOPMENT signing key in %s; configure PEER_CE_JWT_JWKS_URL or "
            "PEER_CE_JWT_PUBLIC_KEY_FILE for real identity providers",
            settings.dev_key_path,
        )
    # Worker threads in step with the connections: every request admitted to the database finds a thread
    # (app.uow), and a few more serve the work that needs none.
    limiter = anyio.to_thread.current_default_thread_limiter()
    limiter.total_tokens = max(limiter.total_tokens, settings.request_connections + 8)
    await run_in_threadpool(startup_tasks, settings, app.state.engine)
    await run_in_threadpool(app.state.issuer.load)  # the certificate keys (in development: created once)
    if is_postgres(app.state.engine):  # hot reads on an async pool while the app runs (app.reads)
        app.state.reads = PoolReads(
            settings.resolved_database_url, min_size=settings.db_read_pool_min, max_size=settings.db_read_pool_size
        )
        await app.state.reads.open()
    # Roster imports run whole in worker processes (app.offload), off the event loop's interpreter.
    app.state.unit_processes = UnitProcesses.for_settings(settings)
    if app.state.unit_processes is not None:
        try:
            app.state.unit_processes.start()
        except (OSError, ImportError, NotImplementedError) as exc:  # no process pools here (no semaphores)
            log.warning("roster imports run in the serving process: no worker processes (%s)", exc)
            app.state.unit_processes = None
    runner = None
    if settings.scheduler_enabled:
        from app.scheduler.runner import SchedulerRunner

        runner = SchedulerRunner(app.state)
        runner.start()
    app.state.scheduler = runner
    # What start-up built (routes, schemas, metadata, parsed content) lives as long as the process:
    # move it out of the garbage collector's way, so collections only walk what requests allocate.
    gc.collect()
    gc.freeze()
    try:
        yield
    finally:
        if runner is not None:
            await run_in_threadpool(runner.shutdown)
        if app.state.unit_processes is not None:
            await run_in_threadpool(app.state.unit_processes.close)
            app.state.unit_processes = None
        await app.state.reads.close()
        app.state.reads = SessionReads(app.state)
        if app.state.owns_engine:  # an engine handed in (tests) belongs to its caller, connections in use too
            app.state.engine.dispose()


def create_app(settings: Settings | None = None, *, engine: Engine | None = None) -> FastAPI:
    """Build the peer-ce ASGI app. Tests pass their own settings and engine."""
    settings = settings or get_settings()
    owns_engine = engine is None
    engine = engine or make_engine(settings)
    app = FastAPI(
        title="peer-ce",
        version=__version__,
        summary="Continuing-education tracking for certified peer support specialists.",
        description=(
            "Certification records, state CE rules as data, booster course catalogs, completion "
            "tracking and compliance flags. Errors are RFC 9457 `application/problem+json`."
        ),
        openapi_tags=OPENAPI_TAGS,
        lifespan=lifespan,
        # Off unless asked for: with no OpenTelemetry providers set up, FastAPI would still probe the
        # global ones (and the environment) on every request to find that out.
        telemetry={"tracing": settings.telemetry, "metrics": settings.telemetry, "logs": settings.telemetry},
        license_info={"name": "Apache-2.0", "identifier": "Apache-2.0"},
        # /docs and /redoc are app.docs (local assets, no CDN); all three only when PEER_CE_API_DOCS is on
        docs_url=None,
        redoc_url=None,
        openapi_url=docs.OPENAPI_URL if settings.api_docs else None,
    )
    app.state.settings = settings
    app.state.engine = engine
    app.state.owns_engine = owns_engine
    app.state.session_factory = make_session_factory(engine)
    # Sessions in a worker thread until the lifespan opens a pool (PostgreSQL); tests keep these, so the
    # reads share their transaction.
    app.state.db_gate = Gate(settings.request_connections)
    app.state.reads = SessionReads(app.state)
    app.state.unit_processes = None  # worker processes for roster imports, started by the lifespan (app.offload)
    app.state.token_verifier = TokenVerifier(settings)
    app.state.clock = Clock()
    app.state.trusted_proxies = TrustedProxies(settings.trusted_proxies)
    app.state.verify_limiter = RateLimiter(counter_for(engine), settings.verify_rate_per_minute)
    app.state.issuer = Issuer(settings)
    app.state.evidence_store = evidence_store_for(settings)
    if settings.environment == "production":
        app.state.issuer.load()  # a key file that cannot sign stops the start, not a request
    install_error_handlers(app)
    app.add_middleware(UnitOfWorkMiddleware)
    observe = None
    if settings.metrics_enabled:
        from app import metrics

        metrics.install(app)
        observe = metrics.observe_request
    app.add_middleware(RequestContextMiddleware, max_body_bytes=settings.max_body_bytes, observe=observe)
    app.include_router(health_router)
    api.mount(app)
    app.include_router(web_router)
    if settings.api_docs:
        docs.install(app)
    openapi.install(app)
    return app


def serve_app() -> FastAPI:
    """The app as `peer-ce serve` runs it, in each worker process: JSON logs, then `create_app()`.

    Worker processes of `peer-ce serve --workers N` start as new interpreters, so the logging set up
    by the command does not reach them; this factory sets it up in each one.
    """
    from app.logs import configure_logging

    configure_logging(get_settings().log_level)
    return create_app()
