from __future__ import annotations

from shared.config import LlmProviderName, LlmSettings
from shared.providers.embeddings.base import EmbeddingProvider
from shared.providers.llm.base import AnalysisProvider

_cache: dict[tuple[object, ...], AnalysisProvider] = {}


def get_analysis_provider(llm: LlmSettings, embeddings: EmbeddingProvider) -> AnalysisProvider:
    """The configured analyser, one per process, settings and embedding provider."""
    cache_key = (llm.provider, llm.model_dump_json(), id(embeddings))
    provider = _cache.get(cache_key)
    if provider is None:
        match llm.provider:
            case LlmProviderName.LOCAL:
                from shared.providers.llm.local import LocalAnalysisProvider

                provider = LocalAnalysisProvider(llm, embeddings)
            case _:
                raise ValueError(f"unknown analysis provider {llm.provider!r}")
        _cache[cache_key] = provider
    return provider
