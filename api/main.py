"""The API application: `uvicorn --factory api.main:create_app`."""

from __future__ import annotations

from collections.abc import AsyncIterator, MutableMapping
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any

from fastapi import FastAPI

from api import debug, edge, problems, spa
from api.metrics import HttpMetrics, build_registry
from api.publisher import CeleryPublisher
from api.quotas import Quotas
from api.routers import (
    api_keys,
    ask,
    auth,
    batches,
    conversations,
    documents,
    events,
    extractions,
    grants,
    health,
    jobs,
    pipeline,
    reviews,
    schemas,
    search,
    usage,
    webhooks,
)
from api.state import AppState
from shared.config import Settings, get_settings
from shared.db import build_engine, build_session_factory
from shared.documents.service import Intake
from shared.logging import configure_logging
from shared.providers.storage import build_blob_store
from shared.telemetry import setup_tracing, shutdown_tracing, trace_engine

if TYPE_CHECKING:
    from opentelemetry.sdk.trace import TracerProvider


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    settings.check_startup()
    configure_logging(settings, service="api")
    tracing = setup_tracing(settings, service="api")

    engine = build_engine(settings, application_name="workopti-api")
    trace_engine(engine)
    factory = build_session_factory(engine)
    storage = build_blob_store(settings)
    state = AppState(
        settings=settings,
        engine=engine,
        factory=factory,
        storage=storage,
        publisher=CeleryPublisher(settings),
        intake=Intake(settings, storage, factory),
        quotas=Quotas(settings.quotas, settings.broker.url),
    )

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        settings.spool_dir.mkdir(parents=True, exist_ok=True)
        yield
        engine.dispose()
        shutdown_tracing()

    app = FastAPI(
        title="WorkOpti",
        version=settings.app.version,
        summary="Upload documents; get their text, search and AI results.",
        lifespan=lifespan,
        # FastAPI traces requests itself once setup_tracing has set a tracer provider; off, it costs nothing.
        telemetry={"exclude": _health_probe},
    )
    app.state.workopti = state
    app.state.metrics_registry = build_registry(state)
    app.add_middleware(HttpMetrics, registry=app.state.metrics_registry)
    edge.install(app, settings)
    problems.install(app)
    if settings.app.debug:
        debug.install(app)
    problems.document_problems(app)
    for router in (
        auth.router,
        api_keys.router,
        ask.router,
        batches.router,
        conversations.router,
        events.router,
        documents.router,
        grants.router,
        jobs.router,
        pipeline.router,
        reviews.router,
        schemas.router,
        search.router,
        usage.router,
        webhooks.router,
        extractions.router,
        health.router,
    ):
        app.include_router(router)
    spa.mount(app, settings.server)
    if tracing is not None:
        _trace_publishing(tracing)
    return app


def _health_probe(scope: MutableMapping[str, Any]) -> bool:
    """Probes every few seconds would bury the requests people make."""
    return str(scope.get("path", "")).startswith("/health/")


def _trace_publishing(provider: TracerProvider) -> None:
    """A producer span per job message published, its context in the message headers."""
    from opentelemetry.instrumentation.celery import CeleryInstrumentor

    celery = CeleryInstrumentor()
    if not celery.is_instrumented_by_opentelemetry:
        celery.instrument(tracer_provider=provider)
