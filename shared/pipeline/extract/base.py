"""What every document reader yields: pages, one at a time, with where their text came from."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, Protocol

from shared.providers.ocr import DocumentOcrProvider, OcrPage, OcrProvider, OcrResult

PageSource = Literal["text_layer", "ocr", "native"]

# DOCX and TXT have no pages of their own; they are cut into pages of about this many characters.
PAGE_CHARS = 3000
_LAST_SPACE = re.compile(r"\s(?=\S*$)")


@dataclass(frozen=True)
class ExtractedPage:
    page_no: int  # 1-based
    text: str
    source: PageSource
    confidence: float | None  # OCR confidence 0..1; None when not OCRed
    width: int | None  # pixels of the OCRed image, or PDF points for text-layer pages
    height: int | None
    lines: list[dict[str, Any]] | None  # OcrLine.as_dict() for OCR pages
    raw: dict[str, Any] | None  # OcrResult.raw for OCR pages
    # Provider output that covers several pages (a document OCR request), by name, on the first page
    # made from it: stored beside the pages as JSON documents.
    artifacts: dict[str, dict[str, Any]] | None = None


class UnreadableDocument(Exception):
    """The file cannot be read, and retrying cannot help. `message` is meant for the end user."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


class DocumentReader(Protocol):
    page_count: int  # known when the reader is opened

    def pages(self, start_after: int = 0) -> Iterator[ExtractedPage]:
        """Pages with page_no > start_after, in order, made one at a time."""
        ...

    def close(self) -> None: ...


def ocr_page(
    page_no: int,
    result: OcrResult,
    width: int,
    height: int,
    artifacts: dict[str, dict[str, Any]] | None = None,
) -> ExtractedPage:
    return ExtractedPage(
        page_no=page_no,
        text=result.text,
        source="ocr",
        confidence=result.confidence,
        width=width,
        height=height,
        lines=[line.as_dict() for line in result.lines],
        raw=result.raw,
        artifacts=artifacts,
    )


def ocr_image(ocr: OcrProvider, page_no: int, image: Any) -> ExtractedPage:
    """OCR one PIL image as page `page_no`."""
    return ocr_page(page_no, ocr.recognize(image), image.width, image.height)


def document_ocr(ocr: OcrProvider) -> DocumentOcrProvider | None:
    """`ocr` when it reads whole documents, else None."""
    return ocr if isinstance(ocr, DocumentOcrProvider) else None


class AnalyzedPages:
    """Pages read by a document OCR provider a batch per request and handed out one at a time.

    Only the current batch is held, so memory is bounded by `pages_per_request` pages of results.
    """

    def __init__(self, ocr: DocumentOcrProvider, path: Path, content_type: str) -> None:
        self._ocr = ocr
        self._path = path
        self._content_type = content_type
        self._pending: dict[int, OcrPage] = {}

    def holds(self, page_no: int) -> bool:
        """Whether page `page_no` was read by the last request and not handed out yet."""
        return page_no in self._pending

    @property
    def batch_size(self) -> int:
        return max(1, self._ocr.pages_per_request)

    def page(self, page_no: int, batch: Callable[[], list[int] | None]) -> ExtractedPage:
        """Page `page_no`, from the batch being handed out or else from a new request for `batch()`
        (the pages to read with it, `page_no` first; None: the whole file)."""
        artifacts = None
        if page_no not in self._pending:
            self._pending = {}
            result = self._ocr.analyze(self._path, self._content_type, batch())
            self._pending = dict(result.pages)
            read = sorted(result.pages)
            if read:
                artifacts = {f"{self._ocr.name}-analyze-pages-{read[0]}-{read[-1]}": result.raw}
        page = self._pending.pop(page_no, None)
        if page is None:
            raise UnreadableDocument(
                "ocr_page_missing", f"Page {page_no} was not returned by the OCR service."
            )
        return ocr_page(page_no, page.result, page.width, page.height, artifacts)


class NativePages:
    """A reader over pages already split in memory (DOCX and text files, at most the upload limit)."""

    def __init__(self, pages: list[str]) -> None:
        self._pages = pages
        self.page_count = len(pages)

    def pages(self, start_after: int = 0) -> Iterator[ExtractedPage]:
        for index in range(max(0, start_after), self.page_count):
            yield native_page(index + 1, self._pages[index])

    def close(self) -> None:
        self._pages = []


def native_page(page_no: int, text: str) -> ExtractedPage:
    return ExtractedPage(
        page_no=page_no,
        text=text,
        source="native",
        confidence=None,
        width=None,
        height=None,
        lines=None,
        raw=None,
    )


def split_long(text: str, limit: int = PAGE_CHARS) -> list[str]:
    """`text` cut into pieces of at most about `limit` characters: at line breaks when possible, else
    at whitespace, else (one unbroken run of characters) hard at `limit`."""
    pieces: list[str] = []
    current: list[str] = []
    size = 0
    for line in text.split("\n"):
        start = 0
        while len(line) - start > limit:
            match = _LAST_SPACE.search(line, start, start + limit + 1)
            cut = match.start() if match and match.start() > start else start + limit
            if current:
                pieces.append("\n".join(current))
                current, size = [], 0
            pieces.append(line[start:cut])
            start = cut
            while start < len(line) and line[start].isspace():
                start += 1
        rest = line[start:] if start else line
        if current and size + 1 + len(rest) > limit:
            pieces.append("\n".join(current))
            current, size = [], 0
        size += len(rest) + (1 if current else 0)
        current.append(rest)
    if current:
        pieces.append("\n".join(current))
    return pieces


def trim_blank_pages(pages: list[str]) -> list[str]:
    """`pages` without whitespace-only pages at either end; one empty page when nothing is left."""
    first = next((i for i, page in enumerate(pages) if page.strip()), None)
    if first is None:
        return [""]
    last = max(i for i, page in enumerate(pages) if page.strip())
    return pages[first : last + 1]
