"""Extraction of every supported format, with the real OCR engine behind a call-counting adapter."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import pytest
from PIL import Image

from shared.config import LimitsSettings, OcrSettings
from shared.pipeline.extract import DOCX, ExtractedPage, UnreadableDocument, open_document
from shared.pipeline.extract.base import PAGE_CHARS
from shared.pipeline.extract.pdf import has_usable_text, render_scale
from shared.providers.ocr import OcrResult, get_ocr_provider
from testkit import documents

# The measured character error rate on every scan in this module is 0.000 (bench/ocr.py has the
# per-condition table, up to 0.01 on small, noisy pages). 0.03 leaves room for numeric differences between CPUs and ONNX Runtime builds
# while failing on the faults that matter: dropped word spaces cost ~0.10, lines flipped by the
# 180-degree classifier 0.2-0.4, a missed line ~0.2.
CER_LIMIT = 0.03

SCANNED = [
    "Delivery note DN-2024-117\nShipped to Northwind Traders, 20 King Street, London.\n"
    "Four pallets of office chairs, total weight 812 kg, were handed to the carrier on Monday.",
    "Inspection report\nThe goods arrived in good condition. Two boxes showed minor dents but the "
    "contents were undamaged. Please confirm receipt by email to logistics@example.com.",
    "Page three holds the terms of carriage. Claims must be reported within seven days of delivery.",
]


class CountingOcr:
    """The real OCR provider, counting the images it is asked to read."""

    def __init__(self, inner) -> None:
        self.inner = inner
        self.name = inner.name
        self.model = inner.model
        self.sizes: list[tuple[int, int]] = []

    @property
    def calls(self) -> int:
        return len(self.sizes)

    def recognize(self, image: Image.Image) -> OcrResult:
        self.sizes.append(image.size)
        return self.inner.recognize(image)


@pytest.fixture(scope="module")
def real_ocr():
    return get_ocr_provider(OcrSettings())


@pytest.fixture
def ocr(real_ocr) -> CountingOcr:
    return CountingOcr(real_ocr)


def read(
    tmp_path: Path,
    data: bytes,
    content_type: str,
    ocr: CountingOcr,
    *,
    start_after: int = 0,
    limits: LimitsSettings | None = None,
) -> tuple[int, list[ExtractedPage]]:
    path = tmp_path / "upload"
    path.write_bytes(data)
    reader = open_document(path, content_type, ocr, OcrSettings(), limits or LimitsSettings())
    try:
        return reader.page_count, list(reader.pages(start_after=start_after))
    finally:
        reader.close()


def unreadable(
    tmp_path: Path, data: bytes, content_type: str, ocr, limits: LimitsSettings | None = None
) -> str:
    with pytest.raises(UnreadableDocument) as caught:
        read(tmp_path, data, content_type, ocr, limits=limits)
    assert caught.value.message
    return caught.value.code


# --- PDF -------------------------------------------------------------------------------------------


def test_text_layer_pages_are_read_from_the_layer_and_never_ocred(tmp_path, ocr):
    texts = [
        "First page of the contract.",
        "Second page: obligations of the parties.",
        "Third page: signatures.",
    ]
    count, pages = read(tmp_path, documents.text_pdf(texts), "application/pdf", ocr)

    assert ocr.calls == 0
    assert count == 3
    assert [p.page_no for p in pages] == [1, 2, 3]
    assert [p.text for p in pages] == texts
    assert {p.source for p in pages} == {"text_layer"}
    assert all(p.confidence is None and p.lines is None and p.raw is None for p in pages)
    assert (pages[0].width, pages[0].height) == (595, 842)  # A4 in points


def test_scanned_pages_are_rendered_and_ocred(tmp_path, ocr):
    count, pages = read(tmp_path, documents.scanned_pdf(SCANNED[:2]), "application/pdf", ocr)

    assert count == 2
    assert ocr.calls == 2
    for page, expected in zip(pages, SCANNED, strict=False):
        assert page.source == "ocr"
        assert documents.character_error_rate(expected, page.text) < CER_LIMIT, page.text
        assert 0.8 < page.confidence <= 1.0
        # Rendered at the configured 200 dpi: A4 is 1654 x 2339 pixels.
        assert (page.width, page.height) == (1654, 2339)
        assert page.lines and all(0 <= line["bbox"][0] < line["bbox"][2] <= page.width for line in page.lines)
        json.dumps(page.raw)  # goes to blob storage as JSON


def test_a_mixed_pdf_ocrs_only_the_page_without_a_text_layer(tmp_path, ocr):
    count, pages = read(
        tmp_path, documents.mixed_pdf("This page has a real text layer.", SCANNED[2]), "application/pdf", ocr
    )

    assert count == 2
    assert ocr.calls == 1
    assert [p.source for p in pages] == ["text_layer", "ocr"]
    assert pages[0].text == "This page has a real text layer."
    assert documents.character_error_rate(SCANNED[2], pages[1].text) < CER_LIMIT


def test_resuming_skips_stored_pages_without_ocring_them(tmp_path, ocr):
    count, pages = read(tmp_path, documents.scanned_pdf(SCANNED), "application/pdf", ocr, start_after=2)

    assert count == 3
    assert [p.page_no for p in pages] == [3]
    assert ocr.calls == 1


def test_a_page_too_large_to_render_at_the_configured_dpi_is_rendered_smaller(tmp_path, ocr):
    limits = LimitsSettings(max_image_pixels=1_000_000)
    _, pages = read(tmp_path, documents.scanned_pdf(SCANNED[2:]), "application/pdf", ocr, limits=limits)

    width, height = ocr.sizes[0]
    assert width * height <= 1_000_000
    assert (pages[0].width, pages[0].height) == (width, height)
    assert width == pytest.approx(595.28 * (1_000_000 / (595.28 * 841.89)) ** 0.5, abs=2)


def test_render_scale():
    assert render_scale(612, 792, 200, 80_000_000) == pytest.approx(200 / 72)
    scale = render_scale(14_400, 14_400, 200, 80_000_000)
    assert (14_400 * scale) ** 2 <= 80_000_000 * 1.0001


@pytest.mark.parametrize(
    ("text", "usable"),
    [
        ("Invoice number 42 for March", True),
        ("Page 3", False),  # too few letters and digits: a scan with a page-number stamp
        ("\ufffd" * 40 + "abcdefghijklmnopqrst", False),  # font without a Unicode map
        ("\x01\x02\x03" * 20 + "abcdefghijklmnopqrstuvwxyz", False),
        ("Ärger über Öl, 1.234,56 € — naïve café", True),
    ],
)
def test_only_a_usable_text_layer_is_trusted(text, usable):
    assert has_usable_text(text, OcrSettings().text_layer_min_chars) is usable


def test_password_protected_pdf_is_unreadable(tmp_path, ocr):
    assert (
        unreadable(tmp_path, documents.encrypted_pdf("Top secret"), "application/pdf", ocr) == "pdf_encrypted"
    )


@pytest.mark.parametrize("cut", [0, 200, 0.5])
def test_damaged_pdf_is_unreadable(tmp_path, ocr, cut):
    data = documents.text_pdf(["Some text on a page."] * 3)
    data = data[: int(len(data) * cut)] if isinstance(cut, float) else data[:cut]
    assert unreadable(tmp_path, data, "application/pdf", ocr) == "pdf_unreadable"


def test_too_many_pages(tmp_path, ocr):
    data = documents.text_pdf(["A page of text here."] * 4)
    assert unreadable(tmp_path, data, "application/pdf", ocr, LimitsSettings(max_pages=3)) == "too_many_pages"


# --- images ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("make", "content_type"), [(documents.png, "image/png"), (documents.jpeg, "image/jpeg")]
)
def test_an_image_is_one_ocred_page(tmp_path, ocr, make, content_type):
    text = "Receipt 0042 from City Supermarket. Total paid EUR 15.87 by card on 12 March 2024."
    count, pages = read(tmp_path, make(text), content_type, ocr)

    assert count == 1 and ocr.calls == 1
    assert pages[0].source == "ocr"
    assert documents.character_error_rate(text, pages[0].text) < CER_LIMIT, pages[0].text


def test_every_tiff_frame_is_a_page_and_resume_skips_frames(tmp_path, ocr):
    frames = [
        "First frame: purchase order 4711.",
        "Second frame: delivery address.",
        "Third frame: signature.",
    ]
    data = documents.tiff(frames)

    count, pages = read(tmp_path, data, "image/tiff", ocr)
    assert count == 3 and ocr.calls == 3
    for page, expected in zip(pages, frames, strict=True):
        assert documents.character_error_rate(expected, page.text) < CER_LIMIT, page.text

    resumed = CountingOcr(ocr.inner)
    count, pages = read(tmp_path, data, "image/tiff", resumed, start_after=1)
    assert count == 3
    assert [p.page_no for p in pages] == [2, 3]
    assert resumed.calls == 2


def test_an_image_above_the_pixel_limit_is_refused_before_decoding(tmp_path, ocr):
    code = unreadable(
        tmp_path, documents.png("big"), "image/png", ocr, LimitsSettings(max_image_pixels=10_000)
    )
    assert code == "image_too_large"
    assert ocr.calls == 0


@pytest.mark.parametrize(
    ("make", "content_type"), [(documents.png, "image/png"), (documents.jpeg, "image/jpeg")]
)
def test_truncated_images_are_unreadable(tmp_path, ocr, make, content_type):
    data = make("Truncated")
    assert unreadable(tmp_path, data[: len(data) // 2], content_type, ocr) == "image_unreadable"


def test_a_file_that_is_not_an_image_is_unreadable(tmp_path, ocr):
    assert unreadable(tmp_path, b"this is plain text, not a PNG", "image/png", ocr) == "image_unreadable"


# --- DOCX ------------------------------------------------------------------------------------------


def test_docx_keeps_body_order_tables_and_explicit_page_breaks(tmp_path, ocr):
    data = documents.docx(
        ["Title", "Intro paragraph.", "After the break.", "Closing words."],
        page_break_after={1},
        tables={2: [["Item", "Qty"], ["Chairs", "4"]]},
    )
    count, pages = read(tmp_path, data, DOCX, ocr)

    assert ocr.calls == 0
    assert count == 2
    assert [p.text for p in pages] == [
        "Title\nIntro paragraph.",
        "After the break.\nItem | Qty\nChairs | 4\nClosing words.",
    ]
    assert {p.source for p in pages} == {"native"}


def test_long_docx_is_paged_at_paragraph_boundaries(tmp_path, ocr):
    paragraphs = [f"Paragraph {i}. " + documents.LOREM for i in range(60)]
    count, pages = read(tmp_path, documents.docx(paragraphs), DOCX, ocr, start_after=0)

    assert count == len(pages) > 1
    assert all(len(p.text) <= PAGE_CHARS for p in pages)
    assert [line for p in pages for line in p.text.split("\n")] == paragraphs

    _, resumed = read(tmp_path, documents.docx(paragraphs), DOCX, ocr, start_after=count - 1)
    assert [p.page_no for p in resumed] == [count]


def test_a_giant_docx_paragraph_is_split_at_whitespace(tmp_path, ocr):
    words = [f"word{i}" for i in range(2000)]
    _, pages = read(tmp_path, documents.docx([" ".join(words)]), DOCX, ocr)

    assert len(pages) > 3
    assert all(len(p.text) <= PAGE_CHARS for p in pages)
    assert [w for p in pages for w in p.text.split()] == words


@pytest.mark.parametrize("data", [b"not a zip at all", "zip-without-document"])
def test_corrupt_docx_is_unreadable(tmp_path, ocr, data):
    if data == "zip-without-document":
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as archive:
            archive.writestr("[Content_Types].xml", "<Types/>")
            archive.writestr("word/document.xml", "<w:document><broken")
        data = buffer.getvalue()
    assert unreadable(tmp_path, data, DOCX, ocr) == "docx_unreadable"


# --- TXT -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (documents.txt("Grüße aus Köln", bom=True), "Grüße aus Köln"),
        (documents.txt("Grüße aus Köln"), "Grüße aus Köln"),
        (
            documents.txt(
                "Le café coûte 3,50 € — merci de régler la facture avant la fin du mois.", "cp1252"
            ),
            "Le café coûte 3,50 € — merci de régler la facture avant la fin du mois.",
        ),
        (documents.txt("Hello in UTF-16 with ümlauts", "utf-16"), "Hello in UTF-16 with ümlauts"),
    ],
)
def test_text_files_are_decoded(tmp_path, ocr, data, expected):
    _, pages = read(tmp_path, data, "text/plain; charset=whatever", ocr)
    assert [p.text for p in pages] == [expected]
    assert pages[0].source == "native"


def test_text_is_paged_at_form_feeds_and_by_size_on_line_boundaries(tmp_path, ocr):
    lines = [f"Line {i}: {documents.LOREM[:60]}" for i in range(120)]
    text = "Cover page\r\n\fSecond page\f" + "\n".join(lines)
    count, pages = read(tmp_path, documents.txt(text), "text/plain", ocr)

    assert [p.text for p in pages[:2]] == ["Cover page\n", "Second page"]
    assert count == len(pages) > 4
    assert all(len(p.text) <= PAGE_CHARS for p in pages)
    assert [line for p in pages[2:] for line in p.text.split("\n")] == lines

    _, resumed = read(tmp_path, documents.txt(text), "text/plain", ocr, start_after=2)
    assert resumed[0].page_no == 3 and resumed[0].text.startswith("Line 0:")


def test_binary_data_is_not_text(tmp_path, ocr):
    assert unreadable(tmp_path, bytes(range(256)) * 50, "text/plain", ocr) == "text_undecodable"


def test_unsupported_types_are_refused(tmp_path, ocr):
    assert unreadable(tmp_path, b"GIF89a", "image/gif", ocr) == "unsupported_type"
