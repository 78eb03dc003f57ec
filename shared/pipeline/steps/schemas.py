"""Schemas: the fields of every schema the document was given, found in the pages of the extract job
the classification was read from, each with its evidence and confidence, stored per schema with the
version it was read against and the provider that read it."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from shared.events import service as events
from shared.extraction import results
from shared.extraction.definitions import Definition
from shared.extraction.types import Line, PageText
from shared.jobs.context import JobContext
from shared.jobs.step import Finalizer, JobRef, Step
from shared.models import (
    DocumentSchema,
    ExtractionResult,
    ExtractionSchema,
    ExtractionSchemaVersion,
    Job,
    Page,
)
from shared.pipeline.resources import Resources


class SchemasStep(Step):
    resources: Resources

    @classmethod
    def discard(cls, session: Session, job: JobRef) -> None:
        session.execute(delete(ExtractionResult).where(ExtractionResult.job_id == job.job_id))

    def run(self, ctx: JobContext) -> Finalizer | None:
        classified_by = ctx.require_input()
        with ctx.read() as session:
            pages_job = session.scalar(select(Job.depends_on_id).where(Job.id == classified_by))
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
        extractor = self.resources.extractor
        found: list[dict[str, Any]] = []
        for done, (schema_id, version, stored_definition) in enumerate(wanted, start=1):
            ctx.ensure_owned()  # a cancelled job stops between schemas
            definition = Definition.model_validate(stored_definition)
            values = extractor.extract(pages, list(definition.specs()))
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


def _page(row: Page) -> PageText:
    lines = tuple(
        Line(text=str(line.get("text", "")), bbox=tuple(float(v) for v in line["bbox"]))  # type: ignore[arg-type]
        for line in row.lines or ()
        if isinstance(line, dict) and len(line.get("bbox") or ()) == 4
    )
    return PageText(page_no=row.page_no, text=row.text, lines=lines, width=row.width, height=row.height)
