import datetime as dt
import uuid
from typing import Any

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Index, String, func, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column, relationship

from shared.db.base import Base, new_id
from shared.models.grant import GRANT_ROLES
from shared.models.user import User


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


class DocumentSchema(Base):
    """A schema a document is to be extracted with: chosen by a person, or because the document was
    classified with the schema's label. Every extraction run of the document extracts them all."""

    __tablename__ = "document_extraction_schemas"
    __table_args__ = (
        CheckConstraint("source IN ('manual', 'label')", name="source"),
        Index("ix_document_extraction_schemas_schema_id", "schema_id"),
    )

    document_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("documents.id", ondelete="CASCADE"), primary_key=True
    )
    schema_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("extraction_schemas.id", ondelete="CASCADE"), primary_key=True
    )
    source: Mapped[str] = mapped_column(String(16))
    assigned_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[dt.datetime] = mapped_column(server_default=func.now())


class ExtractionResult(Base):
    """What one extraction job found for one schema in a document, with the version it was read against
    and the provider that read it. `fields` holds one stored FieldValue per field of that version."""

    __tablename__ = "extraction_results"
    __table_args__ = (Index("ix_extraction_results_document_id", "document_id"),)

    job_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("jobs.id", ondelete="CASCADE"), primary_key=True)
    schema_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("extraction_schemas.id", ondelete="CASCADE"), primary_key=True
    )
    document_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"))
    schema_version: Mapped[int]
    provider: Mapped[str] = mapped_column(String(32))
    model: Mapped[str] = mapped_column(String(255))
    fields: Mapped[list[dict[str, Any]]] = mapped_column(JSONB)
    created_at: Mapped[dt.datetime] = mapped_column(server_default=func.now())


REVIEW_ACTIONS = ("corrected", "confirmed", "reviewed")


class ExtractionReview(Base):
    """A person's word on an extracted value, kept beside the machine's (which is never rewritten):
    a correction with its value, a confirmation, or (field None) the document marked reviewed for the
    schema. Appended, never changed: the newest per field is what counts, the rest is its history.
    Keyed by document and schema, not by job, so a re-run does not lose what people said."""

    __tablename__ = "extraction_reviews"
    __table_args__ = (
        CheckConstraint(f"action IN {REVIEW_ACTIONS}", name="action"),
        Index("ix_extraction_reviews_document_schema", "document_id", "schema_id", "id"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    document_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"))
    schema_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("extraction_schemas.id", ondelete="CASCADE"))
    field: Mapped[str | None] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(16))
    value: Mapped[Any | None] = mapped_column(JSONB)
    user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[dt.datetime] = mapped_column(server_default=func.now())
    # Who reviewed, as people know them (their sign-in subject), read with the review.
    reviewer: Mapped[User | None] = relationship(lazy="joined", viewonly=True)
