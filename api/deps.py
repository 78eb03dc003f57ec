"""Request dependencies. The session dependency is the only place a request's transaction commits, and
it commits before the response is sent, so a 2xx always means the change is durable."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request, Security
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer, SecurityScopes
from sqlalchemy.orm import Session

from api.auth import Authenticator, AuthFailed
from api.security_events import SecurityEvent, record
from api.state import AppState, KnownUser
from shared.auth import api_keys
from shared.auth.scopes import Scope
from shared.auth.users import ensure_user
from shared.db.engine import session_scope
from shared.errors import Forbidden, RateLimited, Unauthorized


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
    description="A Clerk session token, an API key (wo_...), or in dev mode a token from "
    "POST /api/v1/auth/dev-token",
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
    required: SecurityScopes,
    _scheme: Annotated[HTTPAuthorizationCredentials | None, Security(_bearer)] = None,
) -> KnownUser:
    """The signed-in user, by a session token or an API key. A person is looked up (or created) in a
    short transaction of its own, so no database connection is held while a request body streams in
    and first-time users of concurrent requests do not wait on each other's uncommitted insert; then
    remembered for a minute. A key is looked up on every request, so revoking it takes effect at once.

    Every refused token leaves exactly one `auth_failed` security event, whose reason is the problem's
    code; a key used beyond its scopes is 403 `insufficient_scope` and an `access_denied` event."""
    authorization = request.headers.get("authorization")
    token = authorization.partition(" ")[2].strip() if authorization else ""
    user = _key_user(request, state, token) if api_keys.looks_like_key(token) else None
    subject = user.subject if user is not None else None
    if user is None:
        try:
            identity = authenticator.verify(authorization)
        except AuthFailed as exc:
            record(SecurityEvent.AUTH_FAILED, request, reason=exc.code, user=exc.subject)
            raise
        subject = identity.subject
    assert subject is not None
    request.state.user_subject = subject  # for security events raised later in the request
    try:
        state.quotas.check_request(subject)  # per user, whichever key or session
    except RateLimited as exc:
        record(SecurityEvent.RATE_LIMITED, request, reason=exc.code, user=subject)
        raise
    if user is not None:
        _check_scopes(request, user, required.scopes)
        return user
    known = state.users.get(identity.subject)
    if (
        known
        and (identity.name or known.name) == known.name
        and (identity.email or known.email) == known.email
    ):
        return known
    with session_scope(state.factory) as session:
        found = ensure_user(session, identity.subject, identity.name, identity.email)
        known = KnownUser(found.id, found.subject, found.name, found.email)
    state.users.put(known)
    return known


def _key_user(request: Request, state: AppState, key: str) -> KnownUser:
    try:
        with session_scope(state.factory) as session:
            found = api_keys.authenticate(session, key)
    except Unauthorized as exc:
        record(SecurityEvent.AUTH_FAILED, request, reason=exc.code, user=None)
        raise
    return KnownUser(found.user_id, found.subject, found.name, found.email, scopes=found.scopes)


def _check_scopes(request: Request, user: KnownUser, required: list[str]) -> None:
    assert user.scopes is not None
    missing = [scope for scope in required if scope not in user.scopes]
    if not missing:
        return
    if SESSION_ONLY in missing:
        detail = "API keys cannot manage API keys: sign in to do this."
    else:
        detail = f"This API key lacks the scope {', '.join(missing)}."
    record(SecurityEvent.ACCESS_DENIED, request, reason="insufficient_scope", user=user.subject)
    raise Forbidden(detail, code="insufficient_scope", extra={"required": missing})


CurrentUser = Annotated[KnownUser, Depends(current_user)]  # any signed-in caller, any key
# Callers allowed by each scope: a person signed in, or a key that has the scope.
ReadUser = Annotated[KnownUser, Security(current_user, scopes=[Scope.DOCUMENTS_READ])]
WriteUser = Annotated[KnownUser, Security(current_user, scopes=[Scope.DOCUMENTS_WRITE])]
SearchUser = Annotated[KnownUser, Security(current_user, scopes=[Scope.SEARCH])]
WebhooksUser = Annotated[KnownUser, Security(current_user, scopes=[Scope.WEBHOOKS])]
# A scope no key has: what only a person signed in may do.
SESSION_ONLY = "session"
SessionUser = Annotated[KnownUser, Security(current_user, scopes=[SESSION_ONLY])]
