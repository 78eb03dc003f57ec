"""PDF pages: the text layer where it is usable, otherwise the page OCRed.

With a local OCR engine a page is rendered and read on its own. With a document OCR service the
original file is sent with the pages to read, a batch of pages without a text layer per request, and
the results are handed out in page order; a page with a usable text layer is never sent.

One page is open at a time and its bitmap, text page and page handles are closed before the next one,
so memory stays flat however long the document is (plus one batch of results from a service).
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
from shared.pipeline.extract.base import (
    AnalyzedPages,
    ExtractedPage,
    UnreadableDocument,
    document_ocr,
    ocr_image,
)
from shared.providers.ocr import OcrProvider

# PDFium is not thread-safe; every call into it in this process goes through this lock.
_PDFIUM_LOCK = threading.RLock()

# The images of one page may declare at most the pixel limit in all, but never less than this: a limit
# lowered to bound OCR work must not refuse ordinary scans (a 600 dpi A4 colour scan has 35M pixels),
# which are rendered at a capped scale however large they are.
_EMBEDDED_PIXELS_FLOOR = 64_000_000

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
        service = document_ocr(ocr)
        self._analyzed = AnalyzedPages(service, path, "application/pdf") if service else None
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
        if self._analyzed is not None and self._analyzed.holds(page_no):
            return self._analyzed.page(page_no, lambda: [page_no])
        page = self._open(index)
        try:
            width, height, text = _read_text_layer(page)
            if not self._needs_ocr(text):
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
            if self._analyzed is not None:
                size = self._analyzed.batch_size
                return self._analyzed.page(page_no, lambda: self._batch(index, size))
            return self._ocr_page(page, page_no, width, height)
        finally:
            with _PDFIUM_LOCK:
                page.close()

    def _open(self, index: int) -> pdfium.PdfPage:
        with _PDFIUM_LOCK:
            try:
                return self._pdf[index]
            except pdfium.PdfiumError as exc:
                raise UnreadableDocument(
                    "pdf_page_unreadable", f"Page {index + 1} of the PDF could not be read."
                ) from exc

    def _needs_ocr(self, text: str) -> bool:
        return self._settings.text_layer_pages or not has_usable_text(
            text, self._settings.text_layer_min_chars
        )

    def _batch(self, index: int, size: int) -> list[int]:
        """Page `index + 1` and the next pages that need OCR, `size` pages at most; the pages looked at
        on the way are closed again (their text layers are read again when their turn comes)."""
        batch = [index + 1]
        ahead = index + 1
        while len(batch) < size and ahead < self.page_count:
            page = self._open(ahead)
            try:
                if self._needs_ocr(_read_text_layer(page)[2]):
                    batch.append(ahead + 1)
            finally:
                with _PDFIUM_LOCK:
                    page.close()
            ahead += 1
        return batch

    def _ocr_page(self, page: pdfium.PdfPage, page_no: int, width: float, height: float) -> ExtractedPage:
        self._check_images(page, page_no)
        scale = render_scale(width, height, self._settings.render_dpi, self._limits.max_image_pixels)
        with _PDFIUM_LOCK:
            bitmap = page.render(scale=scale, grayscale=True)
        try:
            # The image shares the bitmap's memory: it is used only until the bitmap is closed below.
            return ocr_image(self._ocr, page_no, bitmap.to_pil())
        finally:
            with _PDFIUM_LOCK:
                bitmap.close()

    def _check_images(self, page: pdfium.PdfPage, page_no: int) -> None:
        """Rendering decodes each image on the page at its own full size, whatever the scale the page is
        drawn at: a page whose images declare too many pixels is refused before it is drawn. Sizes come
        from the images' dictionaries; nothing is decoded here."""
        limit = max(self._limits.max_image_pixels, _EMBEDDED_PIXELS_FLOOR)
        total = 0
        with _PDFIUM_LOCK:
            for image in page.get_objects(filter=(pdfium_c.FPDF_PAGEOBJ_IMAGE,)):
                width, height = image.get_px_size()
                total += width * height
                if total > limit:
                    raise UnreadableDocument(
                        "image_too_large",
                        f"Page {page_no} holds images of more than {limit:,} pixels (one is {width}x{height}); "
                        "that is more than can be processed.",
                    )

    def close(self) -> None:
        with _PDFIUM_LOCK:
            self._pdf.close()


def _read_text_layer(page: pdfium.PdfPage) -> tuple[float, float, str]:
    """The page's size in points and its text layer, cleaned."""
    with _PDFIUM_LOCK:
        width, height = page.get_size()
        textpage = page.get_textpage()
        try:
            return width, height, _clean(textpage.get_text_range())
        finally:
            textpage.close()


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
