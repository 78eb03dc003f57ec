import datetime as dt
import uuid
from typing import Any

from sqlalchemy import ForeignKey, String, Text, func
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from shared.db.base import Base


class AiResult(Base):
    """What one ai job made of a document, with the provider and model that made it."""

    __tablename__ = "ai_results"

    job_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("jobs.id", ondelete="CASCADE"), primary_key=True)
    document_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"), index=True)
    summary: Mapped[str] = mapped_column(Text)
    classification_label: Mapped[str | None] = mapped_column(String(64))
    classification_score: Mapped[float | None]
    fields: Mapped[dict[str, Any]] = mapped_column(JSONB)
    keywords: Mapped[list[str]] = mapped_column(JSONB)
    provider: Mapped[str] = mapped_column(String(32))
    model: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[dt.datetime] = mapped_column(server_default=func.now())
    updated_at: Mapped[dt.datetime] = mapped_column(server_default=func.now())
