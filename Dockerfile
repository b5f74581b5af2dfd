# syntax=docker/dockerfile:1
# peer-ce: multi-stage build, slim runtime, non-root, migrations then uvicorn.

FROM python:3.11-slim AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1 PYTHONDONTWRITEBYTECODE=1
WORKDIR /build
# gcc and the C library's headers for mypyc (Python's headers come with the image); this stage only
RUN apt-get update \
 && apt-get install -y --no-install-recommends gcc libc6-dev \
 && rm -rf /var/lib/apt/lists/*
COPY requirements/prod.lock requirements/build.lock requirements/
RUN python -m venv /opt/venv \
 && /opt/venv/bin/pip install --require-hashes -r requirements/prod.lock
# The compiler's own environment (the app's dependencies, whose types mypyc reads, plus mypy and setuptools),
# never shipped: the runtime gets only the extensions it builds next to the sources in ./app.
RUN python -m venv /opt/buildenv \
 && /opt/buildenv/bin/pip install --require-hashes -r requirements/build.lock
COPY app ./app
COPY tools ./tools
COPY pyproject.toml README.md ./
# the same command as `make install` (Makefile), but a failed build fails the image
RUN /opt/buildenv/bin/python tools/build_compiled.py

FROM python:3.11-slim AS runtime
ENV PATH="/opt/venv/bin:$PATH" \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PEER_CE_HOST=0.0.0.0 \
    PEER_CE_PORT=8000 \
    PEER_CE_DATA_DIR=/var/lib/peer-ce \
    PEER_CE_MIGRATE_ON_START=false \
    PEER_CE_COMPILED=1
RUN groupadd --system --gid 10001 peer \
 && useradd --system --uid 10001 --gid peer --home-dir /srv/peer-ce --shell /usr/sbin/nologin peer \
 && mkdir -p /var/lib/peer-ce && chown peer:peer /var/lib/peer-ce
COPY --from=build /opt/venv /opt/venv
WORKDIR /srv/peer-ce
# the sources with the compiled engine built next to them (PEER_CE_COMPILED=1: it refuses to start without it)
COPY --from=build --chown=root:root /build/app ./app
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
