"""Test documents made on the fly, each with known text to assert on.

Scanned pages are real pictures of text (rendered with a TrueType font, optionally rotated and noisy) in
image-only PDF pages, so the reader has no text layer to fall back on and OCR is really exercised.
"""

from __future__ import annotations

import io
import re
import struct
import zlib
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont

FONT_PATH = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")

A4_INCHES = (8.27, 11.69)
A4_POINTS = (595.28, 841.89)

LOREM = (
    "The quarterly report describes the revenue of the northern region. Sales grew by twelve percent "
    "compared with the previous quarter, driven by new customers in the logistics sector. Operating costs "
    "stayed flat while the team invested in training and tooling."
)


def _font(size_px: int, path: Path | None = None) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    path = path or FONT_PATH
    if path.exists():
        return ImageFont.truetype(str(path), size_px)
    return ImageFont.load_default(size=size_px)


def _wrap(text: str, font: ImageFont.FreeTypeFont | ImageFont.ImageFont, width_px: float) -> list[str]:
    lines: list[str] = []
    for paragraph in text.split("\n"):
        words = paragraph.split()
        if not words:
            lines.append("")
            continue
        current = words[0]
        for word in words[1:]:
            candidate = f"{current} {word}"
            if font.getlength(candidate) <= width_px:
                current = candidate
            else:
                lines.append(current)
                current = word
        lines.append(current)
    return lines


def page_image(
    text: str,
    *,
    dpi: int = 150,
    font_pt: float = 13,
    rotation: float = 0.0,
    noise: float = 0.0,
    blur: float = 0.0,
    seed: int = 0,
    full_page: bool = True,
    font: Path | None = None,
) -> Image.Image:
    """A grayscale picture of `text` as printed on A4 and scanned at `dpi`.

    `rotation` is in degrees (a skewed scan), `noise` the standard deviation of Gaussian pixel noise in
    grey levels, `blur` a Gaussian blur radius in pixels. With `full_page=False` the picture is cropped
    to the text height (a screenshot or photo of a snippet), which keeps OCR tests fast. `font` is a
    TrueType file (DejaVu Sans by default).
    """
    width = round(A4_INCHES[0] * dpi)
    margin = round(0.8 * dpi)
    font = _font(max(8, round(font_pt * dpi / 72)), font)
    lines = _wrap(text, font, width - 2 * margin)
    line_height = round(font_pt * dpi / 72 * 1.5)
    height = round(A4_INCHES[1] * dpi) if full_page else 2 * margin + line_height * len(lines)
    image = Image.new("L", (width, height), 255)
    draw = ImageDraw.Draw(image)
    y = margin
    for line in lines:
        draw.text((margin, y), line, fill=0, font=font)
        y += line_height
    if rotation:
        image = image.rotate(rotation, resample=Image.Resampling.BICUBIC, expand=False, fillcolor=255)
    if blur:
        image = image.filter(ImageFilter.GaussianBlur(blur))
    if noise:
        rng = np.random.default_rng(seed)
        pixels = np.asarray(image, dtype=np.float32) + rng.normal(0.0, noise, (height, width))
        image = Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8), mode="L")
    return image


def _pdf():
    from fpdf import FPDF

    pdf = FPDF(format="A4", unit="pt")
    pdf.set_auto_page_break(False)
    pdf.set_margins(56, 56, 56)
    if FONT_PATH.exists():
        pdf.add_font("DejaVu", fname=str(FONT_PATH))
        pdf.set_font("DejaVu", size=11)
    else:
        pdf.set_font("Helvetica", size=11)
    return pdf


def _add_text_page(pdf, text: str) -> None:
    pdf.add_page()
    pdf.set_xy(56, 56)
    pdf.multi_cell(0, 15, text)


def _add_image_page(pdf, image: Image.Image) -> None:
    pdf.add_page()
    pdf.image(image, x=0, y=0, w=pdf.w, h=pdf.h)


def _pdf_bytes(pdf) -> bytes:
    return bytes(pdf.output())


def text_pdf(pages: Sequence[str]) -> bytes:
    """A PDF with a real text layer, one page per string (each must fit on an A4 page)."""
    pdf = _pdf()
    for text in pages:
        _add_text_page(pdf, text)
    return _pdf_bytes(pdf)


def scanned_pdf(pages: Sequence[str], dpi: int = 150, *, rotation: float = 0.6, noise: float = 12.0) -> bytes:
    """An image-only PDF (no text layer): each page is a slightly rotated, noisy scan of its text."""
    return image_pdf(
        [page_image(text, dpi=dpi, rotation=rotation, noise=noise, seed=i) for i, text in enumerate(pages)]
    )


