"""Embed: token-aware chunks of the pages of the extract job it follows, each remembering its pages,
embedded in batches and stored with pgvector.

Chunking is deterministic, so a retried attempt rewrites its job's same chunk numbers (an upsert)
instead of adding duplicates; chunks beyond the new count are removed when the job succeeds.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator

from sqlalchemy import delete, func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from shared.jobs.context import JobContext
from shared.jobs.step import Finalizer, JobRef, Step
from shared.models import Chunk, Page
from shared.pipeline.chunking import TextChunk, chunk_pages
from shared.pipeline.resources import Resources
from shared.pipeline.text import storable
from shared.providers.embeddings import EmbeddingProvider
from shared.search.vector_index import register_model

_PAGE_BATCH = 50


class EmbedStep(Step):
    resources: Resources

    @classmethod
    def discard(cls, session: Session, job: JobRef) -> None:
        session.execute(delete(Chunk).where(Chunk.job_id == job.job_id))

    def run(self, ctx: JobContext) -> Finalizer | None:
        provider = self.resources.embeddings
        settings = ctx.settings.embeddings
        pages_job = ctx.require_input()
        with ctx.read() as session:
            page_count = session.scalar(select(func.count()).where(Page.job_id == pages_job)) or 0
        ctx.write(
            lambda session: register_model(
                session, provider.key, provider.provider, provider.model, provider.dimensions
            )
        )

        max_tokens = min(settings.chunk_tokens, provider.max_input_tokens)
        overlap = min(settings.chunk_overlap_tokens, max_tokens // 2)
        chunks = chunk_pages(_pages(ctx, pages_job), provider.token_spans, max_tokens, overlap)
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
            session.execute(delete(Chunk).where(Chunk.job_id == ctx.job_id, Chunk.chunk_no >= written))

        return finalize

    def _flush(self, ctx: JobContext, provider: EmbeddingProvider, batch: list[TextChunk], pages: int) -> int:
        ctx.ensure_owned()
        vectors = provider.embed([chunk.text for chunk in batch])
        rows = [
            {
                "job_id": ctx.job_id,
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
                index_elements=[Chunk.job_id, Chunk.model_key, Chunk.chunk_no],
                set_={
                    name: stmt.excluded[name]
                    for name in ("page_start", "page_end", "text", "token_count", "embedding")
                },
            )
            session.execute(stmt)

        ctx.write(upsert, progress=batch[-1].page_end / max(pages, 1))
        return len(batch)


def _pages(ctx: JobContext, pages_job: uuid.UUID) -> Iterator[tuple[int, str]]:
    """The pages in order, fetched a batch at a time in short transactions (no long-open snapshot)."""
    after = 0
    while True:
        ctx.ensure_owned()
        with ctx.read() as session:
            rows = session.execute(
                select(Page.page_no, Page.text)
                .where(Page.job_id == pages_job, Page.page_no > after)
                .order_by(Page.page_no)
                .limit(_PAGE_BATCH)
            ).all()
        if not rows:
            return
        yield from ((page_no, text) for page_no, text in rows)
        after = rows[-1].page_no
