"""Extraction schemas: made, versioned, shared and deleted.

Visibility follows documents exactly: the owner and the users granted a role see a schema; anyone else
gets 404, indistinguishable from a schema that does not exist; a role too low for the action is 403.
Viewers read a schema (and will run it on their documents), editors also change it, the owner also
shares and deletes it.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, case, delete, exists, func, or_, select, tuple_
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from shared.auth.users import ensure_user
from shared.documents.access import Role
from shared.documents.grants import GRANTABLE
from shared.documents.schemas import GrantOut
from shared.errors import Forbidden, Invalid, NotFound
from shared.extraction.definitions import (
    Definition,
    SchemaIn,
    SchemaList,
    SchemaOut,
    SchemaSummaryOut,
    SchemaVersionList,
    SchemaVersionOut,
)
from shared.extraction.errors import (
    SchemaNameTaken,
    SchemaNotFound,
    SchemaVersionNotFound,
    TooManySchemas,
    UnknownLabel,
)
from shared.models import ExtractionSchema, ExtractionSchemaGrant, ExtractionSchemaVersion, User
from shared.paging import decode_cursor, encode_cursor

MAX_SCHEMAS_PER_USER = 200


def _granted(user_id: uuid.UUID) -> ColumnElement[bool]:
    return exists().where(
        ExtractionSchemaGrant.schema_id == ExtractionSchema.id, ExtractionSchemaGrant.user_id == user_id
    )


def visible_to(user_id: uuid.UUID) -> ColumnElement[bool]:
    return or_(ExtractionSchema.owner_id == user_id, _granted(user_id))


def role_of(user_id: uuid.UUID) -> ColumnElement[str]:
    """The caller's role on each schema row, as a column."""
    granted = (
        select(ExtractionSchemaGrant.role)
        .where(
            ExtractionSchemaGrant.schema_id == ExtractionSchema.id, ExtractionSchemaGrant.user_id == user_id
        )
        .scalar_subquery()
    )
    return case((ExtractionSchema.owner_id == user_id, Role.OWNER.value), else_=granted)


def require(
    session: Session, user_id: uuid.UUID, schema_id: uuid.UUID, at_least: Role, *, lock: bool = False
) -> tuple[ExtractionSchema, Role]:
    """The schema and the caller's role on it: 404 if they cannot see it, 403 if their role is too low.
    `lock` holds the row until the transaction ends, so concurrent edits number their versions in turn."""
    query = select(ExtractionSchema, role_of(user_id)).where(
        ExtractionSchema.id == schema_id, visible_to(user_id)
    )
    if lock:
        query = query.with_for_update(of=ExtractionSchema)
    row = session.execute(query).first()
    if row is None:
        error = SchemaNotFound(f"Schema {schema_id} was not found.")
        error.denied = (
            session.scalar(select(ExtractionSchema.id).where(ExtractionSchema.id == schema_id)) is not None
        )
        raise error
    schema, role_name = row
    role = Role(role_name)
    if role.rank < at_least.rank:
        raise Forbidden(
            f"This needs the {at_least.value} role on the schema; you are {role.value}.",
            code="insufficient_role",
            extra={"role": role.value, "required": at_least.value},
        )
    return schema, role


def known_label(label: str | None, labels: Sequence[str]) -> str | None:
    """The deployment's own spelling of `label`; a label it never classifies with could never apply."""
    if label is None:
        return None
    for known in labels:
        if known.casefold() == label.casefold():
            return known
    detail = (
        f"apply_to_label {label!r} is not a classification label here; it is one of: {', '.join(labels)}."
    )
    raise UnknownLabel(
        detail,
        extra={
            "labels": list(labels),
            "errors": [{"loc": ["body", "apply_to_label"], "msg": detail, "type": "unknown_label"}],
        },
    )


def create(session: Session, caller: uuid.UUID, body: SchemaIn, labels: Sequence[str]) -> SchemaOut:
    label = known_label(body.apply_to_label, labels)
    owned = session.scalar(
        select(func.count()).select_from(ExtractionSchema).where(ExtractionSchema.owner_id == caller)
    )
    if (owned or 0) >= MAX_SCHEMAS_PER_USER:
        raise TooManySchemas(
            f"You have {MAX_SCHEMAS_PER_USER} schemas; delete one first.",
            extra={"max_schemas": MAX_SCHEMAS_PER_USER},
        )
    _check_name_free(session, caller, body.name, None)
    schema = ExtractionSchema(owner_id=caller, name=body.name, current_version=1, apply_to_label=label)
    _flush_named(session, schema, body.name)
    session.add(
        ExtractionSchemaVersion(
            schema_id=schema.id, version=1, definition=body.definition(), created_by=caller
        )
    )
    session.flush()
    return _view(session, schema, Role.OWNER, 1)


