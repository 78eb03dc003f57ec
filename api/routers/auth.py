from __future__ import annotations

import uuid

from fastapi import APIRouter
from pydantic import BaseModel, Field

from api.auth import issue_dev_token, valid_user_id
from api.deps import CurrentUser, StateDep
from api.problems import API_PROBLEMS
from api.routers import API_PREFIX
from shared.config import AuthMode
from shared.errors import Invalid, NotFound

router = APIRouter(prefix=f"{API_PREFIX}/auth", tags=["auth"], responses=API_PROBLEMS)


class DevTokenRequest(BaseModel):
    user_id: str = Field(min_length=1, max_length=128, examples=["alice"])
    name: str | None = Field(None, max_length=255)
    email: str | None = Field(None, max_length=320)


class MeOut(BaseModel):
    id: uuid.UUID
    subject: str
    name: str | None
    email: str | None


class TokenOut(BaseModel):
    access_token: str
    token_type: str = "bearer"
    expires_in: int


@router.post("/dev-token", response_model=TokenOut, summary="Issue a local user token (dev mode only)")
def dev_token(body: DevTokenRequest, state: StateDep) -> TokenOut:
    if state.settings.auth.mode is not AuthMode.DEV:
        raise NotFound("Dev tokens are only issued when AUTH_MODE=dev.", code="not_found")
    if not valid_user_id(body.user_id):
        raise Invalid("user_id may contain letters, digits and . _ @ + - only.", code="invalid_user_id")
    token, ttl = issue_dev_token(state.settings.auth, body.user_id, body.name, body.email)
    return TokenOut(access_token=token, expires_in=ttl)


@router.get("/me", response_model=MeOut, summary="The signed-in user, as the token identifies them")
def me(user: CurrentUser) -> MeOut:
    return MeOut(id=user.id, subject=user.subject, name=user.name, email=user.email)
