import datetime as dt
import uuid
from typing import Any

from sqlalchemy import CheckConstraint, Computed, ForeignKey, Index, String, Text, func
from sqlalchemy.dialects.postgresql import JSONB, TSVECTOR
from sqlalchemy.orm import Mapped, mapped_column

from shared.db.base import Base

PAGE_SOURCES = ("text_layer", "ocr", "native")


class Page(Base):
    """The text of one page as one extract job read it, with where it came from. Keyed by (job, page
    number): a retried attempt rewrites its own pages, and a re-run writes beside the current ones."""

    __tablename__ = "pages"
    __table_args__ = (
        CheckConstraint(f"source IN {PAGE_SOURCES}", name="source"),
        CheckConstraint("page_no >= 1", name="page_no"),
        Index("ix_pages_tsv", "tsv", postgresql_using="gin"),
        Index("ix_pages_document_id", "document_id"),
    )

    job_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("jobs.id", ondelete="CASCADE"), primary_key=True)
    page_no: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"))
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
