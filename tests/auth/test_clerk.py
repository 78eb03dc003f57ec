"""Sign-in with Clerk session tokens: RS256 tokens checked against the keys a local JWKS server publishes,
through the real API and a real PostgreSQL."""

from __future__ import annotations

import base64
import json
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from sqlalchemy import Engine

from api.jwks import JwksClient, JwksUnavailable
from shared.config import AuthSettings, Settings
from testkit.fakes.jwks import JwksServer, new_signing_key
from tests.auth.conftest import (
    PROBLEM_JSON,
    RunningApi,
    assert_not_logged,
    assert_refused,
    auth_failures,
    clerk_auth,
    stored_user,
)

Serve = Callable[[AuthSettings], RunningApi]
APP_ORIGIN = "https://app.workopti.example"


def new_subject() -> str:
    return f"user_{uuid.uuid4().hex[:24]}"


def session_claims(jwks: JwksServer, **overrides: Any) -> dict[str, Any]:
    """Claims shaped like a Clerk session token; an override of None drops the claim."""
    now = int(time.time())
    claims = {
        "iss": jwks.origin,
        "sub": new_subject(),
        "sid": f"sess_{uuid.uuid4().hex[:24]}",
        "azp": APP_ORIGIN,
        "iat": now - 2,
        "nbf": now - 2,
        "exp": now + 60,
        "v": 2,
    } | overrides
    return {name: value for name, value in claims.items() if value is not None}


def tampered(token: str, **changes: Any) -> str:
    header, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))) | changes
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    return f"{header}.{forged}.{signature}"


# --- signing in -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("profile", "name", "email"),
    [
        ({"fullName": "Ada Lovelace", "primaryEmail": "ada@example.com"}, "Ada Lovelace", "ada@example.com"),
        ({"name": "Grace Hopper", "email": "grace@example.com"}, "Grace Hopper", "grace@example.com"),
        ({"first_name": "Alan", "last_name": "Turing", "email_address": "alan@example.com"}, "Alan Turing",
         "alan@example.com"),
        ({"given_name": "Edsger", "family_name": "Dijkstra"}, "Edsger Dijkstra", None),
        ({"email": "not an address", "name": ["a", "list"]}, None, None),
        ({}, None, None),
    ],
)  # fmt: skip
def test_a_valid_session_token_signs_in_and_creates_the_user(
    serve: Serve,
    jwks: JwksServer,
    db_engine: Engine,
    caplog: pytest.LogCaptureFixture,
    profile: dict[str, Any],
    name: str | None,
    email: str | None,
) -> None:
    api = serve(clerk_auth(jwks))
    claims = session_claims(jwks, **profile)
    token = jwks.sign(claims)

    response = api.me(token)

    assert response.status_code == 200, response.text
    assert response.json() | {"id": None} == {
        "id": None,
        "subject": claims["sub"],
        "name": name,
        "email": email,
    }
    assert stored_user(db_engine, claims["sub"]) == (name, email)
    assert jwks.fetches == 1
    assert api.me(token).status_code == 200
    assert jwks.fetches == 1, "the keys are cached"
    assert auth_failures(caplog) == []
    assert_not_logged(caplog, token)


def test_name_and_email_follow_the_latest_token(serve: Serve, jwks: JwksServer, db_engine: Engine) -> None:
    api = serve(clerk_auth(jwks))
    subject = new_subject()
    first = api.me(jwks.sign(session_claims(jwks, sub=subject, name="Old Name", email="old@example.com")))
    second = api.me(jwks.sign(session_claims(jwks, sub=subject, name="New Name", email="new@example.com")))

    assert first.json()["id"] == second.json()["id"]
    assert second.json()["name"] == "New Name"
    assert stored_user(db_engine, subject) == ("New Name", "new@example.com")


