"""Blob storage: originals and the full output of each provider, under one prefix per document."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import BinaryIO, Protocol


class BlobNotFound(Exception):
    def __init__(self, key: str) -> None:
        super().__init__(f"no blob at {key!r}")
        self.key = key


class BlobStoreUnavailable(Exception):
    """The store could not be reached or refused the operation; retrying later may succeed."""


class BlobStore(Protocol):
    name: str

    def put_file(
        self, key: str, path: Path, *, content_type: str, metadata: Mapping[str, str] | None = None
    ) -> None:
        """Store the file at `path` under `key`, streaming it; replaces any blob already there."""
        ...

    def put_bytes(self, key: str, data: bytes, *, content_type: str) -> None: ...

    def open_read(self, key: str) -> BinaryIO:
        """A readable stream of the blob; the caller closes it."""
        ...

    def download_to(self, key: str, path: Path) -> None: ...

    def size(self, key: str) -> int: ...

    def delete_prefix(self, prefix: str) -> int:
        """Delete every blob whose key starts with `prefix`; returns how many went."""
        ...

    def check(self) -> None:
        """Raise BlobStoreUnavailable unless the store can be written to."""
        ...


def iter_stream(stream: BinaryIO, chunk_size: int = 1024 * 1024) -> Iterator[bytes]:
    with stream:
        while chunk := stream.read(chunk_size):
            yield chunk


def document_prefix(document_id: object) -> str:
    return f"documents/{document_id}/"


def original_key(document_id: object) -> str:
    return f"documents/{document_id}/original"


def ocr_output_key(document_id: object, page_no: int) -> str:
    return f"documents/{document_id}/ocr/page-{page_no:05d}.json"
