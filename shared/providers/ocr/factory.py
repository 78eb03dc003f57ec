from __future__ import annotations

from functools import lru_cache

from shared.config import OcrProviderName, OcrSettings
from shared.providers.ocr.base import OcrProvider


def get_ocr_provider(settings: OcrSettings) -> OcrProvider:
    """The configured OCR provider, one per process and configuration (its model loads on first use)."""
    return _provider(settings.provider, settings.threads)


@lru_cache(maxsize=4)
def _provider(name: OcrProviderName, threads: int) -> OcrProvider:
    match name:
        case OcrProviderName.LOCAL:
            from shared.providers.ocr.rapid import RapidOcrProvider

            return RapidOcrProvider(threads=threads)
    raise ValueError(f"unknown OCR provider {name!r}")