def update(
    session: Session, caller: uuid.UUID, schema_id: uuid.UUID, body: SchemaIn, labels: Sequence[str]
) -> SchemaOut:
    """Replace the schema. A changed definition (fields, threshold) becomes a new version and the old
    ones stay readable; a new name or label alone changes the schema, not its versions."""
    schema, role = require(session, caller, schema_id, Role.EDITOR, lock=True)
    label = known_label(body.apply_to_label, labels)
    if body.name.casefold() != schema.name.casefold():
        _check_name_free(session, schema.owner_id, body.name, schema.id)
    definition = body.definition()
    if definition != _stored(session, schema.id, schema.current_version):
        schema.current_version += 1
        session.add(
            ExtractionSchemaVersion(
                schema_id=schema.id, version=schema.current_version, definition=definition, created_by=caller
            )
        )
    schema.name = body.name
    schema.apply_to_label = label
    schema.updated_at = func.now()
    _flush_named(session, schema, body.name)
    return _view(session, schema, role, schema.current_version)


def get(session: Session, caller: uuid.UUID, schema_id: uuid.UUID, version: int | None = None) -> SchemaOut:
    schema, role = require(session, caller, schema_id, Role.VIEWER)
    return _view(session, schema, role, version or schema.current_version)


def definition(session: Session, schema_id: uuid.UUID, version: int) -> Definition:
    """A version's definition as extraction runs it (access is the caller's to check)."""
    return Definition.model_validate(_stored(session, schema_id, version))


def versions(session: Session, caller: uuid.UUID, schema_id: uuid.UUID) -> SchemaVersionList:
    require(session, caller, schema_id, Role.VIEWER)
    rows = session.execute(
        select(ExtractionSchemaVersion, User.subject)
        .outerjoin(User, User.id == ExtractionSchemaVersion.created_by)
        .where(ExtractionSchemaVersion.schema_id == schema_id)
        .order_by(ExtractionSchemaVersion.version.desc())
    ).all()
    items = []
    for row, subject in rows:
        stored = Definition.model_validate(row.definition)
        items.append(
            SchemaVersionOut(
                version=row.version,
                field_count=len(stored.fields),
                review_threshold=stored.review_threshold,
                created_at=row.created_at,
                created_by=subject,
            )
        )
    return SchemaVersionList(items=items)


def list_schemas(session: Session, caller: uuid.UUID, limit: int, cursor: str | None) -> SchemaList:
    """The schemas the caller owns or was granted, by name, keyset-paged on (lower(name), id)."""
    sort_name = func.lower(ExtractionSchema.name)
    field_count = func.jsonb_array_length(ExtractionSchemaVersion.definition["fields"])
    query = (
        select(ExtractionSchema, role_of(caller), field_count)
        .join(
            ExtractionSchemaVersion,
            (ExtractionSchemaVersion.schema_id == ExtractionSchema.id)
            & (ExtractionSchemaVersion.version == ExtractionSchema.current_version),
        )
        .where(visible_to(caller))
    )
    if cursor is not None:
        after_name, raw_id = decode_cursor(cursor, 2)
        try:
            after_id = uuid.UUID(raw_id)
        except ValueError as exc:
            raise Invalid("The cursor is not one this API issued.", code="invalid_cursor") from exc
        query = query.where(tuple_(sort_name, ExtractionSchema.id) > (after_name, after_id))
    rows = session.execute(query.order_by(sort_name, ExtractionSchema.id).limit(limit + 1)).all()
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        last = rows[-1][0]
        next_cursor = encode_cursor(last.name.lower(), last.id)
    items = [
        SchemaSummaryOut.from_row(schema, version=schema.current_version, field_count=count, role=role)
        for schema, role, count in rows
    ]
    return SchemaList(items=items, next_cursor=next_cursor)


def remove(session: Session, caller: uuid.UUID, schema_id: uuid.UUID) -> None:
    schema, _ = require(session, caller, schema_id, Role.OWNER)
    session.delete(schema)
    session.flush()


