"""The whole product on one machine: embedded PostgreSQL and Redis unless URLs are given, migrations,
the API, one worker per queue (beat inside the maintenance worker) and Flower. `workopti run` and the
test suite both start it through this class."""

from __future__ import annotations

import logging
import os
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

import httpx

from cli.stack.postgres import EmbeddedPostgres
from cli.stack.processes import ServiceSpec, Supervisor
from cli.stack.redis import EmbeddedRedis, free_port
from shared.config import AppSettings, FlowerSettings, JobSettings
from shared.config.environments import profile
from shared.jobs.kinds import MAINTENANCE_QUEUE, WEBHOOKS_QUEUE, load_catalog
from shared.migrations.runner import upgrade

log = logging.getLogger("workopti.stack")

DEFAULT_REDIS_PORT = 6390
# Webhook deliveries wait on other systems' answers, not on the CPU: threads, several at once.
WEBHOOK_POOL = ["-P", "threads", "-c", "8"]


def worker_queues(env: Mapping[str, str] | None = None) -> tuple[str, ...]:
    """Every queue that gets a worker of its own (the maintenance queue's also runs beat): those of the
    job kinds the services' environment declares (JOB_KIND_MODULES), read from the kinds' catalogue."""
    modules = (env if env is not None else os.environ).get("JOB_KIND_MODULES", "")
    return load_catalog(JobSettings(JOB_KIND_MODULES=modules).kind_modules).queues


def _worker_name(queue: str) -> str:
    return f"worker-{queue}"


@dataclass
class StackOptions:
    data_dir: Path = Path(".data")
    api_host: str = "127.0.0.1"
    api_port: int = 8000
    flower_port: int | None = 5555  # None: no Flower
    redis_port: int | None = None  # None: DEFAULT_REDIS_PORT if free, else any free port
    env: dict[str, str] = field(default_factory=dict)  # extra environment for every service
    echo: TextIO | None = None  # where service output is mirrored (besides the log files)
    fast_unsafe_database: bool = False  # fsync off: throwaway test databases only
    worker_concurrency: int = 1
    workers: bool = True  # False: database, Redis and the API only (benchmarks of the API alone)


