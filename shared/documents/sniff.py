"""What a file is, from its bytes: never from its name or the client's Content-Type.

Detection reads the magic bytes; validation then opens the structure cheaply (no page is rendered, no
image decoded in full) so a truncated or damaged file is refused at upload rather than failing later.
"""

from __future__ import annotations

import zipfile
from dataclasses import dataclass
from pathlib import Path

from shared.config import LimitsSettings
from shared.documents.filenames import extension
from shared.errors import Invalid, Unprocessable, UnsupportedMediaType

PDF = "application/pdf"
PNG = "image/png"
JPEG = "image/jpeg"
TIFF = "image/tiff"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
TXT = "text/plain"

EXTENSIONS: dict[str, tuple[str, ...]] = {
    PDF: (".pdf",),
    PNG: (".png",),
    JPEG: (".jpg", ".jpeg", ".jpe", ".jfif"),
    TIFF: (".tif", ".tiff"),
    DOCX: (".docx",),
    TXT: (".txt", ".text", ".md", ".markdown", ".csv", ".tsv", ".log"),
}
ALLOWED = tuple(EXTENSIONS)
_DEFAULT_EXTENSION = {ct: exts[0] for ct, exts in EXTENSIONS.items()}

# Shown in the 415 detail so the person knows what we saw.
_KNOWN_OTHERS = (
    (b"MZ", "a Windows executable"),
    (b"\x7fELF", "a Linux executable"),
    (b"\xca\xfe\xba\xbe", "a Mach-O or Java class file"),
    (b"GIF8", "a GIF image"),
    (b"RIFF", "a RIFF media file (WebP, WAV or AVI)"),
    (b"\x1f\x8b", "a gzip archive"),
    (b"Rar!", "a RAR archive"),
    (b"7z\xbc\xaf", "a 7-Zip archive"),
    (b"\xd0\xcf\x11\xe0", "a legacy Microsoft Office file"),
)
_MARKUP_PREFIXES = (
    b"<!doctype html",
    b"<html",
    b"<?xml",
    b"<svg",
    b"<script",
    b"<head",
    b"<body",
    b"<iframe",
)
_MAX_DOCX_UNCOMPRESSED = 512 * 1024 * 1024


@dataclass(frozen=True)
class FileType:
    content_type: str
    page_count: int | None = None

    @property
    def default_extension(self) -> str:
        return _DEFAULT_EXTENSION[self.content_type]


def detect(path: Path, head: bytes) -> str:
    """The allowed content type the bytes are, or UnsupportedMediaType naming what they seem to be."""
    if not head:
        raise Invalid("The file is empty.", code="empty_file")
    if b"%PDF-" in head[:1024]:
        return PDF
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if head.startswith(b"\xff\xd8\xff"):
        return JPEG
    if head[:4] in (b"II*\x00", b"MM\x00*"):
        return TIFF
    if head.startswith(b"PK\x03\x04"):
        if _is_docx(path):
            return DOCX
        raise UnsupportedMediaType("The file is a ZIP archive but not a Word (DOCX) document.")
    for magic, name in _KNOWN_OTHERS:
        if head.startswith(magic):
            raise UnsupportedMediaType(f"The file is {name}, which is not an accepted type.")
    if _is_plain_text(head):
        return TXT
    if _looks_like_markup(head):
        raise UnsupportedMediaType("The file is HTML or XML markup, which is not an accepted type.")
    raise UnsupportedMediaType(
        "The file's type is not recognised; accepted: PDF, PNG, JPEG, TIFF, DOCX, TXT."
    )


def check_extension(filename: str, content_type: str) -> None:
    ext = extension(filename)
    if ext and ext not in EXTENSIONS[content_type]:
        raise UnsupportedMediaType(
            f"The file is named {ext} but its content is {content_type}.",
            code="extension_mismatch",
            extra={"detected_content_type": content_type, "extension": ext},
        )


