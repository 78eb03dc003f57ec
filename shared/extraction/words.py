"""The words of field names, descriptions and labels, compared across languages and spellings.

A label is glossed into the English that field names are mostly written in ("Rechnungsdatum" also says
"invoice date"), folded, stripped of words that say nothing, and singular, so "Invoice No", "invoice
number" and "Rechnungsnummer" share their words. The local extractor matches labels with them, and
prebuilt models' fields are matched to a schema's fields the same way.
"""

from __future__ import annotations

import re

from shared.extraction import values
from shared.extraction.types import FieldSpec

WORD = re.compile(r"[^\W_]+|#|n°")

# Label words of German and French documents, in English.
# Keys of five letters or more are also found inside compounds ("Rechnungsdatum").
_GLOSS = {
    "zwischensumme": "subtotal", "rechnung": "invoice", "nummer": "number", "datum": "date",
    "fälligkeit": "due", "fällig": "due", "faellig": "due", "zahlbar": "payable due", "betrag": "amount",
    "gesamt": "total amount", "summe": "total", "netto": "net", "brutto": "gross", "steuer": "tax",
    "kunden": "customer", "kunde": "customer", "bestell": "order", "auftrag": "order", "liefer": "delivery",
    "menge": "quantity", "anzahl": "quantity", "einzelpreis": "unit price", "preis": "price",
    "beschreibung": "description", "bezeichnung": "description", "artikel": "item", "leistung": "item",
    "telefon": "phone", "facture": "invoice", "montant": "amount", "échéance": "due date",
    "mwst": "vat tax", "ust": "vat tax", "tva": "vat tax", "nr": "number", "no": "number", "#": "number",
    "n°": "number", "num": "number", "qty": "quantity", "amt": "amount", "inv": "invoice",
    "ref": "reference", "tel": "phone", "pos": "item", "stk": "quantity", "vat": "vat tax",
    "auftraggeber": "client", "auftragnehmer": "service provider", "monatlich": "monthly", "vergütung": "fee",
    "rechnungsbetrag": "invoice total", "payable": "total",
}  # fmt: skip
_IGNORED = frozenset({
    "a", "an", "and", "the", "of", "for", "to", "in", "on", "by", "is", "be", "this", "der", "die", "das",
    "des", "le", "la", "de", "du", "our", "your", "what", "which",
})  # fmt: skip
# Words that only say a value's type: "Delivery date" does not name a due date.
GENERIC = frozenset({"date", "datum", "amount", "betrag", "number", "value", "field"})


def field_name(spec: FieldSpec) -> str:
    return re.sub(r"[_\-]+", " ", spec.name)


def field_text(spec: FieldSpec) -> str:
    """A field's name and description as one text."""
    name = field_name(spec)
    return f"{name}. {spec.description}" if spec.description else name


def gloss(text: str) -> str:
    """`text` followed by the English of the label words it holds."""
    extra = []
    for word in WORD.findall(text.casefold()):
        rest = word
        for key in sorted(_GLOSS, key=len, reverse=True):
            if (len(key) >= 5 and key in rest) or key == rest:
                extra.append(_GLOSS[key])
                rest = rest.replace(key, " ")
    return f"{text} ({' '.join(extra)})" if extra else text


def words(text: str) -> set[str]:
    """The telling words of `text`, glossed, folded and singular."""
    found = set()
    for word in WORD.findall(values.fold(gloss(text))):
        if word in _IGNORED or word.isdigit():
            continue
        found.add(word[:-1] if len(word) > 3 and word.endswith("s") else word)
    return found
