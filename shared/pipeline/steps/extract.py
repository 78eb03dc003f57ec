"""Extract: the text of every page, from the text layer, the file itself or OCR, one page at a time.

Pages are written as they are made, keyed by (job, page number), so a retried attempt resumes after the
last page its job stored and duplicate work can never duplicate a page. The provider's full output for
each page goes to blob storage under the job's prefix.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from shared.jobs.context import JobContext
from shared.jobs.errors import PermanentJobError, TransientJobError
from shared.jobs.step import Finalizer, JobRef, Step
from shared.models import Document, Page
from shared.pipeline.extract import ExtractedPage, UnreadableDocument, open_document
from shared.pipeline.resources import Resources
from shared.pipeline.steps.original import local_original
from shared.pipeline.text import storable
from shared.providers.storage import BlobStoreUnavailable


class ExtractStep(Step):
    stores_blobs = True
    resources: Resources

    def __init__(self, resources: Resources) -> None:
        super().__init__(resources)
        self.storage = resources.storage

    @classmethod
    def discard(cls, session: Session, job: JobRef) -> None:
        session.execute(delete(Page).where(Page.job_id == job.job_id))

    @classmethod
    def publish(cls, session: Session, job: JobRef) -> None:
        pages = select(func.count()).where(Page.job_id == job.job_id).scalar_subquery()
        session.execute(update(Document).where(Document.id == job.document_id).values(page_count=pages))

    def run(self, ctx: JobContext) -> Finalizer | None:
        with ctx.read() as session:
            document = session.get(Document, ctx.document_id)
            if document is None:
                raise PermanentJobError("document_missing", "The document was deleted.")
            content_type, blob_key = document.content_type, document.blob_key
            stored = session.scalar(select(func.max(Page.page_no)).where(Page.job_id == ctx.job_id)) or 0

        with local_original(ctx, self.storage, blob_key) as local:
            try:
                reader = open_document(
                    local, content_type, self.resources.ocr, ctx.settings.ocr, ctx.settings.limits
                )
            except UnreadableDocument as exc:
                raise PermanentJobError(exc.code, exc.message) from exc
            try:
                total = reader.page_count
                for page in reader.pages(start_after=stored):
                    ctx.ensure_owned()
                    self._store(ctx, page, total)
            except UnreadableDocument as exc:
                raise PermanentJobError(exc.code, exc.message) from exc
            finally:
                reader.close()
        return None

    def _store(self, ctx: JobContext, page: ExtractedPage, total: int) -> None:
        # Written before the page row: a stored page always has its provider output beside it.
        for name, document in (page.artifacts or {}).items():
            self._put_json(f"{ctx.blob_prefix}ocr/{name}.json", document)
        if page.raw is not None:
            self._put_json(f"{ctx.blob_prefix}ocr/page-{page.page_no:05d}.json", page.raw)
        values = {
            "job_id": ctx.job_id,
            "document_id": ctx.document_id,
            "page_no": page.page_no,
            "text": storable(page.text),
            "source": page.source,
            "confidence": page.confidence,
            "width": page.width,
            "height": page.height,
            "lines": json.loads(storable(json.dumps(page.lines))) if page.lines is not None else None,
        }

        def upsert(session: Session) -> None:
            stmt = insert(Page).values(**values)
            stmt = stmt.on_conflict_do_update(
                index_elements=[Page.job_id, Page.page_no],
                set_={k: stmt.excluded[k] for k in values if k not in ("job_id", "document_id", "page_no")},
            )
            session.execute(stmt)

        ctx.write(upsert, progress=page.page_no / max(total, 1))

    def _put_json(self, key: str, document: dict[str, Any]) -> None:
        try:
            self.storage.put_bytes(key, json.dumps(document).encode(), content_type="application/json")
        except BlobStoreUnavailable as exc:
            raise TransientJobError(
                "storage_unavailable", f"Blob storage could not be written: {exc}"
            ) from exc
