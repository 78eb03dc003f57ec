"""Plain text: decoded once, paged at form feeds and by size."""

from __future__ import annotations

import codecs
import unicodedata
from pathlib import Path

from shared.pipeline.extract.base import (
    NativePages,
    UnreadableDocument,
    split_long,
    trim_blank_pages,
)

# Text where more than this share of characters are control characters is a binary file.
_MAX_CONTROL_SHARE = 0.05
_TEXT_CONTROLS = frozenset("\t\n\r\f\v")
_PREFERRED_ON_TIE = ("cp1252", "latin_1", "iso8859_15")


class TextReader(NativePages):
    """Decodes the file once on open (at most the upload limit) and serves its pages from memory."""

    def __init__(self, path: Path) -> None:
        text = decode_text(path.read_bytes())
        text = text.replace("\r\n", "\n").replace("\r", "\n")
        pages = [piece for part in text.split("\f") for piece in split_long(part)]
        super().__init__(trim_blank_pages(pages))


def decode_text(data: bytes) -> str:
    """UTF-8 (with or without a BOM) when it decodes as such, else the encoding charset-normalizer finds."""
    text: str | None = None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = _detected(data)
    if text is None or _looks_binary(text):
        raise UnreadableDocument(
            "text_undecodable",
            "The text file could not be decoded: its character encoding was not recognised.",
        )
    return text.removeprefix(codecs.BOM_UTF8.decode("utf-8"))


def _detected(data: bytes) -> str | None:
    """The text in the encoding charset-normalizer finds. Short texts often fit several code pages
    equally well (it picks cp1250 for "coûte"); ties go to the Western code pages, the most common
    legacy encodings of the documents this product sees."""
    from charset_normalizer import from_bytes

    matches = from_bytes(data)
    best = matches.best()
    if best is None:
        return None
    tied = {
        match.encoding: match
        for match in matches
        if match.chaos <= best.chaos and match.coherence >= best.coherence
    }
    for encoding in _PREFERRED_ON_TIE:
        if encoding in tied:
            return str(tied[encoding])
    return str(best)


def _looks_binary(text: str) -> bool:
    sample = text[:100_000]
    controls = sum(1 for char in sample if char not in _TEXT_CONTROLS and unicodedata.category(char) == "Cc")
    return controls > _MAX_CONTROL_SHARE * max(len(sample), 1)