def test_the_dev_token_endpoint_does_not_exist_in_clerk_mode(serve: Serve, jwks: JwksServer) -> None:
    api = serve(clerk_auth(jwks))

    response = api.http.post("/api/v1/auth/dev-token", json={"user_id": "alice"})

    assert response.status_code == 404
    assert response.headers["content-type"] == PROBLEM_JSON
    assert response.json()["code"] == "not_found"


# --- refusals ---------------------------------------------------------------------------------------------

# Each case makes (token, code, the user the security event should name) from the fake; None sends no header.
RefusalCase = Callable[[JwksServer], tuple[str | None, str, str | None]]


def _signed(
    code: str,
    sign: Callable[[JwksServer, dict[str, Any]], str],
    at: dict[str, int] | None = None,
    **claims: Any,
) -> RefusalCase:
    """A token with these claims, and with `at` times in seconds from the moment the test runs."""

    def make(jwks: JwksServer) -> tuple[str | None, str, str | None]:
        values = session_claims(jwks, **claims, **_times(at or {}))
        return sign(jwks, values), code, values.get("sub")

    return make


def _times(offsets: dict[str, int]) -> dict[str, int]:
    now = int(time.time())
    return {name: now + offset for name, offset in offsets.items()}


def _rs256(jwks: JwksServer, claims: dict[str, Any]) -> str:
    return jwks.sign(claims)


def _tampered(jwks: JwksServer) -> tuple[str | None, str, str | None]:
    forged_subject = new_subject()
    return tampered(jwks.sign(session_claims(jwks)), sub=forged_subject), "invalid_token", forged_subject


REFUSALS: dict[str, RefusalCase] = {
    "missing token": lambda jwks: (None, "missing_token", None),
    "garbage token": lambda jwks: ("not-a-jwt", "invalid_token", None),
    "three garbage parts": lambda jwks: ("a.b.c", "invalid_token", None),
    "expired": _signed("token_expired", _rs256, at={"iat": -600, "nbf": -600, "exp": -300}),
    "not yet valid (nbf)": _signed("token_not_yet_valid", _rs256, at={"nbf": 300, "exp": 900}),
    "issued in the future (iat)": _signed("token_not_yet_valid", _rs256, at={"iat": 300, "exp": 900}),
    "wrong issuer": _signed("wrong_issuer", _rs256, iss="https://clerk.someone-else.example"),
    "unknown kid": _signed("unknown_key", lambda jwks, c: jwks.sign(c, kid=f"ins_{uuid.uuid4().hex}")),
    "unpublished key": _signed("unknown_key", lambda jwks, c: jwks.sign(c, key=new_signing_key())),
    "published kid, other key": _signed(
        "invalid_token", lambda jwks, c: jwks.sign(c, key=new_signing_key(jwks.current.kid))
    ),
    "no kid": _signed("invalid_token", lambda jwks, c: jwks.sign(c, kid="")),
    "alg none": _signed("invalid_token", lambda jwks, c: jwks.sign(c, alg="none")),
    "HS256 keyed with the public key": _signed("invalid_token", lambda jwks, c: jwks.sign(c, alg="HS256")),
    "RS512": _signed("invalid_token", lambda jwks, c: jwks.sign(c, alg="RS512")),
    "PS256": _signed("invalid_token", lambda jwks, c: jwks.sign(c, alg="PS256")),
    "tampered payload": _tampered,
    "no subject": _signed("invalid_token", _rs256, sub=None),
    "subject not a user id": lambda jwks: (
        jwks.sign(session_claims(jwks, sub="user 1; drop")),
        "invalid_token",
        None,
    ),
    "no expiry": _signed("invalid_token", _rs256, exp=None),
    "no issued-at": _signed("invalid_token", _rs256, iat=None),
}


