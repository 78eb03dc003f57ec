"""Bearer tokens. In dev mode the API issues short-lived HS256 tokens for any user id, so several local
users can be tried; production sign-in verifies the identity provider's tokens instead."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

import jwt

from shared.config import AuthSettings
from shared.errors import Unauthorized

_USER_ID = re.compile(r"^[A-Za-z0-9._@+-]{1,128}$")


@dataclass(frozen=True)
class Identity:
    subject: str
    name: str | None
    email: str | None


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
    return jwt.encode(claims, auth.secret, algorithm="HS256"), auth.dev_token_ttl_seconds


def verify(auth: AuthSettings, authorization: str | None) -> Identity:
    if not authorization:
        raise Unauthorized("Send an Authorization: Bearer <token> header.", code="missing_token")
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("The Authorization header must be 'Bearer <token>'.", code="invalid_token")
    try:
        claims = jwt.decode(
            token.strip(),
            auth.secret,
            algorithms=["HS256"],
            issuer=auth.issuer,
            options={"require": ["sub", "exp", "iss"]},
            leeway=10,
        )
    except jwt.ExpiredSignatureError as exc:
        raise Unauthorized("The token has expired.", code="token_expired") from exc
    except jwt.InvalidTokenError as exc:
        raise Unauthorized("The token is not valid.", code="invalid_token") from exc
    subject = claims["sub"]
    if not isinstance(subject, str) or not valid_user_id(subject):
        raise Unauthorized("The token's subject is not a valid user id.", code="invalid_token")
    return Identity(subject=subject, name=claims.get("name"), email=claims.get("email"))
