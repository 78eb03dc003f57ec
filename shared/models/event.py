import datetime as dt
import uuid
from typing import Any

from sqlalchemy import BigInteger, Index, String, Uuid, func
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import Mapped, mapped_column

from shared.db.base import Base


class Event(Base):
    """A change to a document or one of its jobs, for the live event stream. Written in the transaction
    that made the change, with the users who could see the document then, so a stream can be resumed
    from any event id still kept, and a deleted document's last event still reaches its readers."""

    __tablename__ = "events"
    __table_args__ = (
        Index("ix_events_audience", "audience", postgresql_using="gin"),
        Index("ix_events_created_at", "created_at"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    type: Mapped[str] = mapped_column(String(32))
    document_id: Mapped[uuid.UUID]  # no foreign key: the event of a deletion outlives its document
    audience: Mapped[list[uuid.UUID]] = mapped_column(ARRAY(Uuid))
    data: Mapped[dict[str, Any]] = mapped_column(JSONB)
    created_at: Mapped[dt.datetime] = mapped_column(server_default=func.now())
