from __future__ import annotations

import threading

from shared.config import LlmProviderName, Settings
from shared.providers.embeddings.base import EmbeddingProvider
from shared.providers.llm.base import AnalysisProvider
from shared.providers.openai_client import config_fingerprint

_cache: dict[tuple[object, ...], AnalysisProvider] = {}
_lock = threading.Lock()


def get_analysis_provider(settings: Settings, embeddings: EmbeddingProvider) -> AnalysisProvider:
    """The analyser LLM_PROVIDER selects, one per process and configuration. The local analyser works
    with `embeddings`; the chat models of OpenAI and Azure OpenAI do not need them."""
    llm = settings.llm
    match llm.provider:
        case LlmProviderName.LOCAL:
            cache_key: tuple[object, ...] = (llm.provider, llm.model_dump_json(), id(embeddings))
        case LlmProviderName.OPENAI | LlmProviderName.AZURE_OPENAI:
            cache_key = (llm.provider, llm.model_dump_json(), config_fingerprint(settings))
        case _:
            raise ValueError(f"unknown analysis provider {llm.provider!r}")
    with _lock:
        provider = _cache.get(cache_key)
        if provider is None:
            provider = _cache[cache_key] = _build(settings, embeddings)
    return provider


def _build(settings: Settings, embeddings: EmbeddingProvider) -> AnalysisProvider:
    if settings.llm.provider is LlmProviderName.LOCAL:
        from shared.providers.llm.local import LocalAnalysisProvider

        return LocalAnalysisProvider(settings.llm, embeddings)
    from shared.providers.llm.openai import OpenAIAnalysisProvider

    return OpenAIAnalysisProvider(settings, settings.llm.provider.value)
