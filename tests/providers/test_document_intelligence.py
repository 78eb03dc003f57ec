"""Azure AI Document Intelligence as the OCR provider: the real SDK against a local server speaking the
service's REST API (testkit/fakes/document_intelligence.py), whose results come from the local OCR engine
reading the pages that were really sent."""

from __future__ import annotations

import io
import itertools
import json
import logging
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image, ImageDraw, ImageFont
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from shared.config import AppSettings, JobSettings, LimitsSettings, OcrProviderName, OcrSettings, Settings
from shared.db.outbox import attach_outbox
from shared.jobs import runs
from shared.jobs import service as job_service
from shared.jobs.context import JobContext
from shared.models import Page
from shared.pipeline.extract import ExtractedPage, open_document
from shared.pipeline.resources import Resources
from shared.pipeline.steps.extract import ExtractStep
from shared.providers import usage
from shared.providers.errors import ProviderError, ProviderKind, ProviderRejected, ProviderUnavailable
from shared.providers.ocr import DocumentOcrProvider, get_ocr_provider
from shared.providers.ocr.azure import AzureDocumentIntelligenceProvider, page_ranges
from shared.providers.storage.local import LocalBlobStore
from testkit import documents
from testkit.fakes.document_intelligence import Analysis, FakeDocumentIntelligence
from tests.db.conftest import make_document, make_user

# The fake service reads every page it receives with the local OCR engine.
pytestmark = pytest.mark.slow

# The same bound as the local OCR tests (tests/unit/test_extract.py): the service's text must be as good.
CER_LIMIT = 0.03
PDF, PNG, TIFF = "application/pdf", "image/png", "image/tiff"

SCANNED = [
    "Delivery note DN-2024-117\nShipped to Northwind Traders, 20 King Street, London.\n"
    "Four pallets of office chairs, total weight 812 kg, were handed to the carrier on Monday.",
    "Inspection report\nThe goods arrived in good condition. Two boxes showed minor dents but the "
    "contents were undamaged. Please confirm receipt by email to logistics@example.com.",
    "Page three holds the terms of carriage. Claims must be reported within seven days of delivery.",
]
FRAMES = ["First frame: purchase order 4711.", "Second frame: delivery address.", "Third frame: signature."]
TABLE = [
    ("Item", "Quantity", "Price"),
    ("Office chairs", "4", "EUR 316.00"),
    ("Desk lamps", "12", "EUR 180.50"),
]
AZURE_LOGGERS = ("azure", "azure.core", "azure.identity", "urllib3", "httpx")


@pytest.fixture
def fake() -> Iterator[FakeDocumentIntelligence]:
    with FakeDocumentIntelligence() as server:
        yield server


def settings_for(fake: FakeDocumentIntelligence, **overrides: object) -> OcrSettings:
    values: dict[str, object] = {
        "OCR_PROVIDER": "azure",
        "AZURE_DOCUMENT_INTELLIGENCE_ENDPOINT": fake.endpoint,
        "AZURE_DOCUMENT_INTELLIGENCE_KEY": fake.key,
        "AZURE_DOCUMENT_INTELLIGENCE_POLLING_SECONDS": 0.02,
    }
    return OcrSettings(**(values | overrides))


def provider_for(settings: OcrSettings) -> AzureDocumentIntelligenceProvider:
    # The SDK's retries stay on; only their back-off is shortened so the fault tests run quickly.
    return AzureDocumentIntelligenceProvider(settings, retry_backoff_seconds=0.01)


def read(
    tmp_path: Path,
    data: bytes,
    content_type: str,
    settings: OcrSettings,
    *,
    start_after: int = 0,
    provider: AzureDocumentIntelligenceProvider | None = None,
) -> list[ExtractedPage]:
    path = tmp_path / "upload"
    path.write_bytes(data)
    reader = open_document(path, content_type, provider or provider_for(settings), settings, LimitsSettings())
    try:
        return list(reader.pages(start_after=start_after))
    finally:
        reader.close()


