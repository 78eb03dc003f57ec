"""A raw text read as its field's type, the same for every provider.

Dates become "YYYY-MM-DD" (numeric dates in the document's own day/month order), money {"amount":
decimal string, "currency": ISO 4217 or None}, numbers a float, booleans a bool, enum values the
declared value they match, text trimmed. What cannot be read as its type is kept as written and marked
needs_review: reading a value never raises.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from dateutil import parser as date_parser

from shared.extraction import patterns
from shared.extraction.types import Evidence, FieldSpec, FieldValue, FoundStatus

# Longer than any value a field holds; a longer text is not read, only kept for review.
MAX_RAW = 2000
_MAX_DIGITS = 40

TRUE_WORDS = frozenset({
    "yes", "y", "true", "t", "1", "x", "checked", "check", "ticked", "on", "ja", "j", "oui", "si", "sí",
    "[x]", "(x)", "☑", "☒", "✓", "✔", "✗", "✘", "■", "●", "wahr", "vrai",
})  # fmt: skip
FALSE_WORDS = frozenset({
    "no", "n", "false", "f", "0", "unchecked", "unticked", "off", "nein", "non", "none", "[ ]", "[]", "( )",
    "☐", "□", "○", "falsch", "faux",
})  # fmt: skip


@dataclass(frozen=True)
class Conventions:
    """How a document writes numbers and dates: `day_first` for numeric dates, `decimal` the decimal
    separator ("," or ".") when the document shows which, for the numbers that alone do not."""

    day_first: bool = True
    decimal: str | None = None


def conventions(texts: Iterable[str], *, day_first_default: bool = True) -> Conventions:
    """A document's conventions from its own text: the day/month order of its unambiguous dates, and
    the separator its amounts put before one or two final digits (majority, "1.234,56" says ",")."""
    texts = list(texts)
    votes = {".": 0, ",": 0}
    for text in texts:
        for match in re.finditer(r"(?<![\d.,])\d{1,3}(?:([.,])\d{3})*([.,])\d{2}(?![\d.,]*\d)", text):
            grouping, decimal = match.group(1), match.group(2)
            if grouping is None or grouping != decimal:
                votes[decimal] += 1
    decimal = None if votes["."] == votes[","] else max(votes, key=lambda sep: votes[sep])
    return Conventions(patterns.day_first(texts, day_first_default), decimal)


@dataclass(frozen=True)
class Reading:
    """A raw text read as a type: `value` is JSON-ready, or None when `ok` is False."""

    value: Any
    ok: bool


def read(raw: str, spec: FieldSpec, conv: Conventions | None = None) -> Reading:
    """`raw` read as `spec`'s type; a list field has no scalar reading."""
    conv = conv or Conventions()
    text = raw.strip() if isinstance(raw, str) else ""
    if not text or len(text) > MAX_RAW:
        return Reading(None, False)
    value: Any
    match spec.type:
        case "text":
            value = text
        case "date":
            value = read_date(text, day_first=conv.day_first)
        case "money":
            value = read_money(text, conv.decimal)
        case "number":
            number = read_number(text, conv.decimal)
            value = None if number is None else _as_float(number)
        case "boolean":
            value = read_boolean(text)
        case "enum":
            value = read_enum(text, spec.values)
        case _:
            value = None
    return Reading(value, value is not None)


def field_value(
    spec: FieldSpec,
    raw: str,
    confidence: float,
    evidence: tuple[Evidence, ...] = (),
    conv: Conventions | None = None,
) -> FieldValue:
    """The FieldValue of a raw text found for `spec`: found with its normalised value, or
    needs_review with the raw text kept and no value when it cannot be read as the type."""
    reading = read(raw, spec, conv)
    confidence = min(1.0, max(0.0, confidence))
    if reading.ok:
        return FieldValue(spec.name, reading.value, confidence, "found", evidence, raw=raw)
    return FieldValue(spec.name, None, confidence, "needs_review", evidence, raw=raw)


def not_found(spec: FieldSpec) -> FieldValue:
    return FieldValue(spec.name, None, 0.0, "not_found")


def list_value(spec: FieldSpec, items: Sequence[tuple[FieldValue, ...]]) -> FieldValue:
    """A list field's value from its rows of cells: the rows as {column: value}, every cell's quote
    once, the cells' mean confidence, and needs_review when any cell does."""
    if not items:
        return not_found(spec)
    cells = [cell for item in items for cell in item if cell.status != "not_found"]
    quotes: list[Evidence] = []
    for cell in cells:
        for quote in cell.evidence:
            if quote not in quotes:
                quotes.append(quote)
    status: FoundStatus = "needs_review" if any(c.status == "needs_review" for c in cells) else "found"
    confidence = round(sum(c.confidence for c in cells) / len(cells), 3) if cells else 0.0
    rows = [{cell.name: cell.value for cell in item} for item in items]
    return FieldValue(spec.name, rows, confidence, status, tuple(quotes), items=tuple(items))


# --- dates -------------------------------------------------------------------------------------------


