"""Request dependencies. The session dependency is the only place a request's transaction commits, and
it commits before the response is sent, so a 2xx always means the change is durable."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request, Security
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session

from api.auth import verify
from api.state import AppState
from shared.auth.users import ensure_user
from shared.db.outbox import attach_outbox, flush_outbox, run_compensations
from shared.models import User


def get_state(request: Request) -> AppState:
    return request.app.state.workopti


StateDep = Annotated[AppState, Depends(get_state)]


def get_session(state: StateDep) -> Iterator[Session]:
    session = state.factory()
    attach_outbox(session)
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        run_compensations(session)
        raise
    finally:
        session.close()
    flush_outbox(session, state.publisher)


SessionDep = Annotated[Session, Depends(get_session, scope="function")]


# Declares the scheme in the OpenAPI document; the header itself is checked by `verify`.
_bearer = HTTPBearer(auto_error=False, description="A token from POST /api/v1/auth/dev-token in dev mode")


def current_user(
    request: Request,
    state: StateDep,
    session: SessionDep,
    _scheme: Annotated[HTTPAuthorizationCredentials | None, Security(_bearer)] = None,
) -> User:
    identity = verify(state.settings.auth, request.headers.get("authorization"))
    return ensure_user(session, identity.subject, identity.name, identity.email)


CurrentUser = Annotated[User, Depends(current_user)]
