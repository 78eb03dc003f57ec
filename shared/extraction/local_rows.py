"""Tables of line items, and how their rows fill a list's sub-fields.

Cells apart by tabs or wide gaps (or OCR boxes side by side) make rows of cells under a header of cells.
Where a PDF's text layer or OCR gives single spaces, a row is a description followed by its typed tokens
(quantities, amounts with or without their currency, percentages), read from the end of the line; a
header line of words names the columns, and without one a run of rows ending in amounts, up to a totals
line, is read right-aligned.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from shared.extraction import patterns
from shared.extraction.evidence import line_spans
from shared.extraction.types import FieldSpec, PageText


@dataclass(frozen=True)
class Cell:
    """A piece of a line: its text and span in the page text, its column (the character column, or the
    box's x in the page image) and, from OCR, its box."""

    text: str
    start: int
    end: int
    x0: float
    x1: float
    bbox: tuple[float, float, float, float] | None = None


@dataclass(frozen=True)
class TokenRow:
    """A line item: its description, its quantity when written "2 x", and its other numeric tokens
    left to right; `start`/`end` span the row in the page text (both lines when the description stands
    on the line above its numbers)."""

    description: Cell | None
    quantity: Cell | None
    numbers: tuple[Cell, ...]
    start: int
    end: int


@dataclass(frozen=True)
class TokenTable:
    header: tuple[Cell, ...]  # the header's words, empty for a table without a header
    rows: tuple[TokenRow, ...]


TOTALS = re.compile(
    r"^\s*(sub-?\s*total|total|zwischensumme|summe|gesamt|netto|net\b|mwst|ust|vat|tax|amount due|balance)",
    re.IGNORECASE,
)
_CURRENCY = re.compile(rf"{patterns.CURRENCY}", re.IGNORECASE)
_NUM = r"-?(?:\d{1,3}(?:[.,']\d{3})+(?:[.,]\d{1,2})?|\d+(?:[.,]\d{1,3})?)"
_PIECES = {
    "num": re.compile(_NUM),
    "money": re.compile(rf"(?:{patterns.CURRENCY}){_NUM}|{_NUM}(?:{patterns.CURRENCY})"),
    "cur": re.compile(patterns.CURRENCY),
    "pct": re.compile(rf"{_NUM}%"),
    "x": re.compile(r"[x\u00d7]", re.IGNORECASE),
}
# An amount of money: two decimals, a currency beside it or not.
AMOUNT = re.compile(r"\D*?-?\d[\d.,']*[.,]\d{2}\D*")
# Cells of a line: apart by tabs, by two spaces or more, or by a middle dot or bar between spaces.
_QUANTITY = re.compile(r"^(\d+)\s?[x\u00d7](?=\s)", re.IGNORECASE)


def is_label(line: str) -> bool:
    """A short line of words without values: a label or a column header."""
    stripped = line.strip()
    return bool(
        stripped
        and len(stripped) <= 80
        and re.search(r"[^\W\d_]{2,}", stripped)
        and not re.search(r"\d", stripped.replace("#", ""))
        and not patterns.EMAIL.search(stripped)
    )


def _kind(piece: str) -> str | None:
    for kind, pattern in _PIECES.items():
        if pattern.fullmatch(piece):
            return kind
    return None


def parse_row(text: str, start: int, end: int) -> TokenRow | None:
    """The row a line holds: its trailing numeric tokens (a currency standing apart joins the amount
    on the side the line writes currencies), the "2 x" quantity, and the text before as description.
    None when the line ends in no number."""
    pieces = [(m.start() + start, m.end() + start, m.group()) for m in re.finditer(r"\S+", text[start:end])]
    tail: list[tuple[int, int, str]] = []  # (start, end, kind)
    while pieces:
        s, e, piece = pieces[-1]
        kind = _kind(piece)
        if kind is None:
            break
        tail.insert(0, (s, e, kind))
        pieces.pop()
    if not any(kind in ("num", "money") for _, _, kind in tail):
        return None
    after = bool(tail) and tail[-1][2] == "cur"
    numbers: list[Cell] = []
    quantity: Cell | None = None
    n = 0
    while n < len(tail):
        s, e, kind = tail[n]
        if kind == "num" and n + 1 < len(tail) and tail[n + 1][2] == "x" and quantity is None and not numbers:
            quantity = Cell(text[s:e], s, e, s, e)
            n += 2
            continue
        if (kind == "cur" and not after and n + 1 < len(tail) and tail[n + 1][2] == "num") or (
            kind == "num" and after and n + 1 < len(tail) and tail[n + 1][2] == "cur"
        ):
            e = tail[n + 1][1]
            n += 1
        elif kind in ("cur", "x"):
            return None
        numbers.append(Cell(text[s:e], s, e, s, e))
        n += 1
    description: Cell | None = None
    if pieces:
        lead = text[pieces[0][0] : pieces[-1][1]]
        offset = pieces[0][0]
        match = _QUANTITY.match(lead)
        if match and quantity is None:
            quantity = Cell(match.group(1), offset, offset + len(match.group(1)), offset, offset)
            lead_start = offset + match.end()
        else:
            lead_start = offset
            # Position and article numbers before the description.
            for s, _, piece in pieces:
                if not re.fullmatch(r"\d+", piece):
                    break
                lead_start = s + len(piece)
        desc = text[lead_start : pieces[-1][1]]
        stripped = desc.strip()
        if stripped:
            d_start = lead_start + len(desc) - len(desc.lstrip())
            description = Cell(stripped, d_start, d_start + len(stripped), d_start, d_start + len(stripped))
    if description is not None and not re.search(r"[^\W\d_]{2,}", description.text):
        return None
    return TokenRow(description, quantity, tuple(numbers), start, end)


def token_tables(text: str, lines: list[tuple[int, int]]) -> list[TokenTable]:
    """The tables of a page whose cells are apart by single spaces: a header line of words (or none)
    followed by rows, up to a totals line or a line that is not a row. A line of words alone is the
    description of the numbers on the line below it; a repeated header (a table continued) is skipped."""
    tables: list[TokenTable] = []
    n = 0
    while n < len(lines):
        start, end = lines[n]
        line = text[start:end]
        header: tuple[Cell, ...] = ()
        if is_label(line) and len(line.split()) >= 2:
            header = tuple(
                Cell(m.group(), start + m.start(), start + m.end(), i, i + 1)
                for i, m in enumerate(re.finditer(r"\S+", line))
            )
            n += 1
        rows, after = _rows(text, lines, n, line.strip() if header else None)
        if header and not rows:
            # Words over numbers, not a header: the description of the row below.
            header, n = (), n - 1
            rows, after = _rows(text, lines, n, None)
        after_totals = n > 0 and TOTALS.match(text[lines[n - 1][0] : lines[n - 1][1]]) is not None
        if rows and (header or (len(rows) >= 2 and not after_totals)):
            tables.append(TokenTable(header, tuple(rows)))
        n = max(after, n + 1)
    return tables


def _rows(text: str, lines: list[tuple[int, int]], n: int, header: str | None) -> tuple[list[TokenRow], int]:
    rows: list[TokenRow] = []
    while n < len(lines):
        start, end = lines[n]
        line = text[start:end]
        if TOTALS.match(line):
            break
        row = parse_row(text, start, end)
        if row is not None and header is None and not AMOUNT.fullmatch(row.numbers[-1].text):
            row = None  # without a header, a row ends in its amount
        if row is not None and row.description is not None:
            rows.append(row)
            n += 1
            continue
        if header is not None and line.strip() == header:
            n += 1
            continue
        if is_label(line) and n + 1 < len(lines):
            below = parse_row(text, *lines[n + 1])
            if (
                below is not None
                and below.description is None
                and below.numbers
                and "%" not in below.numbers[0].text
            ):
                s = start + len(line) - len(line.lstrip())
                stripped = line.strip()
                description = Cell(stripped, s, s + len(stripped), s, s + len(stripped))
                rows.append(TokenRow(description, below.quantity, below.numbers, s, below.end))
                n += 2
                continue
            if rows and header is not None and n + 1 < len(lines):
                following = text[lines[n + 1][0] : lines[n + 1][1]].strip()
                if following == header:  # "continued overleaf", then the header again
                    n += 2
                    continue
        break
    return rows, n


# --- tables whose cells are apart by wide gaps, or OCR boxes ----------------------------------------

# Cells of a line: apart by tabs, by two spaces or more, or by a middle dot or bar between spaces.
GAP = re.compile(r"\t+|[^\S\n]{2,}|[^\S\n]+[·|•][^\S\n]+")


@dataclass(frozen=True)
class Layout:
    """How the rows of a table fill a list's sub-fields: the sub-field of the description, the numeric
    sub-fields in column order, and where the header's words after the description are one per number
    (`width` of them), the number each numeric sub-field stands at."""

    score: float
    text_column: int | None
    numeric: list[int]
    positions: dict[int, int]
    width: int
    headerless: bool


def row_cells(row: TokenRow, columns: Sequence[FieldSpec], layout: Layout) -> dict[int, Cell]:
    """Sub-field index -> the row's token: the description to the text column, a "2 x" quantity to the
    first number column, the other numbers by the header's word positions when they count the row's
    numbers, else right-aligned to the numeric columns (without a header: the amounts to the money
    columns in the schema's order)."""
    cells: dict[int, Cell] = {}
    if layout.text_column is not None and row.description is not None:
        cells[layout.text_column] = row.description
    numeric = list(layout.numeric)
    if row.quantity is not None:
        first = next((i for i in numeric if columns[i].type == "number"), None)
        if first is not None:
            cells[first] = row.quantity
            numeric.remove(first)
    numbers = list(row.numbers)
    if layout.headerless:
        numeric = [i for i in numeric if columns[i].type == "money"]
        numbers = [cell for cell in numbers if AMOUNT.fullmatch(cell.text)]
    elif row.quantity is None and layout.positions and layout.width == len(numbers):
        for i, at in layout.positions.items():
            cells[i] = numbers[at]
        return cells
    for i, cell in zip(reversed(numeric), reversed(numbers), strict=False):
        cells[i] = cell
    return cells


def text_lines(text: str) -> list[tuple[int, int]]:
    spans = []
    start = 0
    for line in text.split("\n"):
        spans.append((start, start + len(line)))
        start += len(line) + 1
    return spans


def line_cells(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """The spans of a line's cells: text separated by tabs or runs of two spaces or more."""
    cells = []
    position = start
    for gap in GAP.finditer(text, start, end):
        if gap.start() > position:
            cells.append((position, gap.start()))
        position = gap.end()
    if end > position:
        cells.append((position, end))
    return [
        (s + len(text[s:e]) - len(text[s:e].lstrip()), s + len(text[s:e].rstrip()))
        for s, e in cells
        if text[s:e].strip()
    ]


# --- tables ----------------------------------------------------------------------------------------


def cell_tables(page: PageText) -> list[tuple[list[Cell], list[list[Cell]]]]:
    """Header and rows of each table on the page: a header line of words in two columns or more, then
    lines of two cells or more, up to a totals line or a line that is not a row."""
    rows = _ocr_rows(page) if page.lines else []
    if not any(len(row) > 1 for row in rows):
        rows = [
            [Cell(page.text[s:e], s, e, s - start, e - start) for s, e in line_cells(page.text, start, end)]
            for start, end in text_lines(page.text)
        ]
    tables = []
    n = 0
    while n < len(rows):
        header = rows[n]
        if len(header) < 2 or not all(is_label(cell.text) for cell in header):
            n += 1
            continue
        body = []
        n += 1
        while n < len(rows) and len(rows[n]) >= 2 and not TOTALS.match(rows[n][0].text):
            if all(is_label(cell.text) for cell in rows[n]):
                break
            body.append(rows[n])
            n += 1
        if body:
            tables.append((header, body))
    return tables


def _ocr_rows(page: PageText) -> list[list[Cell]]:
    """OCR lines grouped into visual rows (their boxes overlapping vertically by half), left to right."""
    rows: list[list[Cell]] = []
    for start, end, line in sorted(line_spans(page), key=lambda item: (item[2].bbox[1], item[2].bbox[0])):
        x0, y0, x1, y1 = line.bbox
        cell = Cell(page.text[start:end], start, end, x0, x1, line.bbox)
        for row in rows:
            ref = row[0].bbox
            assert ref is not None
            overlap = min(y1, ref[3]) - max(y0, ref[1])
            if overlap > 0.5 * min(y1 - y0, ref[3] - ref[1]):
                row.append(cell)
                break
        else:
            rows.append([cell])
    return [sorted(row, key=lambda cell: cell.x0) for row in rows]


def align(header: list[Cell], row: list[Cell]) -> dict[int, Cell]:
    """Header index -> the row's cell in that column: by position when the counts agree, else by the
    header cell each row cell overlaps most (or is nearest to)."""
    if len(row) == len(header):
        return dict(enumerate(row))
    aligned: dict[int, Cell] = {}
    for cell in row:
        j = min(range(len(header)), key=lambda j, cell=cell: _distance(cell, header[j]))  # type: ignore[misc]
        aligned.setdefault(j, cell)
    return aligned


def _distance(cell: Cell, head: Cell) -> float:
    """Minus the overlap of two cells' columns, or the gap between their nearest edges."""
    overlap = min(cell.x1, head.x1) - max(cell.x0, head.x0)
    return -overlap if overlap > 0 else min(abs(cell.x0 - head.x0), abs(cell.x1 - head.x1))
