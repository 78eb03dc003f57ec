"""What the API builds once at start-up and shares between requests."""

from __future__ import annotations

import threading
import time
import uuid
from dataclasses import dataclass, field

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from api.publisher import CeleryPublisher
from api.quotas import Quotas
from shared.config import Settings
from shared.db.engine import autocommit_factory
from shared.documents.service import Intake
from shared.providers.answers.base import Answerer
from shared.providers.embeddings import EmbeddingProvider
from shared.providers.storage import BlobStore


@dataclass(frozen=True)
class KnownUser:
    id: uuid.UUID
    subject: str
    name: str | None
    email: str | None
    # None: a person signed in, who may do all their roles allow; else the scopes of the API key used.
    scopes: frozenset[str] | None = None


class UserCache:
    """Subjects already seen, so a request by a known user costs no database round trip to identify."""

    def __init__(self, ttl_seconds: float, max_entries: int = 10_000) -> None:
        self.ttl = ttl_seconds
        self.max_entries = max_entries
        self._entries: dict[str, tuple[float, KnownUser]] = {}
        self._lock = threading.Lock()

    def get(self, subject: str) -> KnownUser | None:
        with self._lock:
            entry = self._entries.get(subject)
        if entry is None or time.monotonic() - entry[0] > self.ttl:
            return None
        return entry[1]

    def put(self, user: KnownUser) -> None:
        with self._lock:
            if len(self._entries) >= self.max_entries:
                self._entries.clear()
            self._entries[user.subject] = (time.monotonic(), user)


@dataclass
class AppState:
    settings: Settings
    engine: Engine
    factory: sessionmaker[Session]
    storage: BlobStore
    publisher: CeleryPublisher
    intake: Intake
    quotas: Quotas
    users: UserCache = field(default_factory=lambda: UserCache(ttl_seconds=60))
    _embeddings: EmbeddingProvider | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)
    # For a lone read or write outside the request's unit of work: one round trip, no transaction.
    autocommit: sessionmaker[Session] = field(init=False)

    def __post_init__(self) -> None:
        self.autocommit = autocommit_factory(self.factory)

    def embeddings(self) -> EmbeddingProvider:
        """The query embedder, loaded once on first use (search requests arrive on several threads)."""
        if self._embeddings is None:
            with self._lock:
                if self._embeddings is None:
                    from shared.providers.embeddings import get_embedding_provider

                    self._embeddings = get_embedding_provider(self.settings)
        return self._embeddings

    def answerer(self) -> Answerer:
        """The answerer LLM_PROVIDER selects (the local one quotes with the query embedder)."""
        from shared.providers.answers import get_answerer

        return get_answerer(self.settings, self.embeddings())
