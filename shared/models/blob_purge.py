import datetime as dt

from sqlalchemy import BigInteger, String, Text, func
from sqlalchemy.orm import Mapped, mapped_column

from shared.db.base import Base


class BlobPurge(Base):
    """Blobs under `prefix` to delete once `due_at` has passed.

    Written in the same transaction that deletes a document, and before an upload writes its blob (due
    an hour later, removed when the document commits), so no blob outlives its document even when a
    process dies between the blob store and the database.
    """

    __tablename__ = "blob_purges"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    prefix: Mapped[str] = mapped_column(String(1024))
    due_at: Mapped[dt.datetime] = mapped_column(server_default=func.now(), index=True)
    attempts: Mapped[int] = mapped_column(server_default="0")
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(server_default=func.now())
