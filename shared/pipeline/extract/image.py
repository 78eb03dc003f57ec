"""Images: PNG and JPEG are one OCRed page; every TIFF frame is a page, decoded one at a time.

A document OCR service gets the file itself (a TIFF with the frames to read, a batch per request); the
frames are then never decoded here, only their headers checked against the pixel limit.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from pathlib import Path

from PIL import Image, ImageOps, UnidentifiedImageError

from shared.config import LimitsSettings
from shared.pipeline.extract.base import (
    AnalyzedPages,
    ExtractedPage,
    UnreadableDocument,
    document_ocr,
    ocr_image,
)
from shared.providers.ocr import OcrProvider

_DECODE_ERRORS = (OSError, SyntaxError, ValueError, EOFError, Image.DecompressionBombError)


class ImageReader:
    """Reads the image header on open; decodes each frame only when its page is asked for."""

    def __init__(
        self,
        path: Path,
        ocr: OcrProvider,
        limits: LimitsSettings,
        *,
        multi_frame: bool,
        content_type: str,
    ) -> None:
        self._ocr = ocr
        self._limits = limits
        service = document_ocr(ocr)
        self._analyzed = AnalyzedPages(service, path, content_type) if service else None
        self._multi_frame = multi_frame
        _allow_up_to(limits.max_image_pixels)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", Image.DecompressionBombWarning)
                self._image = Image.open(path)
        except Image.DecompressionBombError as exc:
            raise UnreadableDocument(
                "image_too_large",
                f"The image is larger than {limits.max_image_pixels:,} pixels, the most that can be processed.",
            ) from exc
        except UnidentifiedImageError as exc:
            raise UnreadableDocument(
                "image_unreadable", "The file is not an image that can be read."
            ) from exc
        except _DECODE_ERRORS as exc:
            raise UnreadableDocument("image_unreadable", f"The image could not be read: {exc}.") from exc
        try:
            self.page_count = _count_frames(self._image, limits.max_pages) if multi_frame else 1
        except _DECODE_ERRORS as exc:
            self.close()
            raise UnreadableDocument("image_unreadable", f"The image could not be read: {exc}.") from exc
        if self.page_count > limits.max_pages:
            self.close()
            raise UnreadableDocument(
                "too_many_pages",
                f"The image has more than {limits.max_pages} pages; at most {limits.max_pages} pages can be "
                "processed.",
            )
        self._check_size(1)

    def pages(self, start_after: int = 0) -> Iterator[ExtractedPage]:
        for index in range(max(0, start_after), self.page_count):
            yield self._page(index)

    def _page(self, index: int) -> ExtractedPage:
        page_no = index + 1
        if self._analyzed is not None:
            size = self._analyzed.batch_size
            return self._analyzed.page(page_no, lambda: self._batch(index, size))
        try:
            self._image.seek(index)
            self._check_size(page_no)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", Image.DecompressionBombWarning)
                self._image.load()
        except _DECODE_ERRORS as exc:
            where = f"Page {page_no} of the image" if self.page_count > 1 else "The image"
            raise UnreadableDocument("image_unreadable", f"{where} could not be read: {exc}.") from exc
        return ocr_image(self._ocr, page_no, _upright(self._image) if index == 0 else self._image)

    def _batch(self, index: int, size: int) -> list[int] | None:
        """The frames to send with frame `index`, their sizes checked (headers only); None: the file's
        only image."""
        if not self._multi_frame:
            return None
        numbers = range(index + 1, min(index + size, self.page_count) + 1)
        for page_no in numbers:
            try:
                self._image.seek(page_no - 1)
            except _DECODE_ERRORS as exc:
                raise UnreadableDocument(
                    "image_unreadable", f"Page {page_no} of the image could not be read: {exc}."
                ) from exc
            self._check_size(page_no)
        return list(numbers)

    def _check_size(self, page_no: int) -> None:
        width, height = self._image.size
        if width * height > self._limits.max_image_pixels:
            where = f"Page {page_no} of the image" if self.page_count > 1 else "The image"
            raise UnreadableDocument(
                "image_too_large",
                f"{where} has {width}x{height} pixels; at most {self._limits.max_image_pixels:,} pixels "
                "can be processed.",
            )

    def close(self) -> None:
        self._image.close()


def _count_frames(image: Image.Image, limit: int) -> int:
    """The number of frames, counting stops at `limit` + 1. Pillow's own count (`n_frames`) reads
    every directory in the file however many there are; seeking reads one directory per frame and
    decodes nothing."""
    frames = 1
    try:
        while frames <= limit:
            image.seek(frames)
            frames += 1
    except EOFError:
        pass
    image.seek(0)
    return frames


def _upright(image: Image.Image) -> Image.Image:
    """Phone photos are stored sideways with an EXIF tag saying how to turn them; a broken tag is
    ignored rather than failing a readable picture."""
    try:
        return ImageOps.exif_transpose(image)
    except Exception:
        return image


def _allow_up_to(max_pixels: int) -> None:
    """Pillow refuses images above its own global limit when opening them; ours is checked per frame
    (`_check_size`), so Pillow's is raised to ours when ours is higher, never lowered."""
    if Image.MAX_IMAGE_PIXELS is not None and max_pixels > Image.MAX_IMAGE_PIXELS:
        Image.MAX_IMAGE_PIXELS = max_pixels
