from __future__ import annotations

from fastapi import APIRouter

from api.auth import issue_dev_token, valid_user_id
from api.deps import CurrentUser, StateDep
from api.problems import API_PROBLEMS
from api.routers import API_PREFIX
from shared.auth.schemas import DevTokenRequest, MeOut, TokenOut
from shared.config import AuthMode
from shared.errors import Invalid, NotFound

router = APIRouter(prefix=f"{API_PREFIX}/auth", tags=["auth"], responses=API_PROBLEMS)


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
    return MeOut.model_validate(user)
