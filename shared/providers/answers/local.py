"""Answers without a generative model: the sentences of the passages closest in meaning to the
question, quoted as they stand with their pages. Nothing is paraphrased, so nothing can be invented;
when no sentence comes close enough, the answer is NOT_FOUND."""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence

import numpy as np

from shared.providers.answers.base import NOT_FOUND, Source, Turn
from shared.providers.embeddings.base import EmbeddingProvider
from shared.providers.llm.local import split_sentences

# Cosine similarity of a question and a sentence that answers it, in MiniLM's space, rarely falls
# below this; unrelated sentences rarely reach it. bench/ask.py measures what it lets through.
MIN_SIMILARITY = 0.35
# A sentence sharing none of the question's words must be this close to be an answer.
MIN_SIMILARITY_WITHOUT_WORDS = 0.6
# Meaning alone ranks "the ferry Kvitoy carries 500 passengers" next to the Nordlys sentence asked
# about; the share of the question's own words a sentence holds breaks that tie.
WORD_WEIGHT = 0.2
# Sentences within this of the best one are quoted too, up to MAX_SENTENCES.
NEAR_BEST = 0.08
MAX_SENTENCES = 3
_MIN_WORDS = 3
_DUPLICATE = 0.95
_WORD = re.compile(r"[^\W\d_][^\W_]*")
_QUESTION_WORDS = frozenset({
    "what", "when", "where", "which", "who", "whom", "whose", "why", "how", "is", "are", "was", "were", "do",
    "does", "did", "the", "a", "an", "of", "in", "on", "to", "for", "and", "or", "it", "its", "this", "that",
    "these", "those", "about", "with", "by", "from", "be", "there", "their", "they", "them", "second",
    "first", "one", "other", "many", "much",
})  # fmt: skip


def _content_words(text: str) -> set[str]:
    return {word.casefold() for word in _WORD.findall(text)} - _QUESTION_WORDS


class LocalAnswerer:
    provider = "local"
    extractive = True

    def __init__(self, embeddings: EmbeddingProvider) -> None:
        self.embeddings = embeddings
        self.model = f"extractive+{embeddings.model}"

    def search_query(self, question: str, history: Sequence[Turn]) -> str:
        """The question with the previous question's words it does not have already, so "and the
        second one?" still finds what the first question was about."""
        if not history:
            return question
        have = {word.casefold() for word in _WORD.findall(question)}
        extra: list[str] = []
        for word in _WORD.findall(history[-1].question):
            folded = word.casefold()
            if folded not in have and folded not in _QUESTION_WORDS:
                have.add(folded)
                extra.append(word)
        return f"{question} {' '.join(extra)}".strip()

    def answer(self, question: str, history: Sequence[Turn], sources: Sequence[Source]) -> Iterator[str]:
        candidates = [
            (source, sentence)
            for source in sources
            for sentence in split_sentences(source.text)
            if len(sentence.split()) >= _MIN_WORDS and any(ch.isalpha() for ch in sentence)
        ]
        if not candidates:
            yield NOT_FOUND
            return
        query = self.search_query(question, history)
        vectors = np.asarray(self.embeddings.embed([s for _, s in candidates]), dtype=np.float32)
        target = np.asarray(self.embeddings.embed_query(query), dtype=np.float32)
        similarity = vectors @ target
        wanted = _content_words(query)
        shared = [len(wanted & _content_words(sentence)) for _, sentence in candidates]
        scores = similarity + WORD_WEIGHT * np.asarray(shared, dtype=np.float32) / max(1, len(wanted))
        order = sorted(range(len(candidates)), key=lambda i: (-float(scores[i]), i))
        top = order[0]
        if similarity[top] < MIN_SIMILARITY or (
            shared[top] == 0 and similarity[top] < MIN_SIMILARITY_WITHOUT_WORDS
        ):
            yield NOT_FOUND
            return
        best = float(scores[top])
        chosen: list[int] = []
        for index in order:
            if len(chosen) == MAX_SENTENCES or float(scores[index]) < best - NEAR_BEST:
                break
            if similarity[index] < MIN_SIMILARITY:
                continue
            if all(float(vectors[index] @ vectors[other]) < _DUPLICATE for other in chosen):
                chosen.append(index)
        chosen.sort()  # in the order of the sources, and within a source in reading order
        previous: tuple[str, int] | None = None
        for position, index in enumerate(chosen):
            source, sentence = candidates[index]
            place = (source.filename, source.page_no)
            lead = f"{source.filename}, page {source.page_no}: " if place != previous else ""
            previous = place
            yield f"{' ' if position else ''}{lead}“{sentence}” [{source.number}]"
