"""OCR by Azure AI Document Intelligence (REST API 2024-11-30): whole documents, one request per batch.

The original file goes to the service as it is (no rendering here) with the pages to read; the service
answers a long-running operation that the SDK polls. Boxes come back in the page's unit, inches for
PDF pages and pixels for images; inches are converted to pixels at `OCR_RENDER_DPI`, so a page read by
the service is sized like one rendered for local OCR.

Retries: the SDK retries 5xx on the analyze POST and 429/5xx on polls, and a 429 on the POST only when
the service sends Retry-After (it does); what still fails becomes a ProviderUnavailable, and the job is
retried later. What retrying cannot fix (credentials, a document the service rejects, limits) becomes
a ProviderRejected.
"""

from __future__ import annotations

import bisect
import io
import re
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from shared.config import OcrSettings
from shared.providers import usage
from shared.providers.errors import (
    Origin,
    ProviderError,
    ProviderKind,
    ProviderRejected,
    ProviderUnavailable,
    retry_after_seconds,
)
from shared.providers.ocr.base import DocumentOcrResult, OcrLine, OcrPage, OcrResult

if TYPE_CHECKING:
    from PIL import Image

PROVIDER = "azure"
# How provider errors name the service (PROVIDER names the OCR engine in results and usage).
SERVICE = "azure_document_intelligence"
READ_MODEL = "prebuilt-read"
_PDF = "application/pdf"
_TIFF = "image/tiff"
_MAX_MESSAGE = 400
# Failed operations with these codes are the service's own trouble, not the document's.
_SERVICE_FAULTS = frozenset({"InternalServerError", "ServiceUnavailable", "Timeout", "TooManyRequests"})


