"""Document Intelligence: our extraction path beside the bare SDK call, both against the local fake
service (testkit/fakes/document_intelligence.py) in this run.

A scanned PDF is read two ways, with the same pages per request and the same poll interval:

- direct SDK: `DocumentIntelligenceClient.begin_analyze_document(model, file, pages=...).result()`
  for each batch of pages;
- ours: `open_document(...).pages()` with the Azure provider: each page's text layer checked, the same
  requests made through the SDK, the AnalyzeResult turned into pages (text, lines with pixel boxes,
  confidences, per-page raw output) and the full result attached for blob storage.

The fake reads every page with the local OCR engine once per process (it caches by page image), and
the cache is warmed before timing, so the times are the client side: HTTP, polling, JSON and our
conversion. The real service's own analysis time is not modelled. Best of three runs each.

    python -m bench.azure_ocr
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from bench.report import print_table
from shared.config import LimitsSettings, OcrSettings
from shared.pipeline.extract import open_document
from shared.providers.ocr.azure import AzureDocumentIntelligenceProvider, page_ranges
from testkit.documents import sample_pages, scanned_pdf
from testkit.fakes.document_intelligence import FakeDocumentIntelligence

PAGES = 20
PER_REQUEST = 10
POLL_SECONDS = 0.05
RUNS = 3
PDF = "application/pdf"


def settings_for(fake: FakeDocumentIntelligence, model: str) -> OcrSettings:
    return OcrSettings(
        OCR_PROVIDER="azure",
        AZURE_DOCUMENT_INTELLIGENCE_ENDPOINT=fake.endpoint,
        AZURE_DOCUMENT_INTELLIGENCE_KEY=fake.key,
        AZURE_DOCUMENT_INTELLIGENCE_MODEL=model,
        AZURE_DOCUMENT_INTELLIGENCE_PAGES_PER_REQUEST=PER_REQUEST,
        AZURE_DOCUMENT_INTELLIGENCE_POLLING_SECONDS=POLL_SECONDS,
    )


def batches() -> list[list[int]]:
    numbers = list(range(1, PAGES + 1))
    return [numbers[i : i + PER_REQUEST] for i in range(0, PAGES, PER_REQUEST)]


def direct(fake: FakeDocumentIntelligence, path: Path, model: str) -> int:
    from azure.ai.documentintelligence import DocumentIntelligenceClient
    from azure.core.credentials import AzureKeyCredential

    client = DocumentIntelligenceClient(fake.endpoint, AzureKeyCredential(fake.key))
    read = 0
    for batch in batches():
        with path.open("rb") as body:
            result = client.begin_analyze_document(
                model,
                body,
                pages=page_ranges(batch),
                output_content_format="markdown" if model != "prebuilt-read" else None,
                polling_interval=POLL_SECONDS,
            ).result()
        read += len(result.pages)
    client.close()
    return read


def ours(fake: FakeDocumentIntelligence, path: Path, model: str) -> int:
    settings = settings_for(fake, model)
    reader = open_document(path, PDF, AzureDocumentIntelligenceProvider(settings), settings, LimitsSettings())
    try:
        return sum(1 for page in reader.pages() if page.source == "ocr")
    finally:
        reader.close()


def best_of(run, *args: object) -> float:
    times = []
    for _ in range(RUNS):
        started = time.perf_counter()
        pages = run(*args)
        times.append(time.perf_counter() - started)
        assert pages == PAGES, pages
    return min(times)


def main() -> None:
    rows: list[list[object]] = []
    with tempfile.TemporaryDirectory() as directory, FakeDocumentIntelligence(dpi=100) as fake:
        path = Path(directory) / "scan.pdf"
        path.write_bytes(scanned_pdf(sample_pages(PAGES), rotation=0, noise=0))
        for model in ("prebuilt-read", "prebuilt-layout"):
            ours(fake, path, model)  # warms the fake's OCR cache
            direct_seconds = best_of(direct, fake, path, model)
            ours_seconds = best_of(ours, fake, path, model)
            overhead = (ours_seconds - direct_seconds) / PAGES
            rows.append(
                [
                    model,
                    "direct SDK: begin_analyze_document().result()",
                    direct_seconds,
                    direct_seconds / PAGES,
                    "—",
                ]
            )
            rows.append(
                [model, "ours: open_document().pages()", ours_seconds, ours_seconds / PAGES, overhead * 1000]
            )
    print_table(
        f"Document Intelligence (local fake): {PAGES} scanned pages, {PER_REQUEST} per request, "
        f"poll every {POLL_SECONDS} s, best of {RUNS}",
        ["model", "path", "seconds", "s/page", "our overhead ms/page"],
        rows,
    )


if __name__ == "__main__":
    main()
