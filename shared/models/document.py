import datetime as dt
import uuid

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Index, String, func, text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Mapped, mapped_column

from shared.db.base import Base, new_id

DOCUMENT_STATUSES = ("queued", "processing", "ready", "failed", "cancelled")


class Document(Base):
    __tablename__ = "documents"
    __table_args__ = (
        CheckConstraint(f"status IN {DOCUMENT_STATUSES}", name="status"),
        CheckConstraint("size_bytes >= 0", name="size_bytes"),
        # The same bytes uploaded again by the same owner answer with the first document.
        Index("uq_documents_owner_sha256", "owner_id", "sha256", unique=True),
        Index(
            "uq_documents_owner_idempotency_key",
            "owner_id",
            "idempotency_key",
            unique=True,
            postgresql_where=text("idempotency_key IS NOT NULL"),
        ),
        # Listing newest first with a keyset cursor, optionally filtered by status.
        Index("ix_documents_owner_created", "owner_id", text("created_at DESC"), text("id DESC")),
        Index(
            "ix_documents_owner_status_created",
            "owner_id",
            "status",
            text("created_at DESC"),
            text("id DESC"),
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    owner_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(127))
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))
    blob_key: Mapped[str] = mapped_column(String(1024))
    status: Mapped[str] = mapped_column(String(16), server_default="queued")
    page_count: Mapped[int | None]
    pipeline: Mapped[list[str]] = mapped_column(ARRAY(String(16)))
    # The newest run of its jobs: the only one that may still be in flight.
    run_id: Mapped[uuid.UUID | None]
    idempotency_key: Mapped[str | None] = mapped_column(String(255))
    # Bumped by every change a reader can see (the document or any of its jobs): the ETag.
    revision: Mapped[int] = mapped_column(server_default="0")
    created_at: Mapped[dt.datetime] = mapped_column(server_default=func.now())
    updated_at: Mapped[dt.datetime] = mapped_column(server_default=func.now())
