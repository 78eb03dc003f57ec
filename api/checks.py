"""Dependency checks for readiness and status: each bounded by a timeout, run side by side."""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass

import redis
from sqlalchemy import text

from api.state import AppState
from shared.jobs.kinds import catalog
from shared.messaging import broker

CHECK_TIMEOUT_SECONDS = 3.0
_pool = ThreadPoolExecutor(max_workers=6, thread_name_prefix="health")


@dataclass(frozen=True)
class CheckResult:
    ok: bool
    latency_ms: float
    error: str | None = None


def _timed(check: Callable[[], None]) -> CheckResult:
    started = time.perf_counter()
    try:
        check()
    except Exception as exc:
        return CheckResult(
            False, round((time.perf_counter() - started) * 1000, 1), f"{type(exc).__name__}: {exc}"[:300]
        )
    return CheckResult(True, round((time.perf_counter() - started) * 1000, 1))


def _database(state: AppState) -> Callable[[], None]:
    def check() -> None:
        with state.engine.connect() as connection:
            connection.execute(text("SET LOCAL statement_timeout = 2000"))
            connection.execute(text("SELECT 1"))

    return check


def redis_client(state: AppState) -> redis.Redis:
    return redis.Redis.from_url(
        state.settings.broker.require_url(), socket_timeout=2, socket_connect_timeout=2
    )


def _broker(state: AppState) -> Callable[[], None]:
    def check() -> None:
        with redis_client(state) as client:
            client.ping()

    return check


def run_checks(state: AppState) -> dict[str, CheckResult]:
    checks = {"database": _database(state), "broker": _broker(state), "storage": state.storage.check}
    futures = {name: _pool.submit(_timed, check) for name, check in checks.items()}
    results = {}
    for name, future in futures.items():
        try:
            results[name] = future.result(timeout=CHECK_TIMEOUT_SECONDS)
        except FutureTimeout:
            results[name] = CheckResult(False, CHECK_TIMEOUT_SECONDS * 1000, "timed out")
    return results


def queue_depths(state: AppState) -> dict[str, int | None]:
    return broker.queue_depths(state.settings.broker.require_url(), catalog().queues)
