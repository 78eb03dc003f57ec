from __future__ import annotations

import threading
from functools import lru_cache

from shared.config import OcrProviderName, OcrSettings
from shared.providers.ocr.base import OcrProvider

_lock = threading.Lock()
_services: dict[tuple[object, ...], OcrProvider] = {}


def get_ocr_provider(settings: OcrSettings) -> OcrProvider:
    """The configured OCR provider, one per process and configuration (its model or client is made on
    first use)."""
    if settings.provider is OcrProviderName.AZURE:
        # Keyed by every setting, the key included (SecretStr compares and hashes by its value).
        key = tuple(sorted(settings.model_dump().items()))
        with _lock:
            provider = _services.get(key)
            if provider is None:
                from shared.providers.ocr.azure import AzureDocumentIntelligenceProvider

                provider = _services[key] = AzureDocumentIntelligenceProvider(settings)
            return provider
    return _provider(settings.provider, settings.threads)


@lru_cache(maxsize=4)
def _provider(name: OcrProviderName, threads: int) -> OcrProvider:
    match name:
        case OcrProviderName.LOCAL:
            from shared.providers.ocr.rapid import RapidOcrProvider

            return RapidOcrProvider(threads=threads)
    raise ValueError(f"unknown OCR provider {name!r}")
