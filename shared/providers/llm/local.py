"""Local analysis without a generative model: everything it says is taken from the document.

- Summary: extractive. The sentences closest to the document's centroid (mean sentence embedding),
  in document order.
- Classification: the label most similar to the document embedding (the mean embedding of the
  sentences and lines at the start of the text), scored by a softmax over the labels' cosine
  similarities. Labels are embedded as "label: description": on twelve hand-written sample documents
  of nine kinds that classified 10/12 right, against 9/12 for the description alone.
- Key fields: patterns, phonenumbers and dateutil (see fields.py).
- Keywords: KeyBERT with maximal marginal relevance over the same embedding model.

The results depend only on the input text: the same document always gets the same analysis.
"""

from __future__ import annotations

import itertools
import math
import re
import threading
from collections.abc import Sequence
from typing import Any

import numpy as np

from shared.config import LlmSettings
from shared.providers.embeddings.base import EmbeddingProvider
from shared.providers.llm.base import Analysis, Classification, cap_pages
from shared.providers.llm.fields import extract_fields

# Cosine similarities of MiniLM sentence embeddings differ by a few hundredths between a fitting and
# an unfitting label; dividing by 0.05 before the softmax turns a 0.1 lead into ~7x the weight, so the
# score reads as a confidence share between labels. It is a relative score, not a probability.
CLASSIFICATION_TEMPERATURE = 0.05
# The document embedding for classification is made from the sentences in this much text at the start.
_CLASSIFY_CHARS = 6000
_CLASSIFY_SENTENCES = 100

# Sentences considered for the summary: at most this many, spread evenly over the document.
_MAX_SENTENCES = 300
_MIN_SENTENCE_WORDS = 5
_MAX_SENTENCE_WORDS = 80
_MIN_LETTER_SHARE = 0.6
# Near-identical sentences (a header repeated on every page) appear in the summary once.
_DUPLICATE_SIMILARITY = 0.95

# Keyword candidates come from this much text; each candidate is embedded.
_KEYWORD_CHARS = 30_000
_KEYWORD_CANDIDATES = 600
_KEYWORD_DIVERSITY = 0.5

# Keyword candidates are words of letters (numbers, ids and amounts are fields, not keywords), and
# phrases never span punctuation, line breaks or table columns.
_WORD = re.compile(r"[^\W\d_](?:[^\W\d_]|['-])*[^\W\d_]")
_CONTENT_BREAK = re.compile(r"[^\w \t'-]+|\s-\s|\d+|\t| {2,}")  # table columns are apart
_ABBREVIATIONS = {
    *("mr", "mrs", "ms", "dr", "prof", "st", "no", "nr", "vs", "etc", "inc", "ltd", "co", "corp", "e.g"),
    *("i.e", "approx", "dept", "fig", "tel", "ref", "jr", "sr"),
}
_SENTENCE_BREAK = re.compile(r"(?<=[.!?…])[\"')\]]*\s+(?=[\"'(\[]?[A-Z0-9À-ÖØ-Þ])")
_LINE_END = re.compile(r"[.!?:;…]$")
# A summary sentence starts with a capital letter, a digit or an opening quote or bracket...
_SENTENCE_START = re.compile(r"[\"'\u201c\u2018(\[]?[A-ZÀ-ÖØ-Þ0-9]")
# ...but not with a bullet, a list number ("3.", "b)") or a page reference ("Page 4", "p. 12", "4/9").
_NOT_A_START = re.compile(
    r"[•·▪◦‣●○■□►✓*\u2013\u2014-]|\(?(?:\d{1,3}(?:\.\d{1,3})*|[a-zA-Z])[.)]\s|(?:page|seite|p\.)\s*\d|\d+\s*/\s*\d+\b",
    re.IGNORECASE,
)
# ...and ends with a full stop, question or exclamation mark, perhaps inside quotes or brackets.
_SENTENCE_END = re.compile(r"[.!?…][\"'\u201d\u2019)\]]*$")


