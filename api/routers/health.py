"""Health endpoints, outside /api/v1 and without auth, for load balancers, orchestrators and operators."""

from __future__ import annotations

import threading
import time
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import func, select

from api.checks import queue_depths, run_checks
from api.deps import StateDep
from api.problems import problem_responses
from api.state import AppState
from shared.jobs.kinds import catalog
from shared.models import Job

router = APIRouter(prefix="/health", tags=["health"], responses=problem_responses(503))

_WORKERS_TTL = 5.0
_workers_cache: dict[str, Any] = {"at": 0.0, "value": {}}
_workers_lock = threading.Lock()


@router.get("/live", summary="The process is up")
def live() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/ready", summary="The database, the broker and blob storage answer")
def ready(state: StateDep) -> JSONResponse:
    results = run_checks(state)
    ok = all(r.ok for r in results.values())
    body = {
        "status": "ready" if ok else "unavailable",
        "checks": {name: r.__dict__ for name, r in results.items()},
        "failing": [name for name, r in results.items() if not r.ok],
    }
    return JSONResponse(body, status_code=200 if ok else 503)


def _workers(state: AppState) -> dict[str, list[str]]:
    """Worker hostnames and the queues each consumes, from a broadcast ping (cached briefly)."""
    with _workers_lock:
        if time.monotonic() - _workers_cache["at"] < _WORKERS_TTL:
            return _workers_cache["value"]
        try:
            replies = state.publisher.app.control.inspect(timeout=1.0).active_queues() or {}
            value = {host: sorted(q["name"] for q in queues) for host, queues in replies.items()}
        except Exception:
            value = {}
        _workers_cache.update(at=time.monotonic(), value=value)
        return value


@router.get("/status", summary="Version, providers, queues and workers")
def status(state: StateDep) -> dict[str, Any]:
    settings = state.settings
    workers = _workers(state)
    with state.factory() as session:
        jobs = {
            f"{kind}:{status}": count
            for kind, status, count in session.execute(
                select(Job.kind, Job.status, func.count()).group_by(Job.kind, Job.status)
            ).all()
        }
    consumed = sorted({queue for queues in workers.values() for queue in queues})
    return {
        "version": settings.app.version,
        "commit": settings.app.commit,
        "environment": settings.app.environment.value,
        "auth_mode": settings.auth.mode.value,
        "providers": {
            "storage": state.storage.name,
            "ocr": settings.ocr.provider.value,
            "embeddings": settings.embeddings.provider.value,
            "llm": settings.llm.provider.value,
        },
        "queues": queue_depths(state),
        "workers": workers,
        "queues_without_workers": sorted(set(catalog().queues) - set(consumed)),
        "jobs": jobs,
    }


@router.get("/metrics", summary="Prometheus metrics", response_class=Response)
def metrics(request: Request) -> Response:
    return Response(generate_latest(request.app.state.metrics_registry), media_type=CONTENT_TYPE_LATEST)
