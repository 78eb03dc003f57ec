"""A job kind only the test suite declares: it counts the words of each page extract made, on a queue of
its own, into a table of its own. The suite names this module in JOB_KIND_MODULES for its main stack,
which is all it takes for the launcher to start a worker for the queue, the worker to run the kind, the
API to accept it in a pipeline, and the engine to switch and discard its outputs."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.orm import Session

from shared.jobs.context import JobContext
from shared.jobs.kinds import Kind
from shared.jobs.step import Finalizer, JobRef, Step

TABLE_DDL = """
CREATE TABLE IF NOT EXISTS word_counts (
    job_id uuid NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
    document_id uuid NOT NULL,
    page_no integer NOT NULL,
    words integer NOT NULL,
    PRIMARY KEY (job_id, page_no)
)
"""


class WordCountStep(Step):
    def run(self, ctx: JobContext) -> Finalizer | None:
        pages_job = ctx.require_input()
        with ctx.read() as session:
            pages = session.execute(
                text("SELECT page_no, text FROM pages WHERE job_id = :job ORDER BY page_no"),
                {"job": pages_job},
            ).all()
        for page_no, page_text in pages:
            ctx.ensure_owned()
            row = {
                "job": ctx.job_id,
                "document": ctx.document_id,
                "page": page_no,
                "words": len(page_text.split()),
            }
            ctx.write(
                lambda session, row=row: session.execute(
                    text(
                        "INSERT INTO word_counts (job_id, document_id, page_no, words) "
                        "VALUES (:job, :document, :page, :words) ON CONFLICT DO NOTHING"
                    ),
                    row,
                ),
                progress=page_no / max(len(pages), 1),
            )
        return None

    @classmethod
    def discard(cls, session: Session, job: JobRef) -> None:
        session.execute(text("DELETE FROM word_counts WHERE job_id = :job"), {"job": job.job_id})


KINDS = (
    Kind(
        "wordcount",
        queue="count",
        step="tests.stack.word_count_kind:WordCountStep",
        follows="extract",
        default=False,
    ),
)
