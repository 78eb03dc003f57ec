"""Key fields found by patterns: dates, amounts, emails, phone numbers and reference numbers.

Each field is a list of {"value": normalised, "text": as found, "page": n, ...}, first occurrence
first, one entry per value. Patterns are anchored on both sides so that parts of longer tokens
(amounts inside IBANs, dates inside ids, digits inside order numbers) are not taken for fields.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

import phonenumbers
from dateutil import parser as date_parser

FIELD_NAMES = ("dates", "amounts", "emails", "phone_numbers", "references")
_MAX_PER_FIELD = 50
_YEARS = range(1900, 2101)

# Not part of a longer token on the left / right.
_L = r"(?<![\w@/.,:-])"
_R = r"(?![\w@/-]|[.,:]\w)"

_EMAIL = re.compile(
    r"(?<![\w.+-])[A-Za-z0-9][A-Za-z0-9._%+-]*@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,24}\b"
)

_MONTHS = (
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
_MONTH_NAMES = [name for names in _MONTHS for name in names]
_MONTH = "(?:" + "|".join(sorted((re.escape(n) for n in _MONTH_NAMES), key=len, reverse=True)) + r")\.?"


class _DateInfo(date_parser.parserinfo):
    # dateutil accepts any number of names per month; its stubs allow two or three.
    MONTHS = _MONTHS  # type: ignore[assignment]


_DATE_INFO = _DateInfo()
_DAY = r"(?:[12]\d|3[01]|0?[1-9])(?:st|nd|rd|th|\.)?"
_DATE_PATTERNS = (
    ("iso", re.compile(_L + r"(\d{4})-(\d{1,2})-(\d{1,2})" + _R)),
    # Four-digit years only: "10.10.10" is as likely a version number as a date.
    ("numeric", re.compile(_L + r"(\d{1,2})([./])(\d{1,2})\2(\d{4})" + _R)),
    ("day_month", re.compile(_L + rf"({_DAY})\s+({_MONTH})\s*,?\s+(\d{{4}})" + r"\b", re.IGNORECASE)),
    ("month_day", re.compile(_L + rf"({_MONTH})\s+({_DAY})\s*,?\s+(\d{{4}})" + r"\b", re.IGNORECASE)),
)

_CURRENCY_SYMBOLS = {"€": "EUR", "£": "GBP", "¥": "JPY", "₹": "INR", "US$": "USD", "$": "USD", "Fr.": "CHF"}
_CURRENCY_CODES = {
    *("EUR", "USD", "GBP", "CHF", "JPY", "CNY", "CAD", "AUD", "NZD", "SEK", "NOK", "DKK", "PLN"),
    *("CZK", "HUF", "RON", "BGN", "INR", "BRL", "ZAR", "TRY", "MXN", "SGD", "HKD", "AED"),
}
_CURRENCY = (
    "(?:"
    + "|".join(re.escape(s) for s in sorted(_CURRENCY_SYMBOLS, key=len, reverse=True))
    + "|"
    + r"\b(?:"
    + "|".join(sorted(_CURRENCY_CODES))
    + r")\b)"
)
_NUMBER = r"\d{1,3}(?:[.,\u00a0\u202f' ]\d{3})+(?:[.,]\d{1,2})?|\d+(?:[.,]\d{1,2})?"
_AMOUNT_BEFORE = re.compile(rf"(?P<cur>{_CURRENCY})\s?(?P<sign>-)?(?P<num>{_NUMBER})(?![\d.,]*\d)(?!\w)")
_AMOUNT_AFTER = re.compile(rf"{_L}(?P<sign>-)?(?P<num>{_NUMBER})\s?(?P<cur>{_CURRENCY})(?!\w)")

_REFERENCE_KINDS = {
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
_IDENTIFIER = r"(?=[A-Z0-9\-/_.]*\d)(?:[A-Z0-9][A-Z0-9\-/_.]*[A-Z0-9]|\d)"
_SPACE = r"[^\S\n]*"  # a label and its value are on one line
_REFERENCE = re.compile(
    r"\b(?P<kind>"
    + "|".join(f"(?P<{kind}>{words})" for kind, words in _REFERENCE_KINDS.items())
    + rf")\b\.?-?{_SPACE}(?P<designator>{_DESIGNATOR})?{_SPACE}(?P<sep>[:#])?{_SPACE}(?P<id>{_IDENTIFIER})(?![\w-])",
    re.IGNORECASE,
)

# Regions for numbers written without a country code, guessed from the document itself.
_TLD_REGIONS = {"uk": "GB", "com": None, "org": None, "net": None, "io": None, "eu": None}


def extract_fields(pages: Sequence[tuple[int, str]]) -> dict[str, list[dict[str, Any]]]:
    """All key fields of the pages, in page order."""
    found: dict[str, list[dict[str, Any]]] = {name: [] for name in FIELD_NAMES}
    region = phone_region(pages)
    for page_no, text in pages:
        found["emails"].extend(_emails(text, page_no))
        found["phone_numbers"].extend(_phones(text, page_no, region))
        found["dates"].extend(_dates(text, page_no, day_first=region != "US"))
        found["amounts"].extend(_amounts(text, page_no))
        found["references"].extend(_references(text, page_no))
    return {name: _unique(items, name)[:_MAX_PER_FIELD] for name, items in found.items()}


def _unique(items: Iterable[dict[str, Any]], name: str) -> list[dict[str, Any]]:
    seen: set[tuple[Any, ...]] = set()
    out = []
    for item in items:
        key = (item["value"], item.get("currency"), item.get("kind"))
        if key not in seen:
            seen.add(key)
            out.append(item)
    return out


def _emails(text: str, page_no: int) -> Iterable[dict[str, Any]]:
    for match in _EMAIL.finditer(text):
        yield {"value": match.group().lower(), "text": match.group(), "page": page_no}


def phone_region(pages: Sequence[tuple[int, str]]) -> str | None:
    """The country that numbers without a country code most likely belong to: the most common country
    of the document's international numbers, else of its e-mail and web domains; None when the
    document gives no hint (then only international numbers are taken, as any guess would turn
    order and account numbers into phone numbers)."""
    votes: dict[str, int] = {}
    for _, text in pages:
        for match in phonenumbers.PhoneNumberMatcher(text, None):
            region = phonenumbers.region_code_for_number(match.number)
            if region and region != "001":
                votes[region] = votes.get(region, 0) + 2
    if not votes:
        for _, text in pages:
            for domain in re.findall(r"[@.]([a-z0-9-]+\.)*([a-z]{2,3})\b", text.lower()):
                tld = domain[1]
                region = _TLD_REGIONS.get(tld, tld.upper() if len(tld) == 2 else None)
                if region and region in phonenumbers.SUPPORTED_REGIONS:
                    votes[region] = votes.get(region, 0) + 1
    if not votes:
        return None
    return max(sorted(votes), key=lambda region: votes[region])


def _phones(text: str, page_no: int, region: str | None) -> Iterable[dict[str, Any]]:
    # "00" is the international call prefix nearly everywhere outside North America.
    normalised = re.sub(r"(?<![\w+])00(?=[1-9]\d)", "+ ", text) if region is None else text
    for match in phonenumbers.PhoneNumberMatcher(normalised, region):
        number = match.number
        raw = text[match.start : match.end] if region is not None else match.raw_string.replace("+ ", "00", 1)
        yield {
            "value": phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164),
            "text": raw,
            "page": page_no,
        }


def _dates(text: str, page_no: int, *, day_first: bool) -> Iterable[dict[str, Any]]:
    hits: list[tuple[int, str, date]] = []
    taken: list[tuple[int, int]] = []
    for kind, pattern in _DATE_PATTERNS:
        for match in pattern.finditer(text):
            if any(start < match.end() and match.start() < end for start, end in taken):
                continue
            value = _date_value(kind, match, day_first=day_first)
            if value is not None:
                taken.append(match.span())
                hits.append((match.start(), match.group(), value))
    for _, raw, value in sorted(hits):
        yield {"value": value.isoformat(), "text": raw, "page": page_no}


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
            raw, dayfirst=day_first and not iso, yearfirst=iso, parserinfo=_DATE_INFO
        ).date()
    except (ValueError, OverflowError):
        return None
    return value if value.year in _YEARS else None


def _amounts(text: str, page_no: int) -> Iterable[dict[str, Any]]:
    hits: list[tuple[int, dict[str, Any]]] = []
    taken: list[tuple[int, int]] = []
    for pattern in (_AMOUNT_BEFORE, _AMOUNT_AFTER):
        for match in pattern.finditer(text):
            if any(start < match.end() and match.start() < end for start, end in taken):
                continue
            value = parse_amount(match.group("num"))
            if value is None:
                continue
            if match.group("sign"):
                value = -value
            taken.append(match.span())
            hits.append(
                (
                    match.start(),
                    {
                        "value": format(value, "f"),
                        "currency": _currency_code(match.group("cur")),
                        "text": match.group().strip(),
                        "page": page_no,
                    },
                )
            )
    for _, item in sorted(hits, key=lambda hit: hit[0]):
        yield item


def _currency_code(token: str) -> str | None:
    return _CURRENCY_SYMBOLS.get(token) or (token.upper() if token.upper() in _CURRENCY_CODES else None)


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


def _references(text: str, page_no: int) -> Iterable[dict[str, Any]]:
    for match in _REFERENCE.finditer(text):
        identifier = match.group("id").rstrip(".-/")
        has_marker = bool(match.group("designator") or match.group("sep"))
        looks_like_id = any(char.isalpha() for char in identifier)
        if not (has_marker or looks_like_id) or len(identifier) < 2:
            continue
        kind = next(name for name in _REFERENCE_KINDS if match.group(name))
        yield {"value": identifier.upper(), "kind": kind, "text": match.group().strip(), "page": page_no}
