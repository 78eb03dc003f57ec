"""Where the product runs: environment, database, broker, jobs, ports."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Annotated

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode

from shared.config.base import ENV, Environment, LogFormat, split_commas
from shared.config.environments import profile

# Jobs per user published to one queue at once (fair share), unless DISPATCH_PER_USER says otherwise.
DEFAULT_DISPATCH_PER_USER = 2


class AppSettings(BaseSettings):
    model_config = ENV

    environment: Environment = Field(Environment.LOCAL, alias="ENVIRONMENT")
    data_dir: Path = Field(Path(".data"), alias="WORKOPTI_DATA_DIR")
    # Unset: the environment's default (shared/config/environments.py), resolved below.
    debug: bool | None = Field(None, alias="DEBUG")
    log_level: str | None = Field(None, alias="LOG_LEVEL")
    log_format: LogFormat | None = Field(None, alias="LOG_FORMAT")
    version: str = Field("0.1.0", alias="APP_VERSION")
    commit: str = Field("unknown", alias="APP_COMMIT")

    @field_validator("log_level", mode="before")
    @classmethod
    def _known_level(cls, value: object) -> object:
        if isinstance(value, str) and value.strip():
            level = value.strip().upper()
            if level not in logging.getLevelNamesMapping():
                raise ValueError(f"LOG_LEVEL={value} is not a level: DEBUG, INFO, WARNING, ERROR or CRITICAL")
            return level
        return None if value == "" else value

    @model_validator(mode="after")
    def _environment_defaults(self) -> AppSettings:
        defaults = profile(self.environment)
        if self.debug is None:
            self.debug = defaults.debug
        if self.log_level is None:
            self.log_level = defaults.log_level
        if self.log_format is None:
            self.log_format = defaults.log_format
        return self


class DatabaseSettings(BaseSettings):
    model_config = ENV

    url: str | None = Field(None, alias="DATABASE_URL")
    pool_size: int = Field(5, alias="DB_POOL_SIZE", ge=1)
    max_overflow: int = Field(5, alias="DB_MAX_OVERFLOW", ge=0)
    statement_timeout_ms: int = Field(30_000, alias="DB_STATEMENT_TIMEOUT_MS", ge=0)
    # Pooled connections are replaced after this long, before idle timeouts on the way (NAT, load
    # balancers, the server's own) can cut them unseen.
    pool_recycle_seconds: int = Field(1800, alias="DB_POOL_RECYCLE_SECONDS", ge=30)
    echo: bool = Field(False, alias="DB_ECHO")

    def sqlalchemy_url(self) -> str:
        """The URL with the psycopg 3 driver, whatever scheme the operator wrote."""
        if not self.url:
            raise RuntimeError(
                "DATABASE_URL is not set. Start the whole product with `make run` (which starts an embedded "
                "PostgreSQL) or point DATABASE_URL at a PostgreSQL 16 server with pgvector."
            )
        url = self.url
        for prefix in ("postgresql+psycopg2://", "postgresql://", "postgres://"):
            if url.startswith(prefix):
                return "postgresql+psycopg://" + url[len(prefix) :]
        return url


class BrokerSettings(BaseSettings):
    model_config = ENV

    url: str | None = Field(None, alias="REDIS_URL")
    # Above the longest task time limit: Redis redelivers an unacknowledged message after this.
    visibility_timeout_seconds: int = Field(7200, alias="BROKER_VISIBILITY_TIMEOUT_SECONDS", ge=60)

    def require_url(self) -> str:
        if not self.url:
            raise RuntimeError("REDIS_URL is not set. Start the product with `make run` or set REDIS_URL.")
        return self.url


class JobSettings(BaseSettings):
    model_config = ENV

    max_attempts: int = Field(3, alias="JOB_MAX_ATTEMPTS", ge=1, le=20)
    lease_seconds: int = Field(60, alias="JOB_LEASE_SECONDS", ge=3)
    retry_base_seconds: float = Field(5.0, alias="JOB_RETRY_BASE_SECONDS", ge=0)
    retry_max_seconds: float = Field(300.0, alias="JOB_RETRY_MAX_SECONDS", ge=0)
    # A queued job unclaimed for this long, with fewer messages in its queue than queued jobs, is republished.
    republish_after_seconds: int = Field(30, alias="JOB_REPUBLISH_AFTER_SECONDS", ge=1)
    sweep_interval_seconds: float = Field(5.0, alias="SWEEP_INTERVAL_SECONDS", gt=0)
    time_limit_seconds: int = Field(3600, alias="JOB_TIME_LIMIT_SECONDS", ge=10)
    # Fair share: how many of one user's jobs may be in a queue's broker list (or running) at once; the
    # rest wait in the database and are published as that user's earlier jobs finish, so one user's
    # thousand uploads sit behind at most this many of theirs, never in front of everyone else's.
    dispatch_per_user: int = Field(DEFAULT_DISPATCH_PER_USER, alias="DISPATCH_PER_USER", ge=1)
    # Modules declaring job kinds beyond the built-in ones (each exports KINDS; shared/jobs/kinds.py).
    # Every process of a deployment must name the same modules.
    kind_modules: Annotated[tuple[str, ...], NoDecode] = Field((), alias="JOB_KIND_MODULES")
    # How often a running job checks that it was not cancelled (or taken over): the longest a cancelled
    # job keeps its worker busy.
    cancel_check_seconds: float = Field(1.0, alias="JOB_CANCEL_CHECK_SECONDS", gt=0, le=60)
    # How long the event stream keeps events: a client reconnecting within it misses nothing.
    events_retention_seconds: int = Field(86_400, alias="EVENTS_RETENTION_SECONDS", ge=60)

    _split_modules = field_validator("kind_modules", mode="before")(
        classmethod(lambda cls, v: split_commas(v))
    )


class WebhookSettings(BaseSettings):
    model_config = ENV

    # Seconds before each retry of a delivery that failed: the Standard Webhooks schedule, about 27 hours
    # in all, each delay varied by up to a fifth so failed deliveries do not return in step. A receiver's
    # Retry-After postpones a retry further, never beyond the longest delay here.
    retry_schedule: Annotated[tuple[float, ...], NoDecode] = Field(
        (5, 300, 1800, 7200, 18000, 36000, 36000), alias="WEBHOOK_RETRY_SCHEDULE"
    )
    timeout_seconds: float = Field(10.0, alias="WEBHOOK_TIMEOUT_SECONDS", gt=0, le=60)
    # An endpoint whose deliveries died this many times in a row (every attempt failed) is disabled.
    disable_after_dead: int = Field(5, alias="WEBHOOK_DISABLE_AFTER_DEAD", ge=1)
    # After a secret is rotated, the old one keeps signing this long, so receivers can switch over.
    secret_grace_seconds: int = Field(86_400, alias="WEBHOOK_SECRET_GRACE_SECONDS", ge=0)
    # Deliveries are kept this long for the log (and those waiting for a disabled endpoint, for it).
    log_retention_seconds: int = Field(30 * 86_400, alias="WEBHOOK_LOG_RETENTION_SECONDS", ge=3600)

    @field_validator("retry_schedule", mode="before")
    @classmethod
    def _split_schedule(cls, value: object) -> object:
        return split_commas(value)

    @field_validator("retry_schedule")
    @classmethod
    def _positive_delays(cls, value: tuple[float, ...]) -> tuple[float, ...]:
        if any(delay <= 0 for delay in value):
            raise ValueError("WEBHOOK_RETRY_SCHEDULE holds positive numbers of seconds")
        return value


class ServerSettings(BaseSettings):
    model_config = ENV

    api_host: str = Field("127.0.0.1", alias="API_HOST")
    api_port: int = Field(8000, alias="API_PORT")
    flower_port: int = Field(5555, alias="FLOWER_PORT")
    frontend_dist: Path = Field(Path("frontend/dist"), alias="FRONTEND_DIST")
    # The web app's runtime configuration, under the names its own container reads, so one built
    # app serves every environment whether the API or nginx serves it (see frontend/env.example).
    web_api_url: str = Field("", alias="VITE_APP_API_URL")  # empty: the API is on the app's origin
    web_clerk_publishable_key: str | None = Field(None, alias="VITE_CLERK_PUBLISHABLE_KEY")
    # A comment line on a streamed answer while the model thinks, and on a quiet event stream, so no
    # proxy or load balancer closes it as idle (Front Door and App Service drop silent responses).
    stream_heartbeat_seconds: float = Field(10.0, alias="STREAM_HEARTBEAT_SECONDS", gt=0, le=60)
