"""Dev mode: the API issues HS256 tokens for any user id and accepts nothing else; it refuses to start in
showcase or prod, and anywhere but local with the placeholder secret."""

from __future__ import annotations

import base64
import json
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jwt
import pytest
from sqlalchemy import Engine

from api.main import create_app
from shared.config import (
    PLACEHOLDER_SECRET,
    AppSettings,
    AuthSettings,
    EmbeddingsSettings,
    LlmSettings,
    OcrSettings,
    Settings,
    StorageSettings,
)
from testkit.fakes.jwks import new_signing_key, unsigned
from tests.auth.conftest import PROBLEM_JSON, RunningApi, assert_refused, auth_failures, stored_user

Serve = Callable[[AuthSettings], RunningApi]
SECRET = "a-dev-secret-long-enough-for-every-hmac-algorithm-0123456789abcdef"
ISSUER = "workopti-dev"


def dev_auth(**overrides: object) -> AuthSettings:
    values: dict[str, object] = {
        "AUTH_MODE": "dev",
        "AUTH_SECRET": SECRET,
        "AUTH_DEV_ISSUER": ISSUER,
        "DEV_TOKEN_TTL_SECONDS": 3600,
        "AUTH_LEEWAY_SECONDS": 0,
        "CLERK_FRONTEND_API": None,
        "CLERK_JWKS_URL": None,
        "CLERK_ISSUER": None,
    }
    return AuthSettings(**(values | overrides))


def dev_claims(**offsets_and_claims: Any) -> dict[str, Any]:
    now = int(time.time())
    claims = {"sub": f"dev-{uuid.uuid4().hex[:8]}", "iss": ISSUER, "iat": now, "nbf": now, "exp": now + 600}
    for name, value in offsets_and_claims.items():
        claims[name] = now + value if name in ("iat", "nbf", "exp") and isinstance(value, int) else value
    return {name: value for name, value in claims.items() if value is not None}


def test_an_issued_dev_token_signs_in_and_creates_the_user(
    serve: Serve, db_engine: Engine, caplog: pytest.LogCaptureFixture
) -> None:
    api = serve(dev_auth())

    issued = api.http.post(
        "/api/v1/auth/dev-token", json={"user_id": "alice.dev", "name": "Alice", "email": "alice@example.com"}
    )

    assert issued.status_code == 200, issued.text
    body = issued.json()
    assert body["token_type"] == "bearer"
    assert body["expires_in"] == 3600
    token = body["access_token"]
    assert jwt.get_unverified_header(token)["alg"] == "HS256"
    me = api.me(token)
    assert me.status_code == 200, me.text
    assert me.json() | {"id": None} == {
        "id": None,
        "subject": "alice.dev",
        "name": "Alice",
        "email": "alice@example.com",
    }
    assert stored_user(db_engine, "alice.dev") == ("Alice", "alice@example.com")
    assert auth_failures(caplog) == []


def test_a_dev_token_for_an_invalid_user_id_is_refused(serve: Serve) -> None:
    api = serve(dev_auth())

    response = api.http.post("/api/v1/auth/dev-token", json={"user_id": "alice smith"})

    assert response.status_code == 400
    assert response.headers["content-type"] == PROBLEM_JSON
    assert response.json()["code"] == "invalid_user_id"


def _hs(secret: str = SECRET, algorithm: str = "HS256") -> Callable[[dict[str, Any]], str]:
    return lambda claims: jwt.encode(claims, secret, algorithm=algorithm)


def _rs256(claims: dict[str, Any]) -> str:
    return jwt.encode(claims, new_signing_key().private_key, algorithm="RS256")


def _tampered(claims: dict[str, Any]) -> str:
    header, _, signature = _hs()(claims).split(".")
    forged = base64.urlsafe_b64encode(json.dumps(claims | {"sub": "someone-else"}).encode()).rstrip(b"=")
    return f"{header}.{forged.decode()}.{signature}"


REFUSALS: dict[str, tuple[Callable[[dict[str, Any]], str], dict[str, Any], str, bool]] = {
    # name: (sign, claims, code, whether the event names the token's subject)
    "RS256": (_rs256, {}, "invalid_token", True),
    "alg none": (unsigned, {}, "invalid_token", True),
    "HS512 with the secret": (_hs(algorithm="HS512"), {}, "invalid_token", True),
    "wrong secret": (_hs("another-secret-that-is-also-long-enough"), {}, "invalid_token", True),
    "expired": (_hs(), {"iat": -7200, "nbf": -7200, "exp": -3600}, "token_expired", True),
    "not yet valid": (_hs(), {"nbf": 600, "exp": 1200}, "token_not_yet_valid", True),
    "wrong issuer": (_hs(), {"iss": "someone-else"}, "wrong_issuer", True),
    "no expiry": (_hs(), {"exp": None}, "invalid_token", True),
    "no subject": (_hs(), {"sub": None}, "invalid_token", False),
}


