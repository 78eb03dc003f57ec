"""Bearer tokens. With `AUTH_MODE=clerk` the API verifies Clerk's RS256 session tokens against the keys
Clerk publishes; with `AUTH_MODE=dev` it issues and verifies short-lived HS256 tokens for any user id, so
several local users can be tried.

Each refusal is an `AuthFailed` whose `code` says why:

- `missing_token`: no Authorization header.
- `invalid_token`: not `Bearer <jwt>`, not a JWT, a bad signature, an algorithm other than the mode's
  (`alg: none` included), no key id, a required claim missing, or a subject that is not a user id.
- `token_expired`: `exp` has passed (beyond the leeway).
- `token_not_yet_valid`: `nbf` or `iat` is in the future (beyond the leeway).
- `wrong_issuer`: `iss` is not the expected issuer.
- `wrong_authorized_party`: `azp` is missing or not one of CLERK_AUTHORIZED_PARTIES, when that is set.
- `unknown_key`: the key id is not among Clerk's published keys, even after a refresh.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

import jwt

from api.jwks import ALGORITHM as CLERK_ALGORITHM
from api.jwks import JwksClient
from shared.config import AuthMode, AuthSettings
from shared.errors import Unauthorized

DEV_ALGORITHM = "HS256"
_USER_ID = re.compile(r"^[A-Za-z0-9._@+-]{1,128}$")
_REQUIRED_CLAIMS = ["sub", "iss", "exp", "iat"]
_NAME_CLAIMS = ("name", "full_name", "fullName")
_NAME_PARTS = (("first_name", "last_name"), ("firstName", "lastName"), ("given_name", "family_name"))
_EMAIL_CLAIMS = ("email", "primary_email", "primaryEmail", "primary_email_address", "email_address")
_NAME_MAX = 255
_EMAIL_MAX = 320


@dataclass(frozen=True)
class Identity:
    subject: str
    name: str | None
    email: str | None


class AuthFailed(Unauthorized):
    """A refused token. `subject` is the token's `sub` read without checking the signature: it names
    who the token claims to be in the security record, and is never trusted for access."""

    def __init__(self, detail: str, *, code: str, subject: str | None = None) -> None:
        super().__init__(detail, code=code)
        self.subject = subject


def valid_user_id(user_id: str) -> bool:
    return bool(_USER_ID.match(user_id))


def issue_dev_token(auth: AuthSettings, user_id: str, name: str | None, email: str | None) -> tuple[str, int]:
    now = dt.datetime.now(dt.UTC)
    claims = {
        "sub": user_id,
        "iss": auth.issuer,
        "iat": now,
        "nbf": now,
        "exp": now + dt.timedelta(seconds=auth.dev_token_ttl_seconds),
    }
    if name:
        claims["name"] = name
    if email:
        claims["email"] = email
    return jwt.encode(claims, auth.secret, algorithm=DEV_ALGORITHM), auth.dev_token_ttl_seconds


class Authenticator:
    """Checks the Authorization header of a request for the configured mode; one per app, shared by
    every request thread."""

    def __init__(self, auth: AuthSettings, keys: JwksClient | None = None) -> None:
        self.auth = auth
        self.keys = keys
        if auth.mode is AuthMode.CLERK and keys is None:
            self.keys = JwksClient.from_settings(auth)

    def verify(self, authorization: str | None) -> Identity:
        """The identity the header's token proves; raises `AuthFailed` (401) or, when Clerk's keys
        cannot be fetched, `JwksUnavailable` (503)."""
        token = bearer_token(authorization)
        try:
            claims = (
                self._clerk_claims(token) if self.auth.mode is AuthMode.CLERK else self._dev_claims(token)
            )
            return _identity(claims)
        except AuthFailed as exc:
            exc.subject = _unverified_subject(token)
            raise

    def _clerk_claims(self, token: str) -> dict[str, Any]:
        header = _header(token, CLERK_ALGORITHM)
        kid = header.get("kid")
        if not isinstance(kid, str) or not kid:
            raise AuthFailed("The token does not name its signing key.", code="invalid_token")
        assert self.keys is not None
        key = self.keys.key(kid)
        if key is None:
            raise AuthFailed(
                "The token's signing key is not one the sign-in provider publishes.", code="unknown_key"
            )
        claims = _decode(
            token, key.key, CLERK_ALGORITHM, self.auth.expected_issuer(), self.auth.leeway_seconds
        )
        parties = self.auth.clerk_authorized_parties
        if parties and claims.get("azp") not in parties:
            raise AuthFailed("The token was issued for another application.", code="wrong_authorized_party")
        return claims

    def _dev_claims(self, token: str) -> dict[str, Any]:
        _header(token, DEV_ALGORITHM)
        return _decode(token, self.auth.secret, DEV_ALGORITHM, self.auth.issuer, self.auth.leeway_seconds)


def bearer_token(authorization: str | None) -> str:
    if not authorization:
        raise AuthFailed("Send an Authorization: Bearer <token> header.", code="missing_token")
    scheme, _, token = authorization.partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise AuthFailed("The Authorization header must be 'Bearer <token>'.", code="invalid_token")
    return token


def _header(token: str, algorithm: str) -> dict[str, Any]:
    """The unverified header, refused unless it names the one algorithm this mode accepts."""
    try:
        header = jwt.get_unverified_header(token)
    except jwt.InvalidTokenError:
        raise AuthFailed("The token is not a JWT.", code="invalid_token") from None
    if header.get("alg") != algorithm:
        raise AuthFailed(f"Tokens must be signed with {algorithm}.", code="invalid_token")
    return header


def _decode(token: str, key: Any, algorithm: str, issuer: str | None, leeway: int) -> dict[str, Any]:
    try:
        return jwt.decode(
            token,
            key,
            algorithms=[algorithm],
            issuer=issuer,
            leeway=leeway,
            options={"require": _REQUIRED_CLAIMS},
        )
    except jwt.ExpiredSignatureError:
        raise AuthFailed("The token has expired.", code="token_expired") from None
    except jwt.ImmatureSignatureError:
        raise AuthFailed("The token is not valid yet.", code="token_not_yet_valid") from None
    except jwt.InvalidIssuerError:
        raise AuthFailed("The token comes from another issuer.", code="wrong_issuer") from None
    except jwt.InvalidTokenError:
        raise AuthFailed("The token is not valid.", code="invalid_token") from None


def _identity(claims: dict[str, Any]) -> Identity:
    subject = claims["sub"]
    if not isinstance(subject, str) or not valid_user_id(subject):
        raise AuthFailed("The token's subject is not a valid user id.", code="invalid_token")
    return Identity(subject=subject, name=_name(claims), email=_email(claims))


def _name(claims: dict[str, Any]) -> str | None:
    for claim in _NAME_CLAIMS:
        if name := _text(claims.get(claim), _NAME_MAX):
            return name
    for first, last in _NAME_PARTS:
        parts = [part for part in (_text(claims.get(first)), _text(claims.get(last))) if part]
        if parts:
            return _text(" ".join(parts), _NAME_MAX)
    return _text(claims.get("username"), _NAME_MAX)


def _email(claims: dict[str, Any]) -> str | None:
    for claim in _EMAIL_CLAIMS:
        email = _text(claims.get(claim), _EMAIL_MAX)
        if email and "@" in email and not any(c.isspace() for c in email):
            return email
    return None


def _text(value: object, max_length: int = _NAME_MAX) -> str | None:
    if not isinstance(value, str):
        return None
    text = " ".join(value.split())
    return text if 0 < len(text) <= max_length else None


def _unverified_subject(token: str) -> str | None:
    """`sub` as the token states it, if it reads as a user id: never trusted, only recorded."""
    try:
        claims = jwt.decode(token, options={"verify_signature": False})
    except jwt.InvalidTokenError:
        return None
    subject = claims.get("sub")
    return subject if isinstance(subject, str) and valid_user_id(subject) else None
