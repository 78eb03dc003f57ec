"""API keys: made by a signed-in user, shown once, stored as a SHA-256 hash, revoked at once.

A key is `wo_` and 43 URL-safe characters (256 random bits), so secret scanners can recognise a leaked
one and a fast hash is enough: nobody can guess their way to a key whose hash matches. Every request
looks its key up in the database, so a revoked key stops working on every API replica at once.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from shared.auth.scopes import Scope
from shared.errors import Invalid, NotFound, Unauthorized
from shared.models import ApiKey, User

KEY_PREFIX = "wo_"
SHOWN_PREFIX = 11  # "wo_" and 8 characters: enough to tell a user's keys apart, useless for guessing
MAX_KEYS_PER_USER = 50
# last_used_at is written at most this often per key, so a busy client does not write on every request.
LAST_USED_RESOLUTION = dt.timedelta(seconds=60)


class ApiKeyNotFound(NotFound):
    code = "api_key_not_found"


@dataclass(frozen=True)
class KeyUser:
    """Who a key acts for, and what it may do."""

    user_id: uuid.UUID
    subject: str
    name: str | None
    email: str | None
    key_id: uuid.UUID
    scopes: frozenset[str]


def looks_like_key(token: str) -> bool:
    return token.startswith(KEY_PREFIX)


def digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def create(
    session: Session, user_id: uuid.UUID, name: str, scopes: Sequence[Scope], expires_at: dt.datetime | None
) -> tuple[ApiKey, str]:
    """A new key and its secret, which is never stored and cannot be shown again."""
    now = dt.datetime.now(dt.UTC)
    if expires_at is not None and expires_at <= now:
        raise Invalid("expires_at is in the past.", code="expires_in_past")
    active = session.scalar(
        select(func.count()).select_from(ApiKey).where(ApiKey.user_id == user_id, ApiKey.revoked_at.is_(None))
    )
    if (active or 0) >= MAX_KEYS_PER_USER:
        raise Invalid(f"You have {MAX_KEYS_PER_USER} keys; revoke one first.", code="too_many_api_keys")
    secret = KEY_PREFIX + secrets.token_urlsafe(32)
    key = ApiKey(
        user_id=user_id,
        name=name,
        prefix=secret[:SHOWN_PREFIX],
        key_hash=digest(secret),
        scopes=sorted({scope.value for scope in scopes}),
        created_at=now,
        expires_at=expires_at,
    )
    session.add(key)
    session.flush()
    return key, secret


def list_for(session: Session, user_id: uuid.UUID) -> list[ApiKey]:
    return list(
        session.scalars(
            select(ApiKey)
            .where(ApiKey.user_id == user_id, ApiKey.revoked_at.is_(None))
            .order_by(ApiKey.created_at.desc(), ApiKey.id)
        )
    )


def revoke(session: Session, user_id: uuid.UUID, key_id: uuid.UUID) -> None:
    revoked = session.execute(
        update(ApiKey)
        .where(ApiKey.id == key_id, ApiKey.user_id == user_id, ApiKey.revoked_at.is_(None))
        .values(revoked_at=func.now())
        .returning(ApiKey.id)
    ).first()
    if revoked is None:
        raise ApiKeyNotFound(f"API key {key_id} was not found.")


def authenticate(session: Session, secret: str) -> KeyUser:
    """The user and scopes of a key; an unknown, revoked or expired key is refused (401)."""
    row = session.execute(
        select(ApiKey, User).join(User, User.id == ApiKey.user_id).where(ApiKey.key_hash == digest(secret))
    ).first()
    if row is None:
        raise Unauthorized("The API key is not valid.", code="invalid_api_key")
    key, user = row
    now = dt.datetime.now(dt.UTC)
    if key.revoked_at is not None:
        raise Unauthorized("The API key was revoked.", code="api_key_revoked")
    if key.expires_at is not None and key.expires_at <= now:
        raise Unauthorized("The API key has expired.", code="api_key_expired")
    if key.last_used_at is None or now - key.last_used_at > LAST_USED_RESOLUTION:
        key.last_used_at = now
    return KeyUser(user.id, user.subject, user.name, user.email, key.id, frozenset(key.scopes))
