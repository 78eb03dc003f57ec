"""Word documents: paragraphs and tables in body order, paged at explicit page breaks and by size."""

from __future__ import annotations

import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import docx
from docx.document import Document as DocxDocument
from docx.oxml.ns import qn
from docx.table import Table
from docx.text.paragraph import Paragraph

from shared.pipeline.extract.base import (
    NativePages,
    UnreadableDocument,
    split_long,
    trim_blank_pages,
)

if TYPE_CHECKING:
    from docx.oxml.text.paragraph import CT_P
    from lxml.etree import _Element

# The XML of a 50 MB upload can inflate far beyond what a worker should parse.
_MAX_XML_BYTES = 256 * 1024 * 1024
_MC_FALLBACK = "{http://schemas.openxmlformats.org/markup-compatibility/2006}Fallback"
_TEXT, _TAB, _BR, _CR, _NO_BREAK_HYPHEN = (
    qn("w:t"),
    qn("w:tab"),
    qn("w:br"),
    qn("w:cr"),
    qn("w:noBreakHyphen"),
)
_RUN, _PARAGRAPH = qn("w:r"), qn("w:p")
_PAGE_BREAK = None  # marks a page break in the stream of text blocks


class DocxReader(NativePages):
    """Parses the document once on open (at most the upload limit) and serves its pages from memory."""

    def __init__(self, path: Path) -> None:
        _check_inflated_size(path)
        try:
            document = docx.Document(str(path))
            blocks = list(_blocks(document))
        except MemoryError:
            raise
        except Exception as exc:  # python-docx raises many kinds of errors on malformed files
            raise UnreadableDocument(
                "docx_unreadable",
                "The Word document could not be read: the file is damaged or is not a DOCX.",
            ) from exc
        super().__init__(paginate(blocks))


def paginate(blocks: list[str | None]) -> list[str]:
    """Pages from text blocks and page breaks (None): a new page at each break, pages longer than
    `PAGE_CHARS` cut at block (paragraph) boundaries, blank pages at either end dropped, at least one."""
    pages: list[str] = []
    current: list[str] = []
    for block in [*blocks, _PAGE_BREAK]:
        if block is _PAGE_BREAK:
            pages.extend(split_long("\n".join(current)) if current else [""])
            current = []
        else:
            current.append(block)
    return trim_blank_pages(pages)


def _check_inflated_size(path: Path) -> None:
    try:
        with zipfile.ZipFile(path) as archive:
            size = archive.getinfo("word/document.xml").file_size
    except (zipfile.BadZipFile, KeyError, OSError) as exc:
        raise UnreadableDocument(
            "docx_unreadable", "The Word document could not be read: the file is damaged or is not a DOCX."
        ) from exc
    if size > _MAX_XML_BYTES:
        raise UnreadableDocument("document_too_large", "The Word document's text is too large to process.")


def _blocks(document: DocxDocument) -> Iterator[str | None]:
    for item in document.iter_inner_content():
        if isinstance(item, Paragraph):
            yield from _paragraph_blocks(item._p)
        elif isinstance(item, Table):
            yield from _table_rows(item)


def _paragraph_blocks(p: CT_P) -> Iterator[str | None]:
    """The paragraph's text, split where it holds explicit page breaks."""
    properties = p.pPr
    if properties is not None and _is_on(properties.find(qn("w:pageBreakBefore"))):
        yield _PAGE_BREAK
    text: list[str] = []
    for element in _text_elements(p):
        if element.tag == _BR and element.get(qn("w:type")) == "page":
            if "".join(text).strip():
                yield "".join(text).strip()
            text = []
            yield _PAGE_BREAK
        else:
            text.append(_element_text(element))
    if "".join(text).strip():
        yield "".join(text).strip()
    if properties is not None:
        section = properties.find(qn("w:sectPr"))
        if section is not None:
            kind = section.find(qn("w:type"))
            # A section break starts a new page unless it says "continuous" (absent type = next page).
            if kind is None or kind.get(qn("w:val")) != "continuous":
                yield _PAGE_BREAK


def _table_rows(table: Table) -> Iterator[str]:
    for row in table.rows:
        cells: list[str] = []
        previous = None
        for cell in row.cells:
            if cell._tc is previous:  # a merged cell is listed once per grid column it spans
                continue
            previous = cell._tc
            paragraphs = [
                p for p in cell._tc.iter(_PARAGRAPH) if next(p.iterancestors(_PARAGRAPH), None) is None
            ]
            cells.append(" ".join(_plain_text(p) for p in paragraphs).strip())
        if any(cells):
            yield " | ".join(cells)


def _plain_text(p: _Element) -> str:
    return "".join(
        _element_text(e) for e in _text_elements(p) if e.tag != _BR or e.get(qn("w:type")) != "page"
    )


def _text_elements(p: _Element) -> Iterator[_Element]:
    """Text-bearing run content of a paragraph in order (tab stops in the paragraph's properties are
    not text), skipping the fallback copy of alternate content (a text box is stored twice: for new and
    for old Word versions)."""
    for element in p.iter(_TEXT, _TAB, _BR, _CR, _NO_BREAK_HYPHEN):
        parent = element.getparent()  # never None: the paragraph encloses it
        if (
            parent is not None
            and parent.tag == _RUN
            and next(element.iterancestors(_MC_FALLBACK), None) is None
        ):
            yield element


def _element_text(element: _Element) -> str:
    tag = element.tag
    if tag == _TEXT:
        return element.text or ""
    if tag == _TAB:
        return "\t"
    if tag == _NO_BREAK_HYPHEN:
        return "-"
    return "\n"


def _is_on(flag: _Element | None) -> bool:
    """A WordprocessingML on/off property: present means on unless its value says off."""
    if flag is None:
        return False
    return flag.get(qn("w:val"), "true") not in ("0", "false", "off")