class AzureDocumentIntelligenceProvider:
    """Document Intelligence behind the OCR protocols. The client is made on first use and shared by
    threads (the SDK's clients are thread-safe); the key authenticates when set, else Entra ID."""

    name = PROVIDER

    def __init__(
        self,
        settings: OcrSettings,
        *,
        retry_total: int = 3,
        retry_backoff_seconds: float = 0.8,
    ) -> None:
        if not settings.azure_endpoint:
            raise ValueError("OCR_PROVIDER=azure needs AZURE_DOCUMENT_INTELLIGENCE_ENDPOINT")
        if settings.azure_key is None and not settings.azure_endpoint.lower().startswith("https://"):
            # The SDK sends Entra ID tokens over TLS only; without this it fails every call instead.
            raise ValueError(
                "AZURE_DOCUMENT_INTELLIGENCE_ENDPOINT must be https:// when authenticating with Entra ID "
                "(no AZURE_DOCUMENT_INTELLIGENCE_KEY)"
            )
        self.endpoint = settings.azure_endpoint
        self.model = settings.azure_model
        self.pages_per_request = min(settings.azure_pages_per_request, settings.azure_max_pages)
        self._settings = settings
        self._markdown = settings.azure_model != READ_MODEL
        # The SDK's retry policy: `retry_total` attempts after the first, backing off exponentially
        # from `retry_backoff_seconds` unless the service says how long to wait.
        self._retry = {"retry_total": retry_total, "retry_backoff_factor": retry_backoff_seconds}
        self._client: Any = None
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        endpoint = self._settings.azure_endpoint
        auth = "key" if self._settings.azure_key else "entra-id"
        return f"AzureDocumentIntelligenceProvider(endpoint={endpoint!r}, model={self.model!r}, auth={auth})"

    def recognize(self, image: Image.Image) -> OcrResult:
        buffer = io.BytesIO()
        image.save(buffer, format="PNG")
        self._check_limits(buffer.tell(), 1)
        buffer.seek(0)
        document = self._analyze(buffer, None)
        if not document.pages:
            raise _incomplete("The OCR service returned no page for the image.")
        return document.pages[min(document.pages)].result

    def analyze(self, path: Path, content_type: str, pages: Sequence[int] | None = None) -> DocumentOcrResult:
        """The text of `pages` of the file at `path`: a PDF's pages must be named; None reads a whole
        image or every frame of a TIFF."""
        kind = content_type.split(";", 1)[0].strip().lower()
        if pages is not None:
            wanted = sorted(set(pages))
            if not wanted or wanted[0] < 1:
                raise ValueError(f"pages are 1-based page numbers, not {list(pages)!r}")
            count = len(wanted)
        elif kind == _PDF:
            raise ValueError("name the pages of a PDF to analyze")
        else:
            wanted, count = None, _frame_count(path) if kind == _TIFF else 1
        self._check_limits(path.stat().st_size, count)
        with path.open("rb") as body:
            document = self._analyze(body, wanted)
        if wanted is not None and set(document.pages) != set(wanted):
            missing = sorted(set(wanted) - set(document.pages))
            raise _incomplete(f"The OCR service returned no result for pages {page_ranges(missing)}.")
        return document

    def _check_limits(self, size: int, pages: int) -> None:
        settings = self._settings
        if size > settings.azure_max_bytes:
            raise ProviderRejected(
                "ocr_document_too_large",
                f"The document is {_size(size)}; the OCR service reads files of at most "
                f"{_size(settings.azure_max_bytes)}.",
                provider=SERVICE,
                kind=ProviderKind.OCR,
            )
        if pages > settings.azure_max_pages:
            raise ProviderRejected(
                "ocr_too_many_pages",
                f"{pages} pages were to be read in one request; the OCR service reads at most "
                f"{settings.azure_max_pages}.",
                provider=SERVICE,
                kind=ProviderKind.OCR,
            )

    def prebuilt(self, model_id: str, path: Path, pages: Sequence[int] | None = None) -> dict[str, Any]:
        """The AnalyzeResult (REST names) of a prebuilt extraction model (prebuilt-invoice...) for
        `pages` of the file at `path` (None: all of it): its `documents` hold the model's fields with
        boxes and confidences."""
        wanted = sorted(set(pages)) if pages else None
        self._check_limits(path.stat().st_size, len(wanted) if wanted else 1)
        with path.open("rb") as body:
            return self._analyze(body, wanted, model_id=model_id).raw

    def _analyze(
        self, body: io.IOBase, pages: list[int] | None, *, model_id: str | None = None
    ) -> DocumentOcrResult:
        from azure.core.exceptions import AzureError

        model = model_id or self.model
        markdown = self._markdown and model_id is None
        client = self._get_client()
        try:
            poller = client.begin_analyze_document(
                model,
                body,
                pages=page_ranges(pages) if pages else None,
                output_content_format="markdown" if markdown else None,
                polling_interval=self._settings.azure_polling_seconds,
            )
            result = poller.result()
        except AzureError as exc:
            raise provider_error(exc, self._secret()) from exc
        raw = result.as_dict()
        page_items = raw.get("pages") or []
        usage.record(PROVIDER, model, pages=len(page_items))
        dpi = self._settings.render_dpi
        read = {item["pageNumber"]: document_page(item, raw, dpi, markdown=markdown) for item in page_items}
        return DocumentOcrResult(pages=read, raw=raw)

    def _get_client(self) -> Any:
        with self._lock:
            if self._client is None:
                from azure.ai.documentintelligence import DocumentIntelligenceClient

                self._client = DocumentIntelligenceClient(
                    self.endpoint,
                    self._credential(),
                    polling_interval=self._settings.azure_polling_seconds,
                    **self._retry,
                )
            return self._client

    def _credential(self) -> Any:
        if self._settings.azure_key is not None:
            from azure.core.credentials import AzureKeyCredential

            return AzureKeyCredential(self._settings.azure_key.get_secret_value())
        from azure.identity import DefaultAzureCredential

        return DefaultAzureCredential()

    def _secret(self) -> str | None:
        key = self._settings.azure_key
        return key.get_secret_value() if key is not None else None


