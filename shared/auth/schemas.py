"""The shapes of signing in and of the signed-in user."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated

from pydantic import AwareDatetime, Field, StringConstraints

from shared.auth.scopes import Scope
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


class ApiKeyIn(Schema):
    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)] = Field(
        examples=["nightly import"]
    )
    scopes: list[Scope] = Field(min_length=1, examples=[["documents:read", "search"]])
    expires_at: AwareDatetime | None = Field(
        None, description="When the key stops working, with its time zone; none: never."
    )


class ApiKeyOut(Schema):
    id: uuid.UUID
    name: str
    prefix: str = Field(description="The key's first characters, to tell keys apart.")
    scopes: list[Scope]
    created_at: dt.datetime
    expires_at: dt.datetime | None
    last_used_at: dt.datetime | None


class NewApiKeyOut(ApiKeyOut):
    key: str = Field(description="The key itself: shown this once, never again.")


class ApiKeyList(Schema):
    items: list[ApiKeyOut]
