"""What the API builds once at start-up and shares between requests."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from api.publisher import CeleryPublisher
from shared.config import Settings
from shared.documents.service import Intake
from shared.providers.embeddings import EmbeddingProvider
from shared.providers.storage import BlobStore


@dataclass
class AppState:
    settings: Settings
    engine: Engine
    factory: sessionmaker[Session]
    storage: BlobStore
    publisher: CeleryPublisher
    intake: Intake
    _embeddings: EmbeddingProvider | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def embeddings(self) -> EmbeddingProvider:
        """The query embedder, loaded once on first use (search requests arrive on several threads)."""
        if self._embeddings is None:
            with self._lock:
                if self._embeddings is None:
                    from shared.providers.embeddings import get_embedding_provider

                    self._embeddings = get_embedding_provider(self.settings.embeddings)
        return self._embeddings
