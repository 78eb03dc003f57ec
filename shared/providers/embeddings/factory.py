from __future__ import annotations

import threading
from functools import lru_cache

from shared.config import EmbeddingsProviderName, Settings
from shared.providers.embeddings.base import EmbeddingProvider
from shared.providers.openai_client import config_fingerprint

_cache: dict[tuple[object, ...], EmbeddingProvider] = {}
_lock = threading.Lock()


def get_embedding_provider(settings: Settings) -> EmbeddingProvider:
    """The provider EMBEDDINGS_PROVIDER selects, one per process and configuration (a local model loads
    on first use; a cloud provider builds its SDK client here and calls nothing until asked to embed)."""
    name = settings.embeddings.provider
    match name:
        case EmbeddingsProviderName.LOCAL:
            return _local(settings.embeddings.batch_size, settings.embeddings.torch_threads)
        case EmbeddingsProviderName.OPENAI | EmbeddingsProviderName.AZURE_OPENAI:
            cache_key = (name, settings.embeddings.dimensions, config_fingerprint(settings))
            with _lock:
                provider = _cache.get(cache_key)
                if provider is None:
                    from shared.providers.embeddings.openai import OpenAIEmbeddingProvider

                    provider = _cache[cache_key] = OpenAIEmbeddingProvider(settings, name.value)
            return provider
    raise ValueError(f"unknown embeddings provider {name!r}")


@lru_cache(maxsize=4)
def _local(batch_size: int, torch_threads: int) -> EmbeddingProvider:
    from shared.providers.embeddings.local import MODEL_NAME, LocalEmbeddingProvider, model_dir

    return LocalEmbeddingProvider(
        model_dir(), name=MODEL_NAME, batch_size=batch_size, torch_threads=torch_threads
    )
