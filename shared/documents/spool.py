"""An upload written to a local spool file as it arrives: hashed, measured and capped on the way in."""

from __future__ import annotations

import hashlib
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from shared.errors import TooLarge

HEAD_BYTES = 8192


@dataclass(frozen=True)
class SpooledFile:
    path: Path
    size: int
    sha256: str
    head: bytes


class SpoolWriter:
    """Write chunks as they arrive; the whole body never sits in memory and an oversized body is cut off
    at the first byte past the limit, not after it has all been received."""

    def __init__(self, directory: Path, max_bytes: int) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(dir=directory, prefix="upload-")
        self._file = os.fdopen(fd, "wb")
        self.path = Path(name)
        self.max_bytes = max_bytes
        self.size = 0
        self._hash = hashlib.sha256()
        self._head = bytearray()

    def write(self, chunk: bytes) -> None:
        self.size += len(chunk)
        if self.size > self.max_bytes:
            raise TooLarge(
                f"The file is larger than the {self.max_bytes:,} byte limit.",
                extra={"max_bytes": self.max_bytes},
            )
        if len(self._head) < HEAD_BYTES:
            self._head += chunk[: HEAD_BYTES - len(self._head)]
        self._hash.update(chunk)
        self._file.write(chunk)

    def finish(self) -> SpooledFile:
        self._file.close()
        return SpooledFile(self.path, self.size, self._hash.hexdigest(), bytes(self._head))

    def discard(self) -> None:
        if not self._file.closed:
            self._file.close()
        self.path.unlink(missing_ok=True)