def pdf_of(kinds: list[tuple[str, str]]) -> bytes:
    """A PDF whose pages are ("text", text) with a text layer or ("scan", text) as a scanned image."""
    pdf = documents._pdf()
    for kind, text in kinds:
        if kind == "text":
            documents._add_text_page(pdf, text)
        else:
            documents._add_image_page(
                pdf, documents.page_image(text, rotation=0.6, noise=12.0, seed=len(text))
            )
    return documents._pdf_bytes(pdf)


def table_image(title: str = "Order summary for Northwind Traders") -> Image.Image:
    """An A4 scan at 150 dpi: a title over a three-column table."""
    font = ImageFont.truetype(str(documents.FONT_PATH), 28)
    image = Image.new("L", (1240, 1754), 255)
    draw = ImageDraw.Draw(image)
    draw.text((60, 30), title, font=font, fill=0)
    for row_index, row in enumerate(TABLE):
        for column, cell in enumerate(row):
            draw.text((60 + 420 * column, 100 + 60 * row_index), cell, font=font, fill=0)
    return image


def pages_sent(fake: FakeDocumentIntelligence) -> list[str | None]:
    return [request.query.get("pages") for request in fake.analyze_requests()]


def assert_boxes_inside(page: ExtractedPage) -> None:
    assert page.lines, page
    for line in page.lines:
        x0, y0, x1, y1 = line["bbox"]
        assert 0 <= x0 < x1 <= page.width and 0 <= y0 < y1 <= page.height, line
        assert 0.5 < line["confidence"] <= 1.0


# --- what is sent, and what comes back --------------------------------------------------------------


def test_a_scanned_pdf_is_read_in_one_request_with_text_boxes_confidence_and_usage(tmp_path, fake):
    settings = settings_for(fake)
    with usage.metering() as meter:
        pages = read(tmp_path, documents.scanned_pdf(SCANNED), PDF, settings)

    assert pages_sent(fake) == ["1-3"]
    request = fake.analyze_requests()[0]
    assert request.path == "/documentintelligence/documentModels/prebuilt-read:analyze"
    assert request.query["api-version"] == "2024-11-30"
    assert "outputContentFormat" not in request.query  # plain text for prebuilt-read
    assert request.headers["content-type"] == "application/octet-stream"
    assert [p.page_no for p in pages] == [1, 2, 3]
    for page, expected in zip(pages, SCANNED, strict=True):
        assert page.source == "ocr"
        assert documents.character_error_rate(expected, page.text) < CER_LIMIT, page.text
        assert 0.8 < page.confidence <= 1.0
        # The service measures PDF pages in inches; they come back at OCR_RENDER_DPI like a local render.
        assert (page.width, page.height) == (1654, 2339)
        assert_boxes_inside(page)
        assert page.raw["page"]["pageNumber"] == page.page_no and page.raw["page"]["unit"] == "inch"
    assert meter.as_list() == [
        {
            "provider": "azure",
            "model": "prebuilt-read",
            "requests": 1,
            "input_tokens": 0,
            "output_tokens": 0,
            "pages": 3,
        }
    ]


def test_the_full_analyze_result_rides_on_the_first_page_of_its_request(tmp_path, fake):
    pages = read(tmp_path, documents.scanned_pdf(SCANNED[:2]), PDF, settings_for(fake))

    assert list(pages[0].artifacts) == ["azure-analyze-pages-1-2"]
    assert pages[1].artifacts is None
    result = pages[0].artifacts["azure-analyze-pages-1-2"]
    assert json.loads(json.dumps(result)) == result
    assert result["apiVersion"] == "2024-11-30" and result["modelId"] == "prebuilt-read"
    assert [p["pageNumber"] for p in result["pages"]] == [1, 2]
    assert all(p["words"] and p["lines"] and p["spans"] for p in result["pages"])
    assert result["paragraphs"]
    # Every page's text is in the service's content, where its spans say.
    for page, analyzed in zip(pages, result["pages"], strict=True):
        span = analyzed["spans"][0]
        assert result["content"][span["offset"] : span["offset"] + span["length"]] == page.text


