"""One ENVIRONMENT setting decides CORS, HSTS, the docs pages, debug, dev sign-in and the log level.

Each row is checked on the real API served by uvicorn, with real requests: what a browser on another
origin is allowed, which headers come back, what a crashing route answers, whether a dev token is
issued and honoured, and the level the process logs at.
"""

from __future__ import annotations

import json
import logging
import os
import re
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import jwt
import pytest
from fastapi import FastAPI

from api.main import create_app
from shared.config import (
    PLACEHOLDER_SECRET,
    AppSettings,
    AuthSettings,
    EdgeSettings,
    ServerSettings,
    Settings,
)
from tests.auth.conftest import api_settings
from tests.serving import ServedApps

ROOT = Path(__file__).resolve().parents[2]
SECRET = "an-environment-test-secret-longer-than-32-bytes"
ELSEWHERE = "https://elsewhere.example"


@dataclass(frozen=True)
class Expected:
    any_origin: bool
    hsts: bool
    docs: bool
    traceback: bool
    dev_tokens: bool
    log_level: int
    json_logs: bool


ROWS = {
    "local": Expected(any_origin=True, hsts=False, docs=True, traceback=True, dev_tokens=True, log_level=logging.INFO, json_logs=False),
    "dev": Expected(any_origin=True, hsts=False, docs=True, traceback=True, dev_tokens=True, log_level=logging.DEBUG, json_logs=True),
    "showcase": Expected(any_origin=False, hsts=True, docs=False, traceback=False, dev_tokens=False, log_level=logging.INFO, json_logs=True),
    "prod": Expected(any_origin=False, hsts=True, docs=False, traceback=False, dev_tokens=False, log_level=logging.INFO, json_logs=True),
}  # fmt: skip


def settings_for(environment: str, database_url: str, data_dir: Path, **app: object) -> Settings:
    """Only ENVIRONMENT chosen (plus the sign-in each environment accepts); DEBUG, LOG_LEVEL and LOG_FORMAT unset."""
    if ROWS[environment].dev_tokens:
        auth = AuthSettings(AUTH_MODE="dev", AUTH_SECRET=SECRET)
    else:
        auth = AuthSettings(AUTH_MODE="clerk", AUTH_SECRET=SECRET, CLERK_FRONTEND_API="clerk.example.com")
    settings = api_settings(auth, database_url, data_dir, environment)
    values = {
        "ENVIRONMENT": environment,
        "WORKOPTI_DATA_DIR": data_dir,
        "DEBUG": None,
        "LOG_LEVEL": None,
        "LOG_FORMAT": None,
    }
    settings.app = AppSettings(**(values | app))  # type: ignore[arg-type]
    settings.edge = EdgeSettings(CORS_ALLOWED_ORIGINS="")
    # No web app: its catch-all route would answer before the crashing route added below.
    settings.server = ServerSettings(FRONTEND_DIST=data_dir / "no-web-app")
    return settings


def _is_json_object(line: str) -> bool:
    try:
        return isinstance(json.loads(line), dict)
    except ValueError:
        return False


def with_broken_route(settings: Settings) -> FastAPI:
    app = create_app(settings)

    def broken() -> None:
        raise RuntimeError("a bug worth reading")

    app.add_api_route("/api/v1/broken", broken)
    return app


@pytest.fixture
def serve(caplog: pytest.LogCaptureFixture) -> Iterator[Callable[[FastAPI], httpx.Client]]:
    apps = ServedApps(caplog)
    yield apps.start
    apps.stop_all()
    logging.getLogger().setLevel(logging.WARNING)  # leave no environment's level behind


@pytest.mark.parametrize("environment", list(ROWS))
def test_each_environment_behaves_as_its_row_says(
    environment: str,
    serve: Callable[[FastAPI], httpx.Client],
    migrated_url: str,
    tmp_path: Path,
) -> None:
    expected = ROWS[environment]
    app = with_broken_route(settings_for(environment, migrated_url, tmp_path))
    assert logging.getLogger().getEffectiveLevel() == expected.log_level
    line = (
        logging.getLogger().handlers[0].format(logging.makeLogRecord({"msg": "hello", "levelname": "INFO"}))
    )
    assert _is_json_object(line) is expected.json_logs, line
    http = serve(app)

    # CORS: a preflight and a simple request from an origin nobody configured.
    preflight = http.options(
        "/api/v1/documents",
        headers={"Origin": ELSEWHERE, "Access-Control-Request-Method": "POST",
                 "Access-Control-Request-Headers": "authorization"},
    )  # fmt: skip
    simple = http.get("/health/live", headers={"Origin": ELSEWHERE})
    if expected.any_origin:
        assert preflight.status_code == 200, preflight.text
        assert preflight.headers["access-control-allow-origin"] == "*"
        assert simple.headers["access-control-allow-origin"] == "*"
    else:
        assert preflight.status_code == 400 and preflight.json()["code"] == "cors_preflight_refused"
        assert "access-control-allow-origin" not in preflight.headers
        assert "access-control-allow-origin" not in simple.headers

    # HSTS on every answer, or on none.
    for response in (simple, preflight, http.get("/api/v1/no-such-route")):
        assert ("strict-transport-security" in response.headers) is expected.hsts, response.request.url

    # The docs pages; the schema itself is served everywhere.
    docs = http.get("/docs")
    assert docs.status_code == (200 if expected.docs else 404)
    assert http.get("/openapi.json").status_code == 200

    # Debug: a crash is always a problem with a stable code; only debug shows the cause.
    # (Starlette re-raises after answering, so uvicorn drops the connection: do not keep it.)
    crash = http.get("/api/v1/broken", headers={"Connection": "close"})
    assert crash.status_code == 500
    assert crash.headers["content-type"].startswith("application/problem+json")
    body = crash.json()
    assert body["code"] == "internal_error"
    if expected.traceback:
        assert body["exception"] == "RuntimeError: a bug worth reading"
        assert any("raise RuntimeError" in line for line in body["traceback"])
    else:
        assert "traceback" not in body and "exception" not in body
        assert "a bug worth reading" not in crash.text

    # Dev sign-in: issued and honoured, or neither.
    issued = http.post("/api/v1/auth/dev-token", json={"user_id": f"env-{environment}"})
    forged = jwt.encode(
        {"sub": "mallory", "iss": "workopti-dev", "exp": 4102444800}, SECRET, algorithm="HS256"
    )
    if expected.dev_tokens:
        assert issued.status_code == 200, issued.text
        token = issued.json()["access_token"]
        me = http.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {token}"})
        assert me.status_code == 200 and me.json()["subject"] == f"env-{environment}"
    else:
        assert issued.status_code == 404 and issued.json()["code"] == "not_found"
        me = http.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {forged}"})
        assert me.status_code == 401


