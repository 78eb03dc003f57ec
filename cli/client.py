"""A small client for the v1 HTTP API, used by the command line."""

from __future__ import annotations

import getpass
import mimetypes
import os
from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO, cast

import httpx
from httpx_sse import connect_sse

TERMINAL = {"ready", "failed", "cancelled"}
# Contents asked about per documents-list request: the API takes 100; half keeps every URL short.
SHA256_PER_REQUEST = 50


class ApiError(Exception):
    def __init__(self, status: int, problem: dict[str, Any], retry_after: float | None = None) -> None:
        self.status = status
        self.problem = problem
        self.retry_after = retry_after  # seconds, from the Retry-After header
        detail = problem.get("detail") or problem.get("title") or "request failed"
        super().__init__(f"{status} {problem.get('code', 'error')}: {detail}")

    @property
    def code(self) -> str:
        return str(self.problem.get("code") or f"http_{self.status}")


def _retry_after(response: httpx.Response) -> float | None:
    try:
        return max(0.0, float(response.headers["Retry-After"]))
    except (KeyError, ValueError):  # absent, or an HTTP date (the API always sends seconds)
        return None


def default_api_url() -> str:
    return os.environ.get("WORKOPTI_API_URL") or f"http://127.0.0.1:{os.environ.get('API_PORT', '8000')}"


def default_user() -> str:
    return os.environ.get("WORKOPTI_USER") or getpass.getuser()


class _ProgressReader:
    """Reports bytes as httpx reads the file, so the upload bar moves with the network, not before it."""

    def __init__(self, handle: BinaryIO, report: Callable[[int], None]) -> None:
        self._handle = handle
        self._report = report

    def read(self, size: int = -1) -> bytes:
        data = self._handle.read(size)
        self._report(len(data))
        return data

    def __getattr__(self, name: str) -> Any:
        return getattr(self._handle, name)


@dataclass
class Poll:
    document: dict[str, Any] | None  # None when unchanged since the last ETag
    etag: str | None