def test_text_layer_pages_are_never_sent(tmp_path, fake):
    data = documents.mixed_pdf("This page has a real text layer and is never sent.", SCANNED[2])
    pages = read(tmp_path, data, PDF, settings_for(fake))

    assert pages_sent(fake) == ["2"]
    assert [p.source for p in pages] == ["text_layer", "ocr"]
    assert pages[0].text == "This page has a real text layer and is never sent."
    assert pages[0].artifacts is None and list(pages[1].artifacts) == ["azure-analyze-pages-2-2"]

    # Comparable to local OCR on the same page, which reads the page rendered by our reader.
    local = open_document(
        tmp_path / "upload", PDF, get_ocr_provider(OcrSettings()), OcrSettings(), LimitsSettings()
    )
    try:
        local_page = next(iter(local.pages(start_after=1)))
    finally:
        local.close()
    service_cer = documents.character_error_rate(SCANNED[2], pages[1].text)
    local_cer = documents.character_error_rate(SCANNED[2], local_page.text)
    assert service_cer <= local_cer + 0.01, (pages[1].text, local_page.text)
    # Boxes measured in inches by the service land where the local engine finds the same line.
    assert (pages[1].width, pages[1].height) == (local_page.width, local_page.height)
    service_box, local_box = pages[1].lines[0]["bbox"], local_page.lines[0]["bbox"]
    assert all(abs(a - b) <= 12 for a, b in zip(service_box, local_box, strict=True)), (
        service_box,
        local_box,
    )


def test_text_only_pdfs_make_no_request(tmp_path, fake):
    data = documents.text_pdf(["A first page of plain text.", "A second page of plain text, also typed."])
    pages = read(tmp_path, data, PDF, settings_for(fake))

    assert [p.source for p in pages] == ["text_layer", "text_layer"]
    assert fake.requests == []


def test_ocr_text_layer_pages_sends_text_layer_pages_too(tmp_path, fake):
    data = documents.mixed_pdf("This page has a real text layer and is sent anyway.", SCANNED[2])
    pages = read(tmp_path, data, PDF, settings_for(fake, OCR_TEXT_LAYER_PAGES=True))

    assert pages_sent(fake) == ["1-2"]
    assert [p.source for p in pages] == ["ocr", "ocr"]
    assert (
        documents.character_error_rate("This page has a real text layer and is sent anyway.", pages[0].text)
        < CER_LIMIT
    )


def test_scanned_pages_go_in_batches_and_come_back_in_page_order(tmp_path):
    # Seven scanned pages, three per request. A lower render resolution keeps the fake's OCR quick.
    with FakeDocumentIntelligence(dpi=100) as fake:
        settings = settings_for(fake, AZURE_DOCUMENT_INTELLIGENCE_PAGES_PER_REQUEST=3)
        data = documents.scanned_pdf(documents.sample_pages(7), rotation=0, noise=0)
        with usage.metering() as meter:
            pages = read(tmp_path, data, PDF, settings)

        assert pages_sent(fake) == ["1-3", "4-6", "7"]
        assert [p.page_no for p in pages] == [1, 2, 3, 4, 5, 6, 7]
        assert all(p.text.startswith(f"Page {p.page_no} of the annual review") for p in pages), [
            p.text[:30] for p in pages
        ]
        assert [sorted(p.artifacts) if p.artifacts else None for p in pages] == [
            ["azure-analyze-pages-1-3"],
            None,
            None,
            ["azure-analyze-pages-4-6"],
            None,
            None,
            ["azure-analyze-pages-7-7"],
        ]
        assert meter.as_list()[0]["requests"] == 3 and meter.as_list()[0]["pages"] == 7

        # Pages are handed out one at a time: the next request waits until its first page is wanted.
        fake.requests.clear()
        path = tmp_path / "upload"
        reader = open_document(path, PDF, provider_for(settings), settings, LimitsSettings())
        try:
            lazy = reader.pages()
            made = [next(lazy).page_no for _ in range(3)]
            assert made == [1, 2, 3] and pages_sent(fake) == ["1-3"]
            assert next(lazy).page_no == 4 and pages_sent(fake) == ["1-3", "4-6"]
        finally:
            reader.close()

        # Resuming after page 4 reads from the service only what is not stored yet.
        fake.requests.clear()
        resumed = read(tmp_path, data, PDF, settings, start_after=4)
        assert [p.page_no for p in resumed] == [5, 6, 7]
        assert pages_sent(fake) == ["5-7"]
        assert [p.text for p in resumed] == [p.text for p in pages[4:]]


