"""Values that running prose names rather than labels: the parties a contract is made between, its term
in months, its governing law, the date it takes effect, whether it renews automatically, the percent of
a tax, and the company whose name heads the first page. Each is found by the words around it, which
become its label, so that fields are still matched to it by name and description.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# A party and, later in its clause, the role the contract gives it: (the "Client"), (im Folgenden „X“).
_PARTY = re.compile(
    r"(?:^|\(\d\)[^\S\n]*|\bbetween[^\S\n]+|\bzwischen[^\S\n]+|\b(?:and|und)[^\S\n]+)"
    r"(?P<name>[A-ZÄÖÜ][^,\n()\"“„]{2,80}?),[^()]{0,160}?"
    r"\((?:the|im\s+Folgenden)\s*[\"“„]\s*(?P<role>[^\"”“)]{2,40}?)\s*[\"”“]\)",
    re.MULTILINE,
)
_TERM = re.compile(r"(?<![\d.,])(?P<n>\d{1,3})\s+(?:months?|Monate[n]?)\b", re.IGNORECASE)
_TERM_WORDS = re.compile(r"\b(?:term|laufzeit|duration|period of)\b[^.\d]{0,30}$", re.IGNORECASE)
_LAW = re.compile(
    r"\b(?:laws?|Recht)\s+(?:of|der|des)\s+(?:the\s+)?(?P<place>[A-Z][^\W\d_]*(?:\s+(?:of|and|der)?\s*[A-Z][^\W\d_]*)*)"
)
_EFFECT_BEFORE = re.compile(r"\b(?:takes?\s+effect|effective|commenc\w*)\s+(?:on|from|as\s+of)\s+$", re.I)
_EFFECT_AFTER = re.compile(r"^\s*(?:\(the\s+[\"“]Effective\s+Date[\"”]\)|in\s+Kraft)", re.IGNORECASE)
_RENEWAL = re.compile(
    r"(?P<before>[^.]{0,30}?)\b(?:renews?|renewed|verlängert\s+sich)\b(?P<mid>[^.]{0,30}?)\bautomati(?:cally|sch)\b",
    re.IGNORECASE,
)
_NEGATION = re.compile(r"\b(?:not|nicht|no|never|kein\w*)\b", re.IGNORECASE)
_PERCENT = re.compile(r"(?<![\w.,])(?P<n>\d{1,2}(?:[.,]\d{1,3})?)[^\S\n]?%")
_TITLES = re.compile(
    r"^(?:invoice|rechnung|receipt|quittung|beleg|facture|contract|agreement|vertrag)\b", re.I
)


@dataclass(frozen=True)
class Phrase:
    """A value in prose: its kind and span, the label its words give it, where its quote starts, the
    value itself when the span is no literal of it (a renewal clause says True or False), and how far
    the phrase alone can be trusted."""

    kind: str
    start: int
    end: int
    label: str
    quote_start: int
    strength: float
    value: bool | None = None


def find(text: str, *, first_page: bool) -> list[Phrase]:
    found: list[Phrase] = []
    for match in _PARTY.finditer(text):
        start, end = match.span("name")
        role = " ".join(match.group("role").split())
        found.append(Phrase("text", start, end, role, start, 0.85))
    for match in _TERM.finditer(text):
        before = text[max(0, match.start() - 40) : match.start()]
        if _TERM_WORDS.search(before):
            start, end = match.span("n")
            found.append(Phrase("number", start, end, "term in months", match.start(), 0.85))
    for match in _LAW.finditer(text):
        start, end = match.span("place")
        found.append(Phrase("text", start, end, "governing law", match.start(), 0.85))
    for match in _RENEWAL.finditer(text):
        negated = bool(_NEGATION.search(match.group("before")) or _NEGATION.search(match.group("mid")))
        start = match.start() + len(match.group("before"))
        found.append(Phrase("boolean", start, match.end(), "renews automatically", start, 0.85, not negated))
    for match in _PERCENT.finditer(text):
        start, end = match.span("n")
        found.append(Phrase("percent", start, end, "", start, 0.9))
    if first_page:
        found.extend(_letterhead(text))
    return found


def effective(text: str, start: int, end: int) -> bool:
    """Whether the date at [start, end) is the one a contract takes effect on."""
    return bool(_EFFECT_BEFORE.search(text[max(0, start - 40) : start]) or _EFFECT_AFTER.match(text[end:]))


def _letterhead(text: str) -> list[Phrase]:
    """The name on the page's first line (its part before " · "): two words or more, no digits, not a
    document title."""
    line = text.split("\n", 1)[0]
    name = line.split(" · ", 1)[0].strip()
    if (
        len(name.split()) < 2
        or len(name) > 60
        or re.search(r"\d|@|:", name)
        or _TITLES.match(name)
        or not re.search(r"[^\W\d_]{2,}", name)
    ):
        return []
    start = text.index(name)
    return [Phrase("text", start, start + len(name), "issued by: company name at the top", start, 0.6)]
