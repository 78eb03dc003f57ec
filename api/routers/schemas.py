"""Extraction schemas: the fields a user wants found in their documents, versioned and shared."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Path, Query, Response

from api.deps import ReadUser, SessionDep, StateDep, WriteUser
from api.problems import API_PROBLEMS
from api.routers import API_PREFIX
from shared.documents.schemas import GrantIn, GrantList, GrantOut
from shared.extraction import schemas_service as schemas
from shared.extraction.definitions import SchemaIn, SchemaList, SchemaOut, SchemaVersionList

router = APIRouter(prefix=f"{API_PREFIX}/schemas", tags=["schemas"], responses=API_PROBLEMS)

UserId = Annotated[str, Path(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9._@+|:-]+$")]


def _labels(state: StateDep) -> list[str]:
    return [label for label, _ in state.settings.llm.labels()]


@router.post(
    "",
    status_code=201,
    response_model=SchemaOut,
    summary="Define an extraction schema (version 1)",
    description="Fields are `text`, `number`, `money`, `date`, `boolean`, `enum` (with `values`) or `list` "
    "(line items, with their columns in `fields`; a column is not a list). Names are unique ignoring case. "
    "A bad definition is `422 validation_error` whose `errors` locate each fault and name the field.",
)
def create_schema(
    body: SchemaIn, user: WriteUser, session: SessionDep, state: StateDep, response: Response
) -> SchemaOut:
    schema = schemas.create(session, user.id, body, _labels(state))
    response.headers["Location"] = f"{API_PREFIX}/schemas/{schema.id}"
    return schema


@router.get("", response_model=SchemaList, summary="The schemas the caller owns or was granted, by name")
def list_schemas(
    user: ReadUser,
    session: SessionDep,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
    cursor: Annotated[str | None, Query(max_length=512)] = None,
) -> SchemaList:
    return schemas.list_schemas(session, user.id, limit, cursor)


@router.get("/{schema_id}", response_model=SchemaOut, summary="A schema as it is now, or as an older version")
def get_schema(
    schema_id: uuid.UUID,
    user: ReadUser,
    session: SessionDep,
    version: Annotated[int | None, Query(ge=1, description="an older version; default the current")] = None,
) -> SchemaOut:
    return schemas.get(session, user.id, schema_id, version)


@router.get(
    "/{schema_id}/versions", response_model=SchemaVersionList, summary="A schema's versions, newest first"
)
def list_versions(schema_id: uuid.UUID, user: ReadUser, session: SessionDep) -> SchemaVersionList:
    return schemas.versions(session, user.id, schema_id)


@router.put(
    "/{schema_id}",
    response_model=SchemaOut,
    summary="Replace a schema (editor or owner): changed fields or threshold make a new version",
    description="Older versions stay readable (`?version=`), since results remember the version they "
    "were made with. A new name or label alone keeps the version.",
)
def replace_schema(
    schema_id: uuid.UUID, body: SchemaIn, user: WriteUser, session: SessionDep, state: StateDep
) -> SchemaOut:
    return schemas.update(session, user.id, schema_id, body, _labels(state))


@router.delete("/{schema_id}", status_code=204, summary="Delete a schema with its versions (owner only)")
def delete_schema(schema_id: uuid.UUID, user: WriteUser, session: SessionDep) -> Response:
    schemas.remove(session, user.id, schema_id)
    return Response(status_code=204)


@router.get(
    "/{schema_id}/grants", response_model=GrantList, summary="Who the schema is shared with (owner only)"
)
def list_grants(schema_id: uuid.UUID, user: ReadUser, session: SessionDep) -> GrantList:
    return GrantList(items=schemas.list_grants(session, user.id, schema_id))


@router.put(
    "/{schema_id}/grants/{user_id}",
    response_model=GrantOut,
    summary="Share the schema with a user as viewer or editor (owner only)",
    responses={201: {"model": GrantOut, "description": "A new grant"}},
)
def put_grant(
    schema_id: uuid.UUID,
    user_id: UserId,
    body: GrantIn,
    user: WriteUser,
    session: SessionDep,
    response: Response,
) -> GrantOut:
    grant, created = schemas.put_grant(session, user.id, schema_id, user_id, body.role)
    response.status_code = 201 if created else 200
    return grant


@router.delete(
    "/{schema_id}/grants/{user_id}", status_code=204, summary="Stop sharing the schema with a user"
)
def revoke_grant(schema_id: uuid.UUID, user_id: UserId, user: WriteUser, session: SessionDep) -> Response:
    schemas.revoke_grant(session, user.id, schema_id, user_id)
    return Response(status_code=204)