@pytest.mark.parametrize("case", REFUSALS.values(), ids=REFUSALS.keys())
def test_each_bad_token_is_refused_with_its_code_and_one_security_event(
    serve: Serve, jwks: JwksServer, db_engine: Engine, caplog: pytest.LogCaptureFixture, case: RefusalCase
) -> None:
    api = serve(clerk_auth(jwks))
    token, code, user = case(jwks)

    response = api.me(token)

    assert_refused(response, caplog, code, user=user, token=token)
    if user:
        assert stored_user(db_engine, user) is None, "a refused token creates no user"


def test_other_schemes_are_refused(serve: Serve, jwks: JwksServer, caplog: pytest.LogCaptureFixture) -> None:
    api = serve(clerk_auth(jwks))
    token = jwks.sign(session_claims(jwks))

    response = api.http.get("/api/v1/auth/me", headers={"Authorization": f"Token {token}"})

    assert_refused(response, caplog, "invalid_token", user=None, token=token)


def test_every_protected_route_refuses_the_same_way(
    serve: Serve, jwks: JwksServer, caplog: pytest.LogCaptureFixture
) -> None:
    api = serve(clerk_auth(jwks))
    token = jwks.sign(session_claims(jwks, **_times({"exp": -300, "iat": -600, "nbf": -600})))

    response = api.http.get("/api/v1/documents", headers={"Authorization": f"Bearer {token}"})

    assert_refused(response, caplog, "token_expired", user=jwt_subject(token), token=token)


def jwt_subject(token: str) -> str:
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))["sub"]


# --- authorized parties -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("azp", "status"),
    [(APP_ORIGIN, 200), ("https://admin.workopti.example", 200), ("https://evil.example", 401), (None, 401)],
)
def test_only_listed_authorized_parties_are_accepted(
    serve: Serve, jwks: JwksServer, caplog: pytest.LogCaptureFixture, azp: str | None, status: int
) -> None:
    api = serve(clerk_auth(jwks, CLERK_AUTHORIZED_PARTIES=f"{APP_ORIGIN}, https://admin.workopti.example"))
    claims = session_claims(jwks, azp=azp)
    token = jwks.sign(claims)

    response = api.me(token)

    if status == 200:
        assert response.status_code == 200, response.text
        assert auth_failures(caplog) == []
    else:
        assert_refused(response, caplog, "wrong_authorized_party", user=claims["sub"], token=token)


def test_any_authorized_party_is_accepted_when_none_are_listed(serve: Serve, jwks: JwksServer) -> None:
    api = serve(clerk_auth(jwks))

    assert api.me(jwks.sign(session_claims(jwks, azp="https://anything.example"))).status_code == 200
    assert api.me(jwks.sign(session_claims(jwks, azp=None))).status_code == 200


# --- leeway -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("offsets", "code"),
    [
        ({"exp": -30, "iat": -600, "nbf": -600}, None),
        ({"nbf": 30}, None),
        ({"iat": 30, "nbf": 0}, None),
        ({"exp": -90, "iat": -600, "nbf": -600}, "token_expired"),
        ({"nbf": 90}, "token_not_yet_valid"),
        ({"iat": 90, "nbf": 0}, "token_not_yet_valid"),
    ],
)
def test_the_leeway_forgives_small_clock_differences_only(
    serve: Serve,
    jwks: JwksServer,
    caplog: pytest.LogCaptureFixture,
    offsets: dict[str, int],
    code: str | None,
) -> None:
    api = serve(clerk_auth(jwks, AUTH_LEEWAY_SECONDS=60))
    claims = session_claims(jwks, **_times(offsets))
    token = jwks.sign(claims)

    response = api.me(token)

    if code is None:
        assert response.status_code == 200, response.text
    else:
        assert_refused(response, caplog, code, user=claims["sub"], token=token)


# --- the key set ------------------------------------------------------------------------------------------


