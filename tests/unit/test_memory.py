"""Extraction keeps one page in memory at a time: peak memory does not grow with the page count."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from testkit import documents as make

# Draws 64 scanned pages, then renders them in processes of their own.
pytestmark = pytest.mark.slow

MEASURE = textwrap.dedent(
    """
    import resource, sys
    from pathlib import Path
    from PIL import Image
    from shared.config import LimitsSettings, OcrSettings
    from shared.pipeline.extract import open_document
    from shared.providers.ocr.base import build_result

    class CountingOcr:
        # A provider that reads nothing: what is measured is rendering and the reader, not a model.
        name, model = "count", "count"
        def __init__(self):
            self.calls = 0
        def recognize(self, image: Image.Image):
            self.calls += 1
            return build_result([], {"size": image.size})

    ocr = CountingOcr()
    reader = open_document(Path(sys.argv[1]), "application/pdf", ocr, OcrSettings(), LimitsSettings())
    pages = sum(1 for _ in reader.pages())
    reader.close()
    print(pages, ocr.calls, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024)
    """
)


def _peak_mb(pdf: Path) -> tuple[int, int, int]:
    result = subprocess.run(
        [sys.executable, "-c", MEASURE, str(pdf)], capture_output=True, text=True, timeout=600,
        cwd=Path(__file__).resolve().parents[2],
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    pages, calls, peak = map(int, result.stdout.split())
    return pages, calls, peak


def test_peak_memory_is_flat_in_the_number_of_scanned_pages(tmp_path: Path) -> None:
    few, many = tmp_path / "few.pdf", tmp_path / "many.pdf"
    few.write_bytes(make.scanned_pdf(make.sample_pages(4), noise=0, rotation=0))
    many.write_bytes(make.scanned_pdf(make.sample_pages(60), noise=0, rotation=0))
    few_pages, few_calls, few_peak = _peak_mb(few)
    many_pages, many_calls, many_peak = _peak_mb(many)
    assert (few_pages, few_calls, many_pages, many_calls) == (4, 4, 60, 60)
    # Each rendered A4 page at 200 dpi is about 4 MB; keeping the 56 extra pages would add over 200 MB.
    assert many_peak - few_peak < 40, (few_peak, many_peak)
