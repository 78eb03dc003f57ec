import datetime as dt
import uuid

from pgvector.sqlalchemy import Vector
from sqlalchemy import BigInteger, ForeignKey, Index, String, Text, func
from sqlalchemy.orm import Mapped, mapped_column

from shared.db.base import Base


class EmbeddingModel(Base):
    """A model whose vectors are stored. Vectors of different models live side by side; each model has
    its own partial HNSW index over `embedding::vector(dimensions)`, so the column itself is untyped."""

    __tablename__ = "embedding_models"

    key: Mapped[str] = mapped_column(String(255), primary_key=True)  # "<provider>:<model>"
    provider: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(255))
    dimensions: Mapped[int]
    created_at: Mapped[dt.datetime] = mapped_column(server_default=func.now())


class Chunk(Base):
    """A passage of one embed job's pages with its vector. Keyed by (job, model, number): a retried
    attempt rewrites its own chunks, and a re-run writes beside the current ones."""

    __tablename__ = "chunks"
    __table_args__ = (
        Index("uq_chunks_job_model_no", "job_id", "model_key", "chunk_no", unique=True),
        Index("ix_chunks_document_id", "document_id"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    job_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("jobs.id", ondelete="CASCADE"))
    document_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"))
    model_key: Mapped[str] = mapped_column(ForeignKey("embedding_models.key"))
    chunk_no: Mapped[int]
    page_start: Mapped[int]
    page_end: Mapped[int]
    text: Mapped[str] = mapped_column(Text)
    token_count: Mapped[int]
    embedding = mapped_column(Vector(), nullable=False)
    created_at: Mapped[dt.datetime] = mapped_column(server_default=func.now())
