import datetime as dt
import uuid

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, func
from sqlalchemy.orm import Mapped, mapped_column

from shared.db.base import Base

GRANT_ROLES = ("viewer", "editor")


class DocumentGrant(Base):
    """Access to a document for someone other than its owner: viewers read, editors also re-run jobs."""

    __tablename__ = "document_grants"
    __table_args__ = (
        CheckConstraint(f"role IN {GRANT_ROLES}", name="role"),
        # "What is shared with me" and the visibility check both start from the grantee.
        Index("ix_document_grants_user_document", "user_id", "document_id"),
    )

    document_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("documents.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    role: Mapped[str] = mapped_column(String(16))
    granted_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[dt.datetime] = mapped_column(server_default=func.now())
    updated_at: Mapped[dt.datetime] = mapped_column(server_default=func.now())
