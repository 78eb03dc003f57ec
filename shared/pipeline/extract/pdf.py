"""PDF pages: the text layer where it is usable, otherwise the page rendered and OCRed.

One page is open at a time and its bitmap, text page and page handles are closed before the next one,
so memory stays flat however long the document is.
"""

from __future__ import annotations

import math
import threading
import unicodedata
from collections.abc import Iterator
from pathlib import Path

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c

from shared.config import LimitsSettings, OcrSettings
from shared.pipeline.extract.base import ExtractedPage, UnreadableDocument, ocr_image
from shared.providers.ocr import OcrProvider

# PDFium is not thread-safe; every call into it in this process goes through this lock.
_PDFIUM_LOCK = threading.RLock()

# A text layer where more than this share of the visible characters are replacement or control
# characters comes from a font without a usable Unicode map: OCR reads such a page better.
_MAX_BAD_SHARE = 0.2


class PdfReader:
    def __init__(
        self, path: Path, ocr: OcrProvider, ocr_settings: OcrSettings, limits: LimitsSettings
    ) -> None:
        self._ocr = ocr
        self._settings = ocr_settings
        self._limits = limits
        with _PDFIUM_LOCK:
            try:
                self._pdf = pdfium.PdfDocument(path)
            except pdfium.PdfiumError as exc:
                raise _open_error(exc) from exc
            self.page_count = len(self._pdf)
        if self.page_count > limits.max_pages:
            self.close()
            raise UnreadableDocument(
                "too_many_pages",
                f"The PDF has {self.page_count} pages; at most {limits.max_pages} pages can be processed.",
            )
        if self.page_count == 0:
            self.close()
            raise UnreadableDocument("empty_document", "The PDF has no pages.")

    def pages(self, start_after: int = 0) -> Iterator[ExtractedPage]:
        for index in range(max(0, start_after), self.page_count):
            yield self._page(index)

    def _page(self, index: int) -> ExtractedPage:
        page_no = index + 1
        with _PDFIUM_LOCK:
            try:
                page = self._pdf[index]
            except pdfium.PdfiumError as exc:
                raise UnreadableDocument(
                    "pdf_page_unreadable", f"Page {page_no} of the PDF could not be read."
                ) from exc
        try:
            with _PDFIUM_LOCK:
                width, height = page.get_size()
                textpage = page.get_textpage()
                try:
                    text = _clean(textpage.get_text_range())
                finally:
                    textpage.close()
            if has_usable_text(text, self._settings.text_layer_min_chars):
                return ExtractedPage(
                    page_no=page_no,
                    text=text,
                    source="text_layer",
                    confidence=None,
                    width=round(width),
                    height=round(height),
                    lines=None,
                    raw=None,
                )
            return self._ocr_page(page, page_no, width, height)
        finally:
            with _PDFIUM_LOCK:
                page.close()

    def _ocr_page(self, page: pdfium.PdfPage, page_no: int, width: float, height: float) -> ExtractedPage:
        scale = render_scale(width, height, self._settings.render_dpi, self._limits.max_image_pixels)
        with _PDFIUM_LOCK:
            bitmap = page.render(scale=scale, grayscale=True)
        try:
            # The image shares the bitmap's memory: it is used only until the bitmap is closed below.
            return ocr_image(self._ocr, page_no, bitmap.to_pil())
        finally:
            with _PDFIUM_LOCK:
                bitmap.close()

    def close(self) -> None:
        with _PDFIUM_LOCK:
            self._pdf.close()


def render_scale(width_pt: float, height_pt: float, dpi: int, max_pixels: int) -> float:
    """Points to pixels at `dpi`, lowered so the rendered page has at most `max_pixels` pixels."""
    width_pt, height_pt = max(width_pt, 1.0), max(height_pt, 1.0)
    scale = min(dpi / 72, math.sqrt(max_pixels / (width_pt * height_pt)))
    # PDFium rounds the bitmap size up to whole pixels.
    while scale > 0 and math.ceil(width_pt * scale) * math.ceil(height_pt * scale) > max_pixels:
        scale *= 0.999
    return scale


def has_usable_text(text: str, min_chars: int) -> bool:
    """Enough letters and digits, and not mostly replacement or control characters."""
    visible = [char for char in text if not char.isspace()]
    if sum(char.isalnum() for char in visible) < min_chars:
        return False
    bad = sum(char == "\ufffd" or unicodedata.category(char) in ("Cc", "Co", "Cn") for char in visible)
    return bad <= _MAX_BAD_SHARE * len(visible)


def _clean(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n").replace("\x00", "").strip()


def _open_error(exc: pdfium.PdfiumError) -> UnreadableDocument:
    if exc.err_code in (pdfium_c.FPDF_ERR_PASSWORD, pdfium_c.FPDF_ERR_SECURITY):
        return UnreadableDocument(
            "pdf_encrypted",
            "The PDF is protected with a password or an unsupported encryption; upload an unprotected copy.",
        )
    return UnreadableDocument("pdf_unreadable", f"The PDF could not be read: {_reason(exc)}.")


def _reason(exc: pdfium.PdfiumError) -> str:
    reasons = {
        pdfium_c.FPDF_ERR_FORMAT: "the file is damaged or is not a PDF",
        pdfium_c.FPDF_ERR_FILE: "the file could not be opened",
    }
    return reasons.get(exc.err_code, "the file is damaged or is not a PDF")
