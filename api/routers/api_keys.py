from __future__ import annotations

import uuid

from fastapi import APIRouter, Response

from api.deps import SessionDep, SessionUser
from api.problems import API_PROBLEMS
from api.routers import API_PREFIX
from shared.auth import api_keys
from shared.auth.schemas import ApiKeyIn, ApiKeyList, ApiKeyOut, NewApiKeyOut

router = APIRouter(prefix=f"{API_PREFIX}/api-keys", tags=["api keys"], responses=API_PROBLEMS)


@router.post(
    "",
    status_code=201,
    response_model=NewApiKeyOut,
    summary="Make an API key (shown once)",
    description="A key acts as its user within its scopes: `documents:read`, `documents:write`, `search` "
    "(search, ask and conversations), `webhooks`. Send it as `Authorization: Bearer wo_...`. Only a person "
    "signed in may manage keys.",
)
def create_api_key(body: ApiKeyIn, user: SessionUser, session: SessionDep) -> NewApiKeyOut:
    key, secret = api_keys.create(
        session, user.id, body.name.strip() or body.name, body.scopes, body.expires_at
    )
    return NewApiKeyOut.from_row(key, key=secret)


@router.get("", response_model=ApiKeyList, summary="The caller's API keys, never their secrets")
def list_api_keys(user: SessionUser, session: SessionDep) -> ApiKeyList:
    return ApiKeyList(items=[ApiKeyOut.from_row(key) for key in api_keys.list_for(session, user.id)])


@router.delete("/{key_id}", status_code=204, summary="Revoke an API key, at once and everywhere")
def revoke_api_key(key_id: uuid.UUID, user: SessionUser, session: SessionDep) -> Response:
    api_keys.revoke(session, user.id, key_id)
    return Response(status_code=204)
