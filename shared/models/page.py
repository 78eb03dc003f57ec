import datetime as dt
import uuid
from typing import Any

from sqlalchemy import CheckConstraint, Computed, ForeignKey, Index, String, Text, func
from sqlalchemy.dialects.postgresql import JSONB, TSVECTOR
from sqlalchemy.orm import Mapped, mapped_column

from shared.db.base import Base

PAGE_SOURCES = ("text_layer", "ocr", "native")


class Page(Base):
    """The text of one page, with where it came from. Keyed by page number, so re-running is idempotent."""

    __tablename__ = "pages"
    __table_args__ = (
        CheckConstraint(f"source IN {PAGE_SOURCES}", name="source"),
        CheckConstraint("page_no >= 1", name="page_no"),
        Index("ix_pages_tsv", "tsv", postgresql_using="gin"),
    )

    document_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("documents.id", ondelete="CASCADE"), primary_key=True
    )
    page_no: Mapped[int] = mapped_column(primary_key=True)
    text: Mapped[str] = mapped_column(Text)
    source: Mapped[str] = mapped_column(String(16))
    confidence: Mapped[float | None]
    width: Mapped[int | None]
    height: Mapped[int | None]
    # OCR lines with their boxes and confidence; null for pages that were not OCRed.
    lines: Mapped[list[dict[str, Any]] | None] = mapped_column(JSONB)
    tsv: Mapped[str] = mapped_column(
        TSVECTOR, Computed("to_tsvector('english'::regconfig, text)", persisted=True)
    )
    created_at: Mapped[dt.datetime] = mapped_column(server_default=func.now())