def image_pdf(images: Sequence[Image.Image]) -> bytes:
    """An image-only PDF with each image filling one A4 page."""
    pdf = _pdf()
    for image in images:
        _add_image_page(pdf, image)
    return _pdf_bytes(pdf)


def mixed_pdf(text_page: str, scanned_page: str, dpi: int = 150) -> bytes:
    """Page 1 has a text layer, page 2 is a scan without one."""
    pdf = _pdf()
    _add_text_page(pdf, text_page)
    _add_image_page(pdf, page_image(scanned_page, dpi=dpi, rotation=0.6, noise=12.0))
    return _pdf_bytes(pdf)


def encrypted_pdf(text: str, user_password: str = "secret") -> bytes:
    """A text PDF that cannot be opened without `user_password`."""
    pdf = _pdf()
    _add_text_page(pdf, text)
    pdf.set_encryption(owner_password=user_password + "-owner", user_password=user_password)
    return _pdf_bytes(pdf)


def _image_bytes(image: Image.Image, format: str, **options: object) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=format, **options)
    return buffer.getvalue()


def png(text: str, dpi: int = 150) -> bytes:
    """A PNG picture of `text`, cropped to the text (a screenshot)."""
    return _image_bytes(page_image(text, dpi=dpi, full_page=False), "PNG")


def undecodable_png() -> bytes:
    """A PNG whose chunks are intact (so upload validation passes) but whose pixel data is not zlib."""
    data = bytearray(png("corrupt"))
    start = data.index(b"IDAT") - 4
    length = struct.unpack(">I", data[start : start + 4])[0]
    payload = bytes(b ^ 0x5A for b in data[start + 8 : start + 8 + length])
    crc = struct.pack(">I", zlib.crc32(b"IDAT" + payload) & 0xFFFFFFFF)
    data[start + 8 : start + 8 + length] = payload
    data[start + 8 + length : start + 12 + length] = crc
    return bytes(data)


def jpeg(text: str, dpi: int = 150, quality: int = 80) -> bytes:
    """A colour JPEG photo-like picture of `text`, slightly rotated and noisy, with JPEG artefacts."""
    image = page_image(text, dpi=dpi, rotation=0.8, noise=10.0, full_page=False).convert("RGB")
    return _image_bytes(image, "JPEG", quality=quality)


def tiff(pages: Sequence[str], dpi: int = 150) -> bytes:
    """A multi-frame TIFF, one scanned page per frame."""
    frames = [page_image(text, dpi=dpi, noise=8.0, seed=i, full_page=False) for i, text in enumerate(pages)]
    return _image_bytes(
        frames[0], "TIFF", save_all=True, append_images=frames[1:], compression="tiff_lzw", dpi=(dpi, dpi)
    )


def docx(
    paragraphs: Sequence[str],
    page_break_after: Iterable[int] = (),
    *,
    tables: dict[int, Sequence[Sequence[str]]] | None = None,
) -> bytes:
    """A Word document. A page break follows paragraph i for i in `page_break_after`; a table whose rows
    are `tables[i]` follows paragraph i."""
    import docx as python_docx
    from docx.enum.text import WD_BREAK

    breaks = set(page_break_after)
    document = python_docx.Document()
    for index, text in enumerate(paragraphs):
        paragraph = document.add_paragraph(text)
        if index in breaks:
            paragraph.add_run().add_break(WD_BREAK.PAGE)
        rows = (tables or {}).get(index)
        if rows:
            table = document.add_table(rows=len(rows), cols=max(len(row) for row in rows))
            for r, row in enumerate(rows):
                for c, cell in enumerate(row):
                    table.cell(r, c).text = cell
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def txt(text: str, encoding: str = "utf-8", *, bom: bool = False) -> bytes:
    data = text.encode(encoding)
    return (b"\xef\xbb\xbf" + data) if bom else data


def normalise_whitespace(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def character_error_rate(expected: str, actual: str) -> float:
    """Levenshtein distance between the whitespace-normalised texts, divided by the expected length."""
    a, b = normalise_whitespace(expected), normalise_whitespace(actual)
    if not a:
        return 0.0 if not b else 1.0
    previous = list(range(len(b) + 1))
    for i, char_a in enumerate(a, 1):
        current = [i]
        for j, char_b in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (char_a != char_b)))
        previous = current
    return previous[-1] / len(a)


def sample_pages(count: int, *, start: int = 1) -> list[str]:
    """Distinct, realistic pages of prose: each names its page number so a test can tell them apart."""
    return [f"Page {n} of the annual review. {LOREM}" for n in range(start, start + count)]
