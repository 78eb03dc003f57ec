"""The ORM models, one module per table; importing this package registers them all on Base.metadata."""

from shared.models.api_key import ApiKey
from shared.models.batch import Batch, BatchDocument
from shared.models.blob_purge import BlobPurge
from shared.models.chunk import Chunk, EmbeddingModel
from shared.models.conversation import Conversation, ConversationTurn
from shared.models.document import Document
from shared.models.event import Event
from shared.models.extraction import (
    DocumentSchema,
    ExtractionResult,
    ExtractionReview,
    ExtractionSchema,
    ExtractionSchemaGrant,
    ExtractionSchemaVersion,
)
from shared.models.grant import DocumentGrant
from shared.models.job import Job, JobEvent, JobTiming
from shared.models.page import Page
from shared.models.result import AiResult
from shared.models.usage import UsageCounter
from shared.models.user import User
from shared.models.webhook import WebhookAttempt, WebhookDelivery, WebhookEndpoint

__all__ = [
    "AiResult",
    "ApiKey",
    "Batch",
    "BatchDocument",
    "BlobPurge",
    "Chunk",
    "Conversation",
    "ConversationTurn",
    "Document",
    "DocumentGrant",
    "DocumentSchema",
    "EmbeddingModel",
    "Event",
    "ExtractionResult",
    "ExtractionReview",
    "ExtractionSchema",
    "ExtractionSchemaGrant",
    "ExtractionSchemaVersion",
    "Job",
    "JobEvent",
    "JobTiming",
    "Page",
    "UsageCounter",
    "User",
    "WebhookAttempt",
    "WebhookDelivery",
    "WebhookEndpoint",
]