def test_batches_skip_text_layer_pages_between_scans(tmp_path):
    kinds = [
        ("scan", "Scanned cover page of the quarterly report."),
        ("text", "A typed page with a text layer: the introduction."),
        ("scan", "Scanned appendix A with the regional figures."),
        ("scan", "Scanned appendix B with the staff numbers."),
        ("text", "Another typed page with a text layer: the conclusion."),
        ("scan", "Scanned back page with the signatures."),
    ]
    with FakeDocumentIntelligence(dpi=100) as fake:
        settings = settings_for(fake, AZURE_DOCUMENT_INTELLIGENCE_PAGES_PER_REQUEST=2)
        pages = read(tmp_path, pdf_of(kinds), PDF, settings)

        assert pages_sent(fake) == ["1,3", "4,6"]
        assert [p.source for p in pages] == ["ocr", "text_layer", "ocr", "ocr", "text_layer", "ocr"]
        for page, (_, text) in zip(pages, kinds, strict=True):
            assert documents.character_error_rate(text, page.text) < CER_LIMIT, page.text

        fake.requests.clear()
        resumed = read(tmp_path, pdf_of(kinds), PDF, settings, start_after=3)
        assert [p.page_no for p in resumed] == [4, 5, 6]
        assert pages_sent(fake) == ["4,6"]


def test_every_tiff_frame_is_a_page_and_the_file_goes_whole(tmp_path, fake):
    data = documents.tiff(FRAMES)
    pages = read(tmp_path, data, TIFF, settings_for(fake))

    assert pages_sent(fake) == ["1-3"]
    image = Image.open(io.BytesIO(data))
    for page, expected in zip(pages, FRAMES, strict=True):
        assert documents.character_error_rate(expected, page.text) < CER_LIMIT, page.text
        image.seek(page.page_no - 1)
        assert (page.width, page.height) == image.size  # images are measured in pixels
        assert page.raw["page"]["unit"] == "pixel"
        assert_boxes_inside(page)

    fake.requests.clear()
    resumed = read(tmp_path, data, TIFF, settings_for(fake), start_after=1)
    assert [p.page_no for p in resumed] == [2, 3]
    assert pages_sent(fake) == ["2-3"]


def test_tiff_frames_are_batched_too(tmp_path, fake):
    pages = read(
        tmp_path,
        documents.tiff(FRAMES),
        TIFF,
        settings_for(fake, AZURE_DOCUMENT_INTELLIGENCE_PAGES_PER_REQUEST=2),
    )

    assert pages_sent(fake) == ["1-2", "3"]
    assert [p.page_no for p in pages] == [1, 2, 3]


def test_a_png_is_one_page_sent_without_a_page_list(tmp_path, fake):
    text = "Receipt 0042 from City Supermarket. Total paid EUR 15.87 by card on 12 March 2024."
    data = documents.png(text)
    pages = read(tmp_path, data, PNG, settings_for(fake))

    assert pages_sent(fake) == [None]
    assert len(pages) == 1
    assert documents.character_error_rate(text, pages[0].text) < CER_LIMIT, pages[0].text
    assert (pages[0].width, pages[0].height) == Image.open(io.BytesIO(data)).size
    assert list(pages[0].artifacts) == ["azure-analyze-pages-1-1"]


