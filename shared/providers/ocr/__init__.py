from shared.providers.ocr.base import OcrLine, OcrProvider, OcrResult
from shared.providers.ocr.factory import get_ocr_provider

__all__ = ["OcrLine", "OcrProvider", "OcrResult", "get_ocr_provider"]
