"""Extraction: the text of each page of an uploaded file, from its text layer, its own content or OCR."""

from __future__ import annotations

from pathlib import Path

from shared.config import LimitsSettings, OcrSettings
from shared.pipeline.extract.base import DocumentReader, ExtractedPage, UnreadableDocument
from shared.providers.ocr import OcrProvider

PDF = "application/pdf"
PNG = "image/png"
JPEG = "image/jpeg"
TIFF = "image/tiff"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
TEXT = "text/plain"
CONTENT_TYPES = (PDF, PNG, JPEG, TIFF, DOCX, TEXT)

__all__ = [
    "CONTENT_TYPES",
    "DocumentReader",
    "ExtractedPage",
    "UnreadableDocument",
    "open_document",
]


def open_document(
    path: Path,
    content_type: str,
    ocr: OcrProvider,
    ocr_settings: OcrSettings,
    limits: LimitsSettings,
) -> DocumentReader:
    """A reader for the file at `path`; raises UnreadableDocument when it cannot be read at all.

    The caller closes the reader. Each format's library is imported only when a file of that format
    is opened. When `ocr` also reads whole documents (a `DocumentOcrProvider`), PDFs, images and TIFFs
    are sent to it as files, in batches of pages, rather than rendered and read a page at a time.
    """
    kind = content_type.split(";", 1)[0].strip().lower()
    if kind == PDF:
        from shared.pipeline.extract.pdf import PdfReader

        return PdfReader(path, ocr, ocr_settings, limits)
    if kind in (PNG, JPEG, TIFF):
        from shared.pipeline.extract.image import ImageReader

        return ImageReader(path, ocr, limits, multi_frame=kind == TIFF, content_type=kind)
    if kind == DOCX:
        from shared.pipeline.extract.docx import DocxReader

        return DocxReader(path)
    if kind == TEXT:
        from shared.pipeline.extract.text import TextReader

        return TextReader(path)
    raise UnreadableDocument("unsupported_type", f"Files of type {content_type!r} cannot be processed.")
