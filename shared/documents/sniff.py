"""What a file is, from its bytes: never from its name or the client's Content-Type.

Detection reads the magic bytes; validation then opens the structure cheaply (no page is rendered, no
image decoded in full) so a truncated or damaged file is refused at upload rather than failing later.

Hostile files are refused here too, each at a bounded cost whatever the file claims: images and TIFF
frames larger than the pixel limit, more frames or pages than the page limit, PDF streams and DOCX parts
that inflate far beyond their size, and polyglots (a file that is also a ZIP archive, or a PDF that
starts as something else), which other programs would open as that other type.
"""

from __future__ import annotations

import itertools
import mmap
import re
import struct
import zipfile
import zlib
from collections.abc import Iterator
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

_MAGIC = (
    (b"\x89PNG\r\n\x1a\n", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"II*\x00", "a TIFF image"),
    (b"MM\x00*", "a TIFF image"),
    (b"PK\x03\x04", "a ZIP archive"),
)
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
_MARKUP_TAG = re.compile(rb"<[!?/a-zA-Z]")
# PDF readers accept a header anywhere in the first kilobyte; bytes before it are tolerated junk.
_PDF_HEADER_WINDOW = 1024

# DOCX: what a Word document is never near. A part (or the whole) inflating more than _MAX_RATIO
# times is a bomb once it is past _RATIO_FLOOR; smaller ones cost nothing whatever their ratio.
_MAX_DOCX_UNCOMPRESSED = 512 * 1024 * 1024
_MAX_DOCX_PARTS = 10_000
_MAX_ZIP_DIRECTORY = 4 * 1024 * 1024
_MAX_RATIO = 100
_RATIO_FLOOR = 16 * 1024 * 1024
_EOCD = b"PK\x05\x06"
_EOCD_SEARCH = 22 + 65535  # the end record and the longest comment it may carry

# PDF streams: readers hold a decoded content, font or object stream in memory whole, and a decoded
# image at its full size. One stream may inflate to what an image at the pixel limit needs (4 bytes a
# pixel, CMYK) but at least _MIN_STREAM_CAP; all of them together to _MAX_PDF_INFLATED.
_MIN_STREAM_CAP = 64 * 1024 * 1024
_MAX_PDF_INFLATED = 2 * 1024 * 1024 * 1024
_PDF_STREAM = re.compile(rb"(?<!end)stream[\x00\t\n\x0c\r ]{1,4}")
_MAX_NESTED_DEFLATE = 4
_INFLATE_IN = 64 * 1024
_INFLATE_OUT = 1024 * 1024

# TIFF: a directory holds a few dozen tags in practice; the walk reads directories, never pixels.
_MAX_TIFF_TAGS = 512
_TIFF_VALUE_BYTES = {1: 1, 2: 1, 3: 2, 4: 4, 5: 8, 6: 1, 7: 1, 8: 2, 9: 4, 10: 8, 11: 4, 12: 8, 13: 4, 16: 8, 17: 8, 18: 8}  # fmt: skip
_TIFF_SHORT, _TIFF_LONG = 3, 4
_TIFF_WIDTH, _TIFF_HEIGHT = 256, 257
# Values stored out of line, summed over every directory: each lives somewhere in the file, so a sum
# far beyond the file's size means directories share tables to multiply a reader's work.
_TIFF_SHARED_SLACK = 1024 * 1024


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
    pdf_at = head.find(b"%PDF-", 0, _PDF_HEADER_WINDOW)
    if pdf_at >= 0:
        _refuse_foreign_prefix(head[:pdf_at])
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
        raise UnsupportedMediaType(
            "The file is a ZIP archive but not a Word (DOCX) document; upload archives to "
            "/api/v1/batches, which makes a document of each file inside.",
            code="archive_use_batches",
        )
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
    """Open the file's structure; refuse a damaged, encrypted, oversized or two-faced one with a 4xx."""
    if content_type != DOCX and _ends_with_zip(path, size):
        raise UnsupportedMediaType(
            f"The file is {_described(content_type)} with a ZIP archive appended, so other programs open it "
            "as an archive; upload the document on its own.",
            code="polyglot_file",
        )
    if content_type == PDF:
        return FileType(PDF, _validate_pdf(path, size, limits))
    if content_type in (PNG, JPEG, TIFF):
        return FileType(content_type, _validate_image(path, content_type, size, limits))
    if content_type == DOCX:
        return FileType(DOCX)
    return FileType(TXT)


def _described(content_type: str) -> str:
    return {PDF: "a PDF", PNG: "a PNG image", JPEG: "a JPEG image", TIFF: "a TIFF image"}.get(
        content_type, "a text file"
    )


