"""Schemas: the fields of every schema the document was given, found in the pages of the extract job
the classification was read from, each with its evidence and confidence, stored per schema with the
version it was read against and the provider that read it."""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from shared.events import service as events
from shared.extraction import prebuilt, results
from shared.extraction.definitions import Definition
from shared.extraction.types import Extractor, FieldSpec, Line, PageText
from shared.jobs.context import JobContext
from shared.jobs.errors import PermanentJobError
from shared.jobs.step import Finalizer, JobRef, Step
from shared.models import (
    AiResult,
    Document,
    DocumentSchema,
    ExtractionResult,
    ExtractionSchema,
    ExtractionSchemaVersion,
    Job,
    Page,
)
from shared.pipeline.resources import Resources
from shared.pipeline.steps.original import local_original
from shared.providers.errors import ProviderRejected

log = logging.getLogger(__name__)
_PAGED = frozenset({"application/pdf", "image/tiff"})


class SchemasStep(Step):
    resources: Resources

    @classmethod
    def discard(cls, session: Session, job: JobRef) -> None:
        session.execute(delete(ExtractionResult).where(ExtractionResult.job_id == job.job_id))

    def run(self, ctx: JobContext) -> Finalizer | None:
        classified_by = ctx.require_input()
        with ctx.read() as session:
            pages_job = session.scalar(select(Job.depends_on_id).where(Job.id == classified_by))
            label = session.scalar(
                select(AiResult.classification_label).where(AiResult.job_id == classified_by)
            )
            original = session.execute(
                select(Document.blob_key, Document.content_type).where(Document.id == ctx.document_id)
            ).one_or_none()
            pages = [_page(row) for row in session.scalars(
                select(Page).where(Page.job_id == pages_job).order_by(Page.page_no)
            )]  # fmt: skip
            wanted = session.execute(
                select(
                    ExtractionSchema.id, ExtractionSchemaVersion.version, ExtractionSchemaVersion.definition
                )
                .join(DocumentSchema, DocumentSchema.schema_id == ExtractionSchema.id)
                .join(
                    ExtractionSchemaVersion,
                    (ExtractionSchemaVersion.schema_id == ExtractionSchema.id)
                    & (ExtractionSchemaVersion.version == ExtractionSchema.current_version),
                )
                .where(DocumentSchema.document_id == ctx.document_id)
                .order_by(ExtractionSchema.created_at)
            ).all()
        if original is None:
            raise PermanentJobError("document_missing", "The document was deleted.")
        model_id = self.resources.prebuilt_model(label)
        readers = _Prebuilt(self.resources, ctx, model_id, (original[0], original[1]), len(pages))
        found: list[dict[str, Any]] = []
        for done, (schema_id, version, stored_definition) in enumerate(wanted, start=1):
            ctx.ensure_owned()  # a cancelled job stops between schemas
            definition = Definition.model_validate(stored_definition)
            specs = list(definition.specs())
            extractor = readers.extractor_for(specs)
            values = extractor.extract(pages, specs)
            found.append(
                {
                    "job_id": ctx.job_id,
                    "schema_id": schema_id,
                    "document_id": ctx.document_id,
                    "schema_version": version,
                    "provider": extractor.name,
                    "model": extractor.model,
                    "fields": [results.stored(value, definition.review_threshold) for value in values],
                }
            )
            ctx.progress(done / len(wanted))

        def finalize(session: Session) -> None:
            # A schema deleted while its fields were being found has nothing left to show them against.
            kept = set(session.scalars(select(ExtractionSchema.id).where(
                ExtractionSchema.id.in_([row["schema_id"] for row in found])
            )))  # fmt: skip
            rows = [row for row in found if row["schema_id"] in kept]
            if rows:
                session.execute(insert(ExtractionResult).values(rows).on_conflict_do_nothing())
            summary = [
                {
                    "schema_id": str(row["schema_id"]),
                    "version": row["schema_version"],
                    "needs_review": sum(1 for field in row["fields"] if field["status"] == "needs_review"),
                }
                for row in rows
            ]
            events.extraction_completed(session, ctx.document_id, ctx.job_id, summary)

        return finalize


class _Prebuilt:
    """The document's prebuilt model, asked once per job and only when a schema has a field it
    answers; a model that rejects the document leaves every field to the extraction provider."""

    def __init__(
        self,
        resources: Resources,
        ctx: JobContext,
        model_id: str | None,
        original: tuple[str, str],
        page_count: int,
    ) -> None:
        self._resources, self._ctx = resources, ctx
        self._model_id = model_id
        self._blob_key, self._content_type = original
        self._page_count = page_count
        self._analysis: dict[str, Any] | None = None

    def extractor_for(self, specs: list[FieldSpec]) -> Extractor:
        fallback = self._resources.extractor
        if self._model_id is None or not prebuilt.matches_any(specs, self._model_id):
            return fallback
        if self._analysis is None:
            self._analysis = self._analyze(self._model_id)
        if not self._analysis:
            return fallback
        return prebuilt.PrebuiltExtractor(self._model_id, self._analysis, fallback)

    def _analyze(self, model_id: str) -> dict[str, Any]:
        service = self._resources.document_intelligence
        # Multi-page files are read as far as one request goes: invoices and receipts are short.
        paged = self._content_type.split(";")[0].strip().lower() in _PAGED
        pages = range(1, min(self._page_count, service.pages_per_request) + 1) if paged else None
        with local_original(self._ctx, self._resources.storage, self._blob_key) as local:
            try:
                return service.prebuilt(model_id, local, list(pages) if pages else None)
            except ProviderRejected as exc:
                log.warning("%s did not read document %s: %s", model_id, self._ctx.document_id, exc)
                return {}


def _page(row: Page) -> PageText:
    lines = tuple(
        Line(text=str(line.get("text", "")), bbox=tuple(float(v) for v in line["bbox"]))  # type: ignore[arg-type]
        for line in row.lines or ()
        if isinstance(line, dict) and len(line.get("bbox") or ()) == 4
    )
    return PageText(page_no=row.page_no, text=row.text, lines=lines, width=row.width, height=row.height)
