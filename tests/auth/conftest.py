"""The real API served by uvicorn on a free local port, over a migrated database of this package's own
(`migrated_url`), so sign-in runs through the same middleware, dependencies and problem handlers as in
production."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import Engine, select

from api.main import create_app
from shared.config import (
    AppSettings,
    AuthSettings,
    DatabaseSettings,
    QuotaSettings,
    Settings,
    StorageSettings,
)
from shared.models import User
from testkit.fakes.jwks import JwksServer
from tests.serving import ServedApps

SECURITY_LOGGER = "workopti.security"
PROBLEM_JSON = "application/problem+json"
BEARER_CHALLENGE = 'Bearer error="invalid_token"'


@dataclass
class RunningApi:
    app: FastAPI
    http: httpx.Client

    def me(self, token: str | None) -> httpx.Response:
        headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
        return self.http.get("/api/v1/auth/me", headers=headers)


def api_settings(
    auth: AuthSettings, database_url: str, data_dir: Path, environment: str = "local"
) -> Settings:
    """Everything explicit, so the machine's environment cannot change what is tested."""
    return Settings(
        app=AppSettings(
            ENVIRONMENT=environment, WORKOPTI_DATA_DIR=data_dir, LOG_LEVEL="INFO", LOG_FORMAT="text"
        ),
        db=DatabaseSettings(DATABASE_URL=database_url),
        auth=auth,
        storage=StorageSettings(
            LOCAL_STORAGE_DIR=data_dir / "blobs",
            AZURE_STORAGE_CONNECTION_STRING=None,
            AZURE_STORAGE_ACCOUNT_URL=None,
        ),
        # Per-user quotas count in Redis, which these tests do not start; 0 turns each off.
        quotas=QuotaSettings(
            QUOTA_UPLOADS_PER_MINUTE=0,
            QUOTA_UPLOAD_BYTES_PER_DAY=0,
            QUOTA_REQUESTS_PER_MINUTE=0,
            QUOTA_ACTIVE_DOCUMENTS=0,
        ),
    )


@pytest.fixture
def serve(
    migrated_url: str,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> Iterator[Callable[[AuthSettings], RunningApi]]:
    """Starts the API with these auth settings; stopped after the test."""
    apps = ServedApps(caplog)

    def start(auth: AuthSettings) -> RunningApi:
        app = create_app(api_settings(auth, migrated_url, tmp_path))
        return RunningApi(app, apps.start(app))

    yield start
    apps.stop_all()


@pytest.fixture
def jwks() -> Iterator[JwksServer]:
    with JwksServer() as server:
        yield server


def clerk_auth(jwks: JwksServer, **overrides: object) -> AuthSettings:
    """Clerk mode pointed at the fake: CLERK_FRONTEND_API gives both the issuer and the JWKS URL."""
    values: dict[str, object] = {
        "AUTH_MODE": "clerk",
        "AUTH_SECRET": "not-used-in-clerk-mode-but-never-the-placeholder",
        "CLERK_FRONTEND_API": jwks.origin,
        "CLERK_JWKS_URL": None,
        "CLERK_ISSUER": None,
        "CLERK_AUTHORIZED_PARTIES": "",
        "CLERK_JWKS_CACHE_SECONDS": 3600,
        "CLERK_JWKS_MIN_REFRESH_SECONDS": 30,
        "AUTH_LEEWAY_SECONDS": 0,
    }
    return AuthSettings(**(values | overrides))


def auth_failures(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [
        r for r in caplog.records if r.name == SECURITY_LOGGER and getattr(r, "event", None) == "auth_failed"
    ]


def assert_refused(
    response: httpx.Response,
    caplog: pytest.LogCaptureFixture,
    code: str,
    *,
    user: str | None,
    token: str | None,
) -> None:
    """401 problem with `code`, one auth_failed event naming `user`, nothing else loud, the token nowhere."""
    assert response.status_code == 401, response.text
    assert response.headers["content-type"] == PROBLEM_JSON
    assert response.headers["www-authenticate"] == BEARER_CHALLENGE
    body = response.json()
    assert body["code"] == code
    assert body["status"] == 401
    events = auth_failures(caplog)
    assert len(events) == 1, [r.getMessage() for r in events]
    assert events[0].reason == code  # type: ignore[attr-defined]
    assert events[0].user == user  # type: ignore[attr-defined]
    loud = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert loud == events, [r.getMessage() for r in loud]
    assert all(r.exc_info is None for r in caplog.records)
    if token:
        assert_not_logged(caplog, token)


def assert_not_logged(caplog: pytest.LogCaptureFixture, token: str) -> None:
    # The signature is checked on its own too: a log line that cut the token in pieces would still leak it.
    signature = token.rsplit(".", 1)[-1]
    for record in caplog.records:
        text = record.getMessage() + repr(vars(record))
        assert token not in text
        assert len(signature) < 16 or signature not in text


def stored_user(engine: Engine, subject: str) -> tuple[str | None, str | None] | None:
    """(name, email) of the user with this subject as committed, or None when there is none."""
    with engine.connect() as connection:
        found = connection.execute(select(User.name, User.email).where(User.subject == subject)).first()
    return (found.name, found.email) if found else None
