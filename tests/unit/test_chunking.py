"""Chunking invariants: token limits, overlap, page ranges, determinism and streaming."""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator

import pytest

from shared.config import EmbeddingsSettings, Settings
from shared.pipeline.chunking import TextChunk, chunk_pages
from shared.providers.embeddings import get_embedding_provider
from testkit.documents import LOREM


def word_spans(text: str) -> list[tuple[int, int]]:
    """A tokenizer whose tokens are whitespace-separated words: makes token arithmetic exact."""
    return [match.span() for match in re.finditer(r"\S+", text)]


def numbered_pages(count: int, words_per_page: int) -> list[tuple[int, str]]:
    """Pages of unique words (p3w0007 ...) so every token can be traced to its page and position."""
    return [
        (page, " ".join(f"p{page}w{index:04d}" for index in range(words_per_page)))
        for page in range(1, count + 1)
    ]


@pytest.fixture(scope="module")
def model_spans():
    return get_embedding_provider(Settings(embeddings=EmbeddingsSettings())).token_spans


def test_windows_cover_every_token_once_in_order_with_the_overlap():
    pages = numbered_pages(5, 97)
    chunks = list(chunk_pages(pages, word_spans, max_tokens=40, overlap_tokens=8))

    assert [c.chunk_no for c in chunks] == list(range(len(chunks)))
    words = [c.text.split() for c in chunks]
    for chunk, chunk_words in zip(chunks, words, strict=True):
        assert chunk.token_count == len(chunk_words) <= 40
    for previous, current in itertools.pairwise(words):
        assert current[:8] == previous[-8:]
    covered = words[0] + [w for chunk_words in words[1:] for w in chunk_words[8:]]
    assert covered == [w for _, text in pages for w in text.split()]


def test_page_ranges_follow_the_text_and_spanning_chunks_join_pages_with_a_newline():
    chunks = list(chunk_pages(numbered_pages(4, 30), word_spans, max_tokens=25, overlap_tokens=5))

    for chunk in chunks:
        pages_in_text = sorted({int(w[1 : w.index("w")]) for w in chunk.text.split()})
        assert (chunk.page_start, chunk.page_end) == (pages_in_text[0], pages_in_text[-1])
        assert chunk.text.count("\n") == chunk.page_end - chunk.page_start
    assert any(c.page_start < c.page_end for c in chunks)
    assert [c.page_start for c in chunks] == sorted(c.page_start for c in chunks)


def test_a_window_ends_at_a_sentence_boundary_in_its_last_fifth():
    # 45 words, a full stop after word 43 (inside the last fifth of a 50-token window), 20 more words.
    first = " ".join(f"a{i}" for i in range(43)) + ". " + " ".join(f"b{i}" for i in range(30))
    chunk = next(chunk_pages([(1, first)], word_spans, max_tokens=50, overlap_tokens=0))

    assert chunk.text.endswith("a42.")
    assert chunk.token_count == 43


def test_a_sentence_boundary_before_the_last_fifth_is_not_taken():
    text = " ".join(f"a{i}" for i in range(10)) + ". " + " ".join(f"b{i}" for i in range(80))
    chunk = next(chunk_pages([(1, text)], word_spans, max_tokens=50, overlap_tokens=0))

    assert chunk.token_count == 50


def test_whitespace_only_pages_are_skipped():
    pages = [(1, "alpha beta"), (2, "  \n\t "), (3, ""), (4, "gamma delta")]
    chunks = list(chunk_pages(pages, word_spans, max_tokens=10, overlap_tokens=2))

    assert len(chunks) == 1
    assert (chunks[0].page_start, chunks[0].page_end, chunks[0].text) == (1, 4, "alpha beta\ngamma delta")


def test_an_empty_document_has_no_chunks():
    assert list(chunk_pages([(1, " "), (2, "\n")], word_spans, max_tokens=10, overlap_tokens=2)) == []


def test_the_same_input_gives_the_same_chunks():
    pages = [(n, f"Page {n}. {LOREM}\n\n{LOREM}") for n in range(1, 8)]
    first = list(chunk_pages(pages, word_spans, max_tokens=33, overlap_tokens=7))
    second = list(chunk_pages(iter(pages), word_spans, max_tokens=33, overlap_tokens=7))

    assert first == second


def test_pages_are_read_lazily_and_a_2000_page_document_streams():
    consumed = 0

    def pages() -> Iterator[tuple[int, str]]:
        nonlocal consumed
        for page_no in range(1, 2001):
            consumed += 1
            yield page_no, " ".join(f"p{page_no}w{i}" for i in range(120))

    chunks = chunk_pages(pages(), word_spans, max_tokens=200, overlap_tokens=40)
    first = next(chunks)
    assert consumed <= 3  # 200 tokens need two pages of 120, plus one to look past the window
    assert first.page_start == 1

    count = 1
    last: TextChunk = first
    for chunk in chunks:
        # Never more than the window plus one page ahead of what has been emitted.
        assert consumed <= chunk.page_end + 2
        count += 1
        last = chunk
    assert consumed == 2000
    assert last.page_end == 2000
    assert count == last.chunk_no + 1
    assert count >= 2000 * 120 // 200


def test_a_word_longer_than_a_window_is_cut_hard():
    text = "start " + "x" * 50 + " end"

    def char_spans(text: str) -> list[tuple[int, int]]:
        return [(i, i + 1) for i, char in enumerate(text) if not char.isspace()]

    chunks = list(chunk_pages([(1, text)], char_spans, max_tokens=20, overlap_tokens=4))
    assert all(c.token_count <= 20 for c in chunks)
    assert "".join(c.text for c in chunks).count("x") >= 50


def test_arguments_and_page_order_are_checked():
    with pytest.raises(ValueError):
        list(chunk_pages([(1, "a")], word_spans, max_tokens=10, overlap_tokens=10))
    with pytest.raises(ValueError):
        list(chunk_pages([(2, "a"), (1, "b")], word_spans, max_tokens=10, overlap_tokens=0))


def test_with_the_model_tokenizer_chunks_fit_the_model_and_never_split_a_word(model_spans):
    text = (
        "Invoice No. INV-2024-0042 for warehousing in Düsseldorf; naïve café customers paid "
        "EUR 1.234,56. " + LOREM + "\n\nInternationalization and tokenization examples follow.\n"
    ) * 6
    pages = [(1, text), (2, text.upper()), (3, text)]
    chunks = list(chunk_pages(pages, model_spans, max_tokens=64, overlap_tokens=12))

    assert len(chunks) > 5
    for chunk in chunks:
        assert chunk.token_count <= 64
        # Windows start and end between words, so the text tokenizes back to the same count.
        assert len(model_spans(chunk.text)) == chunk.token_count
        assert chunk.text == chunk.text.strip()
