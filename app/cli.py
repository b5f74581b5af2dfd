"""The peer-ce command: serve, migrate, load-content, token, sweep, status, demo, openapi."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from app.config import Settings

app = typer.Typer(
    name="peer-ce",
    help="Continuing-education tracking for certified peer support specialists.",
    no_args_is_help=True,
    add_completion=False,
)


def _settings() -> Settings:
    """The configuration, or a clear refusal (exit 2) naming what is wrong: no traceback."""
    from pydantic import ValidationError

    from app.config import get_settings

    try:
        return get_settings()
    except ValidationError as exc:
        typer.echo("peer-ce: the configuration is refused:", err=True)
        for error in exc.errors():
            where = ".".join(map(str, error["loc"])) if error["loc"] else ""
            typer.echo(
                f"  - {(where.upper() + ': ') if where else ''}{error['msg'].removeprefix('Value error, ')}", err=True
            )
        raise typer.Exit(2) from exc


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Default: PEER_CE_HOST or 127.0.0.1")] = None,
    port: Annotated[int | None, typer.Option(help="Default: PEER_CE_PORT or 8000")] = None,
    workers: Annotated[int, typer.Option(help="uvicorn worker processes")] = 1,
) -> None:
    """Migrate, load shipped content and serve the API."""
    import uvicorn

    from app.logs import configure_logging
    from app.server import uvicorn_options

    settings = _settings()
    configure_logging(settings.log_level)
    _check_issuer(settings)
    if workers > 1:
        _prepare_workers(settings)
    uvicorn.run(
        "app.main:serve_app",
        factory=True,
        host=host or settings.host,
        port=port or settings.port,
        workers=workers,
        log_config=None,
        **uvicorn_options(settings),
    )


def _check_issuer(settings: Settings) -> None:
    """In production the certificate issuer's key must load before anything is served."""
    from app.certificates.keys import Issuer, IssuerKeyError

    if settings.environment != "production":
        return
    try:
        Issuer(settings).load()
    except IssuerKeyError as exc:
        typer.echo(f"peer-ce: the configuration is refused:\n  - {exc}", err=True)
        raise typer.Exit(2) from exc


def _prepare_workers(settings: Settings) -> None:
    """Before several worker processes start: what each would otherwise do at once, done once here.

    The migrations, the shipped content and the development signing key are set up by this process,
    and the workers (new interpreters, reading the environment) are told not to. SQLite serves one
    worker: its writes are serialized per file, and its scheduler runs in one process.
    """
    import os

    from app.auth.tokens import load_or_create_dev_key
    from app.db import is_postgres, make_engine
    from app.main import startup_tasks

    engine = make_engine(settings)
    try:
        if not is_postgres(engine):
            typer.echo(
                "peer-ce serve --workers needs PostgreSQL (PEER_CE_DATABASE_URL); SQLite serves one worker process.",
                err=True,
            )
            raise typer.Exit(2)
        startup_tasks(settings, engine)
    finally:
        engine.dispose()
    if settings.uses_dev_key:
        load_or_create_dev_key(settings.dev_key_path)
    os.environ["PEER_CE_MIGRATE_ON_START"] = os.environ["PEER_CE_LOAD_CONTENT_ON_START"] = "false"
    if settings.metrics_enabled:  # the workers count into files there, and a scrape adds them up (app.metrics)
        import shutil

        directory = (settings.data_dir / "metrics").resolve()
        shutil.rmtree(directory, ignore_errors=True)  # counts of an earlier run would be added to ours
        directory.mkdir(parents=True)
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(directory)  # read by prometheus_client as the workers import it


@app.command()
def migrate() -> None:
    """Upgrade the database schema to the latest migration."""
    from app.db import make_engine
    from app.logs import configure_logging
    from app.migrate import upgrade_to_head

    settings = _settings()
    configure_logging(settings.log_level)
    upgrade_to_head(make_engine(settings))
    typer.echo(f"migrated {_redacted(settings.resolved_database_url)} to head")


@app.command("load-content")
def load_content() -> None:
    """Load shipped rule sets (and catalog content) idempotently; changes become new versions."""
    from app.content import load_shipped_content
    from app.db import make_engine, make_session_factory
    from app.migrate import upgrade_to_head

    settings = _settings()
    engine = make_engine(settings)
    upgrade_to_head(engine)
    summary = load_shipped_content(make_session_factory(engine), settings.content_dir)
    for key, value in summary.items():
        typer.echo(f"{key}: {value}")