def test_recognize_reads_one_image_in_one_request(fake):
    text = "The supplier shall deliver the goods within ten working days."
    image = documents.page_image(text, full_page=False)
    with usage.metering() as meter:
        result = provider_for(settings_for(fake)).recognize(image)

    assert pages_sent(fake) == [None]
    assert documents.character_error_rate(text, result.text) < CER_LIMIT, result.text
    assert 0.8 < result.confidence <= 1.0
    assert all(0 <= line.bbox[0] < line.bbox[2] <= image.width for line in result.lines)
    assert meter.as_list()[0]["pages"] == 1


def test_layout_keeps_tables_paragraphs_and_markdown(tmp_path, fake):
    settings = settings_for(fake, AZURE_DOCUMENT_INTELLIGENCE_MODEL="prebuilt-layout")
    data = documents.image_pdf([table_image(), documents.page_image(SCANNED[2], full_page=True)])
    pages = read(tmp_path, data, PDF, settings)

    assert fake.analyses == [Analysis("prebuilt-layout", [1, 2], "markdown")]
    request = fake.analyze_requests()[0]
    assert request.path.endswith("/prebuilt-layout:analyze")
    assert request.query["outputContentFormat"] == "markdown"
    first, second = pages
    # The page's text is its slice of the markdown, with the table as HTML.
    assert first.text.startswith("Order summary for Northwind Traders")
    assert (
        "<table>" in first.text and "<th>Item</th>" in first.text and "<td>Office chairs</td>" in first.text
    )
    assert "PageBreak" not in first.text + second.text and SCANNED[2][:20] not in first.text
    assert documents.character_error_rate(SCANNED[2], second.text) < CER_LIMIT
    table = first.raw["tables"][0]
    assert (table["rowCount"], table["columnCount"]) == (3, 3)
    assert {(c["rowIndex"], c["columnIndex"]): c["content"] for c in table["cells"]}[(1, 2)] == "EUR 316.00"
    assert first.raw["paragraphs"] and second.raw["tables"] == []
    result = first.artifacts["azure-analyze-pages-1-2"]
    assert result["contentFormat"] == "markdown" and "<!-- PageBreak -->" in result["content"]
    assert len(result["tables"]) == 1 and result["paragraphs"]


def test_the_extract_step_stores_the_analyze_result_beside_the_pages(tmp_path, fake, db_engine):
    settings = settings_for(fake, AZURE_DOCUMENT_INTELLIGENCE_PAGES_PER_REQUEST=2)
    store = LocalBlobStore(tmp_path / "blobs")
    data = pdf_of(
        [("scan", SCANNED[0]), ("text", "A typed page with a usable text layer."), ("scan", SCANNED[2])]
    )
    with Session(db_engine, expire_on_commit=False) as setup:
        attach_outbox(setup)
        document = make_document(setup, make_user(setup), size_bytes=len(data))
        (job,) = runs.start_run(setup, document.id, ["extract"], JobSettings(), reason="upload")
        claim = job_service.claim(setup, job.id, "test-worker", 60)
        setup.commit()
    store.put_bytes(document.blob_key, data, content_type=PDF)
    everything = Settings(ocr=settings, app=AppSettings(WORKOPTI_DATA_DIR=tmp_path))
    context = JobContext(claim, sessionmaker(db_engine), everything)

    ExtractStep(Resources(everything, store)).run(context)

    def blob(name: str) -> dict:
        with store.open_read(f"documents/{document.id}/jobs/{job.id}/ocr/{name}") as stream:
            return json.load(stream)

    assert pages_sent(fake) == ["1,3"]
    result = blob("azure-analyze-pages-1-3.json")
    assert [p["pageNumber"] for p in result["pages"]] == [1, 3] and result["modelId"] == "prebuilt-read"
    assert blob("page-00003.json")["page"] == result["pages"][1]
    with Session(db_engine) as check:
        rows = check.scalars(select(Page).where(Page.job_id == job.id).order_by(Page.page_no)).all()
        assert [(r.page_no, r.source) for r in rows] == [(1, "ocr"), (2, "text_layer"), (3, "ocr")]
        assert documents.character_error_rate(SCANNED[2], rows[2].text) < CER_LIMIT
        assert rows[0].lines and (rows[0].width, rows[0].height) == (1654, 2339)


