"""Embed: token-aware chunks that remember their pages, embedded in batches and stored with pgvector.

Chunking is deterministic, so a retried attempt rewrites the same chunk numbers (an upsert) instead of
adding duplicates; chunks beyond the new count are removed when the job succeeds.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from sqlalchemy import delete, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from shared.jobs.runner import Finalizer, JobContext
from shared.models import Chunk, Document, Page
from shared.pipeline.chunking import TextChunk, chunk_pages
from shared.pipeline.text import storable
from shared.providers.embeddings import EmbeddingProvider
from shared.search.vector_index import register_model

_PAGE_BATCH = 50


class EmbedStep:
    def __init__(self, embeddings: Callable[[], EmbeddingProvider]) -> None:
        self._embeddings = embeddings

    def run(self, ctx: JobContext) -> Finalizer | None:
        provider = self._embeddings()
        settings = ctx.settings.embeddings
        with ctx.read() as session:
            page_count = (
                session.scalar(select(Document.page_count).where(Document.id == ctx.document_id)) or 0
            )
        ctx.write(
            lambda session: register_model(
                session, provider.key, provider.provider, provider.model, provider.dimensions
            )
        )

        max_tokens = min(settings.chunk_tokens, provider.max_input_tokens)
        overlap = min(settings.chunk_overlap_tokens, max_tokens // 2)
        chunks = chunk_pages(_pages(ctx), provider.token_spans, max_tokens, overlap)
        batch: list[TextChunk] = []
        written = 0
        for chunk in chunks:
            batch.append(chunk)
            if len(batch) >= settings.batch_size:
                written += self._flush(ctx, provider, batch, page_count)
                batch = []
        if batch:
            written += self._flush(ctx, provider, batch, page_count)

        def finalize(session: Session) -> None:
            session.execute(
                delete(Chunk).where(
                    Chunk.document_id == ctx.document_id,
                    Chunk.model_key == provider.key,
                    Chunk.chunk_no >= written,
                )
            )

        return finalize

    def _flush(self, ctx: JobContext, provider: EmbeddingProvider, batch: list[TextChunk], pages: int) -> int:
        ctx.ensure_owned()
        vectors = provider.embed([chunk.text for chunk in batch])
        rows = [
            {
                "document_id": ctx.document_id,
                "model_key": provider.key,
                "chunk_no": chunk.chunk_no,
                "page_start": chunk.page_start,
                "page_end": chunk.page_end,
                "text": storable(chunk.text),
                "token_count": chunk.token_count,
                "embedding": vector,
            }
            for chunk, vector in zip(batch, vectors, strict=True)
        ]

        def upsert(session: Session) -> None:
            stmt = insert(Chunk).values(rows)
            stmt = stmt.on_conflict_do_update(
                index_elements=[Chunk.document_id, Chunk.model_key, Chunk.chunk_no],
                set_={
                    name: stmt.excluded[name]
                    for name in ("page_start", "page_end", "text", "token_count", "embedding")
                },
            )
            session.execute(stmt)

        ctx.write(upsert, progress=batch[-1].page_end / max(pages, 1))
        return len(batch)

    def discard(self, ctx: JobContext) -> None:
        """Chunks live only in the database, where the failed transition already removed them."""


def _pages(ctx: JobContext) -> Iterator[tuple[int, str]]:
    """Pages in order, fetched a batch at a time in short transactions (no long-open snapshot)."""
    after = 0
    while True:
        with ctx.read() as session:
            rows = session.execute(
                select(Page.page_no, Page.text)
                .where(Page.document_id == ctx.document_id, Page.page_no > after)
                .order_by(Page.page_no)
                .limit(_PAGE_BATCH)
            ).all()
        if not rows:
            return
        yield from ((page_no, text) for page_no, text in rows)
        after = rows[-1].page_no
