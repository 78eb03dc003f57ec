from __future__ import annotations

import threading

from shared.config import LlmProviderName, Settings
from shared.providers.answers.base import Answerer
from shared.providers.embeddings.base import EmbeddingProvider
from shared.providers.openai_client import config_fingerprint

_cache: dict[tuple[object, ...], Answerer] = {}
_lock = threading.Lock()


def get_answerer(settings: Settings, embeddings: EmbeddingProvider) -> Answerer:
    """The answerer LLM_PROVIDER selects, one per process and configuration: the chat model of OpenAI
    or Azure OpenAI, or the local extractive one, which quotes sentences chosen with `embeddings`."""
    llm = settings.llm
    match llm.provider:
        case LlmProviderName.LOCAL:
            cache_key: tuple[object, ...] = (llm.provider, id(embeddings))
        case LlmProviderName.OPENAI | LlmProviderName.AZURE_OPENAI:
            cache_key = (llm.provider, llm.model_dump_json(), config_fingerprint(settings))
        case _:
            raise ValueError(f"unknown answer provider {llm.provider!r}")
    with _lock:
        answerer = _cache.get(cache_key)
        if answerer is None:
            answerer = _cache[cache_key] = _build(settings, embeddings)
    return answerer


def _build(settings: Settings, embeddings: EmbeddingProvider) -> Answerer:
    if settings.llm.provider is LlmProviderName.LOCAL:
        from shared.providers.answers.local import LocalAnswerer

        return LocalAnswerer(embeddings)
    from shared.providers.answers.openai import OpenAIAnswerer

    return OpenAIAnswerer(settings, settings.llm.provider.value)
