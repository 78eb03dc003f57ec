"""AI: summary, classification, key fields and keywords of the pages of the extract job it follows,
stored with the provider and model that made them."""

from __future__ import annotations

from sqlalchemy import delete, func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from shared.jobs.context import JobContext
from shared.jobs.step import Finalizer, JobRef, Step
from shared.models import AiResult, Page
from shared.pipeline.resources import Resources
from shared.pipeline.text import storable


class AiStep(Step):
    resources: Resources

    @classmethod
    def discard(cls, session: Session, job: JobRef) -> None:
        session.execute(delete(AiResult).where(AiResult.job_id == job.job_id))

    def run(self, ctx: JobContext) -> Finalizer | None:
        analyzer = self.resources.analyzer
        pages_job = ctx.require_input()
        budget = ctx.settings.llm.max_input_chars
        pages: list[tuple[int, str]] = []
        with ctx.read() as session:
            # Only the first `budget` characters are read: the analysis is about what the document is.
            rows = session.execute(
                select(Page.page_no, func.left(Page.text, budget))
                .where(Page.job_id == pages_job)
                .order_by(Page.page_no)
            )
            used = 0
            for page_no, text in rows:
                if used >= budget:
                    break
                pages.append((page_no, text[: budget - used]))
                used += len(pages[-1][1])
        ctx.progress(0.1)
        analysis = analyzer.analyze(pages)
        ctx.ensure_owned()
        values = {
            "job_id": ctx.job_id,
            "document_id": ctx.document_id,
            "summary": storable(analysis.summary),
            "classification_label": analysis.classification.label if analysis.classification else None,
            "classification_score": analysis.classification.score if analysis.classification else None,
            "fields": analysis.fields,
            "keywords": analysis.keywords,
            "provider": analyzer.provider,
            "model": analyzer.model,
        }

        def finalize(session: Session) -> None:
            stmt = insert(AiResult).values(**values)
            session.execute(
                stmt.on_conflict_do_update(
                    index_elements=[AiResult.job_id],
                    set_={k: stmt.excluded[k] for k in values if k not in ("job_id", "document_id")}
                    | {"updated_at": func.now()},
                )
            )

        return finalize
