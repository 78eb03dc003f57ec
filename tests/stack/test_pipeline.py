"""End to end: real uploads go through the real queues and workers; the text, the OCR quality, the AI
results, search, job histories, ETags, download and delete are checked through the HTTP API."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest
from sqlalchemy import Engine, text

from cli.stack.stack import Stack
from testkit import documents as make
from tests.conftest import ApiUser

pytestmark = pytest.mark.stack

INVOICE_TEXT = (
    "INVOICE No. INV-2024-0042\n"
    "Date: 12 March 2024\n"
    "Bill to: Acme Corporation, 1 Main Street, Springfield\n"
    "Description: consulting services for the warehouse migration project\n"
    "Total amount due: EUR 1,234.56\n"
    "Please pay within 30 days. Questions: billing@acme.example or +1 415 555 0100"
)
SCANNED_PAGES = [
    "The lighthouse keeper recorded every passing ship in a leather journal.",
    "Storms in the northern channel delayed the supply boat for eleven days.",
]
TIFF_PAGES = [
    "Frame one lists the orchard harvest.",
    "Frame two counts apples and pears.",
    "Frame three ends.",
]
DOCX_PARAGRAPHS = [
    "Employment contract between Northwind Traders and Jane Doe.",
    "The employee agrees to the terms and obligations described below.",
    "Either party may terminate this agreement with thirty days notice.",
]
TXT_TEXT = "Meeting notes.\nThe committee approved the budget for the new bicycle lanes.\n"

UPLOADS: dict[str, tuple[str, Callable[[], bytes]]] = {
    "invoice": ("invoice.pdf", lambda: make.text_pdf([INVOICE_TEXT])),
    "scanned": ("scanned.pdf", lambda: make.scanned_pdf(SCANNED_PAGES)),
    "mixed": (
        "mixed.pdf",
        lambda: make.mixed_pdf("A typed cover page about volcano research.", SCANNED_PAGES[0]),
    ),
    "png": ("screenshot.png", lambda: make.png("Quarterly revenue rose in the southern district.")),
    "jpeg": ("photo.jpeg", lambda: make.jpeg("A photographed receipt from the harbour cafe.")),
    "tiff": ("frames.tif", lambda: make.tiff(TIFF_PAGES)),
    "docx": ("contract.docx", lambda: make.docx(DOCX_PARAGRAPHS, page_break_after={0})),
    "txt": ("notes.txt", lambda: make.txt(TXT_TEXT)),
}


@pytest.fixture(scope="module")
def processed(user_factory) -> tuple[ApiUser, dict[str, dict], dict[str, bytes]]:
    """Every kind of document, uploaded at once by one user and followed until it ends."""
    owner = user_factory(None)
    contents = {name: build() for name, (_, build) in UPLOADS.items()}
    ids = {}
    for name, (filename, _) in UPLOADS.items():
        response = owner.upload(filename, contents[name])
        assert response.status_code == 202, response.text
        ids[name] = response.json()["id"]
    finished = {name: owner.wait_for(document_id) for name, document_id in ids.items()}
    return owner, finished, contents


def _pages(owner: ApiUser, document: dict, **params: object) -> list[dict]:
    return owner.http.get(f"/api/v1/documents/{document['id']}/pages", params=params).json()["items"]


def test_every_document_reaches_ready_with_every_job_succeeded(processed) -> None:
    _, finished, _ = processed
    for name, document in finished.items():
        assert document["status"] == "ready", (name, document)
        for job in document["jobs"]:
            assert job["status"] == "succeeded" and job["attempts"] == 1 and job["error"] is None, (name, job)
            assert job["wait_ms"] is not None and job["run_ms"] is not None
            assert job["queued_at"] <= job["started_at"] <= job["finished_at"]


def test_a_text_layer_is_read_not_ocred(processed) -> None:
    owner, finished, _ = processed
    (page,) = _pages(owner, finished["invoice"])
    assert page["source"] == "text_layer" and page["confidence"] is None
    assert make.normalise_whitespace(page["text"]) == make.normalise_whitespace(INVOICE_TEXT)


def test_scanned_pages_are_ocred_accurately(processed) -> None:
    owner, finished, _ = processed
    pages = _pages(owner, finished["scanned"], include="lines")
    assert [p["page_no"] for p in pages] == [1, 2] and finished["scanned"]["page_count"] == 2
    for page, expected in zip(pages, SCANNED_PAGES, strict=True):
        assert page["source"] == "ocr"
        assert make.character_error_rate(expected, page["text"]) < 0.05, page["text"]
        assert 0.8 < page["confidence"] <= 1.0
        assert page["lines"] and all(len(line["bbox"]) == 4 for line in page["lines"])


def test_a_mixed_pdf_is_ocred_only_where_it_has_no_text_layer(processed) -> None:
    owner, finished, _ = processed
    first, second = _pages(owner, finished["mixed"])
    assert first["source"] == "text_layer" and "volcano" in first["text"]
    assert second["source"] == "ocr"
    assert make.character_error_rate(SCANNED_PAGES[0], second["text"]) < 0.05


def test_images_and_every_tiff_frame_are_ocred(processed) -> None:
    owner, finished, _ = processed
    (png_page,) = _pages(owner, finished["png"])
    assert png_page["source"] == "ocr" and "southern district" in png_page["text"]
    (jpeg_page,) = _pages(owner, finished["jpeg"])
    assert jpeg_page["source"] == "ocr" and "harbour" in jpeg_page["text"].lower()
    frames = _pages(owner, finished["tiff"])
    assert len(frames) == 3 == finished["tiff"]["page_count"]
    for frame, expected in zip(frames, TIFF_PAGES, strict=True):
        assert make.character_error_rate(expected, frame["text"]) < 0.08, frame["text"]


def test_docx_and_txt_are_read_natively(processed) -> None:
    owner, finished, _ = processed
    docx_pages = _pages(owner, finished["docx"])
    assert len(docx_pages) == 2  # an explicit page break after the first paragraph
    assert all(p["source"] == "native" for p in docx_pages)
    assert DOCX_PARAGRAPHS[0] in docx_pages[0]["text"] and DOCX_PARAGRAPHS[2] in docx_pages[1]["text"]
    (txt_page,) = _pages(owner, finished["txt"])
    assert txt_page["source"] == "native" and "bicycle lanes" in txt_page["text"]


def test_the_invoice_is_understood(processed) -> None:
    owner, finished, _ = processed
    results = owner.http.get(f"/api/v1/documents/{finished['invoice']['id']}/results").json()
    assert results["provider"] == "local" and results["model"]
    assert results["classification"]["label"] == "invoice"
    assert 0 < results["classification"]["score"] <= 1
    fields = results["fields"]
    assert "INV-2024-0042" in [f["value"] for f in fields["references"]]
    assert "2024-03-12" in [f["value"] for f in fields["dates"]]
    assert any(f["value"] == "1234.56" and f.get("currency") == "EUR" for f in fields["amounts"])
    assert "billing@acme.example" in [f["value"] for f in fields["emails"]]
    assert "+14155550100" in [f["value"] for f in fields["phone_numbers"]]
    assert results["summary"] and results["keywords"]


def test_the_contract_is_classified_as_one(processed) -> None:
    owner, finished, _ = processed
    results = owner.http.get(f"/api/v1/documents/{finished['docx']['id']}/results").json()
    assert results["classification"]["label"] == "contract"


def _search(owner: ApiUser, q: str, mode: str = "hybrid") -> list[dict]:
    response = owner.http.get("/api/v1/search", params={"q": q, "mode": mode})
    assert response.status_code == 200, response.text
    return response.json()["items"]


def test_keyword_search_names_the_document_and_page(processed) -> None:
    owner, finished, _ = processed
    hits = _search(owner, "storms supply boat", "keyword")
    assert hits[0]["document_id"] == finished["scanned"]["id"] and hits[0]["page_no"] == 2
    start, end = hits[0]["highlights"][0]
    assert hits[0]["snippet"][start:end].lower() in ("storms", "supply", "boat")


def test_semantic_search_finds_meaning_without_the_words(processed) -> None:
    owner, finished, _ = processed
    hits = _search(owner, "bad weather kept the delivery vessel away", "semantic")
    assert hits and hits[0]["document_id"] == finished["scanned"]["id"]
    assert 0 < hits[0]["score"] <= 1


def test_hybrid_search_fuses_both(processed) -> None:
    owner, finished, _ = processed
    hits = _search(owner, "invoice amount due for consulting")
    assert hits[0]["document_id"] == finished["invoice"]["id"] and hits[0]["page_no"] == 1
    assert set(hits[0]["matched_by"]) == {"keyword", "semantic"}


def test_search_never_shows_another_users_documents(processed, user_factory) -> None:
    stranger = user_factory(None)
    for mode in ("hybrid", "keyword", "semantic"):
        assert _search(stranger, "lighthouse keeper journal", mode) == []


def test_another_user_gets_404_for_everything(processed, user_factory) -> None:
    owner, finished, _ = processed
    stranger = user_factory(None)
    document = finished["invoice"]
    job_id = document["jobs"][0]["id"]
    for method, path in [
        ("GET", f"/api/v1/documents/{document['id']}"),
        ("GET", f"/api/v1/documents/{document['id']}/pages"),
        ("GET", f"/api/v1/documents/{document['id']}/results"),
        ("GET", f"/api/v1/documents/{document['id']}/file"),
        ("DELETE", f"/api/v1/documents/{document['id']}"),
        ("GET", f"/api/v1/jobs/{job_id}"),
        ("POST", f"/api/v1/jobs/{job_id}/retry"),
        ("POST", f"/api/v1/jobs/{job_id}/cancel"),
    ]:
        response = stranger.http.request(method, path)
        assert response.status_code == 404, (method, path, response.text)
        assert response.headers["content-type"].startswith("application/problem+json")
    assert owner.http.get(f"/api/v1/documents/{document['id']}").status_code == 200


def test_job_histories_tell_what_happened(processed) -> None:
    owner, finished, _ = processed
    extract, embed, _ai = finished["scanned"]["jobs"]
    history = owner.http.get(f"/api/v1/jobs/{extract['id']}").json()
    assert [e["status"] for e in history["events"]] == ["queued", "running", "succeeded"]
    assert history["events"][1]["worker"]
    embed_history = owner.http.get(f"/api/v1/jobs/{embed['id']}").json()
    assert [e["status"] for e in embed_history["events"]] == ["waiting", "queued", "running", "succeeded"]
    assert embed_history["depends_on"] == extract["id"]


def test_polling_an_unchanged_document_costs_a_304(processed) -> None:
    owner, finished, _ = processed
    path = f"/api/v1/documents/{finished['txt']['id']}"
    first = owner.http.get(path)
    etag = first.headers["ETag"]
    again = owner.http.get(path, headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b"" and again.headers["ETag"] == etag
    assert owner.http.get(path, headers={"If-None-Match": 'W/"d-0"'}).status_code == 200


def test_the_original_downloads_byte_for_byte(processed) -> None:
    owner, finished, contents = processed
    response = owner.http.get(f"/api/v1/documents/{finished['tiff']['id']}/file")
    assert response.status_code == 200 and response.content == contents["tiff"]
    assert response.headers["content-type"] == "image/tiff"
    assert (
        "attachment" in response.headers["content-disposition"]
        and "frames.tif" in response.headers["content-disposition"]
    )


def test_the_local_store_points_downloads_at_the_api(processed) -> None:
    owner, finished, contents = processed
    link = owner.http.get(f"/api/v1/documents/{finished['txt']['id']}/file-url").json()
    assert link["direct"] is False and link["expires_at"] is None
    assert link["url"].endswith(f"/api/v1/documents/{finished['txt']['id']}/file")
    assert owner.http.get(link["url"]).content == contents["txt"]


def test_metrics_expose_queue_wait_and_run_time_per_kind(processed, stack: Stack) -> None:
    owner, _, _ = processed
    body = owner.http.get(f"{stack.api_url}/health/metrics").text
    for kind in ("extract", "embed", "ai"):
        assert f'workopti_job_queue_wait_seconds_count{{kind="{kind}"}}' in body
        assert f'workopti_job_run_seconds_bucket{{kind="{kind}",le="+Inf"}}' in body
    assert 'workopti_http_requests_total{method="POST",route="/api/v1/documents"' in body
    assert "workopti_queue_depth" in body


def test_delete_removes_the_document_and_everything_derived(processed, stack: Stack, engine: Engine) -> None:
    owner, finished, _ = processed
    document = finished["scanned"]
    blob_dir = stack.data_dir / "blobs" / "documents" / document["id"]
    extract = document["outputs"]["extract"]
    assert (blob_dir / "original").exists() and (blob_dir / "jobs" / extract / "ocr").is_dir()
    assert owner.http.delete(f"/api/v1/documents/{document['id']}").status_code == 204
    assert owner.http.get(f"/api/v1/documents/{document['id']}").status_code == 404
    with engine.connect() as connection:
        for table in ("pages", "chunks", "jobs", "ai_results"):
            count = connection.execute(
                text(f"SELECT count(*) FROM {table} WHERE document_id = :id"), {"id": document["id"]}
            ).scalar_one()
            assert count == 0, table
    prefix = f"documents/{document['id']}/"

    def purge_pending() -> int:
        with engine.connect() as connection:
            return connection.execute(
                text("SELECT count(*) FROM blob_purges WHERE prefix = :prefix"), {"prefix": prefix}
            ).scalar_one()

    deadline = time.monotonic() + 30
    while (blob_dir.exists() or purge_pending()) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not blob_dir.exists()
    assert purge_pending() == 0  # the purge record goes once the store confirmed the deletion
    hits = _search(owner, "lighthouse keeper journal", "keyword")
    assert all(hit["document_id"] != document["id"] for hit in hits)
