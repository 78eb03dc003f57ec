"""AI: summary, classification, key fields and keywords, stored with the provider and model that made them."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from shared.jobs.runner import Finalizer, JobContext
from shared.models import AiResult, Page
from shared.pipeline.text import storable
from shared.providers.llm import AnalysisProvider


class AiStep:
    def __init__(self, analyzer: Callable[[], AnalysisProvider]) -> None:
        self._analyzer = analyzer

    def run(self, ctx: JobContext) -> Finalizer | None:
        analyzer = self._analyzer()
        budget = ctx.settings.llm.max_input_chars
        pages: list[tuple[int, str]] = []
        with ctx.read() as session:
            # Only the first `budget` characters are read: the analysis is about what the document is.
            rows = session.execute(
                select(Page.page_no, func.left(Page.text, budget))
                .where(Page.document_id == ctx.document_id)
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
                    index_elements=[AiResult.document_id],
                    set_={k: stmt.excluded[k] for k in values if k != "document_id"}
                    | {"updated_at": func.now()},
                )
            )

        return finalize

    def discard(self, ctx: JobContext) -> None:
        """The result is written only with success; a failed attempt leaves nothing behind."""
