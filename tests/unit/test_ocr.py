"""The local OCR provider on real images, and the reading order it builds."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image, ImageDraw

from shared.config import OcrSettings
from shared.providers.ocr import OcrLine, get_ocr_provider
from shared.providers.ocr.base import build_result, reading_order
from shared.providers.ocr.rapid import to_grayscale_array
from testkit import documents

TEXT = "The supplier shall deliver the goods within ten working days.\nOperating costs stayed flat while sales grew."


@pytest.fixture(scope="module")
def ocr():
    return get_ocr_provider(OcrSettings())


def test_the_factory_returns_one_provider_per_configuration(ocr):
    assert get_ocr_provider(OcrSettings()) is ocr
    assert ocr.name == "local"
    assert ocr.model.startswith("rapidocr-onnxruntime-1.")


def test_recognize_returns_text_lines_confidence_and_serialisable_raw_output(ocr):
    image = documents.page_image(TEXT, full_page=False)
    result = ocr.recognize(image)

    assert documents.character_error_rate(TEXT, result.text) < 0.03, result.text
    assert len(result.lines) == 2
    top, bottom = result.lines
    assert top.bbox[1] < bottom.bbox[1]
    for line in result.lines:
        x0, y0, x1, y1 = line.bbox
        assert 0 <= x0 < x1 <= image.width and 0 <= y0 < y1 <= image.height
        assert 0.5 < line.confidence <= 1.0
        assert line.as_dict() == {"text": line.text, "confidence": line.confidence, "bbox": [x0, y0, x1, y1]}
    weighted = sum(line.confidence * len(line.text) for line in result.lines) / sum(
        len(line.text) for line in result.lines
    )
    assert result.confidence == pytest.approx(weighted)
    assert json.loads(json.dumps(result.raw))["lines"]


def test_word_spaces_survive_noise_and_small_print(ocr):
    # The bundled recognition model drops most spaces between Latin words on images like this one.
    image = documents.page_image(TEXT, font_pt=9, noise=25, blur=0.8, dpi=200, full_page=False)
    words = ocr.recognize(image).text.split()
    expected = TEXT.split()
    matched = sum(word in words for word in expected)
    assert matched >= len(expected) - 2, words


def test_an_upright_line_full_of_descenders_is_not_flipped(ocr):
    # With the 0/180-degree classifier on, this line came back as " a n sa       a".
    text = "grew by twelve percent compared with the previous quarter, driven by"
    result = ocr.recognize(documents.page_image(text, full_page=False))
    assert documents.character_error_rate(text, result.text) < 0.03, result.text


@pytest.mark.parametrize("mode", ["RGB", "RGBA", "P", "1", "I;16", "CMYK"])
def test_any_image_mode_is_read(ocr, mode):
    gray = documents.page_image("Mode test 123", full_page=False)
    if mode == "RGBA":
        # Black text on a transparent background: read as a viewer shows it, on white.
        image = Image.new("RGBA", gray.size, (0, 0, 0, 0))
        image.putalpha(Image.eval(gray, lambda v: 255 - v))
    elif mode == "I;16":
        image = Image.fromarray(np.asarray(gray, dtype=np.uint16) * 257)
        assert image.mode == "I;16"
    else:
        image = gray.convert(mode)
    assert ocr.recognize(image).text == "Mode test 123"


def test_to_grayscale_array_lays_transparency_on_white():
    image = Image.new("RGBA", (4, 4), (0, 0, 0, 0))
    assert to_grayscale_array(image).min() == 255


def test_a_blank_page_has_no_text_and_no_confidence(ocr):
    result = ocr.recognize(Image.new("L", (800, 600), 255))
    assert (result.text, result.lines, result.confidence) == ("", [], None)


def test_a_label_and_its_value_on_one_row_read_as_one_line(ocr):
    image = Image.new("L", (1400, 260), 255)
    draw = ImageDraw.Draw(image)
    font = documents._font(36)
    draw.text((60, 60), "Total due:", font=font, fill=0)
    draw.text((1000, 64), "EUR 42.00", font=font, fill=0)
    draw.text((60, 160), "Thank you", font=font, fill=0)
    assert ocr.recognize(image).text == "Total due: EUR 42.00\nThank you"


def test_reading_order_groups_rows_and_sorts_left_to_right():
    lines = [
        OcrLine("right", 0.9, (500, 12, 600, 40)),
        OcrLine("second row", 0.9, (10, 60, 300, 90)),
        OcrLine("left", 0.9, (10, 10, 100, 38)),
        OcrLine("touching", 0.9, (320, 36, 420, 64)),  # overlaps both rows by less than half its height
    ]
    rows = reading_order(lines)
    assert [[line.text for line in row] for row in rows] == [["left", "right"], ["touching"], ["second row"]]

    result = build_result(lines, raw={})
    assert result.text == "left right\ntouching\nsecond row"
    assert [line.text for line in result.lines] == ["left", "right", "touching", "second row"]


@pytest.mark.slow
def test_importing_our_modules_loads_no_vendor_sdk():
    """A container without the ML extras must still import the pipeline and providers."""
    code = (
        "import sys\n"
        "import shared.providers.ocr, shared.providers.embeddings, shared.providers.llm\n"
        "import shared.pipeline.chunking, shared.pipeline.extract\n"
        "heavy = ['rapidocr_onnxruntime', 'onnxruntime', 'sentence_transformers', 'torch', 'keybert',\n"
        "         'pypdfium2', 'docx', 'transformers', 'sklearn']\n"
        "print([name for name in heavy if name in sys.modules])\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
