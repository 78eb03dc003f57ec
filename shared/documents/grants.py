"""Sharing a document: owners grant other users the viewer or editor role, and take it back."""

from __future__ import annotations

import uuid

from sqlalchemy import delete, func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from shared.auth.users import ensure_user
from shared.documents.access import Role, require
from shared.documents.schemas import GrantOut
from shared.errors import Invalid, NotFound
from shared.models import DocumentGrant, User

GRANTABLE = (Role.VIEWER, Role.EDITOR)


def list_grants(session: Session, caller: uuid.UUID, document_id: uuid.UUID) -> list[GrantOut]:
    require(session, caller, document_id, Role.OWNER)
    rows = session.execute(
        select(DocumentGrant, User.subject, User.name)
        .join(User, User.id == DocumentGrant.user_id)
        .where(DocumentGrant.document_id == document_id)
        .order_by(User.subject)
    ).all()
    return [_view(grant, subject, name) for grant, subject, name in rows]


def put_grant(
    session: Session, caller: uuid.UUID, document_id: uuid.UUID, grantee_subject: str, role: str
) -> tuple[GrantOut, bool]:
    """Grant or change a role; returns the grant and whether it is new. The grantee need not have
    signed in yet: their user is created now and finds the document when they do."""
    document, _ = require(session, caller, document_id, Role.OWNER)
    if role not in GRANTABLE:
        raise Invalid("role is viewer or editor.", code="invalid_role")
    grantee = ensure_user(session, grantee_subject, None, None)
    if grantee.id == document.owner_id:
        raise Invalid("The owner already has every right on the document.", code="grant_to_owner")
    existed = session.get(DocumentGrant, (document_id, grantee.id)) is not None
    stmt = insert(DocumentGrant).values(
        document_id=document_id, user_id=grantee.id, role=role, granted_by=caller
    )
    grant = session.scalars(
        stmt.on_conflict_do_update(
            index_elements=[DocumentGrant.document_id, DocumentGrant.user_id],
            set_={"role": role, "granted_by": caller, "updated_at": func.now()},
        ).returning(DocumentGrant),
        execution_options={"populate_existing": True},
    ).one()
    return _view(grant, grantee.subject, grantee.name), not existed


def revoke_grant(session: Session, caller: uuid.UUID, document_id: uuid.UUID, grantee_subject: str) -> None:
    require(session, caller, document_id, Role.OWNER)
    grantee = session.scalar(select(User.id).where(User.subject == grantee_subject))
    removed = None
    if grantee is not None:
        removed = session.execute(
            delete(DocumentGrant)
            .where(DocumentGrant.document_id == document_id, DocumentGrant.user_id == grantee)
            .returning(DocumentGrant.user_id)
        ).first()
    if removed is None:
        raise NotFound(f"{grantee_subject!r} has no grant on this document.", code="grant_not_found")


def _view(grant: DocumentGrant, subject: str, name: str | None) -> GrantOut:
    # The grant row names its grantee by user id; the view shows the identity provider's subject.
    return GrantOut.from_row(grant, user_id=subject, name=name)
