"""The one settings object: environment variables named as in the seed's Appendix B.

Read when asked for (``get_settings()``), never at import time. Every switch between the embedded
defaults and production engines (SQLite -> PostgreSQL, in-process -> Redis) is a value here.
"""

from __future__ import annotations

from enum import StrEnum
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, ValidationError, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from reviewlab.errors import SettingsError

PLACEHOLDER_SECRETS = frozenset({"", "changethis", "change-me", "your-secret-key", "your-csrf-secret", "secret"})


class Environment(StrEnum):
    DEVELOPMENT = "development"
    STAGING = "staging"
    PRODUCTION = "production"


class Settings(BaseSettings):
    """Process settings. Secrets are ``SecretStr`` so they never print."""

    model_config = SettingsConfigDict(env_file=None, extra="ignore", case_sensitive=False)

    reviewlab_home: Path = Field(default_factory=lambda: Path.home() / ".reviewlab")
    database_url: str | None = None
    redis_url: str | None = None
    ollama_host: str = "http://localhost:11434"
    ollama_model: str = "codellama:34b"
    openai_api_key: SecretStr | None = None
    anthropic_api_key: SecretStr | None = None
    openai_base_url: str | None = None  # an OpenAI-compatible gateway instead of api.openai.com
    anthropic_base_url: str | None = None
    reviewlab_hf_model: str | None = None  # a local model directory or a model id in the local HF cache
    reviewlab_hf_device: Literal["auto", "cpu", "cuda"] = "auto"
    mlflow_tracking_uri: str | None = None  # the lifecycle's MLflow; unset: SQLite under REVIEWLAB_HOME/mlflow
    reviewlab_experiments_dir: Path = Path("experiments")  # candidates/, datasets/ and policy.yaml
    jwt_secret_key: SecretStr = SecretStr("")
    csrf_secret_key: SecretStr = SecretStr("")
    audit_secret_key: SecretStr = SecretStr("")  # the audit chain's key; unset: derived from CSRF_SECRET_KEY
    environment: Environment = Environment.DEVELOPMENT
    debug: bool = False

    # The platform (API, workers, mail). Names beyond the seed's Appendix B carry the REVIEWLAB_ prefix.
    reviewlab_cookie_secure: bool = True  # off only for plain-http development (refused outside development)
    reviewlab_public_url: str = "http://127.0.0.1:8000"  # where links in mails point
    reviewlab_admin_email: str | None = None  # the admin account created on first start
    reviewlab_admin_password: SecretStr | None = None  # unset: a random one, printed once
    reviewlab_rate_limits: bool = True  # off only for load tests: every limit of table 6.3 stops applying
    reviewlab_queue: Literal["auto", "inprocess", "celery"] = "auto"  # auto: Celery when REDIS_URL is set
    reviewlab_workers: int = Field(default=2, ge=1, le=64)  # in-process analysis threads
    reviewlab_api_threads: int = Field(default=4, ge=1, le=256)  # an API process's threads for blocking handler work
    # With Redis: how long an API process keeps its near copy of a cached value (dropped at once on invalidation,
    # over Redis pub/sub); 0: every cache read goes to Redis.
    reviewlab_cache_near_ttl_s: float = Field(default=10.0, ge=0, le=300)
    reviewlab_log_format: Literal["json", "text"] = "text"  # json: one JSON object per line, with request_id
    reviewlab_analysis_time_limit: int = Field(default=600, ge=10)  # seconds per analysis
    reviewlab_max_body_bytes: int = Field(default=10 * 1024 * 1024, ge=1024)  # larger requests get 413
    reviewlab_max_archive_bytes: int = Field(default=20 * 1024 * 1024, ge=1024)  # an uploaded archive
    reviewlab_max_archive_files: int = Field(default=5000, ge=1)  # members of an uploaded archive
    reviewlab_max_unpacked_bytes: int = Field(default=200 * 1024 * 1024, ge=1024)  # an archive once unpacked
    reviewlab_warehouse_dir: Path | None = None  # the findings warehouse (Parquet); unset: REVIEWLAB_HOME/warehouse
    smtp_host: str | None = None  # unset: mails go to the log
    smtp_port: int = 587
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    smtp_from: str = "reviewlab@localhost"
    smtp_starttls: bool = True
    # Tracing (OpenTelemetry, OTLP over HTTP): off unless an endpoint is set; needs the ``otel`` extra.
    otel_exporter_otlp_endpoint: str | None = None  # the collector's base URL; traces go to <base>/v1/traces
    otel_exporter_otlp_traces_endpoint: str | None = None  # the full traces URL (wins over the base URL)
    otel_service_name: str | None = None  # unset: reviewlab-api or reviewlab-worker, by process
    otel_traces_sampler_arg: float = Field(default=1.0, ge=0.0, le=1.0)  # share of new traces kept (parent-based)
    reviewlab_events_interval: float = Field(default=5.0, gt=0)  # seconds between event consumer passes
    # The domain event bus: auto = Kafka when KAFKA_BOOTSTRAP_SERVERS is set, else Redis Streams when REDIS_URL is
    # set, else in process. Kafka needs the ``kafka`` extra.
    reviewlab_event_bus: Literal["auto", "inprocess", "redis", "kafka"] = "auto"
    kafka_bootstrap_servers: str | None = None  # host:port[,host:port...] of the Kafka brokers; unset: no Kafka
    reviewlab_kafka_topic: str = Field(default="reviewlab.events", pattern=r"^[A-Za-z0-9._-]{1,249}$")

    @model_validator(mode="after")
    def _event_bus_is_configured(self) -> Settings:
        if self.reviewlab_event_bus == "kafka" and not self.kafka_bootstrap_servers:
            raise ValueError("REVIEWLAB_EVENT_BUS=kafka needs KAFKA_BOOTSTRAP_SERVERS")
        if self.reviewlab_event_bus == "redis" and not self.redis_url:
            raise ValueError("REVIEWLAB_EVENT_BUS=redis needs REDIS_URL")
        return self

    @model_validator(mode="after")
    def _refuse_placeholder_secrets(self) -> Settings:
        if self.environment is Environment.DEVELOPMENT:
            return self
        if not self.reviewlab_cookie_secure:
            raise ValueError(
                "REVIEWLAB_COOKIE_SECURE=false is for plain-http development only, "
                f"not ENVIRONMENT={self.environment.value}"
            )
        for name in ("jwt_secret_key", "csrf_secret_key"):
            value: SecretStr = getattr(self, name)
            if value.get_secret_value().strip().lower() in PLACEHOLDER_SECRETS or len(value.get_secret_value()) < 32:
                raise ValueError(
                    f"{name.upper()} must be set to a random value of at least 32 characters "
                    f"when ENVIRONMENT={self.environment.value}"
                )
        audit = self.audit_secret_key.get_secret_value()
        if audit and (audit.strip().lower() in PLACEHOLDER_SECRETS or len(audit) < 32):
            raise ValueError("AUDIT_SECRET_KEY, when set, must be a random value of at least 32 characters")
        return self

    @property
    def cache_dir(self) -> Path:
        return self.reviewlab_home / "cache"

    @property
    def reports_dir(self) -> Path:
        return self.reviewlab_home / "reports"

    @property
    def queue_backend(self) -> Literal["inprocess", "celery"]:
        """Where analyses run: Celery workers when asked for, or by default when Redis is configured."""
        if self.reviewlab_queue == "auto":
            return "celery" if self.redis_url else "inprocess"
        return self.reviewlab_queue

    @property
    def event_bus(self) -> Literal["inprocess", "redis", "kafka"]:
        """Where domain events go: as asked, or by default Kafka when KAFKA_BOOTSTRAP_SERVERS is set, else Redis
        Streams when REDIS_URL is set, else the in-process bus."""
        if self.reviewlab_event_bus != "auto":
            return self.reviewlab_event_bus
        if self.kafka_bootstrap_servers:
            return "kafka"
        return "redis" if self.redis_url else "inprocess"

    @property
    def sqlalchemy_url(self) -> str:
        """The store's URL: ``DATABASE_URL`` (postgresql:// gets the psycopg driver) or a SQLite file."""
        if not self.database_url:
            return f"sqlite:///{self.reviewlab_home / 'reviewlab.db'}"
        url = self.database_url
        for prefix in ("postgresql://", "postgres://"):
            if url.startswith(prefix):
                return "postgresql+psycopg://" + url[len(prefix) :]
        return url


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process's settings, read from the environment on first use."""
    try:
        return Settings()
    except ValidationError as err:
        problems = "; ".join(str(e["msg"]).removeprefix("Value error, ") for e in err.errors())
        raise SettingsError(f"invalid settings: {problems}") from err