class ApiClient:
    def __init__(self, base_url: str, token: str | None = None, timeout: float = 60) -> None:
        self.http = httpx.Client(base_url=base_url.rstrip("/"), timeout=timeout)
        self.token = token

    def close(self) -> None:
        self.http.close()

    def _headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"} if self.token else {}

    def _check(self, response: httpx.Response) -> httpx.Response:
        if response.status_code >= 400:
            try:
                problem = response.json()
            except ValueError:
                problem = {"detail": response.text[:300]}
            raise ApiError(response.status_code, problem, _retry_after(response))
        return response

    def sign_in_dev(self, user_id: str) -> None:
        response = self._check(
            self.http.post("/api/v1/auth/dev-token", json={"user_id": user_id, "name": user_id})
        )
        self.token = response.json()["access_token"]

    def upload(
        self,
        path: Path,
        *,
        pipeline: str | None = None,
        on_bytes: Callable[[int], None] | None = None,
        idempotency_key: str | None = None,
        timeout: httpx.Timeout | None = None,
    ) -> tuple[dict[str, Any], bool]:
        """Returns (document, created); created is False when the same file was already uploaded."""
        content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        data = {"pipeline": pipeline} if pipeline else None
        headers = self._headers() | ({"Idempotency-Key": idempotency_key} if idempotency_key else {})
        with path.open("rb") as handle:
            # The reader passes everything but read() through to the file, so httpx takes it for one.
            stream = cast("BinaryIO", _ProgressReader(handle, on_bytes)) if on_bytes else handle
            response = self._check(
                self.http.post(
                    "/api/v1/documents",
                    files={"file": (path.name, stream, content_type)},
                    data=data,
                    headers=headers,
                    timeout=timeout,
                )
            )
        return response.json(), response.status_code == 202

    def poll(self, document_id: str, etag: str | None = None) -> Poll:
        headers = self._headers() | ({"If-None-Match": etag} if etag else {})
        response = self.http.get(f"/api/v1/documents/{document_id}", headers=headers)
        if response.status_code == 304:
            return Poll(None, etag)
        self._check(response)
        return Poll(response.json(), response.headers.get("ETag"))

    def owned_by_sha256(
        self, digests: Collection[str], batch: int = SHA256_PER_REQUEST
    ) -> list[dict[str, Any]]:
        """The caller's own documents with any of these contents (SHA-256 hex), asked `batch` at a time."""
        wanted = sorted(set(digests))
        found: list[dict[str, Any]] = []
        for start in range(0, len(wanted), batch):
            asked = wanted[start : start + batch]
            params: dict[str, Any] = {"scope": "owned", "sha256": asked, "limit": 100}
            while True:
                body = self._check(
                    self.http.get("/api/v1/documents", params=params, headers=self._headers())
                ).json()
                matching = [item for item in body["items"] if item.get("sha256") in asked]
                found += matching
                # An API without the filter ignores it and lists everything: never page through that.
                if not body.get("next_cursor") or len(matching) < len(body["items"]):
                    break
                params["cursor"] = body["next_cursor"]
        return found

    def reprocess(self, document_id: str, pipeline: str | None = None) -> dict[str, Any]:
        body = {"pipeline": pipeline} if pipeline else None
        response = self.http.post(
            f"/api/v1/documents/{document_id}/reprocess", json=body, headers=self._headers()
        )
        return self._check(response).json()

    def document(self, document_id: str) -> dict[str, Any]:
        return self._check(self.http.get(f"/api/v1/documents/{document_id}", headers=self._headers())).json()

    def results(self, document_id: str) -> dict[str, Any] | None:
        response = self.http.get(f"/api/v1/documents/{document_id}/results", headers=self._headers())
        if response.status_code == 404 and response.json().get("code") == "results_not_ready":
            return None
        return self._check(response).json()

    def pages(self, document_id: str, limit: int = 200) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        cursor = None
        while True:
            params: dict[str, Any] = {"limit": limit} | ({"cursor": cursor} if cursor else {})
            body = self._check(
                self.http.get(
                    f"/api/v1/documents/{document_id}/pages", params=params, headers=self._headers()
                )
            ).json()
            items += body["items"]
            cursor = body.get("next_cursor")
            if not cursor:
                return items

    def ask(
        self, question: str, document_ids: list[str] | None = None, conversation_id: str | None = None
    ) -> Iterator[tuple[str, dict[str, Any]]]:
        """The events of a streamed answer, as (name, data); an `error` event raises ApiError."""
        body: dict[str, Any] = {"question": question}
        if document_ids:
            body["document_ids"] = document_ids
        if conversation_id:
            body["conversation_id"] = conversation_id
        with connect_sse(self.http, "POST", "/api/v1/ask", json=body, headers=self._headers()) as source:
            if source.response.status_code >= 400:
                source.response.read()
                self._check(source.response)
            for event in source.iter_sse():
                data = event.json()
                if event.event == "error":
                    raise ApiError(int(data.get("status", 500)), data)
                yield event.event, data

    def events(self, read_timeout: float = 60) -> Iterator[tuple[str, dict[str, Any]]]:
        """The caller's live events, as (name, data), from now on. Yields ("open", {}) once the stream is
        established, so the caller can catch up on what happened before it."""
        timeout = httpx.Timeout(self.http.timeout.connect or 10, read=read_timeout)
        with connect_sse(
            self.http, "GET", "/api/v1/events", headers=self._headers(), timeout=timeout
        ) as source:
            if source.response.status_code >= 400:
                source.response.read()
                self._check(source.response)
            yield "open", {}
            for event in source.iter_sse():
                if event.event and event.data:
                    yield event.event, event.json()

    def schemas(self) -> Iterator[dict[str, Any]]:
        """The caller's schemas (owned and shared), every page."""
        params: dict[str, Any] = {"limit": 100}
        while True:
            body = self._check(
                self.http.get("/api/v1/schemas", params=params, headers=self._headers())
            ).json()
            yield from body["items"]
            if not body.get("next_cursor"):
                return
            params["cursor"] = body["next_cursor"]

    def export(self, schema_id: str, fmt: str) -> Iterator[bytes]:
        """A schema's export as it streams in."""
        timeout = httpx.Timeout(self.http.timeout.connect or 10, read=600)
        with self.http.stream(
            "GET",
            f"/api/v1/schemas/{schema_id}/export",
            params={"format": fmt},
            headers=self._headers(),
            timeout=timeout,
        ) as response:
            if response.status_code >= 400:
                response.read()
                self._check(response)
            yield from response.iter_bytes()