def _refuse_foreign_prefix(prefix: bytes) -> None:
    """Junk before a PDF header is tolerated (readers skip it); another format's start or markup is
    not: the file would be that other thing to whatever looks at its first bytes."""
    start = prefix.lstrip(b"\x00\t\n\x0c\r \xef\xbb\xbf")
    if not start:
        return
    for magic, name in (*_MAGIC, *_KNOWN_OTHERS):
        if start.startswith(magic):
            raise UnsupportedMediaType(
                f"The file is {name} and a PDF at once; upload the document on its own.", code="polyglot_file"
            )
    if _MARKUP_TAG.search(prefix):
        raise UnsupportedMediaType(
            "The file starts as HTML or XML markup and then holds a PDF; upload the document on its own.",
            code="polyglot_file",
        )


def _ends_with_zip(path: Path, size: int) -> bool:
    """Whether a ZIP end record with its central directory right before it closes the file: what ZIP
    (and JAR) readers look for, wherever the archive starts."""
    start = max(0, size - _EOCD_SEARCH)
    with path.open("rb") as handle:
        handle.seek(start)
        tail = handle.read()
        at = tail.rfind(_EOCD)
        while at >= 0:
            record = tail[at : at + 22]
            if len(record) == 22:
                disk, directory_disk, here, entries, directory_size, _, _ = struct.unpack(
                    "<HHHHIIH", record[4:]
                )
                if directory_size == 0xFFFFFFFF or entries == 0xFFFF:
                    if at >= 20 and tail[at - 20 : at - 16] == b"PK\x06\x07":  # ZIP64 locator
                        return True
                elif disk == directory_disk == 0 and here == entries > 0:
                    directory_at = start + at - directory_size
                    if directory_at >= 0:
                        handle.seek(directory_at)
                        if handle.read(4) == b"PK\x01\x02":
                            return True
            at = tail.rfind(_EOCD, 0, at)
    return False


def _is_docx(path: Path) -> bool:
    size = path.stat().st_size
    directory = _zip_directory(path, size)
    if directory is not None:
        entries, directory_size = directory
        if entries > _MAX_DOCX_PARTS or directory_size > _MAX_ZIP_DIRECTORY:
            raise Unprocessable(
                f"The archive lists {entries:,} parts in a {directory_size:,} byte directory; a Word "
                f"document has far fewer (at most {_MAX_DOCX_PARTS:,} are accepted).",
                code="decompression_bomb",
            )
    try:
        with zipfile.ZipFile(path) as archive:
            infos = archive.infolist()
    except zipfile.BadZipFile as exc:
        raise Unprocessable(f"The DOCX file is damaged or truncated ({exc}).", code="corrupt_file") from exc
    names = {info.filename for info in infos}
    if "[Content_Types].xml" not in names or "word/document.xml" not in names:
        return False
    if len(infos) > _MAX_DOCX_PARTS:
        raise Unprocessable(
            f"The document has {len(infos):,} parts; at most {_MAX_DOCX_PARTS:,} are accepted.",
            code="decompression_bomb",
        )
    _check_expansion(infos)
    return True


def _zip_directory(path: Path, size: int) -> tuple[int, int] | None:
    """(entries, central directory bytes) from the archive's end record, read before any ZIP library
    parses the directory (which costs memory for every entry it lists); None when there is no end
    record, which the ZIP library then reports as damage."""
    start = max(0, size - _EOCD_SEARCH)
    with path.open("rb") as handle:
        handle.seek(start)
        tail = handle.read()
        at = tail.rfind(_EOCD)
        if at < 0 or len(tail) - at < 22:
            return None
        entries, directory_size = struct.unpack("<HI", tail[at + 10 : at + 16])
        locator = tail[at - 20 : at] if at >= 20 else b""
        if (entries == 0xFFFF or directory_size == 0xFFFFFFFF) and locator.startswith(b"PK\x06\x07"):
            (record_at,) = struct.unpack("<Q", locator[8:16])
            handle.seek(record_at)
            record = handle.read(56)
            if len(record) == 56 and record.startswith(b"PK\x06\x06"):
                entries, directory_size = struct.unpack("<QQ", record[32:48])
        return entries, directory_size


def _check_expansion(infos: list[zipfile.ZipInfo]) -> None:
    total = sum(info.file_size for info in infos)
    packed = sum(info.compress_size for info in infos)
    if total > _MAX_DOCX_UNCOMPRESSED:
        raise Unprocessable(
            "The document expands to more than 512 MB; it looks like a decompression bomb.",
            code="decompression_bomb",
        )
    swollen = [info for info in infos if _swells(info.file_size, info.compress_size)]
    if swollen or _swells(total, packed):
        worst = max(swollen or infos, key=lambda info: info.file_size / max(info.compress_size, 1))
        ratio = worst.file_size // max(worst.compress_size, 1) if swollen else total // max(packed, 1)
        raise Unprocessable(
            f"The document expands {ratio:,} times its packed size; it looks like a decompression bomb.",
            code="decompression_bomb",
        )


