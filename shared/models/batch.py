import datetime as dt
import uuid
from typing import Any

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Index, String, func, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from shared.db.base import Base, new_id


class Batch(Base):
    """A ZIP archive uploaded to become one document per file inside. The archive is kept as it came
    (`blob_key`); `refused` lists the entries that became nothing, each with its code and reason."""

    __tablename__ = "batches"
    __table_args__ = (
        CheckConstraint("size_bytes >= 0", name="size_bytes"),
        CheckConstraint("entry_count = created_count + existing_count + refused_count", name="counts_add_up"),
        Index("ix_batches_owner_created", "owner_id", text("created_at DESC"), text("id DESC")),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    owner_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    filename: Mapped[str] = mapped_column(String(255))
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))
    blob_key: Mapped[str] = mapped_column(String(1024))
    refused: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, server_default=text("'[]'::jsonb"))
    entry_count: Mapped[int]
    created_count: Mapped[int]
    existing_count: Mapped[int]
    refused_count: Mapped[int]
    created_at: Mapped[dt.datetime] = mapped_column(server_default=func.now())


class BatchDocument(Base):
    """An entry of a batch and the document it became: made from it (`created`), or one the owner
    already had with the same bytes. A document deleted later leaves its batches."""

    __tablename__ = "batch_documents"
    __table_args__ = (Index("ix_batch_documents_document_id", "document_id"),)

    batch_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("batches.id", ondelete="CASCADE"), primary_key=True
    )
    # The entry's place in the archive's directory.
    position: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(1024))
    created: Mapped[bool]