# --- retries and failures --------------------------------------------------------------------------


def test_a_429_with_retry_after_on_submit_is_retried_by_the_sdk(tmp_path, fake):
    fake.throttle("submit", retry_after=1, times=2)
    pages = read(tmp_path, documents.png("Throttled but read in the end."), PNG, settings_for(fake))

    assert len(fake.analyze_requests()) == 3
    assert documents.character_error_rate("Throttled but read in the end.", pages[0].text) < CER_LIMIT


def test_a_429_on_a_poll_is_retried_and_polling_follows_retry_after(tmp_path):
    # The poll interval is the SDK's old default of 30 s; the service's Retry-After must win.
    with FakeDocumentIntelligence(running_polls=2, retry_after=1) as fake:
        fake.throttle("poll", retry_after=1, times=1)
        settings = settings_for(fake, AZURE_DOCUMENT_INTELLIGENCE_POLLING_SECONDS=30)
        pages = read(tmp_path, documents.png("Polled with Retry-After."), PNG, settings)

        polls = fake.poll_requests()
        # One throttled, two running, one succeeded; more running ones when the fake's own OCR of the
        # page is slow on a busy machine.
        assert len(polls) >= 4
        gaps = [later.at - earlier.at for earlier, later in itertools.pairwise(polls)]
        assert max(gaps) < 15, gaps  # far below the 30 s interval, whatever the machine's load
        assert pages[0].text


def test_a_429_without_retry_after_is_not_retried_and_is_transient(fake):
    fake.throttle("submit", retry_after=None)
    error = analyze_error(fake)

    assert isinstance(error, ProviderUnavailable) and error.code == "ocr_rate_limited"
    assert (error.status, error.retry_after, error.transient) == (429, None, True)
    assert len(fake.analyze_requests()) == 1


def test_throttling_that_outlasts_the_sdk_retries_is_transient(fake):
    fake.throttle("submit", retry_after=1, times=10)
    error = analyze_error(fake)

    assert isinstance(error, ProviderUnavailable) and error.code == "ocr_rate_limited"
    assert (error.status, error.retry_after) == (429, 1.0)  # the wait the last answer asked for
    assert len(fake.analyze_requests()) == 4  # the first try and three retries


@pytest.mark.parametrize(("on", "status"), [("submit", 500), ("submit", 503), ("poll", 500)])
def test_repeated_server_errors_are_retried_then_transient(fake, on, status):
    fake.server_error(on, status=status, times=10)
    error = analyze_error(fake)

    assert isinstance(error, ProviderUnavailable) and error.code == "ocr_service_unavailable"
    assert str(status) in error.message and error.status == status
    assert (error.provider, error.kind) == ("azure_document_intelligence", ProviderKind.OCR)
    requests = fake.analyze_requests() if on == "submit" else fake.poll_requests()
    assert len(requests) == 4


def test_one_server_error_is_absorbed_by_the_sdk(fake):
    fake.server_error("submit", status=503)
    result = provider_for(settings_for(fake)).recognize(
        documents.page_image("Second time lucky.", full_page=False)
    )

    assert len(fake.analyze_requests()) == 2
    assert "lucky" in result.text


def test_a_failed_operation_is_permanent_with_the_services_message(fake):
    fake.fail_operation("The file is password protected and cannot be analyzed.", code="InvalidContent")
    error = analyze_error(fake)

    assert isinstance(error, ProviderRejected) and error.code == "ocr_rejected"
    assert "The file is password protected and cannot be analyzed." in error.message
    assert len(fake.analyze_requests()) == 1


def test_a_rejected_request_is_permanent_with_the_services_message(fake):
    fake.reject("The input image is too large. Refer to documentation for the maximum file size.")
    error = analyze_error(fake)

    assert isinstance(error, ProviderRejected) and error.code == "ocr_rejected"
    assert "The input image is too large." in error.message and "400" in error.message
    assert len(fake.analyze_requests()) == 1


