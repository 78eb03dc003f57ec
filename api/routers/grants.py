from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Path, Response

from api.deps import ReadUser, SessionDep, WriteUser
from api.problems import API_PROBLEMS
from api.routers import API_PREFIX
from shared.documents import grants
from shared.documents.schemas import GrantIn, GrantList, GrantOut

router = APIRouter(
    prefix=f"{API_PREFIX}/documents/{{document_id}}/grants", tags=["sharing"], responses=API_PROBLEMS
)

UserId = Annotated[str, Path(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9._@+|:-]+$")]


@router.get("", response_model=GrantList, summary="Who the document is shared with (owner only)")
def list_grants(document_id: uuid.UUID, user: ReadUser, session: SessionDep) -> GrantList:
    return GrantList(items=grants.list_grants(session, user.id, document_id))


@router.put(
    "/{user_id}",
    response_model=GrantOut,
    summary="Share the document with a user as viewer or editor (owner only)",
    responses={201: {"model": GrantOut, "description": "A new grant"}},
)
def put_grant(
    document_id: uuid.UUID,
    user_id: UserId,
    body: GrantIn,
    user: WriteUser,
    session: SessionDep,
    response: Response,
) -> GrantOut:
    grant, created = grants.put_grant(session, user.id, document_id, user_id, body.role)
    response.status_code = 201 if created else 200
    return grant


@router.delete("/{user_id}", status_code=204, summary="Stop sharing the document with a user (owner only)")
def revoke_grant(document_id: uuid.UUID, user_id: UserId, user: WriteUser, session: SessionDep) -> Response:
    grants.revoke_grant(session, user.id, document_id, user_id)
    return Response(status_code=204)