@app.command()
def token(
    role: Annotated[str, typer.Option(help="admin | board | provider | peer")],
    state: Annotated[list[str] | None, typer.Option(help="A board's state (repeatable)")] = None,
    provider_id: Annotated[int | None, typer.Option(help="A provider token's provider")] = None,
    person_id: Annotated[int | None, typer.Option(help="A peer token's person")] = None,
    subject: Annotated[str | None, typer.Option(help="The token's sub claim")] = None,
    ttl: Annotated[int, typer.Option(help="Lifetime in seconds")] = 3600,
) -> None:
    """Print a development token signed with the local development key (never in production)."""
    from pydantic import ValidationError

    from app.auth.principal import Principal
    from app.auth.tokens import mint_dev_token

    settings = _settings()
    try:
        Principal.model_validate(
            {
                "subject": subject or "dev",
                "role": role,
                "states": frozenset(state or ()),
                "provider_id": provider_id,
                "person_id": person_id,
            }
        )
    except ValidationError as exc:
        typer.echo(f"error: {exc.errors()[0]['msg']}", err=True)
        raise typer.Exit(2) from exc
    key = settings.dev_key_path
    if settings.uses_dev_key and not key.exists():
        typer.echo(
            f"peer-ce: no development signing key in {settings.data_dir.resolve()} (PEER_CE_DATA_DIR): "
            f"creating a new one at {key.resolve()}. A server started with another PEER_CE_DATA_DIR "
            'will refuse this token (401 "Unknown signing key id"): run `peer-ce token` with the '
            "server's PEER_CE_DATA_DIR.",
            err=True,
        )
    try:
        signed = mint_dev_token(
            settings,
            role=role,
            subject=subject,
            states=state,
            provider_id=provider_id,
            person_id=person_id,
            ttl_seconds=ttl,
        )
    except RuntimeError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
    typer.echo(signed)


@app.command()
def sweep(
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="Evaluate as of YYYY-MM-DD (default: each board's today)")
    ] = None,
    full: Annotated[bool, typer.Option("--full", help="Re-evaluate every certification (after a rule change)")] = False,
    deliver: Annotated[bool, typer.Option(help="Then send due notifications from the outbox")] = True,
) -> None:
    """Run one compliance sweep (for an external cron) and print what it did.

    A batch job: the whole command runs at `sweep_worker_nice` (its imports, its evaluations, and its database
    sessions where the server is this machine's: app.priority), so a service on the same CPUs goes first."""
    from datetime import date

    from app.priority import lower_backend_priority, lower_priority

    try:
        day = date.fromisoformat(as_of) if as_of else None
    except ValueError as exc:
        typer.echo(f"error: --as-of must be YYYY-MM-DD, not {as_of!r}", err=True)
        raise typer.Exit(2) from exc
    settings = _settings()
    lower_priority(settings.sweep_worker_nice)

    from app.clock import Clock
    from app.db import make_engine, make_session_factory
    from app.logs import configure_logging
    from app.scheduler import notify
    from app.scheduler.sweep import run_sweep

    configure_logging(settings.log_level)
    engine = make_engine(settings)
    if settings.nice_batch_backends:
        lower_backend_priority(engine, settings.sweep_worker_nice)
    factory = make_session_factory(engine)
    clock = Clock()
    try:
        run = run_sweep(factory, engine, settings=settings, clock=clock, as_of=day, full=full, triggered_by="cli")
        typer.echo(
            f"sweep {run.id}: "
            + (
                "skipped (another sweep holds the lock)"
                if run.skipped
                else f"evaluated {run.evaluated}, flagged {run.flagged}, renewed {run.renewed}, "
                f"notified {run.notified} in {run.duration_ms} ms"
            )
        )
        if deliver:
            report = notify.deliver_due(factory, settings=settings, clock=clock)
            typer.echo("outbox: " + ", ".join(f"{k} {v}" for k, v in report.as_dict().items()))
    finally:
        engine.dispose()


@app.command()
def status(
    url: Annotated[
        str | None,
        typer.Option(
            envvar="PEER_CE_URL",
            help="The peer-ce service (default: PEER_CE_PUBLIC_BASE_URL, else "
            "http://PEER_CE_HOST:PEER_CE_PORT, i.e. http://127.0.0.1:8000)",
        ),
    ] = None,
    token: Annotated[str | None, typer.Option(envvar="PEER_CE_TOKEN", help="Your peer token")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the API's answer as JSON")] = False,
    timeout: Annotated[float, typer.Option(help="Seconds to wait for the service")] = 15.0,
) -> None:
    """Show your certifications' CE status. Exit 0: all compliant or in progress; 1: any due soon or worse; 2: error."""
    from app.client import show_status

    if not token:
        typer.echo("error: give --token (or set PEER_CE_TOKEN)", err=True)
        raise typer.Exit(2)
    raise typer.Exit(show_status(url=url or _settings().base_url, token=token, as_json=as_json, timeout=timeout))


@app.command()
def demo(
    peers: Annotated[int, typer.Option(min=10, max=20000, help="How many synthetic peers")] = 300,
    seed: Annotated[int, typer.Option(help="Random seed: the same seed gives the same data on the same day")] = 7,
) -> None:
    """Fill the configured database with a synthetic population and print URLs and tokens to try."""
    from app.demo import DemoError, instructions, run_demo
    from app.logs import configure_logging

    settings = _settings()
    configure_logging("WARNING")
    try:
        report = run_demo(settings, peers=peers, seed=seed)
    except DemoError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
    typer.echo(instructions(report, settings))


@app.command()
def openapi(
    output: Annotated[Path, typer.Option(help="Where to write the spec")] = Path("openapi/openapi.json"),
) -> None:
    """Write the OpenAPI spec (sorted, stable) for front-end teams."""
    from app.openapi import spec_json

    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(spec_json())
    typer.echo(f"wrote {output}")


def _redacted(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


def main() -> None:
    app()


if __name__ == "__main__":
    main()