def document_page(page: dict[str, Any], analyzed: dict[str, Any], dpi: int, *, markdown: bool) -> OcrPage:
    """One page of an AnalyzeResult (REST names) as an OcrPage, boxes in pixels."""
    scale = float(dpi) if page.get("unit") == "inch" else 1.0
    width, height = round(page["width"] * scale), round(page["height"] * scale)
    words = sorted(page.get("words") or [], key=lambda word: word["span"]["offset"])
    starts = [word["span"]["offset"] for word in words]
    lines: list[OcrLine] = []
    for line in page.get("lines") or []:
        inside = [words[i] for span in line.get("spans") or () for i in _word_indexes(starts, words, span)]
        lines.append(
            OcrLine(
                text=line["content"],
                confidence=_weighted_confidence(inside) or 0.0,
                bbox=_bbox(line.get("polygon") or [], scale, width, height),
            )
        )
    content = analyzed.get("content") or ""
    if markdown:
        text = "".join(content[s["offset"] : s["offset"] + s["length"]] for s in page.get("spans") or ())
        text = text.strip()
    else:
        text = "\n".join(line.text for line in lines)
    number = page["pageNumber"]
    raw = {
        "provider": PROVIDER,
        "apiVersion": analyzed.get("apiVersion"),
        "modelId": analyzed.get("modelId"),
        "contentFormat": analyzed.get("contentFormat"),
        "page": page,
        "paragraphs": _on_page(analyzed.get("paragraphs"), number),
        "tables": _on_page(analyzed.get("tables"), number),
    }
    result = OcrResult(text=text, lines=lines, confidence=_weighted_confidence(words), raw=raw)
    return OcrPage(page_no=number, width=width, height=height, result=result)


def page_ranges(pages: Sequence[int]) -> str:
    """The service's `pages` parameter: [3, 5, 6, 7, 8, 9] -> "3,5-9"."""
    ordered = sorted(set(pages))
    runs: list[str] = []
    start = previous = ordered[0]
    for page in [*ordered[1:], None]:
        if page is not None and page == previous + 1:
            previous = page
            continue
        runs.append(str(start) if start == previous else f"{start}-{previous}")
        if page is not None:
            start = previous = page
    return ",".join(runs)


def provider_error(exc: Exception, secret: str | None = None) -> ProviderError:
    """The provider error for an SDK exception, with a message an end user can read and no secret in it."""
    from azure.core.exceptions import (
        ClientAuthenticationError,
        HttpResponseError,
        ServiceRequestError,
        ServiceResponseError,
    )

    if isinstance(exc, HttpResponseError) and exc.response is not None:
        status = exc.status_code or 0
        body = _json(exc.response)
        codes, message = _service_error(body)
        message = _clean(message, secret)
        where = Origin(provider=SERVICE, kind=ProviderKind.OCR, status=status or None)
        retry_after = retry_after_seconds(getattr(exc.response, "headers", None))
        if body.get("status") == "failed":
            if codes & _SERVICE_FAULTS:
                return ProviderUnavailable(
                    "ocr_service_unavailable",
                    f"The OCR service failed while reading the document: {message}",
                    retry_after=retry_after,
                    **where,
                )
            return ProviderRejected(
                "ocr_rejected", f"The OCR service could not read the document: {message}", **where
            )
        if status in (401, 403):
            return ProviderRejected(
                "ocr_auth_failed",
                f"The OCR service refused our credentials (HTTP {status}); an administrator must fix the "
                "Document Intelligence key or identity.",
                **where,
            )
        if status == 429:
            return ProviderUnavailable(
                "ocr_rate_limited",
                "The OCR service is receiving too many requests (HTTP 429); try again later.",
                retry_after=retry_after,
                **where,
            )
        if status == 408 or status >= 500:
            return ProviderUnavailable(
                "ocr_service_unavailable",
                f"The OCR service is unavailable (HTTP {status}); try again later.",
                retry_after=retry_after,
                **where,
            )
        if 400 <= status < 500:
            return ProviderRejected(
                "ocr_rejected", f"The OCR service rejected the document (HTTP {status}): {message}", **where
            )
        return ProviderUnavailable(
            "ocr_service_unavailable", f"The OCR service answered unexpectedly (HTTP {status}).", **where
        )
    if isinstance(exc, ClientAuthenticationError):
        return ProviderRejected(
            "ocr_auth_failed",
            "No credential for the OCR service could be obtained; an administrator must configure the "
            "Document Intelligence key or the worker's identity.",
            provider=SERVICE,
            kind=ProviderKind.OCR,
        )
    if isinstance(exc, ServiceRequestError | ServiceResponseError):
        return ProviderUnavailable(
            "ocr_service_unavailable",
            "The OCR service could not be reached.",
            provider=SERVICE,
            kind=ProviderKind.OCR,
        )
    return ProviderUnavailable(
        "ocr_service_unavailable", "The OCR service call failed.", provider=SERVICE, kind=ProviderKind.OCR
    )


