"""The suite runs against the real product: one stack per session, started by the same launcher as
`make run` (Redis, the API, one Celery worker per queue, beat), on the session's one PostgreSQL server
(the launcher's embedded PostgreSQL with pgvector, tests/postgres.py), where every stack and every test
package that needs a database gets one of its own.

Timings are shortened through settings only (leases, sweep interval, retry backoff), so the fault tests
see the same code paths production does, just sooner.

Tiers (markers registered in pyproject.toml): `stack` for every test that needs a running product (given
here to each test using the `stack` fixture, and by module to tests that start a product themselves),
`browser` for tests/e2e, `external` for tests running programs from outside the virtualenv (tests/deploy,
Azurite), `slow` for tests that take seconds each (the model fixtures in tests/unit/conftest.py, a
module's `pytestmark`, or the test's own mark). The rest is the fast tier, `make test-fast`, which needs
nothing but `make install`.
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

from cli.stack.postgres import DATABASE_NAME, EmbeddedPostgres
from cli.stack.redis import free_port
from cli.stack.stack import Stack, StackOptions
from shared.config import DatabaseSettings
from shared.migrations.runner import upgrade
from tests.postgres import SessionPostgres, create_database
from tests.serving import CLIENT_TLS

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "artifacts"
BROWSER_TESTS = ROOT / "tests" / "e2e"
DEPLOY_TESTS = ROOT / "tests" / "deploy"  # hadolint, the compose CLI and checkov, from .venv-tools
# Each test builds the API app with settings of its own and serves it over HTTP (tests/serving.py).
SERVED_API_TESTS = tuple(ROOT / "tests" / name for name in ("auth", "edge", "environments"))

POSTGRES = SessionPostgres()

STACK_ENV = {
    "ENVIRONMENT": "local",
    "AUTH_MODE": "dev",
    "JOB_LEASE_SECONDS": "6",
    "SWEEP_INTERVAL_SECONDS": "1",
    "JOB_REPUBLISH_AFTER_SECONDS": "3",
    "JOB_RETRY_BASE_SECONDS": "0.5",
    "JOB_RETRY_MAX_SECONDS": "2",
    "JOB_MAX_ATTEMPTS": "3",
    # Webhook retries within seconds, and an endpoint disabled after two dead deliveries in a row.
    "WEBHOOK_RETRY_SCHEDULE": "1,1,2",
    "WEBHOOK_DISABLE_AFTER_DEAD": "2",
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


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "stack" in item.fixturenames:
            item.add_marker(pytest.mark.stack)
        if item.path.is_relative_to(BROWSER_TESTS):
            item.add_marker(pytest.mark.browser)
        if item.path.is_relative_to(DEPLOY_TESTS):
            item.add_marker(pytest.mark.external)
        if any(item.path.is_relative_to(folder) for folder in SERVED_API_TESTS):
            item.add_marker(pytest.mark.api)


def pytest_sessionfinish() -> None:
    POSTGRES.stop(logs_to=ARTIFACTS / "logs" / "postgres")


@pytest.fixture(scope="session")
def pg_server() -> EmbeddedPostgres:
    """The session's one PostgreSQL server; make a database of your own on it (create_database)."""
    return POSTGRES.server


@pytest.fixture(scope="package")
def migrated_url(pg_server: EmbeddedPostgres, request: pytest.FixtureRequest) -> str:
    """A database of this test package's own, built by running the migrations."""
    url = create_database(pg_server, f"workopti_{request.node.path.name}")
    upgrade(url)
    return url


@pytest.fixture(scope="package")
def db_engine(migrated_url: str) -> Iterator[Engine]:
    engine = create_engine(migrated_url)
    yield engine
    engine.dispose()


@contextmanager
def running_stack(
    name: str, env: dict[str, str] | None = None, *, database: str | None = None, own_postgres: bool = False
) -> Iterator[Stack]:
    """A whole product of its own (Redis, API, workers) with the suite's settings plus `env`, on a new
    database (`database`, or workopti_<name>) on the session's PostgreSQL, or with `own_postgres` on an
    embedded PostgreSQL of its own; its logs are kept under artifacts/logs/<name> when it stops."""
    data_dir = _data_dir(name)
    database_url = "" if own_postgres else POSTGRES.new_database(database or f"workopti_{name}")
    options = StackOptions(
        data_dir=data_dir,
        api_port=free_port(),
        flower_port=None,
        redis_port=free_port(),
        env=STACK_ENV | {"DATABASE_URL": database_url, "REDIS_URL": ""} | (env or {}),
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


# A job kind only the suite declares, so the main stack proves kinds are data (tests/stack/test_job_kinds.py).
SUITE_KINDS = {"JOB_KIND_MODULES": "tests.stack.word_count_kind"}


@pytest.fixture(scope="session")
def session_stack() -> Iterator[Stack]:
    # The product's usual database name, as `make run` has it: the backup tests derive other databases'
    # URLs from it.
    with running_stack("stack", SUITE_KINDS, database=DATABASE_NAME) as instance:
        yield instance


@pytest.fixture(scope="module")
def own_stack(request: pytest.FixtureRequest) -> Iterator[Stack]:
    # Its PostgreSQL is its own, not the session's: these tests kill it.
    with running_stack(request.module.__name__.rsplit(".", 1)[-1], own_postgres=True) as instance:
        yield instance


@pytest.fixture(scope="module")
def stack(request: pytest.FixtureRequest) -> Stack:
    """The session's product, or for a module marked `own_stack` a product of its own."""
    if request.node.get_closest_marker("own_stack"):
        return request.getfixturevalue("own_stack")
    return request.getfixturevalue("session_stack")


def _keep_logs(logs: Path, name: str) -> None:
    if logs.is_dir():
        target = ARTIFACTS / "logs" / name
        shutil.rmtree(target, ignore_errors=True)
        shutil.copytree(logs, target)


@pytest.fixture(scope="module")
def database_url(stack: Stack) -> str:
    return DatabaseSettings(DATABASE_URL=stack.env["DATABASE_URL"]).sqlalchemy_url()


@pytest.fixture(scope="module")
def engine(database_url: str) -> Iterator[Engine]:
    engine = create_engine(database_url, pool_pre_ping=True)  # the fault tests restart PostgreSQL
    yield engine
    engine.dispose()


class ApiUser:
    """An HTTP client signed in as one local user."""

    def __init__(self, base_url: str, user_id: str) -> None:
        self.user_id = user_id
        self.http = httpx.Client(base_url=base_url, timeout=120, verify=CLIENT_TLS)
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


@pytest.fixture(scope="module")
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