class LocalAnalysisProvider:
    provider = "local"

    def __init__(self, settings: LlmSettings, embeddings: EmbeddingProvider) -> None:
        self.settings = settings
        self.embeddings = embeddings
        self.model = f"extractive+keybert+{embeddings.model}"
        self._labels = settings.labels()
        self._label_vectors: np.ndarray | None = None
        self._keybert: Any = None
        self._lock = threading.Lock()

    def analyze(self, pages: Sequence[tuple[int, str]]) -> Analysis:
        pages = cap_pages(pages, self.settings.max_input_chars)
        text = "\n".join(page_text for _, page_text in pages)
        if not text.strip():
            return Analysis(summary="", classification=None, fields=extract_fields(pages), keywords=[])
        document_vector = self._document_vector(text)
        return Analysis(
            summary=self._summary(pages),
            classification=self._classify(document_vector),
            fields=extract_fields(pages),
            keywords=self._keywords(text, document_vector),
        )

    def _summary(self, pages: Sequence[tuple[int, str]]) -> str:
        sentences = [
            s for _, page_text in pages for s in split_sentences(page_text) if is_summary_sentence(s)
        ]
        if not sentences:
            # Forms and invoices have lines rather than sentences: take the wordiest lines instead.
            sentences = [
                line.strip()
                for _, page_text in pages
                for line in page_text.split("\n")
                if len(line.split()) >= 3 and _letter_share(line) >= _MIN_LETTER_SHARE
            ]
        if not sentences:
            return ""
        sentences = evenly_spaced(sentences, _MAX_SENTENCES)
        vectors = np.asarray(self.embeddings.embed(sentences), dtype=np.float32)
        centroid = _unit(vectors.mean(axis=0))
        scores = vectors @ centroid
        chosen: list[int] = []
        for index in sorted(range(len(sentences)), key=lambda i: (-round(float(scores[i]), 6), i)):
            if len(chosen) == self.settings.summary_sentences:
                break
            if all(float(vectors[index] @ vectors[other]) < _DUPLICATE_SIMILARITY for other in chosen):
                chosen.append(index)
        return " ".join(sentences[index] for index in sorted(chosen))

    def _document_vector(self, text: str) -> np.ndarray:
        units = split_sentences(text[:_CLASSIFY_CHARS])[:_CLASSIFY_SENTENCES] or [text[:_CLASSIFY_CHARS]]
        vectors = np.asarray(self.embeddings.embed(units), dtype=np.float32)
        return _unit(vectors.mean(axis=0))

    def _classify(self, document_vector: np.ndarray) -> Classification | None:
        if not self._labels:
            return None
        similarities = self._get_label_vectors() @ document_vector
        weights = np.exp((similarities - similarities.max()) / CLASSIFICATION_TEMPERATURE)
        shares = weights / weights.sum()
        best = int(np.argmax(shares))
        return Classification(label=self._labels[best][0], score=round(float(shares[best]), 4))

    def _get_label_vectors(self) -> np.ndarray:
        with self._lock:
            if self._label_vectors is None:
                descriptions = [f"{label}: {description}" for label, description in self._labels]
                self._label_vectors = np.asarray(self.embeddings.embed(descriptions), dtype=np.float32)
            return self._label_vectors

    def _keywords(self, text: str, document_vector: np.ndarray) -> list[str]:
        from sklearn.feature_extraction.text import CountVectorizer

        sample = text[:_KEYWORD_CHARS]
        vectorizer = CountVectorizer(analyzer=candidate_phrases, max_features=_KEYWORD_CANDIDATES)
        try:
            found = self._get_keybert().extract_keywords(
                sample,
                vectorizer=vectorizer,
                use_mmr=True,
                diversity=_KEYWORD_DIVERSITY,
                top_n=self.settings.keywords,
                doc_embeddings=document_vector.reshape(1, -1),
            )
        except ValueError:
            return []  # no candidate words (only stop words, numbers or symbols)
        return [keyword for keyword, _ in found]

    def _get_keybert(self) -> Any:
        with self._lock:
            if self._keybert is None:
                from keybert import KeyBERT

                self._keybert = KeyBERT(model=_keybert_backend(self.embeddings))
            return self._keybert


