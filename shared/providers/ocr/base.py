"""OCR: the text of an image, line by line, with boxes and confidence.

Two capabilities: `OcrProvider` reads one page image (local engines); `DocumentOcrProvider` also reads
whole files (PDF, images, TIFF) in one call, for services billed and called per document.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

if TYPE_CHECKING:
    from PIL import Image


@dataclass(frozen=True)
class OcrLine:
    text: str
    confidence: float  # 0..1
    bbox: tuple[int, int, int, int]  # x0, y0, x1, y1 in image pixels

    def as_dict(self) -> dict[str, Any]:
        return {"text": self.text, "confidence": self.confidence, "bbox": list(self.bbox)}


@dataclass(frozen=True)
class OcrResult:
    text: str  # rows in reading order, "\n" between rows; lines on one visual row joined by a space
    lines: list[OcrLine]
    confidence: float | None  # mean line confidence weighted by characters; None when no text
    raw: dict[str, Any]  # the provider's full output, JSON-serialisable


class OcrProvider(Protocol):
    """Reads the text of one page image. Implementations load their model on first use."""

    name: str
    model: str

    def recognize(self, image: Image.Image) -> OcrResult:
        """The text of `image` (any PIL mode) in reading order."""
        ...


@dataclass(frozen=True)
class OcrPage:
    """One page of a document read as a whole, sized in the pixels its line boxes use."""

    page_no: int  # 1-based, in the original document
    width: int
    height: int
    result: OcrResult


@dataclass(frozen=True)
class DocumentOcrResult:
    pages: dict[int, OcrPage]  # page_no -> page, for every page asked for
    raw: dict[str, Any]  # the service's full output for the request, JSON-serialisable


@runtime_checkable
class DocumentOcrProvider(OcrProvider, Protocol):
    """An OCR service that reads whole files, so one request covers many pages.

    Readers prefer `analyze` when the provider has it: they send the original file once per batch of
    `pages_per_request` pages instead of one rendered image per page.
    """

    pages_per_request: int

    def analyze(self, path: Path, content_type: str, pages: Sequence[int] | None = None) -> DocumentOcrResult:
        """The text of `pages` (1-based; None: the whole file) of the file at `path`.

        Raises ProviderRejected when the service cannot read the file (or it exceeds the service's
        limits, checked before anything is sent) and ProviderUnavailable when it may succeed later.
        """
        ...


def reading_order(lines: Sequence[OcrLine]) -> list[list[OcrLine]]:
    """Group lines into visual rows (top to bottom), each row's lines left to right.

    Two lines share a row when their vertical spans overlap by at least half the smaller height, so a
    label and its value printed side by side read as one row, while lines that merely touch do not.
    """
    rows: list[list[OcrLine]] = []
    spans: list[tuple[int, int]] = []
    for line in sorted(lines, key=lambda item: (item.bbox[1], item.bbox[0])):
        _, y0, _, y1 = line.bbox
        for index, (top, bottom) in enumerate(spans):
            overlap = min(bottom, y1) - max(top, y0)
            if overlap >= 0.5 * max(1, min(bottom - top, y1 - y0)):
                rows[index].append(line)
                spans[index] = (min(top, y0), max(bottom, y1))
                break
        else:
            rows.append([line])
            spans.append((y0, y1))
    ordered = sorted(zip(spans, rows, strict=True), key=lambda pair: pair[0][0])
    return [sorted(row, key=lambda item: item.bbox[0]) for _, row in ordered]


def build_result(lines: Sequence[OcrLine], raw: dict[str, Any]) -> OcrResult:
    """The page text and confidence from recognised lines, whatever engine produced them."""
    kept = [line for line in lines if line.text.strip()]
    rows = reading_order(kept)
    text = "\n".join(" ".join(line.text for line in row) for row in rows)
    ordered = [line for row in rows for line in row]
    chars = sum(len(line.text) for line in ordered)
    confidence = sum(line.confidence * len(line.text) for line in ordered) / chars if chars else None
    return OcrResult(text=text, lines=ordered, confidence=confidence, raw=raw)