@pytest.mark.parametrize("case", REFUSALS.values(), ids=REFUSALS.keys())
def test_dev_mode_accepts_only_its_own_hs256_tokens(
    serve: Serve,
    db_engine: Engine,
    caplog: pytest.LogCaptureFixture,
    case: tuple[Callable[[dict[str, Any]], str], dict[str, Any], str, bool],
) -> None:
    sign, changes, code, names_subject = case
    api = serve(dev_auth())
    claims = dev_claims(**changes)
    token = sign(claims)

    response = api.me(token)

    subject = claims.get("sub") if names_subject else None
    assert_refused(response, caplog, code, user=subject, token=token)
    if subject:
        assert stored_user(db_engine, subject) is None


def test_a_tampered_dev_token_is_refused(serve: Serve, caplog: pytest.LogCaptureFixture) -> None:
    api = serve(dev_auth())
    token = _tampered(dev_claims())

    assert_refused(api.me(token), caplog, "invalid_token", user="someone-else", token=token)


def test_a_missing_token_is_refused(serve: Serve, caplog: pytest.LogCaptureFixture) -> None:
    api = serve(dev_auth())

    assert_refused(api.me(None), caplog, "missing_token", user=None, token=None)


def test_the_leeway_applies_to_dev_tokens(serve: Serve) -> None:
    api = serve(dev_auth(AUTH_LEEWAY_SECONDS=60))

    assert api.me(_hs()(dev_claims(iat=-600, nbf=-600, exp=-30))).status_code == 200
    assert api.me(_hs()(dev_claims(iat=-600, nbf=-600, exp=-90))).json()["code"] == "token_expired"


# --- start-up ---------------------------------------------------------------------------------------------


def startup_settings(environment: str, auth: AuthSettings, data_dir: Path) -> Settings:
    return Settings(
        app=AppSettings(ENVIRONMENT=environment, WORKOPTI_DATA_DIR=data_dir),
        auth=auth,
        ocr=OcrSettings(OCR_PROVIDER="local"),
        embeddings=EmbeddingsSettings(EMBEDDINGS_PROVIDER="local"),
        llm=LlmSettings(LLM_PROVIDER="local"),
        storage=StorageSettings(AZURE_STORAGE_CONNECTION_STRING=None, AZURE_STORAGE_ACCOUNT_URL=None),
    )


@pytest.mark.parametrize("environment", ["showcase", "prod"])
def test_dev_mode_refuses_to_start_in_showcase_and_prod(environment: str, tmp_path: Path) -> None:
    settings = startup_settings(environment, dev_auth(), tmp_path)

    with pytest.raises(RuntimeError, match=f"AUTH_MODE=dev is refused when ENVIRONMENT={environment}"):
        settings.check_startup()
    with pytest.raises(RuntimeError, match="AUTH_MODE=dev"):
        create_app(settings)


@pytest.mark.parametrize(
    ("environment", "mode"), [("dev", "dev"), ("dev", "clerk"), ("showcase", "clerk"), ("prod", "clerk")]
)
def test_the_placeholder_secret_is_refused_outside_local(environment: str, mode: str, tmp_path: Path) -> None:
    auth = dev_auth(AUTH_MODE=mode, AUTH_SECRET=PLACEHOLDER_SECRET, CLERK_FRONTEND_API="clerk.example.com")
    settings = startup_settings(environment, auth, tmp_path)

    with pytest.raises(RuntimeError, match="AUTH_SECRET is the local placeholder"):
        settings.check_startup()
    with pytest.raises(RuntimeError, match="AUTH_SECRET"):
        create_app(settings)


@pytest.mark.parametrize(
    ("environment", "secret"), [("local", PLACEHOLDER_SECRET), ("local", SECRET), ("dev", SECRET)]
)
def test_dev_mode_starts_locally_and_in_dev_with_a_real_secret(
    environment: str, secret: str, tmp_path: Path
) -> None:
    startup_settings(environment, dev_auth(AUTH_SECRET=secret), tmp_path).check_startup()
