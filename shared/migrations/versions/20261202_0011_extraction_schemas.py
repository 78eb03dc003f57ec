"""Extraction schemas: user-defined fields, kept as versions, shared like documents.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "extraction_schemas",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("owner_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("current_version", sa.Integer(), nullable=False),
        sa.Column("apply_to_label", sa.String(length=64), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint("current_version >= 1", name=op.f("ck_extraction_schemas_current_version")),
        sa.ForeignKeyConstraint(
            ["owner_id"], ["users.id"], name=op.f("fk_extraction_schemas_owner_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_extraction_schemas")),
    )
    op.create_index(
        "uq_extraction_schemas_owner_name",
        "extraction_schemas",
        ["owner_id", sa.literal_column("lower(name)")],
        unique=True,
    )
    op.create_index(
        "ix_extraction_schemas_owner_label",
        "extraction_schemas",
        ["owner_id", "apply_to_label"],
        unique=False,
        postgresql_where=sa.text("apply_to_label IS NOT NULL"),
    )
    op.create_table(
        "extraction_schema_versions",
        sa.Column("schema_id", sa.Uuid(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("definition", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("created_by", sa.Uuid(), nullable=True),
        sa.CheckConstraint("version >= 1", name=op.f("ck_extraction_schema_versions_version")),
        sa.ForeignKeyConstraint(
            ["schema_id"],
            ["extraction_schemas.id"],
            name=op.f("fk_extraction_schema_versions_schema_id_extraction_schemas"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["created_by"],
            ["users.id"],
            name=op.f("fk_extraction_schema_versions_created_by_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("schema_id", "version", name=op.f("pk_extraction_schema_versions")),
    )
    op.create_table(
        "extraction_schema_grants",
        sa.Column("schema_id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("granted_by", sa.Uuid(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint("role IN ('viewer', 'editor')", name=op.f("ck_extraction_schema_grants_role")),
        sa.ForeignKeyConstraint(
            ["schema_id"],
            ["extraction_schemas.id"],
            name=op.f("fk_extraction_schema_grants_schema_id_extraction_schemas"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_extraction_schema_grants_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["granted_by"],
            ["users.id"],
            name=op.f("fk_extraction_schema_grants_granted_by_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("schema_id", "user_id", name=op.f("pk_extraction_schema_grants")),
    )
    op.create_index(
        "ix_extraction_schema_grants_user_schema", "extraction_schema_grants", ["user_id", "schema_id"]
    )


def downgrade() -> None:
    op.drop_index("ix_extraction_schema_grants_user_schema", table_name="extraction_schema_grants")
    op.drop_table("extraction_schema_grants")
    op.drop_table("extraction_schema_versions")
    op.drop_index("ix_extraction_schemas_owner_label", table_name="extraction_schemas")
    op.drop_index("uq_extraction_schemas_owner_name", table_name="extraction_schemas")
    op.drop_table("extraction_schemas")
