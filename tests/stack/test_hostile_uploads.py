"""Hostile files through the real product: each ends in a clear 4xx at upload, a `failed` job with a
readable reason after one attempt, or (when the content is inert for us) a `ready` document served only
as an attachment; and the workers keep working afterwards.

What is refused and what is accepted:
- refused at upload, cheaply (headers, directories and zlib streams are read; nothing is rendered):
  declared image or frame sizes past MAX_IMAGE_PIXELS, more frames or pages than MAX_PAGES_PER_DOCUMENT,
  TIFF directories that loop or share tables, PDF page trees missing the pages they declare, PDF
  streams and DOCX parts that inflate like bombs, DOCX archives with a bloated directory, and
  polyglots (a ZIP/JAR appended to a PDF or an image, markup or another format before a PDF header);
- failed by the worker: what can only be seen inside a page or a part (an image declaring more pixels
  than a page may have; a DOCX part that does not match its checksum);
- accepted: JavaScript in a PDF and markup in a JPEG comment are never executed or rendered by us (text
  and pixels are all we read) and the original is only ever served as an attachment with nosniff and
  a policy that allows nothing; a page far larger than allowed is rendered at a capped scale.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import httpx
import pytest

from cli.stack.stack import Stack
from testkit import documents as make
from tests import hostile
from tests.conftest import ApiUser

pytestmark = pytest.mark.stack

MAX_IMAGE_PIXELS = 80_000_000  # the stack's default
WORDS = "Quarterly invoice number 4471 for the northern warehouse"


@pytest.fixture(scope="module", autouse=True)
def services_before(stack: Stack) -> Iterator[dict[str, tuple[int | None, int]]]:
    """Each service's process id and restart count when this module starts."""
    yield {name: (proc.pid, proc.restarts) for name, proc in stack.supervisor.processes.items()}


def _problem(response: httpx.Response, status: int, code: str) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert body["code"] == code, body
    assert body["detail"], body
    return body