def list_grants(session: Session, caller: uuid.UUID, schema_id: uuid.UUID) -> list[GrantOut]:
    require(session, caller, schema_id, Role.OWNER)
    rows = session.execute(
        select(ExtractionSchemaGrant, User.subject, User.name)
        .join(User, User.id == ExtractionSchemaGrant.user_id)
        .where(ExtractionSchemaGrant.schema_id == schema_id)
        .order_by(User.subject)
    ).all()
    return [GrantOut.from_row(grant, user_id=subject, name=name) for grant, subject, name in rows]


def put_grant(
    session: Session, caller: uuid.UUID, schema_id: uuid.UUID, grantee_subject: str, role: str
) -> tuple[GrantOut, bool]:
    """Grant or change a role; returns the grant and whether it is new. The grantee need not have
    signed in yet."""
    schema, _ = require(session, caller, schema_id, Role.OWNER)
    if role not in GRANTABLE:
        raise Invalid("role is viewer or editor.", code="invalid_role")
    grantee = ensure_user(session, grantee_subject, None, None)
    if grantee.id == schema.owner_id:
        raise Invalid("The owner already has every right on the schema.", code="grant_to_owner")
    existed = session.get(ExtractionSchemaGrant, (schema_id, grantee.id)) is not None
    stmt = insert(ExtractionSchemaGrant).values(
        schema_id=schema_id, user_id=grantee.id, role=role, granted_by=caller
    )
    grant = session.scalars(
        stmt.on_conflict_do_update(
            index_elements=[ExtractionSchemaGrant.schema_id, ExtractionSchemaGrant.user_id],
            set_={"role": role, "granted_by": caller, "updated_at": func.now()},
        ).returning(ExtractionSchemaGrant),
        execution_options={"populate_existing": True},
    ).one()
    return GrantOut.from_row(grant, user_id=grantee.subject, name=grantee.name), not existed


def revoke_grant(session: Session, caller: uuid.UUID, schema_id: uuid.UUID, grantee_subject: str) -> None:
    require(session, caller, schema_id, Role.OWNER)
    grantee = session.scalar(select(User.id).where(User.subject == grantee_subject))
    removed = None
    if grantee is not None:
        removed = session.execute(
            delete(ExtractionSchemaGrant)
            .where(ExtractionSchemaGrant.schema_id == schema_id, ExtractionSchemaGrant.user_id == grantee)
            .returning(ExtractionSchemaGrant.user_id)
        ).first()
    if removed is None:
        raise NotFound(f"{grantee_subject!r} has no grant on this schema.", code="grant_not_found")


def _stored(session: Session, schema_id: uuid.UUID, version: int) -> dict[str, Any]:
    found: dict[str, Any] | None = session.scalar(
        select(ExtractionSchemaVersion.definition).where(
            ExtractionSchemaVersion.schema_id == schema_id, ExtractionSchemaVersion.version == version
        )
    )
    if found is None:
        raise SchemaVersionNotFound(f"The schema has no version {version}.")
    return found


def _view(session: Session, schema: ExtractionSchema, role: Role, version: int) -> SchemaOut:
    stored = Definition.model_validate(_stored(session, schema.id, version))
    return SchemaOut.from_row(
        schema,
        version=version,
        current_version=schema.current_version,
        fields=stored.fields,
        review_threshold=stored.review_threshold,
        role=role.value,
    )


def _check_name_free(session: Session, owner_id: uuid.UUID, name: str, other_than: uuid.UUID | None) -> None:
    query = select(ExtractionSchema.id).where(
        ExtractionSchema.owner_id == owner_id, func.lower(ExtractionSchema.name) == name.lower()
    )
    if other_than is not None:
        query = query.where(ExtractionSchema.id != other_than)
    if session.scalar(query) is not None:
        raise _name_taken(name)


def _flush_named(session: Session, schema: ExtractionSchema, name: str) -> None:
    """Flush, answering the rare race of two requests taking the same name as the check above would."""
    try:
        with session.begin_nested():
            session.add(schema)
            session.flush()
    except IntegrityError as exc:
        if "uq_extraction_schemas_owner_name" not in str(exc.orig):
            raise
        raise _name_taken(name) from exc


def _name_taken(name: str) -> SchemaNameTaken:
    detail = f"The owner has a schema named {name!r} already; names are compared ignoring case."
    return SchemaNameTaken(
        detail, extra={"errors": [{"loc": ["body", "name"], "msg": detail, "type": "schema_name_taken"}]}
    )