class Stack:
    def __init__(self, options: StackOptions) -> None:
        self.options = options
        self.data_dir = options.data_dir.resolve()
        self.supervisor = Supervisor(self.data_dir / "logs", echo=options.echo)
        self.env: dict[str, str] = {}
        self.postgres: EmbeddedPostgres | None = None
        self.redis: EmbeddedRedis | None = None

    # --- lifecycle ------------------------------------------------------------------------------

    def start(self, *, wait: bool = True, timeout: float = 180) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        env = {**os.environ, **self.options.env}
        env["WORKOPTI_DATA_DIR"] = str(self.data_dir)
        env["API_PORT"] = str(self.options.api_port)
        env.setdefault("PYTHONUNBUFFERED", "1")
        if self.options.flower_port:  # an unsafe Flower is refused before anything starts
            flower_spec(env, self.options.api_host, self.options.flower_port)
        try:
            if not env.get("DATABASE_URL"):
                self.postgres = EmbeddedPostgres(self.data_dir, fast_unsafe=self.options.fast_unsafe_database)
                self.postgres.prepare()
                self.postgres.wait_ready(self.supervisor.start(self.postgres.spec()))
                self.postgres.ensure_database()
                env["DATABASE_URL"] = self.postgres.url
            if not env.get("REDIS_URL"):
                port = self.options.redis_port or free_port(DEFAULT_REDIS_PORT)
                self.redis = EmbeddedRedis(self.data_dir, port=port)
                self.redis.prepare()
                self.redis.wait_ready(self.supervisor.start(self.redis.spec()))
                env["REDIS_URL"] = self.redis.url
            self.env = env
            log.info("applying migrations")
            upgrade(env["DATABASE_URL"])
            for spec in self._service_specs(env):
                self.supervisor.start(spec)
            self.supervisor.watch()
            if wait:
                self.wait_ready(timeout)
        except BaseException:
            self.stop()
            raise

    def stop(self) -> None:
        apps = [
            "flower",
            "api",
            *[_worker_name(queue) for queue in worker_queues(self.env or {**os.environ, **self.options.env})],
        ]
        self.supervisor.stop([apps, ["redis"], ["postgres"]])

    def __enter__(self) -> Stack:
        self.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.stop()

    # --- services -------------------------------------------------------------------------------

    def _service_specs(self, env: dict[str, str]) -> list[ServiceSpec]:
        python = sys.executable
        opts = self.options
        specs = [
            ServiceSpec(
                "api",
                [python, "-m", "uvicorn", "api.main:create_app", "--factory", "--host", opts.api_host,
                 "--port", str(opts.api_port), "--no-access-log", "--no-server-header", "--timeout-graceful-shutdown", "10"],
                env,
                stop_timeout=15,
            )
        ]  # fmt: skip
        for queue in worker_queues(env) if opts.workers else ():
            argv = [python, "-m", "celery", "-A", "worker.app", "worker", "-Q", queue, "-n", f"{queue}@%h",
                    "-c", str(opts.worker_concurrency), "--loglevel", "INFO", "--without-mingle"]  # fmt: skip
            if queue == WEBHOOKS_QUEUE:
                argv += WEBHOOK_POOL  # the last -c wins
            if queue == MAINTENANCE_QUEUE:
                argv += ["-B", "-s", str(self.data_dir / "celerybeat-schedule")]
            specs.append(ServiceSpec(_worker_name(queue), argv, env, stop_timeout=20))
        if opts.flower_port:
            specs.append(flower_spec(env, opts.api_host, opts.flower_port))
        return specs

    # --- readiness ------------------------------------------------------------------------------

    @property
    def api_url(self) -> str:
        return f"http://{self.options.api_host}:{self.options.api_port}"

    @property
    def flower_url(self) -> str | None:
        return (
            f"http://{self.options.api_host}:{self.options.flower_port}" if self.options.flower_port else None
        )

    def wait_ready(self, timeout: float = 180) -> None:
        """Until the API is ready and every queue has a worker consuming it."""
        deadline = time.monotonic() + timeout
        last = "no answer yet"
        with httpx.Client(base_url=self.api_url, timeout=5) as client:
            while time.monotonic() < deadline:
                self._raise_if_crashed()
                try:
                    ready = client.get("/health/ready")
                    if ready.status_code == 200:
                        status = client.get("/health/status").json()
                        missing = status.get("queues_without_workers", [])
                        if not missing:
                            return
                        last = f"waiting for workers on {', '.join(missing)}"
                    else:
                        last = f"not ready: {ready.json().get('failing')}"
                except httpx.HTTPError as exc:
                    last = f"{type(exc).__name__}"
                time.sleep(0.5)
        raise TimeoutError(
            f"the stack was not ready within {timeout:.0f}s ({last}); see {self.data_dir / 'logs'}"
        )

    def _raise_if_crashed(self) -> None:
        for proc in self.supervisor.processes.values():
            if proc.restarts >= 3:
                raise RuntimeError(f"{proc.spec.name} keeps crashing; see {proc.log_path}")


def flower_spec(env: dict[str, str], host: str, port: int) -> ServiceSpec:
    """Flower with the sign-in its settings ask for; refuses to build an open Flower outside local.

    The credentials travel in Flower's own environment variables, never on its command line, where
    any user of the machine could read them in the process list.
    """
    # Environment strings for the settings to validate (Any: their constructor also takes `_env_file`...).
    given: dict[str, Any] = {name: env[name] for name in _aliases(FlowerSettings) if env.get(name)}
    flower = FlowerSettings(**given)
    chosen: dict[str, Any] = {name: env[name] for name in ("ENVIRONMENT",) if env.get(name)}
    app = AppSettings(**chosen)
    problems = flower.problems(open_allowed=profile(app.environment).open_flower_allowed)
    if problems:
        raise RuntimeError("Flower cannot start: " + "; ".join(problems))
    return ServiceSpec(
        "flower",
        [sys.executable, "-m", "celery", "-A", "worker.app", "flower", f"--address={host}", f"--port={port}"],
        {**env, **flower.flower_environment()},
        stop_timeout=10,
    )


def _aliases(group: type[FlowerSettings]) -> list[str]:
    return [field.alias for field in group.model_fields.values() if field.alias]
