"""Extract: the text of every page, from the text layer, the file itself or OCR, one page at a time.

Pages are written as they are made, keyed by page number, so a retried attempt resumes after the last
stored page and duplicate work can never duplicate a page.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from shared.jobs.errors import PermanentJobError, TransientJobError
from shared.jobs.runner import Finalizer, JobContext
from shared.models import Document, Page
from shared.pipeline.extract import ExtractedPage, UnreadableDocument, open_document
from shared.pipeline.text import storable
from shared.providers.ocr import OcrProvider
from shared.providers.storage import (
    BlobNotFound,
    BlobStore,
    BlobStoreUnavailable,
    document_prefix,
    ocr_output_key,
)


class ExtractStep:
    def __init__(self, storage: BlobStore, ocr: Callable[[], OcrProvider]) -> None:
        self.storage = storage
        self._ocr = ocr

    def run(self, ctx: JobContext) -> Finalizer | None:
        with ctx.read() as session:
            document = session.get(Document, ctx.document_id)
            if document is None:
                raise PermanentJobError("document_missing", "The document was deleted.")
            content_type, blob_key = document.content_type, document.blob_key
            stored = (
                session.scalar(select(func.max(Page.page_no)).where(Page.document_id == ctx.document_id)) or 0
            )

        spool = Path(tempfile.mkdtemp(prefix="extract-", dir=_spool_dir(ctx)))
        local = spool / "original"
        try:
            self._download(blob_key, local)
            try:
                reader = open_document(
                    local, content_type, self._ocr(), ctx.settings.ocr, ctx.settings.limits
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
        finally:
            for leftover in spool.iterdir():
                leftover.unlink(missing_ok=True)
            spool.rmdir()

        def finalize(session: Session) -> None:
            session.execute(update(Document).where(Document.id == ctx.document_id).values(page_count=total))

        return finalize

    def _download(self, key: str, target: Path) -> None:
        try:
            self.storage.download_to(key, target)
        except BlobNotFound as exc:
            raise PermanentJobError("original_missing", "The uploaded file is missing from storage.") from exc
        except (BlobStoreUnavailable, OSError) as exc:
            raise TransientJobError("storage_unavailable", f"Blob storage could not be read: {exc}") from exc

    def _store(self, ctx: JobContext, page: ExtractedPage, total: int) -> None:
        # Written before the page row: a stored page always has its provider output beside it.
        for name, document in (page.artifacts or {}).items():
            self._put_json(f"{document_prefix(ctx.document_id)}ocr/{name}.json", document)
        if page.raw is not None:
            self._put_json(ocr_output_key(ctx.document_id, page.page_no), page.raw)
        values = {
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
                index_elements=[Page.document_id, Page.page_no],
                set_={k: stmt.excluded[k] for k in values if k not in ("document_id", "page_no")},
            )
            session.execute(stmt)

        ctx.write(upsert, progress=page.page_no / max(total, 1))

    def _put_json(self, key: str, document: dict) -> None:
        try:
            self.storage.put_bytes(key, json.dumps(document).encode(), content_type="application/json")
        except BlobStoreUnavailable as exc:
            raise TransientJobError(
                "storage_unavailable", f"Blob storage could not be written: {exc}"
            ) from exc

    def discard(self, ctx: JobContext) -> None:
        self.storage.delete_prefix(document_prefix(ctx.document_id) + "ocr/")


def _spool_dir(ctx: JobContext) -> Path:
    directory = ctx.settings.spool_dir
    directory.mkdir(parents=True, exist_ok=True)
    return directory
