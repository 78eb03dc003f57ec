"""Request dependencies. The session dependency is the only place a request's transaction commits, and
it commits before the response is sent, so a 2xx always means the change is durable."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request, Security
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session

from api.auth import Authenticator, AuthFailed
from api.security_events import SecurityEvent, record
from api.state import AppState, KnownUser
from shared.auth.users import ensure_user
from shared.db.engine import session_scope
from shared.errors import RateLimited


def get_state(request: Request) -> AppState:
    return request.app.state.workopti


StateDep = Annotated[AppState, Depends(get_state)]


def get_session(state: StateDep) -> Iterator[Session]:
    """The request's unit of work; with scope="function" it commits before the response is sent."""
    with session_scope(state.factory, state.publisher) as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session, scope="function")]


# Declares the scheme in the OpenAPI document; the header itself is checked by the authenticator.
_bearer = HTTPBearer(
    auto_error=False,
    description="A Clerk session token, or in dev mode a token from POST /api/v1/auth/dev-token",
)
_authenticator_lock = threading.Lock()


def get_authenticator(request: Request, state: StateDep) -> Authenticator:
    """The app's one authenticator, built on first use so its key cache is shared by every request."""
    app_state = request.app.state
    found: Authenticator | None = getattr(app_state, "authenticator", None)
    if found is None:
        with _authenticator_lock:
            found = getattr(app_state, "authenticator", None)
            if found is None:
                found = Authenticator(state.settings.auth)
                app_state.authenticator = found
    return found


def current_user(
    request: Request,
    state: StateDep,
    authenticator: Annotated[Authenticator, Depends(get_authenticator)],
    _scheme: Annotated[HTTPAuthorizationCredentials | None, Security(_bearer)] = None,
) -> KnownUser:
    """The signed-in user. Looked up (or created) in a short transaction of its own, so no database
    connection is held while a request body streams in and first-time users of concurrent requests do
    not wait on each other's uncommitted insert; then remembered for a minute.

    Every refused token leaves exactly one `auth_failed` security event, whose reason is the problem's code."""
    try:
        identity = authenticator.verify(request.headers.get("authorization"))
    except AuthFailed as exc:
        record(SecurityEvent.AUTH_FAILED, request, reason=exc.code, user=exc.subject)
        raise
    request.state.user_subject = identity.subject  # for security events raised later in the request
    try:
        state.quotas.check_request(identity.subject)
    except RateLimited as exc:
        record(SecurityEvent.RATE_LIMITED, request, reason=exc.code, user=identity.subject)
        raise
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
