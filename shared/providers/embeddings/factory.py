from __future__ import annotations

from functools import lru_cache

from shared.config import EmbeddingsProviderName, EmbeddingsSettings
from shared.providers.embeddings.base import EmbeddingProvider


def get_embedding_provider(settings: EmbeddingsSettings) -> EmbeddingProvider:
    """The configured provider, one per process and configuration (its model loads on first use)."""
    return _provider(settings.provider, settings.batch_size, settings.torch_threads)


@lru_cache(maxsize=4)
def _provider(name: EmbeddingsProviderName, batch_size: int, torch_threads: int) -> EmbeddingProvider:
    match name:
        case EmbeddingsProviderName.LOCAL:
            from shared.providers.embeddings.local import MODEL_NAME, LocalEmbeddingProvider, model_dir

            return LocalEmbeddingProvider(
                model_dir(), name=MODEL_NAME, batch_size=batch_size, torch_threads=torch_threads
            )
    raise ValueError(f"unknown embeddings provider {name!r}")
