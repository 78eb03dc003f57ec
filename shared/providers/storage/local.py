"""Blobs as files under one directory, written atomically."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import BinaryIO

from shared.providers.storage.base import (
    BlobNotFound,
    BlobStoreUnavailable,
    check_key,
    check_metadata,
    check_prefix,
)

_META_SUFFIX = ".meta.json"
_DEFAULT_CONTENT_TYPE = "application/octet-stream"


class LocalBlobStore:
    name = "local"

    def __init__(self, root: Path) -> None:
        self.root = root.resolve()

    def __repr__(self) -> str:
        return f"LocalBlobStore(root={str(self.root)!r})"

    def _path(self, key: str) -> Path:
        check_key(key)
        if key.endswith(_META_SUFFIX):
            raise ValueError(f"blob keys may not end with {_META_SUFFIX}")
        return self.root.joinpath(*key.split("/"))

    def _write_atomically(
        self, target: Path, write: Callable[[BinaryIO], object], *, durable: bool = True
    ) -> None:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as out:
                write(out)
                out.flush()
                if durable:  # on disk before the database row that points at it commits
                    os.fsync(out.fileno())
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def put_file(
        self, key: str, path: Path, *, content_type: str, metadata: Mapping[str, str] | None = None
    ) -> None:
        target = self._path(key)
        metadata = check_metadata(metadata)
        try:

            def copy(out: BinaryIO) -> None:
                with path.open("rb") as src:
                    shutil.copyfileobj(src, out, 1024 * 1024)

            self._write_atomically(target, copy)
            self._write_meta(target, content_type, metadata)
        except OSError as exc:
            raise BlobStoreUnavailable(f"local blob store could not write {key!r}: {exc.strerror}") from exc

    def put_bytes(self, key: str, data: bytes, *, content_type: str) -> None:
        target = self._path(key)
        try:
            self._write_atomically(target, lambda out: out.write(data))
            self._write_meta(target, content_type, None)
        except OSError as exc:
            raise BlobStoreUnavailable(f"local blob store could not write {key!r}: {exc.strerror}") from exc

    def _write_meta(self, target: Path, content_type: str, metadata: Mapping[str, str] | None) -> None:
        meta = json.dumps({"content_type": content_type, "metadata": dict(metadata or {})}).encode()
        # The sidecar is a convenience (the database has the content type): atomic, but not synced.
        sidecar = target.with_name(target.name + _META_SUFFIX)
        self._write_atomically(sidecar, lambda out: out.write(meta), durable=False)

    def open_read(self, key: str) -> BinaryIO:
        try:
            return self._path(key).open("rb")
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
            raise BlobNotFound(key) from None

    def download_to(self, key: str, path: Path) -> None:
        with self.open_read(key) as src, path.open("wb") as out:
            shutil.copyfileobj(src, out, 1024 * 1024)

    def size(self, key: str) -> int:
        target = self._path(key)
        if not target.is_file():
            raise BlobNotFound(key)
        return target.stat().st_size

    def properties(self, key: str) -> tuple[str, dict[str, str]]:
        """The content type and metadata stored with the blob (from its sidecar); for tests and tools,
        not part of the BlobStore protocol."""
        target = self._path(key)
        if not target.is_file():
            raise BlobNotFound(key)
        try:
            meta = json.loads(target.with_name(target.name + _META_SUFFIX).read_bytes())
        except FileNotFoundError:
            return _DEFAULT_CONTENT_TYPE, {}
        return meta["content_type"], dict(meta["metadata"])

    def delete_prefix(self, prefix: str) -> int:
        directory = self._path(check_prefix(prefix)[:-1])
        if not directory.is_dir():
            return 0
        count = sum(1 for p in directory.rglob("*") if p.is_file() and not p.name.endswith(_META_SUFFIX))
        shutil.rmtree(directory)
        return count

    def check(self) -> None:
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            with tempfile.NamedTemporaryFile(dir=self.root, prefix=".probe-"):
                pass
        except OSError as exc:
            raise BlobStoreUnavailable(
                f"local blob store at {self.root} is not writable: {exc.strerror}"
            ) from exc

    def read_url(self, key: str, ttl_seconds: int) -> str | None:
        """Always None: files on this machine have no URL of their own, so the API streams them."""
        self._path(key)
        return None
