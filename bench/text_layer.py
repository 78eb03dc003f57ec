"""Text-layer extraction: a raw pypdfium2 loop against our PDF reader on a generated 200-page PDF
with a real text layer, both measured in this run. Our reader also decides per page whether the layer
is usable (never OCRing here: the OCR provider given to it refuses to be called). Best of three runs.

    python -m bench.text_layer
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

import pypdfium2 as pdfium
from PIL import Image

from bench.report import print_table
from shared.config import LimitsSettings, OcrSettings
from shared.pipeline.extract import open_document
from shared.providers.ocr import OcrResult
from testkit.documents import LOREM, text_pdf

PAGES = 200
RUNS = 3


class RefusingOcr:
    """Fails the benchmark if any text-layer page were OCRed."""

    name = "none"
    model = "none"

    def recognize(self, image: Image.Image) -> OcrResult:
        raise AssertionError("a text-layer page was sent to OCR")


def raw_loop(path: Path) -> int:
    pdf = pdfium.PdfDocument(path)
    chars = 0
    for index in range(len(pdf)):
        page = pdf[index]
        textpage = page.get_textpage()
        chars += len(textpage.get_text_range())
        textpage.close()
        page.close()
    pdf.close()
    return chars


def ours(path: Path) -> int:
    reader = open_document(path, "application/pdf", RefusingOcr(), OcrSettings(), LimitsSettings())
    chars = sum(len(page.text) for page in reader.pages())
    reader.close()
    return chars


def best_of(run, path: Path) -> float:
    times = []
    for _ in range(RUNS):
        started = time.perf_counter()
        run(path)
        times.append(time.perf_counter() - started)
    return min(times)


def main() -> None:
    body = "\n".join([LOREM] * 6)
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "text.pdf"
        path.write_bytes(text_pdf([f"Page {n}\n{body}" for n in range(1, PAGES + 1)]))
        chars = ours(path)
        raw_seconds = best_of(raw_loop, path)
        ours_seconds = best_of(ours, path)
    print_table(
        f"Text layer: {PAGES}-page PDF, {chars // PAGES} characters per page",
        ["path", "pages", "seconds", "pages/s"],
        [
            ["raw pypdfium2 loop (get_textpage().get_text_range())", PAGES, raw_seconds, PAGES / raw_seconds],
            ["ours: open_document().pages()", PAGES, ours_seconds, PAGES / ours_seconds],
        ],
    )


if __name__ == "__main__":
    main()
