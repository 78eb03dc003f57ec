"""Held jobs in the order they joined their line: fair-share dispatch picks a user's oldest held jobs
of a queue without sorting every held job each time (a user's thousand uploads made each dispatch scan
and sort all of them).

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_jobs_held",
        "jobs",
        ["queue", "queued_at", "id"],
        unique=False,
        postgresql_where=sa.text("status = 'queued' AND published_at IS NULL"),
    )


def downgrade() -> None:
    op.drop_index(
        "ix_jobs_held",
        table_name="jobs",
        postgresql_where=sa.text("status = 'queued' AND published_at IS NULL"),
    )