def test_a_document_the_service_cannot_parse_is_rejected(tmp_path, fake):
    path = tmp_path / "broken.png"
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + b"not really an image")
    with pytest.raises(ProviderRejected) as caught:
        provider_for(settings_for(fake)).analyze(path, PNG)

    assert caught.value.code == "ocr_rejected"
    assert "corrupted or format is unsupported" in caught.value.message


def test_a_wrong_key_is_an_auth_failure_that_does_not_repeat_the_key(fake):
    error = analyze_error(fake, settings_for(fake, AZURE_DOCUMENT_INTELLIGENCE_KEY="wrong-key-0123456789"))

    assert isinstance(error, ProviderRejected) and error.code == "ocr_auth_failed"
    assert (error.status, error.transient) == (401, False)
    assert "wrong-key-0123456789" not in str(error) + repr(error)
    assert len(fake.analyze_requests()) == 1


def test_an_unreachable_service_is_transient(tmp_path):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # closed again: nothing listens there
    settings = OcrSettings(
        OCR_PROVIDER="azure",
        AZURE_DOCUMENT_INTELLIGENCE_ENDPOINT=f"http://127.0.0.1:{port}",
        AZURE_DOCUMENT_INTELLIGENCE_KEY="k",
    )
    path = tmp_path / "a.png"
    path.write_bytes(documents.png("Nobody home."))
    with pytest.raises(ProviderUnavailable) as caught:
        provider_for(settings).analyze(path, PNG)

    assert (caught.value.code, caught.value.status) == ("ocr_service_unavailable", None)
    assert caught.value.kind is ProviderKind.OCR


@pytest.mark.parametrize(
    ("overrides", "code"),
    [
        ({"AZURE_DOCUMENT_INTELLIGENCE_MAX_BYTES": 1000}, "ocr_document_too_large"),
        ({"AZURE_DOCUMENT_INTELLIGENCE_MAX_PAGES": 2}, "ocr_too_many_pages"),
    ],
)
def test_limits_are_refused_before_any_request(tmp_path, fake, overrides, code):
    path = tmp_path / "scan.pdf"
    path.write_bytes(documents.scanned_pdf(SCANNED))
    provider = provider_for(settings_for(fake, **overrides))
    with pytest.raises(ProviderRejected) as caught:
        provider.analyze(path, PDF, [1, 2, 3])

    assert caught.value.code == code and caught.value.message and not caught.value.transient
    assert fake.requests == []


def test_a_file_over_the_size_limit_fails_the_reader_before_any_request(tmp_path, fake):
    settings = settings_for(fake, AZURE_DOCUMENT_INTELLIGENCE_MAX_BYTES=1000)
    with pytest.raises(ProviderRejected) as caught:
        read(tmp_path, documents.scanned_pdf(SCANNED[:1]), PDF, settings)

    assert caught.value.code == "ocr_document_too_large"
    assert caught.value.message.endswith("the OCR service reads files of at most 1000 bytes.")
    assert fake.requests == []


def test_batches_never_ask_for_more_pages_than_the_service_reads(tmp_path):
    with FakeDocumentIntelligence(dpi=100) as fake:
        settings = settings_for(fake, AZURE_DOCUMENT_INTELLIGENCE_MAX_PAGES=2)
        provider = provider_for(settings)
        assert provider.pages_per_request == 2
        pages = read(
            tmp_path,
            documents.scanned_pdf(documents.sample_pages(3), rotation=0, noise=0),
            PDF,
            settings,
            provider=provider,
        )

        assert pages_sent(fake) == ["1-2", "3"]
        assert len(pages) == 3


# --- configuration and secrets -----------------------------------------------------------------------


