"""The suite runs against the real product: one stack per session, started by the same launcher as
`make run` (embedded PostgreSQL with pgvector, Redis, the API, one Celery worker per queue, beat).

Timings are shortened through settings only (leases, sweep interval, retry backoff), so the fault tests
see the same code paths production does, just sooner.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from sqlalchemy import Engine, create_engine

from cli.stack.redis import free_port
from cli.stack.stack import Stack, StackOptions
from shared.config import DatabaseSettings

ARTIFACTS = Path(__file__).resolve().parent.parent / "artifacts"

STACK_ENV = {
    "ENVIRONMENT": "local",
    "AUTH_MODE": "dev",
    "JOB_LEASE_SECONDS": "6",
    "SWEEP_INTERVAL_SECONDS": "1",
    "JOB_REPUBLISH_AFTER_SECONDS": "3",
    "JOB_RETRY_BASE_SECONDS": "0.5",
    "JOB_RETRY_MAX_SECONDS": "2",
    "JOB_MAX_ATTEMPTS": "3",
    "MAX_UPLOAD_BYTES": str(10 * 1024 * 1024),
    "QUOTA_UPLOADS_PER_MINUTE": "40",
    "LOG_LEVEL": "INFO",
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
}


def _data_dir(name: str) -> Path:
    # Not under pytest's tmp_path: that is private to root (0700), and the embedded PostgreSQL runs
    # as its own user when the suite runs as root.
    path = Path(tempfile.mkdtemp(prefix=f"workopti-{name}-"))
    path.chmod(0o755)
    return path


@contextmanager
def running_stack(name: str, env: dict[str, str] | None = None) -> Iterator[Stack]:
    """A whole product of its own (embedded PostgreSQL, Redis, API, workers) with the suite's settings
    plus `env`; its logs are kept under artifacts/logs/<name> when it stops."""
    data_dir = _data_dir(name)
    options = StackOptions(
        data_dir=data_dir,
        api_port=free_port(),
        flower_port=None,
        redis_port=free_port(),
        env=STACK_ENV | {"DATABASE_URL": "", "REDIS_URL": ""} | (env or {}),
        fast_unsafe_database=True,
    )
    instance = Stack(options)
    instance.start(timeout=300)
    try:
        yield instance
    finally:
        instance.stop()
        _keep_logs(data_dir / "logs", name)
        shutil.rmtree(data_dir, ignore_errors=True)


@pytest.fixture(scope="session")
def stack() -> Iterator[Stack]:
    with running_stack("stack") as instance:
        yield instance


def _keep_logs(logs: Path, name: str) -> None:
    if logs.is_dir():
        target = ARTIFACTS / "logs" / name
        shutil.rmtree(target, ignore_errors=True)
        shutil.copytree(logs, target)


@pytest.fixture(scope="session")
def database_url(stack: Stack) -> str:
    return DatabaseSettings(DATABASE_URL=stack.env["DATABASE_URL"]).sqlalchemy_url()


@pytest.fixture(scope="session")
def engine(database_url: str) -> Iterator[Engine]:
    engine = create_engine(database_url, pool_pre_ping=True)  # the fault tests restart PostgreSQL
    yield engine
    engine.dispose()


class ApiUser:
    """An HTTP client signed in as one local user."""

    def __init__(self, base_url: str, user_id: str) -> None:
        self.user_id = user_id
        self.http = httpx.Client(base_url=base_url, timeout=120)
        token = self.http.post("/api/v1/auth/dev-token", json={"user_id": user_id, "name": user_id})
        token.raise_for_status()
        self.http.headers["Authorization"] = f"Bearer {token.json()['access_token']}"

    def upload(self, filename: str, content: bytes, **kwargs: object) -> httpx.Response:
        data = kwargs.pop("data", None)
        headers = kwargs.pop("headers", None)
        return self.http.post(
            "/api/v1/documents",
            files={"file": (filename, content, "application/octet-stream")},
            data=data,  # type: ignore[arg-type]
            headers=headers,  # type: ignore[arg-type]
        )

    def wait_for(self, document_id: str, timeout: float = 240) -> dict:
        import time

        deadline = time.monotonic() + timeout
        etag = None
        document: dict = {}
        while time.monotonic() < deadline:
            headers = {"If-None-Match": etag} if etag else {}
            response = self.http.get(f"/api/v1/documents/{document_id}", headers=headers)
            if response.status_code == 200:
                document, etag = response.json(), response.headers["ETag"]
                if document["status"] in ("ready", "failed", "cancelled"):
                    return document
            else:
                assert response.status_code == 304, response.text
            time.sleep(0.3)
        raise AssertionError(f"document {document_id} did not finish within {timeout}s: {document}")


@pytest.fixture(scope="session")
def user_factory(stack: Stack) -> Iterator[Callable[[str | None], ApiUser]]:
    made: list[ApiUser] = []

    def make(user_id: str | None = None) -> ApiUser:
        user = ApiUser(stack.api_url, user_id or f"user-{uuid.uuid4().hex[:8]}")
        made.append(user)
        return user

    yield make
    for user in made:
        user.http.close()


@pytest.fixture
def user(user_factory: Callable[[str | None], ApiUser]) -> ApiUser:
    """A fresh user per test, so tests never see each other's documents."""
    return user_factory(None)


@pytest.fixture(scope="session", autouse=True)
def _offline_models() -> None:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
