"""Blobs as files under one directory, written atomically."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path, PurePosixPath
from typing import BinaryIO

from shared.providers.storage.base import BlobNotFound, BlobStoreUnavailable

_META_SUFFIX = ".meta.json"


class LocalBlobStore:
    name = "local"

    def __init__(self, root: Path) -> None:
        self.root = root.resolve()

    def _path(self, key: str) -> Path:
        parts = PurePosixPath(key).parts
        if not key or key.startswith("/") or any(part in ("..", ".", "") for part in parts):
            raise ValueError(f"invalid blob key {key!r}")
        if key.endswith(_META_SUFFIX):
            raise ValueError(f"blob keys may not end with {_META_SUFFIX}")
        return self.root.joinpath(*parts)

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
        except FileNotFoundError:
            raise BlobNotFound(key) from None

    def download_to(self, key: str, path: Path) -> None:
        with self.open_read(key) as src, path.open("wb") as out:
            shutil.copyfileobj(src, out, 1024 * 1024)

    def size(self, key: str) -> int:
        try:
            return self._path(key).stat().st_size
        except FileNotFoundError:
            raise BlobNotFound(key) from None

    def delete_prefix(self, prefix: str) -> int:
        if not prefix.endswith("/"):
            raise ValueError("prefixes end with '/' so one document's prefix never matches another's")
        directory = self._path(prefix.rstrip("/"))
        if not directory.exists():
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