def read_date(text: str, *, day_first: bool = True) -> str | None:
    """An ISO date from a date written in any common way; None for no date, several different dates,
    an impossible date, or one that leaves out its day, month or year."""
    hits = {hit.value for hit in patterns.find_dates(text, day_first=day_first)}
    if len(hits) == 1:
        return hits.pop()
    if hits or not re.search(r"\d", text):
        return None
    iso = re.fullmatch(r"\s*\d{4}[-/.]\d{1,2}[-/.]\d{1,2}\s*", text) is not None
    readings = set()
    # A part dateutil fills from its default is a part the text does not give.
    for default in (datetime(2001, 1, 1), datetime(2002, 2, 2)):
        try:
            parsed = date_parser.parse(
                text,
                dayfirst=day_first and not iso,
                yearfirst=iso,
                default=default,
                parserinfo=patterns.DATE_INFO,
            )
        except (ValueError, OverflowError, TypeError):
            return None
        if parsed.time() != datetime.min.time():
            return None
        readings.add(parsed.date())
    if len(readings) != 1:
        return None
    value: date = readings.pop()
    return value.isoformat() if value.year in patterns.YEARS else None


# --- numbers and money -------------------------------------------------------------------------------

_NUMERIC = re.compile(r"[+-]?\(?[+-]?\d[\d.,\u00a0\u202f' ]*\)?-?")


def read_number(text: str, decimal: str | None = None) -> Decimal | None:
    """A number as written: "1,234.56", "1.234,56", "1 234,5", "-12", "(12.00)" (negative), "1.234"
    (thousands unless the document's decimal separator is "."). None for anything else, and for a
    number of more than 40 digits."""
    text = text.strip()
    if not _NUMERIC.fullmatch(text):
        return None
    negative = text.startswith("-") or text.endswith("-") or (text.startswith("(") and text.endswith(")"))
    if text.startswith("(") != text.endswith(")"):
        return None
    body = text.strip("()+-")
    body = re.sub(r"[\u00a0\u202f' ]", "", body)
    if not body or not re.fullmatch(r"\d[\d.,]*", body) or body[-1] in ".,":
        return None
    dots, commas = body.count("."), body.count(",")
    if dots and commas:
        point = "." if body.rfind(".") > body.rfind(",") else ","
        if body.count(point) > 1:
            return None
    elif dots + commas == 0:
        point = None
    else:
        separator = "." if dots else ","
        tail = len(body) - body.rfind(separator) - 1
        if dots + commas > 1:
            point = None  # "1.234.567": grouping only
        elif tail != 3 or body.startswith(("0.", "0,")):
            point = separator  # a group of thousands has three digits and follows a digit other than 0
        else:
            # "1.234" is a thousand and more unless the document writes decimals with "."
            point = separator if decimal == separator else None
    if point is None:
        whole, fraction = body, ""
    else:
        whole, _, fraction = body.rpartition(point)
    grouping = "," if point == "." else "."
    if point is not None and point in whole:
        return None
    groups = re.split(r"[.,]", whole) if point is None else whole.split(grouping)
    # Thousands come in threes (lakhs in twos before the last three).
    if len(groups) > 1 and (len(groups[-1]) != 3 or any(len(g) not in (2, 3) for g in groups[1:-1])):
        return None
    whole = "".join(groups)
    if not whole.isdigit() or not (fraction == "" or fraction.isdigit()):
        return None
    if len(whole) + len(fraction) > _MAX_DIGITS:
        return None
    try:
        number = Decimal(f"{whole}.{fraction}" if fraction else whole)
    except InvalidOperation:
        return None
    return -number if negative and number else number


def _as_float(number: Decimal) -> float | None:
    value = float(number)
    return value if math.isfinite(value) else None


_CURRENCY_TOKEN = re.compile(patterns.CURRENCY + r"|\b[A-Z]{3}\b", re.IGNORECASE)


def read_money(text: str, decimal: str | None = None) -> dict[str, str | None] | None:
    """{"amount": "1234.50", "currency": "EUR"} from "EUR 1.234,50", "1,234.5 €", "$3", "12.00" (no
    currency: None); at least two decimals. None when there is no single amount, or an unknown
    three-letter currency."""
    currencies = [(m.start(), m.end(), m.group()) for m in _CURRENCY_TOKEN.finditer(text)]
    currency = None
    rest = text
    if len(currencies) > 1:
        return None
    if currencies:
        start, end, token = currencies[0]
        currency = patterns.currency_code(token)
        if currency is None:
            return None
        rest = text[:start] + " " + text[end:]
    number = read_number(rest.strip(), decimal)
    if number is None:
        return None
    if number.as_tuple().exponent in (0, -1):
        number = number.quantize(Decimal("0.01"))
    return {"amount": format(number, "f"), "currency": currency}


# --- booleans and enums ------------------------------------------------------------------------------


def read_boolean(text: str) -> bool | None:
    word = fold(text).strip(" .:;!")
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    return None


def read_enum(text: str, values: Iterable[str]) -> str | None:
    """The declared value `text` names, ignoring case, accents, spacing and punctuation."""
    wanted = _key(text)
    matches = [value for value in values if _key(value) == wanted]
    return matches[0] if wanted and len(matches) == 1 else None


def fold(text: str) -> str:
    """Lower case without accents, whitespace runs as one space."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    bare = "".join(char for char in decomposed if not unicodedata.combining(char))
    return " ".join(bare.split())


def _key(text: str) -> str:
    return re.sub(r"[\W_]+", " ", fold(text)).strip()
