"""Client-supplied filenames: refused when they try to name a path, otherwise made safe to store and show."""

from __future__ import annotations

import unicodedata

from shared.errors import Invalid

MAX_FILENAME_BYTES = 255


def clean_filename(raw: str | None, *, fallback: str = "upload") -> str:
    if raw is None or not raw.strip():
        return fallback
    name = unicodedata.normalize("NFC", raw).strip()
    if "/" in name or "\\" in name or name in (".", ".."):
        raise Invalid(
            "The filename names a path; send only the file's name.",
            code="invalid_filename",
            extra={"filename": raw[:300]},
        )
    if any(unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Co") for ch in name):
        raise Invalid("The filename contains control characters.", code="invalid_filename")
    name = name.lstrip(".").strip() or fallback  # no hidden files
    return _truncate(name)


def extension(name: str) -> str:
    """Lower-case extension with its dot, or '' when there is none."""
    stem, dot, ext = name.rpartition(".")
    return f".{ext.lower()}" if dot and stem and ext else ""


def _truncate(name: str) -> str:
    if len(name.encode()) <= MAX_FILENAME_BYTES:
        return name
    ext = extension(name)
    budget = MAX_FILENAME_BYTES - len(ext.encode())
    stem = name[: len(name) - len(ext)] if ext else name
    while len(stem.encode()) > budget:
        stem = stem[:-1]
    return stem + ext