def _incomplete(message: str) -> ProviderUnavailable:
    """The service answered, but without every page asked for: another request may get them."""
    return ProviderUnavailable("ocr_incomplete", message, provider=SERVICE, kind=ProviderKind.OCR, status=200)


def _word_indexes(starts: list[int], words: list[dict[str, Any]], span: dict[str, int]) -> range:
    begin, end = span["offset"], span["offset"] + span["length"]
    first = bisect.bisect_left(starts, begin)
    last = first
    while last < len(words) and starts[last] + words[last]["span"]["length"] <= end:
        last += 1
    return range(first, last)


def _weighted_confidence(words: Sequence[dict[str, Any]]) -> float | None:
    """Mean word confidence weighted by word length; None without words."""
    weight = sum(len(word["content"]) for word in words)
    if not weight:
        return None
    return sum(float(word.get("confidence", 0.0)) * len(word["content"]) for word in words) / weight


def _bbox(polygon: Sequence[float], scale: float, width: int, height: int) -> tuple[int, int, int, int]:
    if len(polygon) < 2:
        return (0, 0, 0, 0)
    xs, ys = polygon[0::2], polygon[1::2]
    return (
        max(0, int(min(xs) * scale)),
        max(0, int(min(ys) * scale)),
        min(width, round(max(xs) * scale)),
        min(height, round(max(ys) * scale)),
    )


def _on_page(items: list[dict[str, Any]] | None, page_no: int) -> list[dict[str, Any]]:
    return [
        item
        for item in items or ()
        if any(region.get("pageNumber") == page_no for region in item.get("boundingRegions") or ())
    ]


def _json(response: Any) -> dict[str, Any]:
    try:
        body = response.json()
    except Exception:  # an error page that is not JSON
        return {}
    return body if isinstance(body, dict) else {}


def _service_error(body: dict[str, Any]) -> tuple[set[str], str]:
    """Every error code in the body and the messages from the outer error to the innermost."""
    codes: set[str] = set()
    messages: list[str] = []
    error = body.get("error")
    while isinstance(error, dict):
        if error.get("code"):
            codes.add(str(error["code"]))
        message = str(error.get("message") or "").strip()
        if message and message not in messages:
            messages.append(message)
        error = error.get("innererror")
    return codes, " ".join(messages) or "no reason given"


def _clean(message: str, secret: str | None) -> str:
    if secret:
        message = message.replace(secret, "***")
    message = re.sub(r"\s+", " ", message).strip()
    return message if len(message) <= _MAX_MESSAGE else message[: _MAX_MESSAGE - 1] + "…"


def _frame_count(path: Path) -> int:
    """The frames of a TIFF; 1 when it cannot be opened here (the service then says what is wrong)."""
    from PIL import Image

    try:
        with Image.open(path) as image:
            return getattr(image, "n_frames", 1)
    except Exception:
        return 1


def _size(size: int) -> str:
    for unit, scale in (("MB", 1024 * 1024), ("KB", 1024)):
        if size >= scale:
            return f"{size / scale:.1f} {unit}"
    return f"{size} bytes"