REFUSED: list[tuple[str, str, Callable[[], bytes], int, str]] = [
    ("png-100000x100000", "wide.png", hostile.png_with_huge_dimensions, 422, "image_too_large"),
    ("jpeg-65000x65000", "wide.jpg", hostile.jpeg_with_huge_dimensions, 422, "image_too_large"),
    ("tiff-5000-frames", "many.tiff", hostile.tiff_with_many_frames, 422, "too_many_pages"),
    ("tiff-huge-second-frame", "second.tiff", hostile.tiff_with_huge_frame, 422, "image_too_large"),
    ("tiff-directory-loop", "loop.tiff", hostile.tiff_with_looping_directories, 422, "corrupt_file"),
    ("tiff-shared-strip-tables", "shared.tiff", hostile.tiff_with_shared_strip_tables, 422, "decompression_bomb"),
    ("pdf-claims-a-million-pages", "claims.pdf", hostile.pdf_claiming_pages, 422, "too_many_pages"),
    ("pdf-pages-missing", "missing.pdf", hostile.pdf_with_missing_pages, 422, "corrupt_file"),
    ("pdf-content-inflates-512mb", "inflates.pdf", hostile.pdf_with_inflating_content, 422, "decompression_bomb"),
    ("pdf-content-inflates-twice", "nested.pdf", hostile.pdf_with_nested_inflation, 422, "decompression_bomb"),
    ("pdf-encrypted", "locked.pdf", lambda: make.encrypted_pdf("secret text"), 422, "encrypted_pdf"),
    ("docx-expands-600mb", "bomb.docx", hostile.docx_with_expanding_part, 422, "decompression_bomb"),
    ("docx-part-ratio-1000", "ratio.docx",
     lambda: hostile.docx_with_expanding_part(200 * hostile.MIB, "word/media/image1.png"), 422, "decompression_bomb"),
    ("docx-20000-parts", "parts.docx", hostile.docx_with_many_parts, 422, "decompression_bomb"),
    ("pdf-with-zip-appended", "report.pdf", lambda: hostile.pdf_with_zip_appended([WORDS]), 415, "polyglot_file"),
    ("jpeg-with-jar-appended", "photo.jpg",
     lambda: hostile.jpeg_with_zip_appended(make.jpeg(WORDS)), 415, "polyglot_file"),
    ("html-then-pdf", "page.pdf", lambda: hostile.html_then_pdf([WORDS]), 415, "polyglot_file"),
    ("jpeg-and-pdf", "both.pdf", lambda: hostile.jpeg_pdf_polyglot([WORDS]), 415, "polyglot_file"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("filename", "content", "status", "code"), [r[1:] for r in REFUSED], ids=[r[0] for r in REFUSED]
)
def test_hostile_files_are_refused_at_upload(
    user: ApiUser, filename: str, content: Callable[[], bytes], status: int, code: str
) -> None:
    _problem(user.upload(filename, content()), status, code)
    assert user.http.get("/api/v1/documents").json()["items"] == []


FAILED: list[tuple[str, str, Callable[[], bytes], str]] = [
    ("pdf-image-60000x60000", "poster.pdf", hostile.pdf_with_huge_image, "image_too_large"),
    ("docx-lying-part-sizes", "letter.docx",
     lambda: hostile.docx_with_lying_sizes(make.docx(["Dear reader,", WORDS])), "docx_unreadable"),
]  # fmt: skip


@pytest.mark.parametrize(("filename", "content", "code"), [r[1:] for r in FAILED], ids=[r[0] for r in FAILED])
def test_files_unreadable_inside_fail_their_job_once_with_a_reason(
    user: ApiUser, filename: str, content: Callable[[], bytes], code: str
) -> None:
    created = user.upload(filename, content())
    assert created.status_code == 202, created.text
    document = user.wait_for(created.json()["id"])
    assert document["status"] == "failed", document
    extract = next(job for job in document["jobs"] if job["kind"] == "extract")
    assert extract["status"] == "failed" and extract["error"]["code"] == code, extract
    assert extract["error"]["message"], extract
    # One attempt: a permanent failure, not a worker that died and had the job handed on.
    assert extract["attempts"] == 1, extract
    assert {job["status"] for job in document["jobs"] if job["kind"] != "extract"} == {"cancelled"}


ACCEPTED: list[tuple[str, str, Callable[[], bytes], str]] = [
    ("pdf-with-javascript", "scripted.pdf", lambda: hostile.pdf_with_javascript([WORDS]), "application/pdf"),
    ("jpeg-with-script-comment", "commented.jpg",
     lambda: hostile.jpeg_with_script_comment(make.jpeg(WORDS)), "image/jpeg"),
    ("pdf-page-200-inches-square", "enormous.pdf",
     lambda: hostile.pdf_with_huge_page(make.page_image(WORDS, full_page=False)), "application/pdf"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("filename", "content", "content_type"), [r[1:] for r in ACCEPTED], ids=[r[0] for r in ACCEPTED]
)
def test_inert_content_is_read_as_its_type_and_served_as_an_attachment(
    user: ApiUser, filename: str, content: Callable[[], bytes], content_type: str
) -> None:
    data = content()
    created = user.upload(filename, data)
    assert created.status_code == 202, created.text
    assert created.json()["content_type"] == content_type
    document = user.wait_for(created.json()["id"])
    assert document["status"] == "ready", document
    pages = user.http.get(f"/api/v1/documents/{document['id']}/pages").json()["items"]
    assert len(pages) == 1
    assert "invoice number 4471" in make.normalise_whitespace(pages[0]["text"]).lower(), pages[0]["text"]
    if pages[0]["source"] == "ocr":
        assert pages[0]["width"] * pages[0]["height"] <= MAX_IMAGE_PIXELS

    original = user.http.get(f"/api/v1/documents/{document['id']}/file")
    assert original.status_code == 200 and original.content == data
    assert original.headers["content-type"] == content_type
    assert original.headers["content-disposition"].startswith("attachment;")
    assert original.headers["x-content-type-options"] == "nosniff"
    assert original.headers["content-security-policy"] == "default-src 'none'; frame-ancestors 'none'"


def test_the_workers_stay_healthy_after_the_hostile_files(
    user: ApiUser, stack: Stack, services_before: dict[str, tuple[int | None, int]]
) -> None:
    created = user.upload("after.txt", make.txt(f"{WORDS}, uploaded after the hostile files."))
    assert created.status_code == 202, created.text
    assert user.wait_for(created.json()["id"])["status"] == "ready"
    after = {name: (proc.pid, proc.restarts) for name, proc in stack.supervisor.processes.items()}
    assert after == services_before