def validate(path: Path, content_type: str, size: int, limits: LimitsSettings) -> FileType:
    """Open the file's structure; refuse a damaged, encrypted or oversized one with a 4xx reason."""
    if content_type == PDF:
        return FileType(PDF, _validate_pdf(path, size, limits))
    if content_type in (PNG, JPEG, TIFF):
        return FileType(content_type, _validate_image(path, content_type, limits))
    if content_type == DOCX:
        return FileType(DOCX)
    return FileType(TXT)


def _is_docx(path: Path) -> bool:
    try:
        with zipfile.ZipFile(path) as archive:
            names = set(archive.namelist())
            if "[Content_Types].xml" not in names or "word/document.xml" not in names:
                return False
            if sum(info.file_size for info in archive.infolist()) > _MAX_DOCX_UNCOMPRESSED:
                raise Unprocessable(
                    "The document expands to more than 512 MB; it looks like a decompression bomb.",
                    code="decompression_bomb",
                )
            return True
    except zipfile.BadZipFile as exc:
        raise Unprocessable(f"The DOCX file is damaged or truncated ({exc}).", code="corrupt_file") from exc


def _is_plain_text(head: bytes) -> bool:
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):  # UTF-16 with a byte order mark
        return True
    if b"\x00" in head or _looks_like_markup(head):
        return False
    try:
        head.decode("utf-8")
        return True
    except UnicodeDecodeError as exc:
        if exc.start >= len(head) - 3:  # a multi-byte character cut by the sample boundary
            return True
    from charset_normalizer import from_bytes

    best = from_bytes(head).best()
    return best is not None and best.chaos < 0.2


def _looks_like_markup(head: bytes) -> bool:
    start = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    return start.startswith(_MARKUP_PREFIXES)


def _validate_pdf(path: Path, size: int, limits: LimitsSettings) -> int:
    with path.open("rb") as handle:
        handle.seek(max(0, size - 2048))
        tail = handle.read()
    if b"%%EOF" not in tail:
        raise Unprocessable("The PDF is truncated (it has no end-of-file marker).", code="corrupt_file")
    import pypdfium2

    try:
        pdf = pypdfium2.PdfDocument(str(path))
    except pypdfium2.PdfiumError as exc:
        if "password" in str(exc).lower():
            raise Unprocessable("The PDF is password-protected.", code="encrypted_pdf") from exc
        raise Unprocessable(f"The PDF could not be opened ({exc}).", code="corrupt_file") from exc
    try:
        pages = len(pdf)
    finally:
        pdf.close()
    if pages < 1:
        raise Unprocessable("The PDF has no pages.", code="corrupt_file")
    if pages > limits.max_pages:
        raise Unprocessable(
            f"The PDF has {pages} pages; the limit is {limits.max_pages}.", code="too_many_pages"
        )
    return pages


def _validate_image(path: Path, content_type: str, limits: LimitsSettings) -> int:
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as image:
            frames = 0
            while True:
                width, height = image.size
                if width * height > limits.max_image_pixels:
                    raise Unprocessable(
                        f"The image is {width}x{height} pixels; the limit is {limits.max_image_pixels:,} "
                        "pixels per page.",
                        code="image_too_large",
                    )
                frames += 1
                if frames > limits.max_pages:
                    raise Unprocessable(
                        f"The image has more than {limits.max_pages} frames.", code="too_many_pages"
                    )
                if content_type != TIFF:
                    break
                try:
                    image.seek(frames)
                except EOFError:
                    break
            if content_type == PNG:
                image.verify()  # walks every chunk and checks its CRC: catches truncation
    except Image.DecompressionBombError as exc:
        raise Unprocessable(str(exc), code="image_too_large") from exc
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise Unprocessable(f"The image is damaged or truncated ({exc}).", code="corrupt_file") from exc
    if content_type == JPEG and not _jpeg_complete(path):
        raise Unprocessable("The JPEG is truncated (it has no end-of-image marker).", code="corrupt_file")
    return frames


def _jpeg_complete(path: Path) -> bool:
    size = path.stat().st_size
    with path.open("rb") as handle:
        handle.seek(max(0, size - 4096))
        tail = handle.read().rstrip(b"\x00\r\n ")
    return b"\xff\xd9" in tail[-64:]
