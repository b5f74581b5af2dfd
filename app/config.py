"""One typed configuration object, read from PEER_CE_* environment variables or a .env file."""

from __future__ import annotations

import ipaddress
import json
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="PEER_CE_", env_file=".env", extra="ignore")

    environment: Literal["development", "test", "production"] = "development"
    data_dir: Path = Path("./var")
    database_url: str | None = Field(
        default=None,
        description="SQLAlchemy URL; default is the SQLite file in DATA_DIR. "
        "Use postgresql+psycopg://user@host/db for PostgreSQL.",
    )
    db_pool_size: int = Field(default=20, ge=1, description="Connections kept open (SQLAlchemy pool)")
    db_max_overflow: int = Field(default=20, ge=0, description="Connections opened beyond the pool under load")
    db_reserved: int = Field(
        default=4,
        ge=1,
        description="Connections of the pool kept for the scheduler's jobs and rate limits; requests share the "
        "rest (DB_POOL_SIZE + DB_MAX_OVERFLOW - DB_RESERVED), admitted in turn, and the worker threads are "
        "sized to match",
    )
    db_pool_timeout_seconds: float = Field(default=30, gt=0, description="Longest wait for a pooled connection")
    sqlite_busy_timeout_seconds: float = Field(
        default=60, gt=0, description="SQLite: how long a writer waits for the one before it"
    )
    db_read_pool_min: int = Field(default=4, ge=1, description="PostgreSQL: connections kept open for hot reads")
    db_read_pool_size: int = Field(
        default=20,
        ge=1,
        description="PostgreSQL: most connections for hot reads "
        "(compliance checks), besides the DB_POOL_SIZE + DB_MAX_OVERFLOW of the rest",
    )

    jwt_issuer: str = "peer-ce"
    jwt_audience: str = "peer-ce-api"
    jwt_algorithms: list[str] = ["ES256"]
    jwt_jwks_url: str | None = None
    jwt_public_key_file: Path | None = None
    jwt_leeway_seconds: int = 30
    issuer_key_file: Path | None = Field(
        default=None,
        description="Private key (PEM) that signs completion certificates: RSA of 2048 bits or more "
        "(RS256, what Open Badges 3.0 requires every verifier to support), or P-256 (ES256). Required in production; "
        "elsewhere an RSA key is created once in DATA_DIR",
    )
    issuer_retired_keys_dir: Path | None = Field(
        default=None,
        description="Directory of PEM public keys (*.pem) that signed earlier certificates: still "
        "published in the issuer's DID document and JWKS so those certificates keep verifying, never used to sign",
    )
    issuer_name: str = Field(
        default="peer-ce",
        min_length=1,
        max_length=200,
        description="The issuer's name in certificates (what wallets show)",
    )
    status_list_max_age_seconds: int = Field(
        default=300,
        ge=0,
        le=86400,
        description="How long verifiers may cache a certificate status list (Cache-Control max-age): the longest "
        "a void takes to reach a verifier that caches",
    )

    scheduler_enabled: bool = True
    sweep_cron: str = Field(
        default="15 10 * * *",
        description="When the sweep runs (crontab, in scheduler_timezone). 10:15 UTC is past midnight "
        "in every US board's time zone, so each run sees the boards' new day.",
    )
    scheduler_timezone: str = "UTC"
    sweep_batch: int = Field(default=1000, ge=1, description="Certifications per sweep transaction")
    sweep_workers: int | None = Field(
        default=None,
        ge=1,
        description="Processes a full sweep runs its batches in on PostgreSQL (default: the CPU count); "
        "always 1 on SQLite and for sweeps of fewer than two batches per worker",
    )
    sweep_worker_nice: int = Field(
        default=10,
        ge=0,
        le=19,
        description="The niceness (CPU priority, 0-19) the worker processes of a full sweep run at, at least: on a "
        "machine shared with the API, a sweep yields the CPU to requests; 0 keeps the priority they start with",
    )
    import_workers: int = Field(
        default=1,
        ge=0,
        description="Processes that run roster imports (POST /v1/completions/import) whole, each with a "
        "connection of its own, away from the interpreter that serves requests; 0 runs them in the serving process",
    )
    import_worker_nice: int = Field(
        default=10,
        ge=0,
        le=19,
        description="The niceness (CPU priority, 0-19) those processes run at, at least: requests on the same "
        "CPUs go first; 0 keeps the priority they start with",
    )
    nice_batch_backends: bool = Field(
        default=True,
        description="The database sessions of the full sweep's and the roster import's worker processes run at those "
        "processes' niceness too, where PostgreSQL runs on this machine and the service may lower its backends' "
        "priority (it runs as the server's user or as root): a batch's writes yield the CPU to requests; elsewhere "
        "it does nothing",
    )
    outbox_batch: int = Field(default=100, ge=1, description="Notifications claimed per delivery run")
    delivery_interval_seconds: int = Field(default=60, ge=1)
    smtp_url: str | None = Field(
        default=None,
        description="smtp://[user:pass@]host[:port], smtp+starttls://... or smtps://...; "
        "without it peer emails wait in the outbox as not_configured",
    )
    smtp_from: str = "peer-ce <no-reply@peer-ce.invalid>"
    webhook_allow_loopback: bool = Field(
        default=False, description="Allow http:// webhooks on loopback addresses (development and tests)"
    )
    webhook_timeout_seconds: float = 5.0
    webhook_max_attempts: int = Field(default=8, ge=1)
    webhook_retry_base_seconds: int = Field(default=60, ge=1, description="First retry delay; doubles each time")
    webhook_retry_max_seconds: int = Field(default=6 * 3600, ge=1)

    host: str = "127.0.0.1"
    port: int = 8000
    public_base_url: str | None = None

    max_body_bytes: int = 20 * 1024 * 1024
    evidence_max_bytes: int = Field(
        default=10 * 1024 * 1024,
        ge=1024,
        description="Largest evidence file (PDF, PNG or JPEG) a self-report may attach; at most MAX_BODY_BYTES "
        "less the form's other fields",
    )
    evidence_dir: Path | None = Field(
        default=None, description="Where evidence files are kept (default: DATA_DIR/evidence)"
    )
    content_dir: Path = Path(__file__).resolve().parent.parent / "content"
    load_content_on_start: bool = True
    migrate_on_start: bool = True
    log_level: str = "INFO"
    telemetry: bool = Field(
        default=False,
        description="FastAPI's native OpenTelemetry (request spans, metrics, exception logs) through the "
        "globally configured providers; off, nothing is checked per request",
    )
    verify_rate_per_minute: int = Field(
        default=60,
        ge=1,
        description="Requests per minute and client to each public verification endpoint, "
        "counted across workers and replicas (in the database on PostgreSQL)",
    )
    trusted_proxies: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="IPs or CIDRs of the reverse proxies / load balancers in front of the service, as a JSON "
        "list or comma-separated. Only a request from one of them has its client taken from X-Forwarded-For "
        "(the right-most address that is not itself a trusted proxy). Default: none, the socket peer is the client",
    )
    max_header_bytes: int = Field(
        default=32 * 1024,
        ge=1024,
        description="Most bytes of a request head (request line and headers); larger heads get 431 from the "
        "server (`peer-ce serve`) before the app sees them",
    )
    api_docs: bool | None = Field(
        default=None, description="Serve /docs, /redoc and /openapi.json (default: on, except in production)"
    )
    metrics_enabled: bool = Field(default=False, description="Serve Prometheus metrics at /metrics")
    metrics_token: SecretStr | None = Field(
        default=None,
        description="Bearer token /metrics requires (at least 16 characters; required in production "
        "when metrics are enabled)",
    )

    @field_validator("trusted_proxies", mode="before")
    @classmethod
    def _parse_trusted_proxies(cls, value: Any) -> Any:
        if isinstance(value, str):
            text = value.strip()
            if text.startswith("["):
                return json.loads(text)
            return [part.strip() for part in text.split(",") if part.strip()]
        return value

    @field_validator("trusted_proxies")
    @classmethod
    def _check_trusted_proxies(cls, value: list[str]) -> list[str]:
        for item in value:
            try:
                ipaddress.ip_network(item, strict=False)
            except ValueError as exc:
                raise ValueError(f"not an IP address or CIDR: {item!r}") from exc
        return value

    @model_validator(mode="after")
    def _production_needs_real_keys(self) -> Settings:
        if self.environment == "production" and not (self.jwt_jwks_url or self.jwt_public_key_file):
            raise ValueError(
                "PEER_CE_JWT_JWKS_URL or PEER_CE_JWT_PUBLIC_KEY_FILE is required in production; "
                "the development signing key is never used there"
            )
        if self.environment == "production":
            self._production_issuer()
        if self.jwt_jwks_url and self.jwt_public_key_file:
            raise ValueError("set either PEER_CE_JWT_JWKS_URL or PEER_CE_JWT_PUBLIC_KEY_FILE, not both")
        if any(alg.upper().startswith("HS") or alg.lower() == "none" for alg in self.jwt_algorithms):
            raise ValueError("only asymmetric JWT algorithms are accepted (ES256, RS256, EdDSA, ...)")
        if self.api_docs is None:
            self.api_docs = self.environment != "production"
        if self.metrics_token is not None and len(self.metrics_token.get_secret_value()) < 16:
            raise ValueError("PEER_CE_METRICS_TOKEN must be at least 16 characters")
        if self.environment == "production" and self.metrics_enabled and self.metrics_token is None:
            raise ValueError(
                "PEER_CE_METRICS_TOKEN is required in production when PEER_CE_METRICS_ENABLED is on; "
                "/metrics is never open there"
            )
        return self

    def _production_issuer(self) -> None:
        """Certificates name their issuer by the public URL and are signed by one key shared by every replica."""
        from urllib.parse import urlsplit

        url = urlsplit(self.public_base_url or "")
        if url.scheme != "https" or not url.hostname or url.query or url.fragment:
            raise ValueError(
                "PEER_CE_PUBLIC_BASE_URL must be the service's public https URL in production (e.g. "
                "https://ce.example.org): certificates name their issuer by it (did:web) and verifiers fetch its "
                f"keys there; it is {self.public_base_url!r}"
            )
        if self.issuer_key_file is None:
            raise ValueError(
                "PEER_CE_ISSUER_KEY_FILE is required in production: the private key (PEM, RSA 2048+ for RS256) that "
                "signs completion certificates, the same file for every replica; a key created per container "
                "would sign certificates no one can verify after a restart"
            )
        if not self.issuer_key_file.is_file():
            raise ValueError(f"PEER_CE_ISSUER_KEY_FILE {self.issuer_key_file} is not a readable file")
        if self.issuer_retired_keys_dir is not None and not self.issuer_retired_keys_dir.is_dir():
            raise ValueError(f"PEER_CE_ISSUER_RETIRED_KEYS_DIR {self.issuer_retired_keys_dir} is not a directory")

    @property
    def request_connections(self) -> int:
        """How many requests may hold a database connection at once (the rest wait their turn)."""
        return max(1, self.db_pool_size + self.db_max_overflow - self.db_reserved)

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'peer-ce.sqlite3').resolve()}"

    @property
    def uses_dev_key(self) -> bool:
        return not (self.jwt_jwks_url or self.jwt_public_key_file)

    @property
    def dev_key_path(self) -> Path:
        return self.data_dir / "dev-signing-key.pem"

    @property
    def base_url(self) -> str:
        return (self.public_base_url or f"http://{self.host}:{self.port}").rstrip("/")


@lru_cache
def get_settings() -> Settings:
    return Settings()
