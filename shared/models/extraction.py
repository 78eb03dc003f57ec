import datetime as dt
import uuid
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, func, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from shared.db.base import Base, new_id
from shared.models.grant import GRANT_ROLES


class ExtractionSchema(Base):
    """A user's extraction schema. Its definitions live in versions: results name the version they were
    made with, so an edit adds one and never rewrites what older results were read against."""

    __tablename__ = "extraction_schemas"
    __table_args__ = (
        CheckConstraint("current_version >= 1", name="current_version"),
        # A name picks a schema out of its owner's (the command line exports by name).
        Index("uq_extraction_schemas_owner_name", "owner_id", text("lower(name)"), unique=True),
        # Auto-apply: the schemas attached to the label a document was just classified with.
        Index(
            "ix_extraction_schemas_owner_label",
            "owner_id",
            "apply_to_label",
            postgresql_where=text("apply_to_label IS NOT NULL"),
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    owner_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(200))
    current_version: Mapped[int]
    apply_to_label: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(server_default=func.now())
    updated_at: Mapped[dt.datetime] = mapped_column(server_default=func.now())


class ExtractionSchemaVersion(Base):
    """One definition of a schema as it was saved: `{"fields": [...], "review_threshold": 0.6}`."""

    __tablename__ = "extraction_schema_versions"
    __table_args__ = (CheckConstraint("version >= 1", name="version"),)

    schema_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("extraction_schemas.id", ondelete="CASCADE"), primary_key=True
    )
    version: Mapped[int] = mapped_column(primary_key=True)
    definition: Mapped[dict[str, Any]] = mapped_column(JSONB)
    created_at: Mapped[dt.datetime] = mapped_column(server_default=func.now())
    created_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


class ExtractionSchemaGrant(Base):
    """A schema shared with someone other than its owner: viewers use it, editors also change it."""

    __tablename__ = "extraction_schema_grants"
    __table_args__ = (
        CheckConstraint(f"role IN {GRANT_ROLES}", name="role"),
        Index("ix_extraction_schema_grants_user_schema", "user_id", "schema_id"),
    )

    schema_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("extraction_schemas.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    role: Mapped[str] = mapped_column(String(16))
    granted_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[dt.datetime] = mapped_column(server_default=func.now())
    updated_at: Mapped[dt.datetime] = mapped_column(server_default=func.now())
