"""Evidence: a quote is the page's own text or nothing, and its box is the union of its OCR lines."""

from __future__ import annotations

import pytest

from shared.extraction.evidence import box, line_spans, locate, verbatim, verify
from shared.extraction.types import Evidence, Line, PageText

TEXT = "Invoice No: INV-7\nTotal due:   1.234,56 €\n\u201cPaid\u201d \u2013 thank you"
LINES = (
    Line("Invoice No: INV-7", (10, 10, 200, 30)),
    Line("Total due:   1.234,56 €", (10, 40, 260, 60)),
    Line("\u201cPaid\u201d \u2013 thank you", (12, 70, 180, 90)),
)
PAGE = PageText(3, TEXT, LINES)


@pytest.mark.parametrize(
    ("quote", "found"),
    [
        ("Invoice No: INV-7", "Invoice No: INV-7"),
        ("  Invoice No: INV-7 \n", "Invoice No: INV-7"),
        ("invoice no: inv-7", "Invoice No: INV-7"),
        ("Total due: 1.234,56 €", "Total due:   1.234,56 €"),
        ('"Paid" - thank you', "\u201cPaid\u201d \u2013 thank you"),
        ("INV-7 Total due:", "INV-7\nTotal due:"),
        ("Total due: 1.234,57 €", None),
        ("", None),
        ("   ", None),
        ("Rechnung", None),
    ],
)
def test_a_quote_is_returned_as_the_page_has_it(quote, found):
    assert verbatim(quote, TEXT) == found
    if found is not None:
        assert found in TEXT


def test_locate_looks_from_a_position_on():
    text = "Total 5\nTotal 5"
    assert locate("total 5", text) == (0, 7)
    assert locate("total 5", text, 1) == (8, 15)
    assert locate("Total 5", text, 9) is None


def test_evidence_carries_the_union_box_of_the_lines_it_spans():
    assert verify("1.234,56 €", PAGE) == Evidence(3, "1.234,56 €", (10, 40, 260, 60))
    assert verify("inv-7 total DUE:", PAGE) == Evidence(3, "INV-7\nTotal due:", (10, 10, 260, 60))
    assert verify("not on the page", PAGE) is None


def test_no_lines_no_box_and_lines_the_text_does_not_hold_are_left_out():
    bare = PageText(1, TEXT)
    assert verify("Total due", bare) == Evidence(1, "Total due", None)
    odd = PageText(1, TEXT, (Line("something else", (0, 0, 1, 1)), LINES[1]))
    assert [line.text for _, _, line in line_spans(odd)] == ["Total due:   1.234,56 €"]
    assert box(odd, 0, 5) is None
    assert box(odd, 20, 25) == (10, 40, 260, 60)


def test_repeated_lines_map_to_their_own_place():
    page = PageText(1, "Total 5\nTotal 5", (Line("Total 5", (0, 0, 9, 9)), Line("Total 5", (0, 20, 9, 29))))
    assert box(page, 9, 14) == (0, 20, 9, 29)


@pytest.mark.parametrize("text", ["", " ", "\u200b", "é" * 10_000, "a\u0301b"])
def test_odd_pages(text):
    page = PageText(1, text, (Line("x", (0, 0, 1, 1)),))
    assert verify("zz", page) is None
    assert verbatim("", text) is None
    assert box(page, 0, len(text)) in (None, (0, 0, 1, 1))


def test_case_folding_that_changes_length_maps_back_to_the_page():
    text = "Straße 5, MASSE"
    assert verbatim("STRASSE 5", text) == "Straße 5"
    assert verbatim("masse", text) == "MASSE"
