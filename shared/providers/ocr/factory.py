from __future__ import annotations

import threading
from functools import lru_cache
from typing import TYPE_CHECKING

from shared.config import OcrProviderName, OcrSettings
from shared.providers.ocr.base import OcrProvider

if TYPE_CHECKING:
    from shared.providers.ocr.azure import AzureDocumentIntelligenceProvider

_lock = threading.Lock()
_services: dict[tuple[object, ...], AzureDocumentIntelligenceProvider] = {}


def get_ocr_provider(settings: OcrSettings) -> OcrProvider:
    """The configured OCR provider, one per process and configuration (its model or client is made on
    first use)."""
    if settings.provider is OcrProviderName.AZURE:
        return get_document_intelligence(settings)
    return _provider(settings.provider, settings.threads)


def get_document_intelligence(settings: OcrSettings) -> AzureDocumentIntelligenceProvider:
    """Document Intelligence as configured, for OCR or its prebuilt extraction models: one client per
    process and configuration, keyed by every setting, the key included (SecretStr compares and
    hashes by its value)."""
    key = tuple(sorted(settings.model_dump().items()))
    with _lock:
        provider = _services.get(key)
        if provider is None:
            from shared.providers.ocr.azure import AzureDocumentIntelligenceProvider

            provider = _services[key] = AzureDocumentIntelligenceProvider(settings)
        return provider


@lru_cache(maxsize=4)
def _provider(name: OcrProviderName, threads: int) -> OcrProvider:
    match name:
        case OcrProviderName.LOCAL:
            from shared.providers.ocr.rapid import RapidOcrProvider

            return RapidOcrProvider(threads=threads)
    raise ValueError(f"unknown OCR provider {name!r}")