def _swells(size: int, packed: int) -> bool:
    return size > _RATIO_FLOOR and size > _MAX_RATIO * max(packed, 1)


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


# --- PDF ------------------------------------------------------------------------------------------


def _validate_pdf(path: Path, size: int, limits: LimitsSettings) -> int:
    with path.open("rb") as handle:
        handle.seek(max(0, size - 2048))
        tail = handle.read()
    if b"%%EOF" not in tail:
        raise Unprocessable("The PDF is truncated (it has no end-of-file marker).", code="corrupt_file")
    # Before the PDF library opens it: opening already decodes the cross-reference and object streams.
    _check_pdf_streams(path, limits)
    import pypdfium2

    try:
        pdf = pypdfium2.PdfDocument(str(path))
    except pypdfium2.PdfiumError as exc:
        if "password" in str(exc).lower():
            raise Unprocessable("The PDF is password-protected.", code="encrypted_pdf") from exc
        raise Unprocessable(f"The PDF could not be opened ({exc}).", code="corrupt_file") from exc
    try:
        pages = len(pdf)
        if pages < 1:
            raise Unprocessable("The PDF has no pages.", code="corrupt_file")
        if pages > limits.max_pages:
            raise Unprocessable(
                f"The PDF has {pages} pages; the limit is {limits.max_pages}.", code="too_many_pages"
            )
        # The page count is what the page tree claims; each page's entry is looked up without its content.
        for index in range(pages):
            try:
                pdf.get_page_size(index)
            except pypdfium2.PdfiumError as exc:
                raise Unprocessable(
                    f"The PDF declares {pages} pages but page {index + 1} is missing.", code="corrupt_file"
                ) from exc
    finally:
        pdf.close()
    return pages


def _check_pdf_streams(path: Path, limits: LimitsSettings) -> None:
    """Refuse a PDF whose zlib streams (nested ones included) inflate past the caps. Every stream that
    starts like zlib data is measured, whatever its dictionary says: a dictionary can lie about being
    an image, the decoder reading the stream cannot."""
    cap = max(_MIN_STREAM_CAP, 4 * limits.max_image_pixels)
    left = _MAX_PDF_INFLATED
    with path.open("rb") as handle, mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as data:
        for match in _PDF_STREAM.finditer(data):
            start = match.end()
            if not _is_zlib(data[start : start + 2]):
                continue
            inflated = _inflated_size(data, start, min(cap, left) + 1)
            if inflated > cap:
                raise Unprocessable(
                    f"A stream in the PDF inflates to more than {cap // 10**6:,} MB; it looks like a "
                    "decompression bomb.",
                    code="decompression_bomb",
                )
            left -= inflated
            if left < 0:
                raise Unprocessable(
                    f"The PDF's streams inflate to more than {_MAX_PDF_INFLATED // 2**30} GB in all; it "
                    "looks like a decompression bomb.",
                    code="decompression_bomb",
                )


def _is_zlib(head: bytes) -> bool:
    return len(head) == 2 and head[0] & 0x0F == 8 and head[0] >> 4 <= 7 and (head[0] << 8 | head[1]) % 31 == 0


def _inflated_size(data: mmap.mmap, start: int, stop_after: int) -> int:
    """What the zlib stream at `start` inflates to, plus what zlib streams inside it inflate to;
    counting stops once past `stop_after`. Memory stays at a few buffers whatever the sizes."""
    counted = [0]

    def count(pieces: Iterator[bytes]) -> Iterator[bytes]:
        for piece in pieces:
            counted[0] += len(piece)
            if counted[0] > stop_after:
                return
            yield piece

    source = (data[at : at + _INFLATE_IN] for at in range(start, len(data), _INFLATE_IN))
    pieces = count(_inflate(source))
    for _ in range(_MAX_NESTED_DEFLATE):
        head, pieces = _peek(pieces, 2)
        if not _is_zlib(head):
            break
        pieces = count(_inflate(pieces))
    for _ in pieces:
        pass
    return counted[0]


def _inflate(chunks: Iterator[bytes]) -> Iterator[bytes]:
    """Inflated pieces of the zlib stream in `chunks`, until it ends or turns out damaged (readers keep
    what was decoded before the damage, so that is counted too)."""
    inflater = zlib.decompressobj()
    for chunk in chunks:
        pending = chunk
        while pending and not inflater.eof:
            try:
                piece = inflater.decompress(pending, _INFLATE_OUT)
            except zlib.error:
                return
            pending = inflater.unconsumed_tail
            if piece:
                yield piece
        if inflater.eof:
            return