# --- explicit settings over the defaults -----------------------------------------------------------


def test_debug_can_be_turned_off_in_dev(
    serve: Callable[[FastAPI], httpx.Client],
    migrated_url: str,
    tmp_path: Path,
) -> None:
    http = serve(with_broken_route(settings_for("dev", migrated_url, tmp_path, DEBUG=False)))
    body = http.get("/api/v1/broken", headers={"Connection": "close"}).json()
    assert body["code"] == "internal_error" and "traceback" not in body


@pytest.mark.parametrize(
    ("environment", "level"), [("dev", "WARNING"), ("prod", "debug"), ("local", "ERROR")]
)
def test_an_explicit_log_level_wins(environment: str, level: str, tmp_path: Path) -> None:
    create_app(settings_for(environment, "postgresql://x@127.0.0.1:9/unused", tmp_path, LOG_LEVEL=level))
    assert logging.getLogger().getEffectiveLevel() == logging.getLevelNamesMapping()[level.upper()]
    logging.getLogger().setLevel(logging.WARNING)


def test_an_unknown_log_level_is_refused() -> None:
    with pytest.raises(ValueError, match="LOG_LEVEL=verbose is not a level"):
        AppSettings(LOG_LEVEL="verbose")


# --- unsafe combinations stop the API at start-up ---------------------------------------------------


@pytest.mark.parametrize(
    ("environment", "change", "message"),
    [
        ("prod", {"app": {"DEBUG": True}}, "DEBUG=true is refused when ENVIRONMENT=prod"),
        ("showcase", {"app": {"DEBUG": True}}, "DEBUG=true is refused when ENVIRONMENT=showcase"),
        (
            "prod",
            {"auth": {"AUTH_MODE": "dev", "AUTH_SECRET": SECRET}},
            "AUTH_MODE=dev is refused when ENVIRONMENT=prod",
        ),
        (
            "showcase",
            {"auth": {"AUTH_MODE": "dev", "AUTH_SECRET": SECRET}},
            "AUTH_MODE=dev is refused when ENVIRONMENT=showcase",
        ),
        (
            "dev",
            {"auth": {"AUTH_MODE": "dev", "AUTH_SECRET": PLACEHOLDER_SECRET}},
            "AUTH_SECRET is the local placeholder",
        ),
        ("prod", {"edge": {"CORS_ALLOWED_ORIGINS": "*"}}, "CORS_ALLOWED_ORIGINS=* is refused"),
    ],
)
def test_unsafe_combinations_are_refused(
    environment: str, change: dict[str, dict[str, object]], message: str, tmp_path: Path
) -> None:
    settings = settings_for(
        environment, "postgresql://x@127.0.0.1:9/unused", tmp_path, **change.get("app", {})
    )
    if "auth" in change:
        settings.auth = AuthSettings(**change["auth"])  # type: ignore[arg-type]
    if "edge" in change:
        settings.edge = EdgeSettings(**change["edge"])  # type: ignore[arg-type]
    with pytest.raises(RuntimeError, match=re.escape(message)):
        create_app(settings)


@pytest.mark.slow
def test_the_api_process_refuses_debug_in_prod_and_says_why() -> None:
    env = {name: value for name, value in os.environ.items() if name not in ("DEBUG", "AUTH_MODE")}
    env |= {
        "ENVIRONMENT": "prod", "DEBUG": "true", "AUTH_MODE": "clerk", "CLERK_FRONTEND_API": "clerk.example.com",
        "AUTH_SECRET": SECRET, "DATABASE_URL": "postgresql://x@127.0.0.1:9/y", "REDIS_URL": "redis://127.0.0.1:9/0",
    }  # fmt: skip
    result = subprocess.run(
        [sys.executable, "-c", "from api.main import create_app; create_app()"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode != 0
    assert "DEBUG=true is refused when ENVIRONMENT=prod" in result.stderr
