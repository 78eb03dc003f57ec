"""Runs and current outputs: every output is tagged with the job that made it, and a document shows one
succeeded job's outputs per kind, switched atomically when a run completes. Job kinds become data.

Existing data: each document's jobs become its first run; the jobs of documents that are ready supply
the current outputs; documents whose run failed or is still going show nothing until it completes,
which is what the new rules say of a first run.

Not backward compatible: the previous release writes pages, chunks and results without a job. OCR
outputs already in blob storage stay where they were (documents/<id>/ocr/) and go with their document.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_OUTPUTS = (("pages", "extract"), ("chunks", "embed"), ("ai_results", "ai"))


def upgrade() -> None:
    op.add_column("jobs", sa.Column("run_id", sa.Uuid(), nullable=True))
    op.add_column("jobs", sa.Column("current", sa.Boolean(), server_default=sa.text("false"), nullable=False))
    op.add_column("documents", sa.Column("run_id", sa.Uuid(), nullable=True))
    op.execute("UPDATE documents SET run_id = gen_random_uuid()")
    op.execute("UPDATE jobs SET run_id = d.run_id FROM documents d WHERE d.id = jobs.document_id")
    op.execute(
        "UPDATE jobs SET current = true FROM documents d "
        "WHERE d.id = jobs.document_id AND d.status = 'ready' AND jobs.status = 'succeeded'"
    )
    op.alter_column("jobs", "run_id", nullable=False)
    op.drop_constraint(op.f("ck_jobs_kind"), "jobs", type_="check")
    op.drop_index("uq_jobs_document_kind", table_name="jobs")
    op.create_index("uq_jobs_run_kind", "jobs", ["run_id", "kind"], unique=True)
    op.create_index("ix_jobs_document_id", "jobs", ["document_id"], unique=False)
    op.create_index(
        "uq_jobs_current_output",
        "jobs",
        ["document_id", "kind"],
        unique=True,
        postgresql_where=sa.text("current"),
    )

    for table, kind in _OUTPUTS:
        op.add_column(table, sa.Column("job_id", sa.Uuid(), nullable=True))
        op.execute(
            f"UPDATE {table} SET job_id = j.id FROM jobs j "
            f"WHERE j.document_id = {table}.document_id AND j.kind = '{kind}'"
        )
        op.execute(f"DELETE FROM {table} WHERE job_id IS NULL")  # no job made it: nothing can show it
        op.alter_column(table, "job_id", nullable=False)
        op.create_foreign_key(
            op.f(f"fk_{table}_job_id_jobs"), table, "jobs", ["job_id"], ["id"], ondelete="CASCADE"
        )

    op.drop_constraint(op.f("pk_pages"), "pages", type_="primary")
    op.create_primary_key(op.f("pk_pages"), "pages", ["job_id", "page_no"])
    op.create_index("ix_pages_document_id", "pages", ["document_id"], unique=False)

    op.drop_index("uq_chunks_document_model_no", table_name="chunks")
    # With the model: chunks made before runs existed may hold vectors of two models under one job.
    op.create_index("uq_chunks_job_model_no", "chunks", ["job_id", "model_key", "chunk_no"], unique=True)
    op.create_index("ix_chunks_document_id", "chunks", ["document_id"], unique=False)

    op.drop_constraint(op.f("pk_ai_results"), "ai_results", type_="primary")
    op.create_primary_key(op.f("pk_ai_results"), "ai_results", ["job_id"])
    op.create_index("ix_ai_results_document_id", "ai_results", ["document_id"], unique=False)


def downgrade() -> None:
    # One job per document and kind survives: the current one, else the newest.
    op.execute(
        """
        DELETE FROM jobs j USING (
            SELECT id, row_number() OVER (
                PARTITION BY document_id, kind ORDER BY current DESC, created_at DESC
            ) AS rank
            FROM jobs
        ) ranked
        WHERE ranked.id = j.id AND ranked.rank > 1
        """
    )
    op.drop_index("ix_ai_results_document_id", table_name="ai_results")
    op.drop_constraint(op.f("pk_ai_results"), "ai_results", type_="primary")
    op.create_primary_key(op.f("pk_ai_results"), "ai_results", ["document_id"])
    op.drop_index("ix_chunks_document_id", table_name="chunks")
    op.drop_index("uq_chunks_job_model_no", table_name="chunks")
    op.create_index(
        "uq_chunks_document_model_no", "chunks", ["document_id", "model_key", "chunk_no"], unique=True
    )
    op.drop_index("ix_pages_document_id", table_name="pages")
    op.drop_constraint(op.f("pk_pages"), "pages", type_="primary")
    op.create_primary_key(op.f("pk_pages"), "pages", ["document_id", "page_no"])
    for table, _ in _OUTPUTS:
        op.drop_constraint(op.f(f"fk_{table}_job_id_jobs"), table, type_="foreignkey")
        op.drop_column(table, "job_id")

    op.drop_index("uq_jobs_current_output", table_name="jobs", postgresql_where=sa.text("current"))
    op.drop_index("ix_jobs_document_id", table_name="jobs")
    op.drop_index("uq_jobs_run_kind", table_name="jobs")
    op.create_index("uq_jobs_document_kind", "jobs", ["document_id", "kind"], unique=True)
    op.execute("DELETE FROM jobs WHERE kind NOT IN ('extract', 'embed', 'ai')")
    op.create_check_constraint(op.f("ck_jobs_kind"), "jobs", "kind IN ('extract', 'embed', 'ai')")
    op.drop_column("documents", "run_id")
    op.drop_column("jobs", "current")
    op.drop_column("jobs", "run_id")
