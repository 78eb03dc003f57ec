"""Re-embedding after the embedding model changed: a new embed run per document, beside its vectors."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from shared.config import JobSettings
from shared.jobs import runs
from shared.jobs.transitions import lock_document
from shared.models import Chunk, Document, Job
from shared.pipeline.kinds import EMBED, EXTRACT


def requeue_embeddings(
    session: Session, model_key: str, settings: JobSettings, *, everything: bool = False
) -> int:
    """Start an embed run for every document that shows extracted text and no vectors of `model_key`
    (all of them with `everything`); returns how many. Each document keeps showing its current vectors
    until its new ones are complete. A document still being processed is left alone: its run embeds
    with the model its worker has.

    The jobs are queued but held: the sweeper's next dispatch publishes them with fair share, so this
    runs from any process that can reach the database (the command line has no broker connection).
    """
    extracted = select(Job.document_id).where(Job.kind == EXTRACT, Job.current)
    candidates = select(Document.id).where(Document.id.in_(extracted), Document.pipeline.contains([EMBED]))
    if not everything:
        embedded = (
            select(Job.document_id)
            .join(Chunk, Chunk.job_id == Job.id)
            .where(Job.kind == EMBED, Job.current, Chunk.model_key == model_key)
        )
        candidates = candidates.where(Document.id.not_in(embedded))
    count = 0
    for document_id in session.scalars(candidates.order_by(Document.created_at)).all():
        lock_document(session, document_id)
        if runs.in_flight(session, document_id):
            continue
        reason = f"re-embedding with {model_key}"
        runs.start_run(session, document_id, [EMBED], settings, reason=reason, publish=False)
        count += 1
    return count
