"""A local Azure AI Document Intelligence speaking the REST flow of API version 2024-11-30.

    POST {endpoint}/documentintelligence/documentModels/{modelId}:analyze?api-version=2024-11-30
         [&pages=1-3,5][&outputContentFormat=markdown]
         body: the document's bytes, or JSON {"base64Source": ...}
      -> 202, Operation-Location: {endpoint}/documentintelligence/documentModels/{modelId}/analyzeResults/{id}?api-version=...
    GET  Operation-Location
      -> {"status": "running", ...} for the first poll(s), then
         {"status": "succeeded", "createdDateTime", "lastUpdatedDateTime", "analyzeResult": {...}}
         or {"status": "failed", ..., "error": {"code", "message", "innererror"}}

The analyzeResult is made honestly: every requested page (PDF pages rendered with PDFium, image and
TIFF frames as they are) is read by the project's local OCR engine, and its lines become the
service's `pages[].lines`, `words` (a line's box split in proportion to its characters, each word
with the line's confidence), `spans` into `content`, and `paragraphs`. prebuilt-layout adds `tables`
(visual rows of two or more aligned text boxes) and, with outputContentFormat=markdown, markdown
`content` with HTML tables and `<!-- PageBreak -->` between pages. PDF pages are measured in inches,
images in pixels, as the service does. The prebuilt extraction models (prebuilt-invoice,
prebuilt-receipt, prebuilt-idDocument) read pages as prebuilt-layout does and add `documents`, whose
labelled fields testkit/fakes/prebuilt_documents.py finds in that same result.

Faults are queued with `throttle`, `server_error`, `reject` and `fail_operation`; every request is
recorded (method, path, query, headers, arrival time) in `requests`.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import re
import secrets
import threading
import time
import uuid
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import ThreadingHTTPServer
from typing import Any, Literal
from urllib.parse import parse_qsl, urlsplit

from shared.providers.ocr.base import OcrLine, reading_order
from testkit.fakes import prebuilt_documents
from testkit.fakes.http import Hold, HttpFake, JsonHandler

API_VERSION = "2024-11-30"
MODELS = ("prebuilt-read", "prebuilt-layout", *prebuilt_documents.MODELS)
LAYOUT = "prebuilt-layout"

Phase = Literal["submit", "poll"]

_ANALYZE = re.compile(r"^/documentintelligence/documentModels/(?P<model>[^/:]+):analyze$")
_RESULT = re.compile(r"^/documentintelligence/documentModels/(?P<model>[^/]+)/analyzeResults/(?P<id>[^/]+)$")
_PAGES = re.compile(r"^\d+(-\d+)?(,\d+(-\d+)?)*$")
_UNSUPPORTED = "The file is corrupted or format is unsupported. Refer to documentation for the list of supported formats."


@dataclass(frozen=True)
class RecordedRequest:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]  # names in lower case
    at: float  # time.monotonic() on arrival


@dataclass(frozen=True)
class Analysis:
    """A document the fake accepted: which model read which pages."""

    model_id: str
    pages: list[int]
    content_format: str


@dataclass
class _Fault:
    phase: Phase
    status: int
    body: dict[str, Any]
    retry_after: int | None = None


@dataclass
class _Operation:
    model_id: str
    created: str
    done: threading.Event = field(default_factory=threading.Event)
    result: dict[str, Any] | None = None
    error: dict[str, Any] | None = None
    polls: int = 0
    updated: str = ""


class FakeDocumentIntelligence(HttpFake):
    thread_name = "fake-document-intelligence"

    """The service on a free 127.0.0.1 port. `running_polls` polls of each operation answer "running"
    (with `retry_after` seconds in Retry-After on the 202 and on those polls, when set); `dpi` is what
    PDF pages are rendered at.

    Retry-After is whole seconds, as HTTP defines it (the SDK reads the 202's as an integer).
    """

    def __init__(
        self,
        *,
        key: str | None = None,
        running_polls: int = 1,
        retry_after: int | None = None,
        dpi: int = 150,
    ) -> None:
        super().__init__()
        self.key = key or "di-" + secrets.token_hex(16)
        self.running_polls = running_polls
        self.retry_after = retry_after
        self.dpi = dpi
        self.requests: list[RecordedRequest] = []
        self.analyses: list[Analysis] = []
        self._faults: list[_Fault] = []
        self._failures: list[dict[str, Any]] = []
        self._operations: dict[str, _Operation] = {}
        self._lock = threading.Lock()
        self.hold = Hold()  # analyses kept running (polls answer "running") until released

    @property
    def endpoint(self) -> str:
        return self.origin

    # --- faults ------------------------------------------------------------------------------------

    def stop(self) -> None:
        self.hold.release()
        super().stop()

    def reset(self) -> None:
        """Forget queued faults and recorded requests."""
        with self._lock:
            self._faults.clear()
            self._failures.clear()
            self.requests.clear()
            self.analyses.clear()

    def throttle(self, on: Phase = "submit", *, retry_after: int | None = 1, times: int = 1) -> None:
        """The next `times` requests of that phase answer 429, with Retry-After unless it is None."""
        body = _error(
            "429",
            "Requests to the Analyze Document API have exceeded the rate limit of your current tier. "
            "Please retry after a short while.",
        )
        self._queue(on, 429, body, retry_after, times)

    def server_error(self, on: Phase = "submit", *, status: int = 500, times: int = 1) -> None:
        body = _error("InternalServerError", "An unexpected error occurred.")
        self._queue(on, status, body, None, times)

    def reject(
        self,
        message: str = _UNSUPPORTED,
        *,
        code: str = "InvalidRequest",
        inner_code: str = "InvalidContent",
    ) -> None:
        """The next analyze request is refused with 400 and this error."""
        self._queue("submit", 400, _error(code, "Invalid request.", inner_code, message), None, 1)

    def fail_operation(self, message: str = _UNSUPPORTED, *, code: str = "InvalidContent") -> None:
        """The next accepted operation ends with status "failed" and this error."""
        with self._lock:
            self._failures.append(_error("InvalidRequest", "Invalid request.", code, message)["error"])

    def _queue(
        self, phase: Phase, status: int, body: dict[str, Any], retry_after: int | None, times: int
    ) -> None:
        with self._lock:
            self._faults.extend(_Fault(phase, status, body, retry_after) for _ in range(times))

    def _next_fault(self, phase: Phase) -> _Fault | None:
        with self._lock:
            for index, fault in enumerate(self._faults):
                if fault.phase == phase:
                    return self._faults.pop(index)
        return None

    # --- what was asked ----------------------------------------------------------------------------

    def analyze_requests(self) -> list[RecordedRequest]:
        return [r for r in self.requests if r.method == "POST"]

    def poll_requests(self) -> list[RecordedRequest]:
        return [r for r in self.requests if r.method == "GET"]

    # --- the protocol ------------------------------------------------------------------------------

    def _submit(self, handler: _Handler, model_id: str, query: dict[str, str], body: bytes) -> None:
        if model_id not in MODELS:
            handler.reply(
                404,
                _error("NotFound", "Resource not found.", "ModelNotFound", f"Model {model_id} not found."),
            )
            return
        content_type = handler.headers.get("Content-Type", "").split(";")[0].strip().lower()
        if content_type == "application/json":
            try:
                source = json.loads(body or b"{}")
                body = base64.b64decode(source["base64Source"], validate=True)
            except (ValueError, KeyError, TypeError):
                handler.reply(
                    400, _error("InvalidRequest", "Invalid request.", "InvalidContent", _UNSUPPORTED)
                )
                return
        kind = _kind(body)
        count = _page_count(body, kind) if kind else 0
        if not count:
            handler.reply(400, _error("InvalidRequest", "Invalid request.", "InvalidContent", _UNSUPPORTED))
            return
        pages_param = query.get("pages")
        if pages_param is None:
            pages = list(range(1, count + 1))
        elif not _PAGES.match(pages_param):
            handler.reply(
                400,
                _error(
                    "InvalidArgument",
                    "Invalid argument.",
                    "InvalidParameter",
                    "The parameter pages is invalid.",
                ),
            )
            return
        else:
            pages = _parse_pages(pages_param)
            if not pages or pages[0] < 1 or pages[-1] > count:
                message = f"The page range {pages_param} is outside the document's {count} pages."
                handler.reply(
                    400, _error("InvalidArgument", "Invalid argument.", "InvalidParameter", message)
                )
                return
        markdown = query.get("outputContentFormat", "text").lower() == "markdown"
        now = _now()
        operation = _Operation(model_id=model_id, created=now, updated=now)
        result_id = str(uuid.uuid4())
        with self._lock:
            self._operations[result_id] = operation
            failure = self._failures.pop(0) if self._failures else None
            self.analyses.append(Analysis(model_id, pages, "markdown" if markdown else "text"))
        if failure is not None:
            operation.error = failure
            operation.done.set()
        else:
            threading.Thread(
                target=self._run,
                args=(operation, body, kind, pages, markdown),
                name=f"fake-di-{result_id[:8]}",
                daemon=True,
            ).start()
        location = (
            f"{self.endpoint}/documentintelligence/documentModels/{model_id}/analyzeResults/{result_id}"
            f"?api-version={API_VERSION}"
        )
        headers = {"Operation-Location": location, "apim-request-id": result_id}
        if self.retry_after is not None:
            headers["Retry-After"] = str(self.retry_after)
        handler.reply(202, None, headers)

    def _run(self, operation: _Operation, data: bytes, kind: str, pages: list[int], markdown: bool) -> None:
        self.hold.keep_if_armed()
        try:
            read = [_read_page(data, kind, number, self.dpi) for number in pages]
            operation.result = build_analyze_result(operation.model_id, read, markdown=markdown)
        except Exception as exc:  # the fake's own failure shows up as the service's
            operation.error = _error("InternalServerError", f"An unexpected error occurred: {exc}")["error"]
        operation.updated = _now()
        operation.done.set()

    def _poll(self, handler: _Handler, result_id: str) -> None:
        with self._lock:
            operation = self._operations.get(result_id)
        if operation is None:
            handler.reply(
                404,
                _error(
                    "NotFound", "Resource not found.", "AnalyzeResultNotFound", "Analyze result not found."
                ),
            )
            return
        operation.polls += 1
        status: dict[str, Any] = {
            "createdDateTime": operation.created,
            "lastUpdatedDateTime": operation.updated,
        }
        if operation.polls <= self.running_polls or not operation.done.is_set():
            headers = {"Retry-After": str(self.retry_after)} if self.retry_after is not None else {}
            handler.reply(200, {"status": "running", **status}, headers)
        elif operation.error is not None:
            handler.reply(200, {"status": "failed", **status, "error": operation.error})
        else:
            handler.reply(200, {"status": "succeeded", **status, "analyzeResult": operation.result})


class _Handler(JsonHandler):
    server: ThreadingHTTPServer

    @property
    def fake(self) -> FakeDocumentIntelligence:
        return self.server.fake  # type: ignore[attr-defined]

    def do_POST(self) -> None:
        self._handle("POST")

    def do_GET(self) -> None:
        self._handle("GET")

    def _handle(self, method: str) -> None:
        url = urlsplit(self.path)
        query = dict(parse_qsl(url.query))
        self.fake.requests.append(
            RecordedRequest(
                method, url.path, query, {k.lower(): v for k, v in self.headers.items()}, time.monotonic()
            )
        )
        body = self._body() if method == "POST" else b""
        if self.headers.get("Ocp-Apim-Subscription-Key") != self.fake.key:
            self.reply(
                401,
                _error(
                    "401",
                    "Access denied due to invalid subscription key or wrong API endpoint. Make sure to provide "
                    "a valid key for an active subscription and use a correct regional API endpoint for your "
                    "resource.",
                ),
            )
            return
        if query.get("api-version") != API_VERSION:
            self.reply(404, _error("404", "Resource not found"))
            return
        analyze, result = _ANALYZE.match(url.path), _RESULT.match(url.path)
        if method == "POST" and analyze:
            phase: Phase = "submit"
        elif method == "GET" and result:
            phase = "poll"
        else:
            self.reply(404, _error("404", "Resource not found"))
            return
        fault = self.fake._next_fault(phase)
        if fault is not None:
            headers = {"Retry-After": str(fault.retry_after)} if fault.retry_after is not None else {}
            self.reply(fault.status, fault.body, headers)
        elif analyze:
            self.fake._submit(self, analyze["model"], query, body)
        else:
            assert result is not None
            self.fake._poll(self, result["id"])

    def _body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            chunks = []
            while size := int(self.rfile.readline().split(b";")[0].strip() or b"0", 16):
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
            self.rfile.readline()
            return b"".join(chunks)
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))


# --- reading pages -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReadPage:
    """One page as the local engine read it: lines in reading order, boxes in pixels."""

    number: int
    width: float  # in `unit`
    height: float
    unit: Literal["inch", "pixel"]
    pixels_per_unit: float
    lines: tuple[OcrLine, ...]


_cache: OrderedDict[str, tuple[OcrLine, ...]] = OrderedDict()
_cache_lock = threading.Lock()
_CACHE_PAGES = 256


def _read_page(data: bytes, kind: str, number: int, dpi: int) -> ReadPage:
    if kind == "pdf":
        image, width_pt, height_pt = _render_pdf_page(data, number, dpi)
        return ReadPage(
            number, round(width_pt / 72, 4), round(height_pt / 72, 4), "inch", float(dpi), _ocr(image)
        )
    from PIL import Image

    with Image.open(io.BytesIO(data)) as file:
        file.seek(number - 1)
        frame = file.copy()
    return ReadPage(number, frame.width, frame.height, "pixel", 1.0, _ocr(frame))


def _ocr(image: Any) -> tuple[OcrLine, ...]:
    """The image's lines read by local OCR; the same picture is read once per process."""
    key = hashlib.sha256(image.tobytes()).hexdigest() + f"-{image.mode}-{image.width}x{image.height}"
    with _cache_lock:
        if key in _cache:
            _cache.move_to_end(key)
            return _cache[key]
    lines = tuple(_local_ocr().recognize(image).lines)
    with _cache_lock:
        _cache[key] = lines
        while len(_cache) > _CACHE_PAGES:
            _cache.popitem(last=False)
    return lines


def _render_pdf_page(data: bytes, number: int, dpi: int) -> tuple[Any, float, float]:
    import pypdfium2 as pdfium

    # PDFium is not thread-safe: the fake shares the process-wide lock with the project's reader.
    from shared.pipeline.extract.pdf import _PDFIUM_LOCK

    with _PDFIUM_LOCK:
        pdf = pdfium.PdfDocument(data)
        try:
            page = pdf[number - 1]
            width_pt, height_pt = page.get_size()
            bitmap = page.render(scale=dpi / 72, grayscale=True)
            image = bitmap.to_pil().copy()
            bitmap.close()
            page.close()
        finally:
            pdf.close()
    return image, width_pt, height_pt


_engine: Any = None
_engine_lock = threading.Lock()


def _local_ocr() -> Any:
    global _engine
    with _engine_lock:
        if _engine is None:
            from shared.providers.ocr.rapid import RapidOcrProvider

            _engine = RapidOcrProvider(threads=2)
        return _engine


# --- the analyzeResult -------------------------------------------------------------------------------


class _Content:
    """The result's `content`, built in order; `add` returns where a piece starts."""

    def __init__(self) -> None:
        self._parts: list[str] = []
        self.length = 0

    def add(self, text: str) -> int:
        offset = self.length
        self._parts.append(text)
        self.length += len(text)
        return offset

    def text(self) -> str:
        return "".join(self._parts)


def build_analyze_result(model_id: str, pages: list[ReadPage], *, markdown: bool) -> dict[str, Any]:
    """An AnalyzeResult (REST names) for pages read by local OCR."""
    extraction = model_id in prebuilt_documents.MODELS
    layout = model_id == LAYOUT or extraction  # the extraction models see tables as layout does
    content = _Content()
    out_pages: list[dict[str, Any]] = []
    paragraphs: list[dict[str, Any]] = []
    tables: list[dict[str, Any]] = []
    for index, page in enumerate(pages):
        if index and content.length:
            content.add("\n\n<!-- PageBreak -->\n\n" if markdown else "\n")
        start = content.length
        words: list[dict[str, Any]] = []
        lines: list[dict[str, Any]] = []
        first_block = True
        for block in _blocks(page, tables=layout):
            if not first_block:
                content.add("\n\n" if markdown else "\n")
            first_block = False
            if isinstance(block, _Table):
                tables.append(_write_table(block, page, content, words, lines, markdown=markdown))
            else:
                paragraphs.append(_write_paragraph(block, page, content, words, lines))
        out_page: dict[str, Any] = {
            "pageNumber": page.number,
            "angle": 0.0,
            "width": page.width,
            "height": page.height,
            "unit": page.unit,
            "words": words,
            "lines": lines,
            "spans": [{"offset": start, "length": content.length - start}],
        }
        if layout:
            out_page["selectionMarks"] = []
        out_pages.append(out_page)
    result: dict[str, Any] = {
        "apiVersion": API_VERSION,
        "modelId": model_id,
        "stringIndexType": "textElements",
        "content": content.text(),
        "pages": out_pages,
        "paragraphs": paragraphs,
        "styles": [],
        "contentFormat": "markdown" if markdown else "text",
    }
    if layout:
        result["tables"] = tables
    if extraction:
        result["documents"] = prebuilt_documents.documents(model_id, result)
    return result


@dataclass
class _Table:
    rows: list[list[OcrLine]]


def _blocks(page: ReadPage, *, tables: bool) -> list[list[OcrLine] | _Table]:
    """The page's lines as paragraphs and (for layout) tables, in reading order."""
    rows = reading_order(page.lines)
    blocks: list[list[OcrLine] | _Table] = []
    index = 0
    while index < len(rows):
        run = 1
        width = len(rows[index])
        while tables and width >= 2 and index + run < len(rows) and len(rows[index + run]) == width:
            run += 1
        if tables and width >= 2 and run >= 2:
            blocks.append(_Table(rows[index : index + run]))
            index += run
            continue
        for line in rows[index]:
            previous = blocks[-1] if blocks else None
            if isinstance(previous, list) and _continues(previous[-1], line):
                previous.append(line)
            else:
                blocks.append([line])
        index += 1
    return blocks


def _continues(above: OcrLine, line: OcrLine) -> bool:
    """`line` continues the paragraph ending with `above`: just below it and starting near it."""
    height = max(1, above.bbox[3] - above.bbox[1])
    gap = line.bbox[1] - above.bbox[3]
    return 0 <= gap <= height and abs(line.bbox[0] - above.bbox[0]) <= 2 * height


def _write_paragraph(
    block: list[OcrLine],
    page: ReadPage,
    content: _Content,
    words: list[dict[str, Any]],
    lines: list[dict[str, Any]],
) -> dict[str, Any]:
    start = content.length
    for index, line in enumerate(block):
        if index:
            content.add("\n")
        _write_line(line, page, content, words, lines)
    return {
        "spans": [{"offset": start, "length": content.length - start}],
        "boundingRegions": [{"pageNumber": page.number, "polygon": _polygon(_union(block), page)}],
        "content": "\n".join(line.text for line in block),
    }


def _write_table(
    table: _Table,
    page: ReadPage,
    content: _Content,
    words: list[dict[str, Any]],
    lines: list[dict[str, Any]],
    *,
    markdown: bool,
) -> dict[str, Any]:
    start = content.length
    cells: list[dict[str, Any]] = []
    if markdown:
        content.add("<table>\n")
    for row_index, row in enumerate(table.rows):
        if markdown:
            content.add("<tr>")
        elif row_index:
            content.add("\n")
        for column, line in enumerate(row):
            tag = "th" if row_index == 0 else "td"
            if markdown:
                content.add(f"<{tag}>")
            elif column:
                content.add(" ")
            offset = _write_line(line, page, content, words, lines)
            if markdown:
                content.add(f"</{tag}>")
            cell: dict[str, Any] = {
                "rowIndex": row_index,
                "columnIndex": column,
                "content": line.text,
                "boundingRegions": [{"pageNumber": page.number, "polygon": _polygon(line.bbox, page)}],
                "spans": [{"offset": offset, "length": len(line.text)}],
            }
            if row_index == 0:
                cell["kind"] = "columnHeader"
            cells.append(cell)
        if markdown:
            content.add("</tr>\n")
    if markdown:
        content.add("</table>")
    everything = [line for row in table.rows for line in row]
    return {
        "rowCount": len(table.rows),
        "columnCount": len(table.rows[0]),
        "cells": cells,
        "boundingRegions": [{"pageNumber": page.number, "polygon": _polygon(_union(everything), page)}],
        "spans": [{"offset": start, "length": content.length - start}],
    }


def _write_line(
    line: OcrLine,
    page: ReadPage,
    content: _Content,
    words: list[dict[str, Any]],
    lines: list[dict[str, Any]],
) -> int:
    offset = content.add(line.text)
    x0, y0, x1, y1 = line.bbox
    per_char = (x1 - x0) / max(1, len(line.text))
    confidence = round(min(1.0, max(0.0, line.confidence)), 3)
    for match in re.finditer(r"\S+", line.text):
        box = (x0 + per_char * match.start(), y0, x0 + per_char * match.end(), y1)
        words.append(
            {
                "content": match.group(),
                "polygon": _polygon(box, page),
                "confidence": confidence,
                "span": {"offset": offset + match.start(), "length": len(match.group())},
            }
        )
    lines.append(
        {
            "content": line.text,
            "polygon": _polygon(line.bbox, page),
            "spans": [{"offset": offset, "length": len(line.text)}],
        }
    )
    return offset


def _union(lines: list[OcrLine]) -> tuple[float, float, float, float]:
    return (
        min(line.bbox[0] for line in lines),
        min(line.bbox[1] for line in lines),
        max(line.bbox[2] for line in lines),
        max(line.bbox[3] for line in lines),
    )


def _polygon(box: tuple[float, float, float, float], page: ReadPage) -> list[float]:
    """Clockwise from the top left, in the page's unit."""
    x0, y0, x1, y1 = (round(value / page.pixels_per_unit, 4) for value in box)
    return [x0, y0, x1, y0, x1, y1, x0, y1]


# --- small helpers -----------------------------------------------------------------------------------


def _error(
    code: str, message: str, inner_code: str | None = None, inner_message: str | None = None
) -> dict[str, Any]:
    error: dict[str, Any] = {"code": code, "message": message}
    if inner_code:
        error["innererror"] = {"code": inner_code, "message": inner_message or message}
    return {"error": error}


def _kind(data: bytes) -> str | None:
    if data.startswith(b"%PDF"):
        return "pdf"
    if data.startswith((b"\x89PNG", b"\xff\xd8\xff", b"II*\x00", b"MM\x00*", b"BM")):
        return "image"
    return None


def _page_count(data: bytes, kind: str) -> int:
    try:
        if kind == "pdf":
            import pypdfium2 as pdfium

            from shared.pipeline.extract.pdf import _PDFIUM_LOCK

            with _PDFIUM_LOCK:
                pdf = pdfium.PdfDocument(data)
                try:
                    return len(pdf)
                finally:
                    pdf.close()
        from PIL import Image

        with Image.open(io.BytesIO(data)) as image:
            return getattr(image, "n_frames", 1)
    except Exception:
        return 0


def _parse_pages(text: str) -> list[int]:
    pages: set[int] = set()
    for part in text.split(","):
        first, _, last = part.partition("-")
        pages.update(range(int(first), int(last or first) + 1))
    return sorted(pages)


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


FakeDocumentIntelligence.handler = _Handler
