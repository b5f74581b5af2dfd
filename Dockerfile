# syntax=docker/dockerfile:1
# peer-ce: multi-stage build, slim runtime, non-root, migrations then uvicorn.

FROM python:3.11-slim AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1
WORKDIR /build
COPY requirements/prod.lock requirements/prod.lock
RUN python -m venv /opt/venv \
 && /opt/venv/bin/pip install --require-hashes -r requirements/prod.lock

FROM python:3.11-slim AS runtime
ENV PATH="/opt/venv/bin:$PATH" \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PEER_CE_HOST=0.0.0.0 \
    PEER_CE_PORT=8000 \
    PEER_CE_DATA_DIR=/var/lib/peer-ce \
    PEER_CE_MIGRATE_ON_START=false
RUN groupadd --system --gid 10001 peer \
 && useradd --system --uid 10001 --gid peer --home-dir /srv/peer-ce --shell /usr/sbin/nologin peer \
 && mkdir -p /var/lib/peer-ce && chown peer:peer /var/lib/peer-ce
COPY --from=build /opt/venv /opt/venv
WORKDIR /srv/peer-ce
COPY --chown=root:root app ./app
COPY --chown=root:root migrations ./migrations
COPY --chown=root:root content ./content
COPY --chown=root:root alembic.ini pyproject.toml ./
USER peer
EXPOSE 8000
VOLUME ["/var/lib/peer-ce"]
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD python -c "import os, urllib.request; urllib.request.urlopen(f'http://127.0.0.1:{os.environ.get(\"PEER_CE_PORT\", \"8000\")}/healthz', timeout=4)" || exit 1
# Migrations first (an advisory lock makes replicas take turns), then uvicorn. uvicorn's proxy headers
# are off (FORWARDED_ALLOW_IPS is not used): set PEER_CE_TRUSTED_PROXIES to the load balancer's
# addresses so clients are told apart by X-Forwarded-For. Request heads over PEER_CE_MAX_HEADER_BYTES
# get 431; /docs and /openapi.json are off in production unless PEER_CE_API_DOCS=true.
CMD ["sh", "-c", "python -m app migrate && exec python -m app serve"]
