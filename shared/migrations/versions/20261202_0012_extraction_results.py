"""Extraction results: the schemas each document is extracted with, what each extraction job found per
schema, and people's reviews of it (appended, never rewritten).

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "document_extraction_schemas",
        sa.Column("document_id", sa.Uuid(), nullable=False),
        sa.Column("schema_id", sa.Uuid(), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("assigned_by", sa.Uuid(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint(
            "source IN ('manual', 'label')", name=op.f("ck_document_extraction_schemas_source")
        ),
        sa.ForeignKeyConstraint(
            ["assigned_by"],
            ["users.id"],
            name=op.f("fk_document_extraction_schemas_assigned_by_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["document_id"],
            ["documents.id"],
            name=op.f("fk_document_extraction_schemas_document_id_documents"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["schema_id"],
            ["extraction_schemas.id"],
            name=op.f("fk_document_extraction_schemas_schema_id_extraction_schemas"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("document_id", "schema_id", name=op.f("pk_document_extraction_schemas")),
    )
    op.create_index("ix_document_extraction_schemas_schema_id", "document_extraction_schemas", ["schema_id"])
    op.create_table(
        "extraction_results",
        sa.Column("job_id", sa.Uuid(), nullable=False),
        sa.Column("schema_id", sa.Uuid(), nullable=False),
        sa.Column("document_id", sa.Uuid(), nullable=False),
        sa.Column("schema_version", sa.Integer(), nullable=False),
        sa.Column("provider", sa.String(length=32), nullable=False),
        sa.Column("model", sa.String(length=255), nullable=False),
        sa.Column("fields", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["document_id"],
            ["documents.id"],
            name=op.f("fk_extraction_results_document_id_documents"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["job_id"], ["jobs.id"], name=op.f("fk_extraction_results_job_id_jobs"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["schema_id"],
            ["extraction_schemas.id"],
            name=op.f("fk_extraction_results_schema_id_extraction_schemas"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("job_id", "schema_id", name=op.f("pk_extraction_results")),
    )
    op.create_index("ix_extraction_results_document_id", "extraction_results", ["document_id"])
    op.create_table(
        "extraction_reviews",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("document_id", sa.Uuid(), nullable=False),
        sa.Column("schema_id", sa.Uuid(), nullable=False),
        sa.Column("field", sa.String(length=200), nullable=True),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("value", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("user_id", sa.Uuid(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint(
            "action IN ('corrected', 'confirmed', 'reviewed')", name=op.f("ck_extraction_reviews_action")
        ),
        sa.ForeignKeyConstraint(
            ["document_id"],
            ["documents.id"],
            name=op.f("fk_extraction_reviews_document_id_documents"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["schema_id"],
            ["extraction_schemas.id"],
            name=op.f("fk_extraction_reviews_schema_id_extraction_schemas"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_extraction_reviews_user_id_users"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_extraction_reviews")),
    )
    op.create_index(
        "ix_extraction_reviews_document_schema", "extraction_reviews", ["document_id", "schema_id", "id"]
    )


def downgrade() -> None:
    op.drop_index("ix_extraction_reviews_document_schema", table_name="extraction_reviews")
    op.drop_table("extraction_reviews")
    op.drop_index("ix_extraction_results_document_id", table_name="extraction_results")
    op.drop_table("extraction_results")
    op.drop_index("ix_document_extraction_schemas_schema_id", table_name="document_extraction_schemas")
    op.drop_table("document_extraction_schemas")
