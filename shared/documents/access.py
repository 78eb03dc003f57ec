"""Who may see and do what, expressed once as SQL so every query filters the same way.

A document is visible to its owner and to the users it was granted to. What a caller may not see is
indistinguishable from what does not exist (404); a caller who can see a document but whose role is
too low for an action gets 403, since the document's existence is no secret to them.
"""

from __future__ import annotations

import enum
import uuid

from sqlalchemy import ColumnElement, and_, case, exists, or_, select
from sqlalchemy.orm import Session

from shared.documents.errors import DocumentNotFound
from shared.errors import Forbidden
from shared.models import Document, DocumentGrant


class Role(enum.StrEnum):
    VIEWER = "viewer"  # reads everything about the document
    EDITOR = "editor"  # also re-runs and cancels its jobs
    OWNER = "owner"  # also shares and deletes it

    @property
    def rank(self) -> int:
        return _RANK[self]


_RANK = {Role.VIEWER: 1, Role.EDITOR: 2, Role.OWNER: 3}

# The same rule, for raw SQL (search), with `d` the documents alias and :user_id bound.
VISIBLE_SQL = (
    "(d.owner_id = :user_id OR EXISTS (SELECT 1 FROM document_grants g "
    "WHERE g.document_id = d.id AND g.user_id = :user_id))"
)


def _granted(user_id: uuid.UUID) -> ColumnElement[bool]:
    return exists().where(DocumentGrant.document_id == Document.id, DocumentGrant.user_id == user_id)


def visible_to(user_id: uuid.UUID) -> ColumnElement[bool]:
    return or_(Document.owner_id == user_id, _granted(user_id))


def shared_with(user_id: uuid.UUID) -> ColumnElement[bool]:
    return and_(Document.owner_id != user_id, _granted(user_id))


def role_of(user_id: uuid.UUID) -> ColumnElement[str]:
    """The caller's role on each document row, as a column."""
    granted = (
        select(DocumentGrant.role)
        .where(DocumentGrant.document_id == Document.id, DocumentGrant.user_id == user_id)
        .scalar_subquery()
    )
    return case((Document.owner_id == user_id, Role.OWNER.value), else_=granted)


def require(
    session: Session, user_id: uuid.UUID, document_id: uuid.UUID, at_least: Role
) -> tuple[Document, Role]:
    """The document and the caller's role on it: 404 if they cannot see it, 403 if their role is too low."""
    row = session.execute(
        select(Document, role_of(user_id)).where(Document.id == document_id, visible_to(user_id))
    ).first()
    if row is None:
        raise not_found(session, document_id)
    document, role_name = row
    role = Role(role_name)
    if role.rank < at_least.rank:
        raise Forbidden(
            f"This needs the {at_least.value} role on the document; you are {role.value}.",
            code="insufficient_role",
            extra={"role": role.value, "required": at_least.value},
        )
    return document, role


def not_found(session: Session, document_id: uuid.UUID) -> DocumentNotFound:
    """The 404 for a document the caller cannot see, marked when it does exist (for the security log)."""
    error = DocumentNotFound(f"Document {document_id} was not found.")
    error.denied = session.scalar(select(Document.id).where(Document.id == document_id)) is not None
    return error
