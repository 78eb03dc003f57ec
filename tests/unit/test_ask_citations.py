"""Citations are checked against the page: quotes are the page's own text, stray markers are dropped."""

from __future__ import annotations

import uuid

from shared.ask.citations import resolve
from shared.ask.retrieval import Passage, best_window
from shared.extraction.evidence import verbatim

PAGE = (
    "Quarterly report\n\nThe harbour master logged every arriving ferry\nin a blue notebook. "
    "Tomatoes ripen faster on the south wall. The “east pier” was closed in March — for repairs."
)


def passage(number: int = 1, text: str = PAGE) -> Passage:
    return Passage(number, uuid.uuid4(), "report.pdf", 3, text, PAGE)


def test_a_quote_is_found_as_the_page_has_it_whatever_the_spacing_case_or_quote_marks() -> None:
    assert verbatim("Tomatoes ripen faster", PAGE) == "Tomatoes ripen faster"
    found = verbatim("the HARBOUR master logged every arriving ferry in a blue notebook.", PAGE)
    assert found == "The harbour master logged every arriving ferry\nin a blue notebook."
    assert verbatim('The "east pier" was closed in March - for repairs.', PAGE) == (
        "The “east pier” was closed in March — for repairs."
    )
    assert verbatim("The west pier was closed", PAGE) is None
    assert verbatim("   ", PAGE) is None


def test_each_marker_cites_the_sentence_of_its_passage_that_supports_the_claim() -> None:
    answer, citations = resolve(
        "Ferries were logged in a blue notebook [1]. The pier shut in March [1].", [passage()]
    )
    assert answer == "Ferries were logged in a blue notebook [1]. The pier shut in March [1]."
    assert [c["quote"] for c in citations] == [
        "The harbour master logged every arriving ferry\nin a blue notebook.",
        "The “east pier” was closed in March — for repairs.",
    ]
    assert all(c["quote"] in PAGE and c["page_no"] == 3 and c["number"] == 1 for c in citations)


def test_a_marker_for_a_passage_never_given_is_dropped_and_cites_nothing() -> None:
    answer, citations = resolve("Tomatoes ripen faster [1]. Pears too [7].", [passage()])
    assert answer == "Tomatoes ripen faster [1]. Pears too ."
    assert [c["number"] for c in citations] == [1]


def test_a_quote_the_page_does_not_hold_is_replaced_by_one_it_does() -> None:
    _, (citation,) = resolve('It says "the harbour master burned every ferry" [1].', [passage()])
    assert citation["quote"] in PAGE and citation["quote"].startswith("The harbour master logged")


def test_several_markers_at_once_and_repeated_citations_count_once() -> None:
    other = passage(2, "Tomatoes ripen faster on the south wall.")
    answer, citations = resolve(
        "Tomatoes ripen faster [1][2]. Tomatoes ripen faster [1, 2].", [passage(), other]
    )
    assert answer.count("[1][2]") == 2
    assert [(c["number"], c["quote"]) for c in citations] == [
        (1, "Tomatoes ripen faster on the south wall."),
        (2, "Tomatoes ripen faster on the south wall."),
    ]


def test_a_long_page_is_cut_to_the_window_that_holds_the_question() -> None:
    filler = " ".join(f"Sentence number {i} says nothing of note." for i in range(200))
    page = f"{filler} The vault code is kept by the night porter. {filler}"
    window = best_window(page, "who keeps the vault code?", max_chars=300)
    assert "The vault code is kept by the night porter." in window
    assert len(window) <= 300 and window in page
