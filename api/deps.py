"""Request dependencies. The session dependency is the only place a request's transaction commits, and
it commits before the response is sent, so a 2xx always means the change is durable."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request, Security
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session

from api.auth import verify
from api.state import AppState, KnownUser
from shared.auth.users import ensure_user
from shared.db.engine import session_scope


def get_state(request: Request) -> AppState:
    return request.app.state.workopti


StateDep = Annotated[AppState, Depends(get_state)]


def get_session(state: StateDep) -> Iterator[Session]:
    """The request's unit of work; with scope="function" it commits before the response is sent."""
    with session_scope(state.factory, state.publisher) as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session, scope="function")]


# Declares the scheme in the OpenAPI document; the header itself is checked by `verify`.
_bearer = HTTPBearer(auto_error=False, description="A token from POST /api/v1/auth/dev-token in dev mode")


def current_user(
    request: Request,
    state: StateDep,
    _scheme: Annotated[HTTPAuthorizationCredentials | None, Security(_bearer)] = None,
) -> KnownUser:
    """The signed-in user. Looked up (or created) in a short transaction of its own, so no database
    connection is held while a request body streams in and first-time users of concurrent requests do
    not wait on each other's uncommitted insert; then remembered for a minute."""
    identity = verify(state.settings.auth, request.headers.get("authorization"))
    known = state.users.get(identity.subject)
    if (
        known
        and (identity.name or known.name) == known.name
        and (identity.email or known.email) == known.email
    ):
        return known
    with session_scope(state.factory) as session:
        user = ensure_user(session, identity.subject, identity.name, identity.email)
        known = KnownUser(user.id, user.subject, user.name, user.email)
    state.users.put(known)
    return known


CurrentUser = Annotated[KnownUser, Depends(current_user)]
