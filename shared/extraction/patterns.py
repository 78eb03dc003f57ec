"""Typed values in running text: dates, amounts with their currency, emails, phone numbers and
labelled reference numbers, each with its span in the text so that it can be quoted.

Patterns are anchored on both sides so that parts of longer tokens (amounts inside IBANs, dates
inside ids, digits inside order numbers) are not taken for values.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation

import phonenumbers
from dateutil import parser as date_parser

YEARS = range(1900, 2101)

# Not part of a longer token on the left / right.
_L = r"(?<![\w@/.,:-])"
_R = r"(?![\w@/-]|[.,:]\w)"

EMAIL = re.compile(
    r"(?<![\w.+-])[A-Za-z0-9][A-Za-z0-9._%+-]*@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,24}\b"
)

MONTHS = (
    ("jan", "january", "januar", "jänner", "janvier", "enero"),
    ("feb", "february", "februar", "février", "fevrier", "febrero"),
    ("mar", "march", "märz", "maerz", "mars", "marzo"),
    ("apr", "april", "avril", "abril"),
    ("may", "mai", "mayo"),
    ("jun", "june", "juni", "juin", "junio"),
    ("jul", "july", "juli", "juillet", "julio"),
    ("aug", "august", "août", "aout", "agosto"),
    ("sep", "sept", "september", "septembre", "septiembre"),
    ("oct", "october", "oktober", "okt", "octobre", "octubre"),
    ("nov", "november", "novembre", "noviembre"),
    ("dec", "december", "dezember", "dez", "décembre", "decembre", "diciembre"),
)
_MONTH_NAMES = [name for names in MONTHS for name in names]
_MONTH = "(?:" + "|".join(sorted((re.escape(n) for n in _MONTH_NAMES), key=len, reverse=True)) + r")\.?"


class _DateInfo(date_parser.parserinfo):
    # dateutil accepts any number of names per month; its stubs allow two or three.
    MONTHS = MONTHS  # type: ignore[assignment]


DATE_INFO = _DateInfo()
_DAY = r"(?:[12]\d|3[01]|0?[1-9])(?:st|nd|rd|th|\.)?"
_DATE_PATTERNS = (
    ("iso", re.compile(_L + r"(\d{4})-(\d{1,2})-(\d{1,2})" + _R)),
    # Four-digit years only: "10.10.10" is as likely a version number as a date.
    ("numeric", re.compile(_L + r"(\d{1,2})([./])(\d{1,2})\2(\d{4})" + _R)),
    ("day_month", re.compile(_L + rf"({_DAY})\s+({_MONTH})\s*,?\s+(\d{{4}})" + r"\b", re.IGNORECASE)),
    ("month_day", re.compile(_L + rf"({_MONTH})\s+({_DAY})\s*,?\s+(\d{{4}})" + r"\b", re.IGNORECASE)),
)
# Any numeric date, two-digit years too: only to learn a document's day/month order.
_NUMERIC_DATE = re.compile(_L + r"(\d{1,2})([./-])(\d{1,2})\2(\d{2}|\d{4})" + _R)

CURRENCY_SYMBOLS = {"€": "EUR", "£": "GBP", "¥": "JPY", "₹": "INR", "US$": "USD", "$": "USD", "Fr.": "CHF"}
CURRENCY_CODES = frozenset({
    *("EUR", "USD", "GBP", "CHF", "JPY", "CNY", "CAD", "AUD", "NZD", "SEK", "NOK", "DKK", "PLN"),
    *("CZK", "HUF", "RON", "BGN", "INR", "BRL", "ZAR", "TRY", "MXN", "SGD", "HKD", "AED"),
})  # fmt: skip
CURRENCY = (
    "(?:"
    + "|".join(re.escape(s) for s in sorted(CURRENCY_SYMBOLS, key=len, reverse=True))
    + "|"
    + r"\b(?:"
    + "|".join(sorted(CURRENCY_CODES))
    + r")\b)"
)
NUMBER = r"\d{1,3}(?:[.,\u00a0\u202f' ]\d{3})+(?:[.,]\d{1,2})?|\d+(?:[.,]\d{1,2})?"
# A currency and its number are on one line.
_AMOUNT_BEFORE = re.compile(rf"(?P<cur>{CURRENCY})[^\S\n]?(?P<sign>-)?(?P<num>{NUMBER})(?![\d.,]*\d)(?!\w)")
_AMOUNT_AFTER = re.compile(rf"{_L}(?P<sign>-)?(?P<num>{NUMBER})[^\S\n]?(?P<cur>{CURRENCY})(?!\w)")

REFERENCE_KINDS = {
    "invoice": r"invoice|inv|rechnung|facture|factura",
    "order": r"purchase\s+order|order|po|bestellung|auftrag|commande",
    "reference": r"reference|ref|our\s+ref|your\s+ref|aktenzeichen|referenz",
    "customer": r"customer|client|account|kunden",
    "quote": r"quote|quotation|angebot|offer",
    "contract": r"contract|agreement|vertrag",
    "receipt": r"receipt|beleg|quittung",
    "ticket": r"ticket|case|booking",
}
_DESIGNATOR = r"(?:no\.?|nr\.?|number|num\.?|#|id|nummer|n°|no:)"
# An identifier holds a digit; the lookahead keeps a rejected word from swallowing the next label.
IDENTIFIER = r"(?=[A-Z0-9\-/_.]*\d)(?:[A-Z0-9][A-Z0-9\-/_.]*[A-Z0-9]|\d)"
_SPACE = r"[^\S\n]*"  # a label and its value are on one line
_REFERENCE = re.compile(
    r"\b(?P<kind>"
    + "|".join(f"(?P<{kind}>{words})" for kind, words in REFERENCE_KINDS.items())
    + rf")\b\.?-?{_SPACE}(?P<designator>{_DESIGNATOR})?{_SPACE}(?P<sep>[:#])?{_SPACE}(?P<id>{IDENTIFIER})(?![\w-])",
    re.IGNORECASE,
)

# Regions for numbers written without a country code, guessed from the document itself.
_TLD_REGIONS = {"uk": "GB", "com": None, "org": None, "net": None, "io": None, "eu": None}


@dataclass(frozen=True)
class Hit:
    """A value found in a text: its span, the text as written, the normalised value, and for
    amounts the ISO currency, for references the kind of reference ("invoice", "order", ...)."""

    start: int
    end: int
    text: str
    value: str
    tag: str | None = None


def find_emails(text: str) -> Iterator[Hit]:
    for match in EMAIL.finditer(text):
        yield Hit(match.start(), match.end(), match.group(), match.group().lower())


def phone_region(texts: Iterable[str]) -> str | None:
    """The country that numbers without a country code most likely belong to: the most common country
    of the document's international numbers, else of its e-mail and web domains; None when the
    document gives no hint (then only international numbers are taken, as any guess would turn
    order and account numbers into phone numbers)."""
    texts = list(texts)
    votes: dict[str, int] = {}
    for text in texts:
        for match in phonenumbers.PhoneNumberMatcher(text, None):
            region = phonenumbers.region_code_for_number(match.number)
            if region and region != "001":
                votes[region] = votes.get(region, 0) + 2
    if not votes:
        for text in texts:
            for domain in re.findall(r"[@.]([a-z0-9-]+\.)*([a-z]{2,3})\b", text.lower()):
                tld = domain[1]
                region = _TLD_REGIONS.get(tld, tld.upper() if len(tld) == 2 else None)
                if region and region in phonenumbers.SUPPORTED_REGIONS:
                    votes[region] = votes.get(region, 0) + 1
    if not votes:
        return None
    return max(sorted(votes), key=lambda region: votes[region])


def find_phones(text: str, region: str | None) -> Iterator[Hit]:
    # "00" is the international call prefix nearly everywhere outside North America; replacing it by
    # "+ " keeps every offset.
    normalised = re.sub(r"(?<![\w+])00(?=[1-9]\d)", "+ ", text) if region is None else text
    for match in phonenumbers.PhoneNumberMatcher(normalised, region):
        e164 = phonenumbers.format_number(match.number, phonenumbers.PhoneNumberFormat.E164)
        yield Hit(match.start, match.end, text[match.start : match.end], e164)


def day_first(texts: Iterable[str], default: bool = True) -> bool:
    """Whether the document writes numeric dates day first: decided by its unambiguous dates (a first
    part above 12 says day first, a second part above 12 month first, a dotted date day first), the
    majority winning; `default` when none of its dates tells."""
    votes = 0
    for text in texts:
        for match in _NUMERIC_DATE.finditer(text):
            first, second = int(match.group(1)), int(match.group(3))
            if first > 12 >= second or (match.group(2) == "." and first <= 31 and second <= 12):
                votes += 1
            elif second > 12 >= first:
                votes -= 1
    return default if votes == 0 else votes > 0


def find_dates(text: str, *, day_first: bool) -> list[Hit]:
    """The dates of `text` in reading order, as ISO values; impossible dates are not dates."""
    hits: list[Hit] = []
    for kind, pattern in _DATE_PATTERNS:
        for match in pattern.finditer(text):
            if any(hit.start < match.end() and match.start() < hit.end for hit in hits):
                continue
            value = _date_value(kind, match, day_first=day_first)
            if value is not None:
                hits.append(Hit(match.start(), match.end(), match.group(), value.isoformat()))
    return sorted(hits, key=lambda hit: hit.start)


def _date_value(kind: str, match: re.Match[str], *, day_first: bool) -> date | None:
    """The date dateutil reads from a candidate; None for impossible dates (31.02.2024) and years
    outside 1900-2100."""
    raw = match.group()
    if kind == "numeric":
        # Dotted dates are day-first wherever they are used; dateutil itself swaps 13/03 to day-first.
        day_first = day_first or match.group(2) == "."
    try:
        iso = kind == "iso"
        value = date_parser.parse(
            raw, dayfirst=day_first and not iso, yearfirst=iso, parserinfo=DATE_INFO
        ).date()
    except (ValueError, OverflowError):
        return None
    return value if value.year in YEARS else None


def find_amounts(text: str) -> list[Hit]:
    """Amounts written with a currency symbol or code before or after them, in reading order."""
    hits: list[Hit] = []
    for pattern in (_AMOUNT_BEFORE, _AMOUNT_AFTER):
        for match in pattern.finditer(text):
            if any(hit.start < match.end() and match.start() < hit.end for hit in hits):
                continue
            value = parse_amount(match.group("num"))
            if value is None:
                continue
            if match.group("sign"):
                value = -value
            raw = match.group()
            start = match.start() + len(raw) - len(raw.lstrip())
            raw = raw.strip()
            hits.append(
                Hit(start, start + len(raw), raw, format(value, "f"), currency_code(match.group("cur")))
            )
    return sorted(hits, key=lambda hit: hit.start)


def currency_code(token: str) -> str | None:
    """The ISO 4217 code of a currency symbol or code, None for one we do not know."""
    token = token.strip()
    return CURRENCY_SYMBOLS.get(token) or (token.upper() if token.upper() in CURRENCY_CODES else None)


def parse_amount(text: str) -> Decimal | None:
    """A number written with either convention: "1,234.56", "1.234,56", "1 234,56", "12", "3.50".

    The last separator is the decimal point when one or two digits follow it; a lone separator
    followed by three digits groups thousands ("1.234" is one thousand two hundred thirty-four).
    """
    digits = re.sub(r"[\u00a0\u202f' ]", "", text)
    last = max(digits.rfind("."), digits.rfind(","))
    if last >= 0 and len(digits) - last - 1 in (1, 2):
        whole, fraction = digits[:last], digits[last + 1 :]
    else:
        whole, fraction = digits, ""
    whole = re.sub(r"[.,]", "", whole)
    try:
        return Decimal(f"{whole}.{fraction}" if fraction else whole)
    except InvalidOperation:
        return None


def find_references(text: str) -> Iterator[Hit]:
    """Identifiers named by the kind of document they refer to: "Invoice No. INV-1", "PO #4711"."""
    for match in _REFERENCE.finditer(text):
        identifier = match.group("id").rstrip(".-/")
        has_marker = bool(match.group("designator") or match.group("sep"))
        looks_like_id = any(char.isalpha() for char in identifier)
        if not (has_marker or looks_like_id) or len(identifier) < 2:
            continue
        kind = next(name for name in REFERENCE_KINDS if match.group(name))
        raw = match.group().strip()
        yield Hit(match.start(), match.start() + len(raw), raw, identifier.upper(), kind)