def test_the_factory_selects_and_caches_the_service_per_configuration(fake):
    settings = settings_for(fake)
    provider = get_ocr_provider(settings)

    assert isinstance(provider, AzureDocumentIntelligenceProvider) and isinstance(
        provider, DocumentOcrProvider
    )
    assert (provider.name, provider.model) == ("azure", "prebuilt-read")
    assert get_ocr_provider(settings_for(fake)) is provider
    assert get_ocr_provider(settings_for(fake, AZURE_DOCUMENT_INTELLIGENCE_KEY="other")) is not provider
    assert (
        get_ocr_provider(settings_for(fake, AZURE_DOCUMENT_INTELLIGENCE_MODEL="prebuilt-layout")).model
        == "prebuilt-layout"
    )
    assert settings.provider is OcrProviderName.AZURE
    # The local engine does not read whole documents: readers keep rendering pages for it.
    assert not isinstance(get_ocr_provider(OcrSettings()), DocumentOcrProvider)


def test_entra_id_needs_an_https_endpoint():
    with pytest.raises(ValueError, match="https"):
        AzureDocumentIntelligenceProvider(
            OcrSettings(
                OCR_PROVIDER="azure",
                AZURE_DOCUMENT_INTELLIGENCE_ENDPOINT="http://127.0.0.1:9",
                AZURE_DOCUMENT_INTELLIGENCE_KEY=None,
            )
        )
    provider = AzureDocumentIntelligenceProvider(
        OcrSettings(
            OCR_PROVIDER="azure",
            AZURE_DOCUMENT_INTELLIGENCE_ENDPOINT="https://di.example.com",
            AZURE_DOCUMENT_INTELLIGENCE_KEY=None,
        )
    )
    assert "auth=entra-id" in repr(provider)


def test_page_ranges():
    assert page_ranges([3, 5, 6, 7, 8, 9]) == "3,5-9"
    assert page_ranges([1]) == "1"
    assert page_ranges([4, 2, 3, 10]) == "2-4,10"


def test_the_key_never_reaches_logs_errors_or_repr(tmp_path, fake, caplog):
    caplog.set_level(logging.DEBUG)
    for name in AZURE_LOGGERS:
        caplog.set_level(logging.DEBUG, logger=name)
    settings = settings_for(fake)
    provider = provider_for(settings)
    errors: list[ProviderError] = []

    read(tmp_path, documents.png("A page that is read."), PNG, settings, provider=provider)
    for queue_fault in (
        lambda: fake.fail_operation("Analysis failed."),
        lambda: fake.reject("Invalid content."),
        lambda: fake.server_error("submit", times=10),
        lambda: fake.throttle("submit", retry_after=None),
    ):
        queue_fault()
        errors.append(analyze_error(fake, settings))
        fake.reset()
    errors.append(analyze_error(fake, settings_for(fake, AZURE_DOCUMENT_INTELLIGENCE_KEY="not-" + fake.key)))

    # The SDK did log the requests, headers included, at the levels captured here.
    assert "Ocp-Apim-Subscription-Key" in caplog.text and "REDACTED" in caplog.text
    assert fake.key not in caplog.text
    assert [e.code for e in errors] == [
        "ocr_rejected",
        "ocr_rejected",
        "ocr_service_unavailable",
        "ocr_rate_limited",
        "ocr_auth_failed",
    ]
    for error in errors:
        assert fake.key not in str(error) + repr(error) + error.message
        assert fake.key not in "".join(str(cause) for cause in _causes(error))
    assert fake.key not in repr(provider) + str(provider)
    assert "key" in repr(provider)  # says how it authenticates, not with what


def analyze_error(fake: FakeDocumentIntelligence, settings: OcrSettings | None = None) -> ProviderError:
    """The provider error a small PNG's analysis ends with."""
    image = documents.page_image("A small page.", full_page=False)
    with pytest.raises(ProviderError) as caught:
        provider_for(settings or settings_for(fake)).recognize(image)
    return caught.value


def _causes(error: BaseException) -> list[BaseException]:
    chain = []
    while error.__cause__ is not None:
        error = error.__cause__
        chain.append(error)
    return chain
