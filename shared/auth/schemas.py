"""The shapes of signing in and of the signed-in user."""

from __future__ import annotations

import uuid

from pydantic import Field

from shared.schemas import Schema


class DevTokenRequest(Schema):
    user_id: str = Field(min_length=1, max_length=128, examples=["alice"])
    name: str | None = Field(None, max_length=255)
    email: str | None = Field(None, max_length=320)


class MeOut(Schema):
    id: uuid.UUID
    subject: str
    name: str | None
    email: str | None


class TokenOut(Schema):
    access_token: str
    token_type: str = "bearer"
    expires_in: int
