"""Blob storage: originals and the full output of each provider, under one prefix per document."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import BinaryIO, Protocol

# Azure Blob Storage allows 1,024 characters in a blob name; the local store keeps to the same.
MAX_KEY_LENGTH = 1024
# Metadata travels as `x-ms-meta-<name>` headers, whose names must be C# identifiers.
_METADATA_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


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
        """Store the file at `path` under `key`, streaming it; replaces any blob already there.
        Metadata names are identifiers (`check_metadata`); values are any text."""
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

    def read_url(self, key: str, ttl_seconds: int) -> str | None:
        """A URL a client may download the blob from directly for the next `ttl_seconds`, granting
        nothing but reading this one blob; None when the store cannot hand one out (stream it instead).
        The URL is a credential: hand it to the one client it is for and never log it."""
        ...


def check_key(key: str) -> str:
    """`key` if it is a valid blob key: "/"-separated segments, none empty, "." or "..", no backslash
    or control character. Raises ValueError otherwise."""
    segments = key.split("/")
    if (
        not key
        or len(key) > MAX_KEY_LENGTH
        or any(segment in ("", ".", "..") for segment in segments)
        or "\\" in key
        or any(ord(char) < 0x20 or ord(char) == 0x7F for char in key)
    ):
        raise ValueError(f"invalid blob key {key!r}")
    return key


def check_prefix(prefix: str) -> str:
    """`prefix` if it is a valid key followed by "/"; the slash keeps `documents/abc/` from also
    matching `documents/abcd/`. Raises ValueError otherwise."""
    if not prefix.endswith("/"):
        raise ValueError("prefixes end with '/' so one document's prefix never matches another's")
    check_key(prefix[:-1])
    return prefix


def check_metadata(metadata: Mapping[str, str] | None) -> dict[str, str]:
    """A copy of `metadata` if every name is an identifier and every value a string; raises ValueError."""
    checked: dict[str, str] = {}
    for name, value in (metadata or {}).items():
        if not isinstance(name, str) or not _METADATA_NAME.fullmatch(name):
            raise ValueError(f"metadata names must be identifiers (letters, digits, '_'), not {name!r}")
        if not isinstance(value, str):
            raise ValueError(f"metadata value for {name!r} must be a string")
        checked[name] = value
    return checked


def iter_stream(stream: BinaryIO, chunk_size: int = 1024 * 1024) -> Iterator[bytes]:
    with stream:
        while chunk := stream.read(chunk_size):
            yield chunk


def document_prefix(document_id: object) -> str:
    return f"documents/{document_id}/"


def original_key(document_id: object) -> str:
    return f"documents/{document_id}/original"


def batch_prefix(batch_id: object) -> str:
    return f"batches/{batch_id}/"


def batch_source_key(batch_id: object) -> str:
    """The ZIP archive a batch was made from, kept as it was uploaded."""
    return f"batches/{batch_id}/source.zip"


def job_prefix(document_id: object, job_id: object) -> str:
    """Where one job's blobs live: under its document's prefix, so deleting the document takes them too."""
    return f"documents/{document_id}/jobs/{job_id}/"