def _keybert_backend(embeddings: EmbeddingProvider) -> Any:
    """KeyBERT embeds with our provider, so it uses the very model (and settings) of the embeddings."""
    from keybert.backend import BaseEmbedder

    class ProviderEmbedder(BaseEmbedder):
        def embed(self, documents: list[str], verbose: bool = False) -> np.ndarray:
            return np.asarray(embeddings.embed(list(documents)), dtype=np.float32)

    return ProviderEmbedder()


def split_sentences(text: str) -> list[str]:
    """Sentences of a page. Lines are joined first when a line does not end a sentence and the next
    one continues it in lower case (a wrapped line of prose); other lines stay separate units."""
    units: list[str] = []
    for line in (line.strip() for line in text.split("\n")):
        if not line:
            units.append("")
            continue
        if units and units[-1] and not _LINE_END.search(units[-1]) and line[0].islower():
            units[-1] = f"{units[-1]} {line}"
        else:
            units.append(line)
    sentences: list[str] = []
    for unit in units:
        parts = [" ".join(part.split()) for part in _SENTENCE_BREAK.split(unit) if part.strip()]
        for part in parts:
            if (
                sentences
                and sentences[-1]
                and _ends_with_abbreviation(sentences[-1])
                and part is not parts[0]
            ):
                sentences[-1] = f"{sentences[-1]} {part}"
            else:
                sentences.append(part)
    return sentences


def _ends_with_abbreviation(sentence: str) -> bool:
    """An abbreviation ("St." in "St. Mary's") or an initial ("J. Smith") does not end a sentence."""
    last = sentence.rsplit(maxsplit=1)[-1].rstrip(".").lower()
    return len(last) == 1 or last in _ABBREVIATIONS


def is_summary_sentence(sentence: str) -> bool:
    """A sentence a summary can quote as it stands: it starts like one (not with a bullet, a list number
    or a page reference), ends like one (which leaves out headings and table-of-contents lines such as
    "2 Scope ........ 4"), and is mostly words."""
    words = sentence.split()
    return (
        _MIN_SENTENCE_WORDS <= len(words) <= _MAX_SENTENCE_WORDS
        and _SENTENCE_START.match(sentence) is not None
        and _NOT_A_START.match(sentence) is None
        and _SENTENCE_END.search(sentence) is not None
        and _letter_share(sentence) >= _MIN_LETTER_SHARE
    )


def evenly_spaced(items: list[str], limit: int) -> list[str]:
    if len(items) <= limit:
        return items
    step = len(items) / limit
    return [items[math.floor(i * step)] for i in range(limit)]


def candidate_phrases(text: str) -> list[str]:
    """Keyword candidates: single words and two-word phrases of words that stand next to each other in
    the text, with no stop word, number or punctuation between them ("service agreement", never
    "invoice late" from "... invoice. Late payments ...")."""
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    phrases: list[str] = []
    for run in _CONTENT_BREAK.split(text.lower()):
        words = [w for w in run.split() if len(w) > 1]
        run_words: list[str] = []
        for word in [*words, ""]:
            if not word or word in ENGLISH_STOP_WORDS or not _WORD.fullmatch(word):
                phrases.extend(run_words)
                phrases.extend(f"{a} {b}" for a, b in itertools.pairwise(run_words))
                run_words = []
            else:
                run_words.append(word)
    return phrases


def _letter_share(text: str) -> float:
    visible = [char for char in text if not char.isspace()]
    return sum(char.isalpha() for char in visible) / len(visible) if visible else 0.0


def _unit(vector: np.ndarray) -> np.ndarray:
    norm = float(np.linalg.norm(vector))
    return vector / norm if norm else vector
