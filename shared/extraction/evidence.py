"""Quotes that are really on the page, and where on the page they are.

A quote is looked for as written, then ignoring case, runs of whitespace and typographic variants of
quotes and dashes (what OCR and models change most); what is found is returned as the page has it, so
a stored quote is always a slice of the stored page text. Answers cite with the same rule.
"""

from __future__ import annotations

from shared.extraction.types import Evidence, Line, PageText

Box = tuple[float, float, float, float]

_FOLD = str.maketrans(
    {
        "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u2032": "'",
        "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u201f": '"', "\u00ab": '"', "\u00bb": '"',
        "\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2013": "-", "\u2014": "-", "\u2212": "-",
    }
)  # fmt: skip


def locate(quote: str, page_text: str, start: int = 0) -> tuple[int, int] | None:
    """The (start, end) of the slice of `page_text` that `quote` stands for, looked for from `start`
    on; None when the page does not hold it."""
    quote = quote.strip()
    if not quote:
        return None
    at = page_text.find(quote, start)
    if at >= 0:
        return at, at + len(quote)
    folded, positions = _folded(page_text)
    needle, _ = _folded(quote)
    begin = next((i for i, position in enumerate(positions) if position >= start), len(positions))
    found = folded.find(needle, begin)
    if not needle or found < 0:
        return None
    return positions[found], positions[found + len(needle) - 1] + 1


def verbatim(quote: str, page_text: str) -> str | None:
    """The slice of `page_text` that `quote` stands for, or None when the page does not hold it."""
    span = locate(quote, page_text)
    return None if span is None else page_text[span[0] : span[1]]


def line_spans(page: PageText) -> list[tuple[int, int, Line]]:
    """Each OCR line of the page with the span of the page text it was found at, in text order. Lines
    are looked for in turn, each after the one before; a line the text does not hold is left out."""
    spans: list[tuple[int, int, Line]] = []
    cursor = 0
    for line in page.lines:
        span = locate(line.text, page.text, cursor)
        if span is None:
            continue
        spans.append((span[0], span[1], line))
        cursor = span[1]
    return spans


def box(page: PageText, start: int, end: int) -> Box | None:
    """The union box of the OCR lines that the text span [start, end) touches; None without lines."""
    boxes = [line.bbox for s, e, line in line_spans(page) if s < end and start < e]
    return union(boxes)


def union(boxes: list[Box]) -> Box | None:
    if not boxes:
        return None
    return (
        min(b[0] for b in boxes),
        min(b[1] for b in boxes),
        max(b[2] for b in boxes),
        max(b[3] for b in boxes),
    )


def verify(quote: str, page: PageText) -> Evidence | None:
    """Evidence for `quote` on `page`: the page's own characters and their box; None (to be dropped or
    flagged by the caller) when the page does not hold the quote."""
    span = locate(quote, page.text)
    if span is None:
        return None
    return Evidence(page.page_no, page.text[span[0] : span[1]], box(page, *span))


def _folded(text: str) -> tuple[str, list[int]]:
    """`text` in lower case with whitespace runs as one space, and each folded character's index in
    `text`, so a match in the folded text maps back to a slice of the original."""
    out: list[str] = []
    positions: list[int] = []
    in_space = False
    for index, char in enumerate(text.translate(_FOLD)):
        if char.isspace():
            if out and not in_space:
                out.append(" ")
                positions.append(index)
            in_space = True
            continue
        in_space = False
        for lowered in char.casefold():
            out.append(lowered)
            positions.append(index)
    while out and out[-1] == " ":
        out.pop()
        positions.pop()
    return "".join(out), positions