def test_a_rotated_key_is_picked_up_with_one_fetch(
    serve: Serve, jwks: JwksServer, caplog: pytest.LogCaptureFixture
) -> None:
    api = serve(clerk_auth(jwks))
    old_token = jwks.sign(session_claims(jwks))
    assert api.me(old_token).status_code == 200
    assert jwks.fetches == 1

    jwks.rotate()
    new_token = jwks.sign(session_claims(jwks))
    assert api.me(new_token).status_code == 200
    assert jwks.fetches == 2
    assert api.me(new_token).status_code == 200
    assert jwks.fetches == 2

    caplog.clear()
    response = api.me(old_token)
    assert_refused(response, caplog, "unknown_key", user=jwt_subject(old_token), token=old_token)
    assert jwks.fetches == 2, "the key set was just refreshed"


def test_a_flood_of_unknown_key_ids_refreshes_the_keys_once(
    serve: Serve, jwks: JwksServer, caplog: pytest.LogCaptureFixture
) -> None:
    api = serve(clerk_auth(jwks, CLERK_JWKS_MIN_REFRESH_SECONDS=300))
    assert api.me(jwks.sign(session_claims(jwks))).status_code == 200
    assert jwks.fetches == 1
    garbage = [jwks.sign(session_claims(jwks), kid=f"ins_{uuid.uuid4().hex}") for _ in range(40)]

    with ThreadPoolExecutor(max_workers=8) as pool:
        responses = list(pool.map(api.me, garbage))

    assert [r.json()["code"] for r in responses] == ["unknown_key"] * len(garbage)
    assert jwks.fetches == 2
    events = auth_failures(caplog)
    assert len(events) == len(garbage)
    assert {e.reason for e in events} == {"unknown_key"}  # type: ignore[attr-defined]
    # The price of the limit: a key published inside the window waits for it to pass.
    jwks.rotate(keep_previous=True)
    assert api.me(jwks.sign(session_claims(jwks))).json()["code"] == "unknown_key"
    assert jwks.fetches == 2
    # Tokens signed with keys already known are never held up.
    assert api.me(jwks.sign(session_claims(jwks), key=jwks.published[0])).status_code == 200


@pytest.mark.parametrize("failure", ["error", pytest.param("hang", marks=pytest.mark.slow)])
def test_an_outage_before_any_key_is_cached_answers_503(
    serve: Serve, jwks: JwksServer, caplog: pytest.LogCaptureFixture, failure: Any
) -> None:
    api = serve(clerk_auth(jwks, CLERK_JWKS_MIN_REFRESH_SECONDS=0))
    token = jwks.sign(session_claims(jwks))
    jwks.fail(failure)

    response = api.me(token)

    assert response.status_code == 503
    assert response.headers["content-type"] == PROBLEM_JSON
    assert response.json()["code"] == "auth_unavailable"
    assert jwks.fetches == 1
    assert auth_failures(caplog) == [], "the provider being down is not the caller's failure"
    assert [r.name for r in caplog.records if r.levelname == "WARNING"] == ["workopti.api.jwks"]
    assert all(r.exc_info is None for r in caplog.records)
    assert_not_logged(caplog, token)

    jwks.fail(None)
    assert api.me(token).status_code == 200, "the keys are fetched again once the provider is back"


def test_after_a_failed_fetch_the_provider_is_left_alone_for_the_refresh_interval(
    serve: Serve, jwks: JwksServer
) -> None:
    api = serve(clerk_auth(jwks, CLERK_JWKS_MIN_REFRESH_SECONDS=300))
    jwks.fail("error")
    tokens = [jwks.sign(session_claims(jwks)) for _ in range(5)]

    codes = [api.me(token).json()["code"] for token in tokens]

    assert codes == ["auth_unavailable"] * 5
    assert jwks.fetches == 1