def _peek(pieces: Iterator[bytes], size: int) -> tuple[bytes, Iterator[bytes]]:
    """The first `size` bytes of `pieces` and an iterator over all of them again."""
    taken: list[bytes] = []
    while sum(map(len, taken)) < size:
        piece = next(pieces, None)
        if piece is None:
            break
        taken.append(piece)
    return b"".join(taken)[:size], itertools.chain(taken, pieces)


# --- images ---------------------------------------------------------------------------------------


def _validate_image(path: Path, content_type: str, size: int, limits: LimitsSettings) -> int:
    frames = _tiff_frames(path, size, limits) if content_type == TIFF else 1
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as image:
            _check_pixels(*image.size, limits)
            if content_type == PNG:
                image.verify()  # walks every chunk and checks its CRC: catches truncation
    except Image.DecompressionBombError as exc:
        raise Unprocessable(
            f"The image declares far more than the limit of {limits.max_image_pixels:,} pixels per page.",
            code="image_too_large",
        ) from exc
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise Unprocessable(f"The image is damaged or truncated ({exc}).", code="corrupt_file") from exc
    if content_type == JPEG and not _jpeg_complete(path):
        raise Unprocessable("The JPEG is truncated (it has no end-of-image marker).", code="corrupt_file")
    return frames


def _check_pixels(width: int, height: int, limits: LimitsSettings, frame: int | None = None) -> None:
    if width * height > limits.max_image_pixels:
        what = f"Frame {frame} of the image" if frame else "The image"
        raise Unprocessable(
            f"{what} is {width}x{height} pixels; the limit is {limits.max_image_pixels:,} pixels per page.",
            code="image_too_large",
        )


def _tiff_frames(path: Path, size: int, limits: LimitsSettings) -> int:
    """Walk the TIFF's chain of image directories, reading tags only: the frame count, each frame's
    size against the pixel limit, a stop past the page limit. Bounded by the limits, not by the file."""
    with path.open("rb") as handle:

        def read(offset: int, length: int) -> bytes:
            handle.seek(offset)
            data = handle.read(length)
            if len(data) < length:
                raise Unprocessable(
                    "The TIFF is truncated (a directory runs past the end of the file).", code="corrupt_file"
                )
            return data

        order = "<" if read(0, 2) == b"II" else ">"
        (offset,) = struct.unpack(order + "I", read(4, 4))
        seen: set[int] = set()
        shared = 0
        while offset:
            if offset in seen:
                raise Unprocessable("The TIFF's image directories form a loop.", code="corrupt_file")
            seen.add(offset)
            frame = len(seen)
            if frame > limits.max_pages:
                raise Unprocessable(
                    f"The image has more than {limits.max_pages} frames; the limit is {limits.max_pages}.",
                    code="too_many_pages",
                )
            (count,) = struct.unpack(order + "H", read(offset, 2))
            if not 0 < count <= _MAX_TIFF_TAGS:
                raise Unprocessable(
                    f"Frame {frame} of the TIFF has {count} tags; a valid image has between 1 and "
                    f"{_MAX_TIFF_TAGS}.",
                    code="corrupt_file",
                )
            entries = read(offset + 2, 12 * count + 4)
            width = height = 0
            for tag, kind, number, value in struct.iter_unpack(order + "HHI4s", entries[:-4]):
                length = _TIFF_VALUE_BYTES.get(kind, 1) * number
                if length > 4:
                    (at,) = struct.unpack(order + "I", value)
                    if at + length > size:
                        raise Unprocessable(
                            f"Frame {frame} of the TIFF points past the end of the file.", code="corrupt_file"
                        )
                    shared += length
                elif tag in (_TIFF_WIDTH, _TIFF_HEIGHT) and kind in (_TIFF_SHORT, _TIFF_LONG):
                    short = kind == _TIFF_SHORT
                    (dimension,) = struct.unpack(order + ("H" if short else "I"), value[: 2 if short else 4])
                    width, height = (dimension, height) if tag == _TIFF_WIDTH else (width, dimension)
            if not width or not height:
                raise Unprocessable(f"Frame {frame} of the TIFF has no size.", code="corrupt_file")
            _check_pixels(width, height, limits, frame if frame > 1 else None)
            if shared > 2 * size + _TIFF_SHARED_SLACK:
                raise Unprocessable(
                    "The TIFF's frames share their tables to make a reader unpack far more than the file "
                    "holds; it looks like a decompression bomb.",
                    code="decompression_bomb",
                )
            (offset,) = struct.unpack(order + "I", entries[-4:])
    return len(seen)


def _jpeg_complete(path: Path) -> bool:
    size = path.stat().st_size
    with path.open("rb") as handle:
        handle.seek(max(0, size - 4096))
        tail = handle.read().rstrip(b"\x00\r\n ")
    return b"\xff\xd9" in tail[-64:]
