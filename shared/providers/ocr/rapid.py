"""Local OCR with RapidOCR (PP-OCRv4 detection and recognition models run by ONNX Runtime on the CPU).

Two adjustments make the bundled models fit Latin-script documents:
- The 0/180 degree line classifier is off. On upright pages it flips ordinary lines with many descenders
  ("grew by twelve percent ...") and turns them into garbage: in bench/ocr.py it triples the mean
  character error rate (0.054 -> 0.153, 0.41 on one page). The price: a page scanned upside down or
  sideways is not turned; it comes back as garbage with a low confidence.
- The recognition model is trained mostly on Chinese and often drops the space between Latin words
  ("Operating costsstayed flatwhile"). Spaces are restored from the image: between two recognised
  characters whose gap on the page holds a blank vertical strip as wide as a space. It also emits
  full-width punctuation (U+FF09 for ")"), folded to ASCII with NFKC.
"""

from __future__ import annotations

import threading
import unicodedata
from importlib import metadata
from typing import TYPE_CHECKING, Any, cast

import numpy as np

from shared.providers.ocr.base import OcrLine, OcrResult, build_result

if TYPE_CHECKING:
    from PIL import Image

# A blank strip between two characters is a word space when it is at least this many times
# sqrt(line height x median character pitch). Measured on ~4,400 character pairs (DejaVu Sans, 9-18 pt,
# 150-300 dpi, noisy, blurred, rotated): gaps inside words reach 0.326, spaces start at 0.338 (one
# outlier at 0.26); either yardstick alone separated the two groups less cleanly.
_SPACE_GAP = 0.333
# A line's character pitch is usually about half its detected box height; used for very short lines.
_PITCH_OF_LINE_HEIGHT = 0.5
_NO_SPACE_BEFORE = set(".,:;!?%)]}")
_NO_SPACE_AFTER = set("([{")


def _version() -> str:
    try:
        return metadata.version("rapidocr_onnxruntime")
    except metadata.PackageNotFoundError:
        return "unknown"


class RapidOcrProvider:
    """OCR on the CPU. The engine is created on first use; calls are serialised because the engine
    keeps per-call options on itself and ONNX Runtime already uses `threads` cores per call."""

    name = "local"

    def __init__(self, threads: int) -> None:
        self.threads = threads
        self.model = f"rapidocr-onnxruntime-{_version()}"
        self._engine: Any = None
        self._lock = threading.Lock()

    def _get_engine(self) -> Any:
        if self._engine is None:
            from rapidocr_onnxruntime import RapidOCR

            self._engine = RapidOCR(intra_op_num_threads=self.threads, inter_op_num_threads=1, use_cls=False)
        return self._engine

    def recognize(self, image: Image.Image) -> OcrResult:
        gray = to_grayscale_array(image)
        height, width = gray.shape
        with self._lock:
            engine = self._get_engine()
            found, elapsed = engine(gray, use_cls=False, return_word_box=True)
        lines: list[OcrLine] = []
        raw_lines: list[dict[str, Any]] = []
        for box, text, score, char_boxes, chars, _char_scores in found or ():
            restored = unicodedata.normalize("NFKC", restore_spaces(gray, text, chars, char_boxes))
            points = [[round(float(x), 1), round(float(y), 1)] for x, y in box]
            xs, ys = [p[0] for p in points], [p[1] for p in points]
            bbox = (
                max(0, int(min(xs))),
                max(0, int(min(ys))),
                min(width, round(max(xs))),
                min(height, round(max(ys))),
            )
            lines.append(OcrLine(text=restored.strip(), confidence=float(score), bbox=bbox))
            raw_lines.append(
                {"box": points, "text": text, "text_with_spaces": restored, "score": float(score)}
            )
        raw = {
            "engine": "rapidocr_onnxruntime",
            "model": self.model,
            "width": width,
            "height": height,
            "elapsed_seconds": [float(value) for value in elapsed or ()],
            "lines": raw_lines,
        }
        return build_result(lines, raw)


def to_grayscale_array(image: Image.Image) -> np.ndarray:
    """An 8-bit grayscale array of any PIL image; transparency is laid on white, as a viewer shows it."""
    from PIL import Image

    if image.mode in ("I", "I;16", "I;16B", "I;16L", "F"):
        values = np.asarray(image, dtype=np.float64)
        low, high = float(values.min()), float(values.max())
        scaled = (values - low) * (255.0 / (high - low)) if high > low else np.full_like(values, 255.0)
        return scaled.astype(np.uint8)
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        image = Image.alpha_composite(background, rgba)
    if image.mode != "L":
        image = image.convert("L")
    return np.ascontiguousarray(np.asarray(image, dtype=np.uint8))


def restore_spaces(gray: np.ndarray, text: str, chars: list[str], char_boxes: list[list[list[int]]]) -> str:
    """`text` with a space inserted between adjacent characters separated by a blank strip on the page.

    `chars` and `char_boxes` are the engine's per-character output (boxes in page pixels, in reading
    order). When they do not line up with `text` the text is returned unchanged.
    """
    if len(chars) != len(char_boxes) or "".join(chars) != text or len(chars) < 2:
        return text
    boxes = [np.asarray(box, dtype=np.float64) for box in char_boxes]
    centres = [float(box[:, 0].mean()) for box, char in zip(boxes, chars, strict=True) if char != " "]
    line_height = float(max(box[:, 1].max() for box in boxes) - min(box[:, 1].min() for box in boxes))
    steps = np.diff(centres)
    pitch = float(np.median(steps)) if len(steps) >= 2 else _PITCH_OF_LINE_HEIGHT * line_height
    if pitch <= 0 or line_height <= 0:
        return text
    min_gap = _SPACE_GAP * (line_height * pitch) ** 0.5
    out = [chars[0]]
    for index in range(1, len(chars)):
        previous, current = chars[index - 1], chars[index]
        if (
            previous != " "
            and current != " "
            and current not in _NO_SPACE_BEFORE
            and previous not in _NO_SPACE_AFTER
            and _blank_width(gray, boxes[index - 1], boxes[index]) >= min_gap
        ):
            out.append(" ")
        out.append(current)
    return "".join(out)


def _blank_width(gray: np.ndarray, left: np.ndarray, right: np.ndarray) -> int:
    """The widest run of ink-free pixel columns between the centres of two character boxes."""
    x0 = max(0, round(float(left[:, 0].mean())))
    x1 = min(gray.shape[1], round(float(right[:, 0].mean())))
    y0 = max(0, int(min(left[:, 1].min(), right[:, 1].min())))
    y1 = min(gray.shape[0], int(max(left[:, 1].max(), right[:, 1].max())))
    # The outer rows of a detected box can hold neighbouring lines' ascenders and descenders.
    trim = max(1, (y1 - y0) // 10)
    strip = gray[y0 + trim : y1 - trim, x0:x1]
    if strip.size == 0:
        return 0
    darkest, lightest = int(strip.min()), int(strip.max())
    if lightest - darkest < 48:
        return 0  # no contrast, no ink to separate
    # Reduced along an axis, a 2-D array gives an array (numpy types it as possibly a scalar).
    blank = cast("np.ndarray", (strip > (darkest + lightest) / 2).all(axis=0))
    longest = run = 0
    for is_blank in blank:
        run = run + 1 if is_blank else 0
        longest = max(longest, run)
    return longest