def test_cached_keys_keep_signing_in_during_an_outage(
    serve: Serve, jwks: JwksServer, caplog: pytest.LogCaptureFixture
) -> None:
    api = serve(clerk_auth(jwks, CLERK_JWKS_MIN_REFRESH_SECONDS=0))
    assert api.me(jwks.sign(session_claims(jwks))).status_code == 200
    jwks.fail("hang")

    assert api.me(jwks.sign(session_claims(jwks))).status_code == 200
    assert jwks.fetches == 1

    jwks.fail("error")
    unknown = api.me(jwks.sign(session_claims(jwks), kid="ins_rotated_while_down"))
    assert unknown.status_code == 503, "an unknown key could be a new one: the answer is to try later"
    assert unknown.json()["code"] == "auth_unavailable"
    assert jwks.fetches == 2
    assert api.me(jwks.sign(session_claims(jwks))).status_code == 200
    assert auth_failures(caplog) == []


# --- the key cache on its own, with a clock the test moves ------------------------------------------------


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_keys_expire_after_the_cache_time_and_unknown_ids_refresh_once_per_interval(jwks: JwksServer) -> None:
    clock = Clock()
    client = JwksClient(jwks.jwks_url, cache_seconds=600, min_refresh_seconds=30, clock=clock)
    kid = jwks.current.kid

    assert client.key(kid) is not None
    assert client.key("ins_unknown_1") is None
    assert jwks.fetches == 2
    clock.now += 29
    assert client.key("ins_unknown_2") is None
    assert jwks.fetches == 2
    clock.now += 1
    assert client.key("ins_unknown_3") is None
    assert jwks.fetches == 3

    clock.now += 599
    assert client.key(kid) is not None
    assert jwks.fetches == 3
    clock.now += 1
    assert client.key(kid) is not None
    assert jwks.fetches == 4, "expired keys are fetched again"


def test_expired_keys_are_not_used_when_the_provider_is_down(jwks: JwksServer) -> None:
    clock = Clock()
    client = JwksClient(jwks.jwks_url, cache_seconds=600, min_refresh_seconds=30, clock=clock)
    kid = jwks.current.kid
    assert client.key(kid) is not None
    jwks.fail("error")

    clock.now += 599
    assert client.key(kid) is not None
    clock.now += 1
    with pytest.raises(JwksUnavailable):
        client.key(kid)
    assert jwks.fetches == 2


def test_only_rsa_signing_keys_for_rs256_are_used(jwks: JwksServer) -> None:
    rs512 = new_signing_key()
    jwks.publish_raw(
        [
            {"kty": "oct", "kid": "ins_hmac", "k": "c2VjcmV0", "alg": "HS256"},
            rs512.public_jwk() | {"alg": "RS512"},
            jwks.current.public_jwk() | {"kid": "ins_encryption", "use": "enc"},
            {"kty": "RSA", "kid": "ins_broken", "n": "AQAB"},
        ]
    )
    client = JwksClient(jwks.jwks_url, cache_seconds=600, min_refresh_seconds=0)

    assert client.key(jwks.current.kid) is not None
    for kid in ("ins_hmac", rs512.kid, "ins_encryption", "ins_broken"):
        assert client.key(kid) is None, kid


def test_a_hanging_provider_times_out(jwks: JwksServer) -> None:
    client = JwksClient(jwks.jwks_url, cache_seconds=600, min_refresh_seconds=0, timeout_seconds=0.5)
    jwks.fail("hang")

    with pytest.raises(JwksUnavailable):
        client.key(jwks.current.kid)


# --- start-up ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("clerk", "missing"),
    [
        ({}, "CLERK_FRONTEND_API"),
        ({"CLERK_JWKS_URL": "https://keys.example.com/jwks.json"}, "CLERK_ISSUER"),
    ],
)
def test_clerk_mode_refuses_to_start_without_its_settings(clerk: dict[str, str], missing: str) -> None:
    values = {"CLERK_FRONTEND_API": None, "CLERK_JWKS_URL": None, "CLERK_ISSUER": None} | clerk
    auth = AuthSettings(AUTH_MODE="clerk", AUTH_SECRET="a-real-secret-of-some-length", **values)

    with pytest.raises(RuntimeError, match=missing):
        Settings(auth=auth).check_startup()
