"""Prometheus metrics at /metrics, for operators: load and faults before users notice them.

- `peer_ce_http_requests_total` and `peer_ce_http_request_duration_seconds`, by method, route template
  (`/v1/certifications/{certification_id}`, never the raw path) and status;
- `peer_ce_db_pool_*`: the SQLAlchemy pool (checked out, size, overflow) and, on PostgreSQL, the pool of
  hot reads, read from the pools at scrape time;
- `peer_ce_sweep_runs_total` and `peer_ce_sweep_duration_seconds` by outcome (done, skipped, failed);
- `peer_ce_outbox_pending` and `peer_ce_outbox_failed` by channel: the notification backlog and the
  deliveries given up on, counted in the database at scrape time (one grouped count on an index).

Off unless PEER_CE_METRICS_ENABLED; then a scrape needs `Authorization: Bearer <PEER_CE_METRICS_TOKEN>`
when a token is set (production requires one). With `peer-ce serve --workers N` the command points
prometheus_client's multiprocess mode at DATA_DIR/metrics (emptied at start), so request and sweep
figures add up over the workers; the pool figures are those of the worker answering the scrape.
"""

from __future__ import annotations

import hmac
import logging
import os
from collections.abc import Iterator
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import Response
from prometheus_client import REGISTRY, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from prometheus_client.registry import Collector
from sqlalchemy import text

from app.errors import Unauthorized
from app.inputs import GuardedRoute

log = logging.getLogger("peer_ce.metrics")

MULTIPROCESS_ENV = "PROMETHEUS_MULTIPROC_DIR"
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})

REQUESTS = Counter(
    "peer_ce_http_requests",
    "HTTP requests answered, by method, route template and status",
    ["method", "route", "status"],
)
REQUEST_SECONDS = Histogram(
    "peer_ce_http_request_duration_seconds",
    "Time to answer an HTTP request, by method, route template and status",
    ["method", "route", "status"],
)
SWEEPS = Counter(
    "peer_ce_sweep_runs", "Compliance sweeps run by this service, by outcome (done, skipped, failed)", ["outcome"]
)
SWEEP_SECONDS = Histogram(
    "peer_ce_sweep_duration_seconds",
    "Duration of compliance sweeps, by outcome",
    ["outcome"],
    buckets=(0.1, 1, 5, 15, 60, 300, 900, 1800, 3600, 7200, float("inf")),
)


def observe_request(method: str | None, route: str | None, status: int, seconds: float) -> None:
    """Count one answered request (route: the matched route's template; None when nothing matched)."""
    labels = (method if method in _METHODS else "other", route or "unmatched", str(status))
    REQUESTS.labels(*labels).inc()
    REQUEST_SECONDS.labels(*labels).observe(seconds)


def observe_sweep(outcome: str, seconds: float) -> None:
    SWEEPS.labels(outcome).inc()
    SWEEP_SECONDS.labels(outcome).observe(seconds)


_OUTBOX = text(
    "SELECT channel, status, count(*) FROM outbox WHERE status IN ('pending', 'failed') GROUP BY channel, status"
)


class StateCollector(Collector):
    """What is read at scrape time: the app's database pools and the outbox."""

    def __init__(self, state: Any) -> None:
        self.state = state

    def collect(self) -> Iterator[Metric]:
        pool = self.state.engine.pool
        for name, doc, read in (
            ("checked_out", "Database connections in use (SQLAlchemy pool)", "checkedout"),
            ("size", "Connections the SQLAlchemy pool keeps", "size"),
            ("overflow", "Connections opened beyond the pool size (negative: unopened room in the pool)", "overflow"),
        ):
            if callable(getattr(pool, read, None)):
                yield GaugeMetricFamily(f"peer_ce_db_pool_{name}", doc, value=getattr(pool, read)())
        reads = getattr(getattr(self.state, "reads", None), "pool", None)
        if reads is not None and hasattr(reads, "get_stats"):
            stats = reads.get_stats()
            yield GaugeMetricFamily(
                "peer_ce_db_read_pool_size",
                "Connections of the hot-read pool (PostgreSQL)",
                value=stats.get("pool_size", 0),
            )
            yield GaugeMetricFamily(
                "peer_ce_db_read_pool_available",
                "Idle connections of the hot-read pool",
                value=stats.get("pool_available", 0),
            )
            yield GaugeMetricFamily(
                "peer_ce_db_read_pool_waiting", "Reads waiting for a connection", value=stats.get("requests_waiting", 0)
            )
        yield from self._outbox()

    def _outbox(self) -> Iterator[Metric]:
        up = GaugeMetricFamily("peer_ce_metrics_database_up", "1 when the scrape could read the database")
        pending = GaugeMetricFamily(
            "peer_ce_outbox_pending", "Notifications waiting to be delivered, by channel", labels=["channel"]
        )
        failed = GaugeMetricFamily(
            "peer_ce_outbox_failed", "Notifications given up on after every retry, by channel", labels=["channel"]
        )
        try:
            with self.state.session_factory() as session:
                rows = session.execute(_OUTBOX).all()
        except Exception:  # noqa: BLE001 - a scrape reports the database as down instead of failing
            log.warning("metrics: the outbox could not be read", exc_info=True)
            up.add_metric([], 0)
            yield up
            return
        counts = {(channel, status): n for channel, status, n in rows}
        from app.scheduler.models import CHANNELS

        for channel in CHANNELS:
            pending.add_metric([channel], counts.get((channel, "pending"), 0))
            failed.add_metric([channel], counts.get((channel, "failed"), 0))
        up.add_metric([], 1)
        yield from (up, pending, failed)


def render(state: Any) -> bytes:
    """The exposition text: this process's (or, in multiprocess mode, every worker's) metrics, then the state's."""
    if os.environ.get(MULTIPROCESS_ENV):
        from prometheus_client import multiprocess

        shared = CollectorRegistry()
        multiprocess.MultiProcessCollector(shared)
        head = generate_latest(shared)
    else:
        head = generate_latest(REGISTRY)
    scraped = CollectorRegistry(auto_describe=False)
    scraped.register(StateCollector(state))
    return head + generate_latest(scraped)


def install(app: FastAPI) -> None:
    """Mount GET /metrics (outside the OpenAPI document)."""
    router = APIRouter(include_in_schema=False, route_class=GuardedRoute)
    token = app.state.settings.metrics_token
    expected = token.get_secret_value().encode() if token is not None else None

    @router.get("/metrics")
    def metrics(request: Request) -> Response:
        if expected is not None:
            scheme, _, given = (request.headers.get("authorization") or "").partition(" ")
            if scheme.lower() != "bearer" or not hmac.compare_digest(given.strip().encode(), expected):
                raise Unauthorized("/metrics needs the metrics bearer token (PEER_CE_METRICS_TOKEN).")
        return Response(
            render(request.app.state), media_type=CONTENT_TYPE_LATEST, headers={"Cache-Control": "no-store"}
        )

    app.include_router(router)
