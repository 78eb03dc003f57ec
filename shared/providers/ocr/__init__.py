from shared.providers.ocr.base import (
    DocumentOcrProvider,
    DocumentOcrResult,
    OcrLine,
    OcrPage,
    OcrProvider,
    OcrResult,
)
from shared.providers.ocr.factory import get_ocr_provider

__all__ = [
    "DocumentOcrProvider",
    "DocumentOcrResult",
    "OcrLine",
    "OcrPage",
    "OcrProvider",
    "OcrResult",
    "get_ocr_provider",
]
