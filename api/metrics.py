"""Prometheus metrics: HTTP from this process; jobs and queues read at scrape time from the database and
Redis, because the work is observed in the workers while this API is what gets scraped."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy import func, select
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.checks import queue_depths
from api.state import AppState
from shared.jobs import timing
from shared.models import Job
from shared.usage import service as usage

log = logging.getLogger(__name__)


class JobCollector(Collector):
    def __init__(self, state: AppState) -> None:
        self.state = state

    def collect(self) -> Iterator[Metric]:
        try:
            with self.state.factory() as session:
                histograms = timing.histograms(session)
                counts = session.execute(
                    select(Job.kind, Job.status, func.count()).group_by(Job.kind, Job.status)
                ).all()
                spent = usage.totals(session)
        except Exception:
            log.warning("job metrics unavailable", exc_info=True)
            return
        families = {
            "wait": HistogramMetricFamily(
                "workopti_job_queue_wait_seconds", "Time jobs waited in their queue before a worker claimed them",
                labels=["kind"],
            ),
            "run": HistogramMetricFamily(
                "workopti_job_run_seconds", "Time job attempts ran, whatever their outcome", labels=["kind"]
            ),
        }  # fmt: skip
        for h in histograms:
            family = families.get(h.metric)
            if family is None:
                continue
            buckets = [("+Inf" if le == float("inf") else repr(float(le)), count) for le, count in h.buckets]
            family.add_metric([h.kind], buckets, h.sum_seconds)
        yield from families.values()
        jobs = GaugeMetricFamily("workopti_jobs", "Jobs by kind and status", labels=["kind", "status"])
        for kind, status, count in counts:
            jobs.add_metric([kind, status], count)
        yield jobs
        depth = GaugeMetricFamily(
            "workopti_queue_depth", "Messages waiting in each broker queue", labels=["queue"]
        )
        for queue, size in queue_depths(self.state).items():
            if size is not None:
                depth.add_metric([queue], size)
        yield depth
        yield from _usage_families(spent)


def _usage_families(rows: list[dict[str, Any]]) -> Iterator[Metric]:
    labels = ["provider", "model", "kind"]
    families = {
        "requests": CounterMetricFamily("workopti_provider_requests", "Calls to paid providers", labels=labels),
        "input_tokens": CounterMetricFamily("workopti_provider_input_tokens", "Tokens sent to paid providers", labels=labels),
        "output_tokens": CounterMetricFamily("workopti_provider_output_tokens", "Tokens paid providers generated", labels=labels),
        "pages": CounterMetricFamily("workopti_provider_pages", "Pages paid OCR analysed", labels=labels),
    }  # fmt: skip
    for row in rows:
        for name, family in families.items():
            family.add_metric([str(row["provider"]), str(row["model"]), str(row["kind"])], float(row[name]))
    yield from families.values()


class HttpMetrics:
    """Counts and times requests by route template (not raw path, which would explode cardinality)."""

    def __init__(self, app: ASGIApp, registry: CollectorRegistry) -> None:
        self.app = app
        self.requests = Counter(
            "workopti_http_requests", "HTTP requests", ["method", "route", "status"], registry=registry
        )
        self.latency = Histogram(
            "workopti_http_request_duration_seconds", "HTTP request duration", ["method", "route"],
            registry=registry, buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
        )  # fmt: skip

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def capture(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, capture)
        finally:
            route = scope.get("route")
            template = getattr(route, "path", None) or "unmatched"
            self.requests.labels(scope["method"], template, str(status)).inc()
            self.latency.labels(scope["method"], template).observe(time.perf_counter() - started)


def build_registry(state: AppState) -> CollectorRegistry:
    registry = CollectorRegistry()
    registry.register(JobCollector(state))
    return registry
