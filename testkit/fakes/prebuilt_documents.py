"""The `documents` of Document Intelligence's prebuilt extraction models (prebuilt-invoice,
prebuilt-receipt, prebuilt-idDocument) for the fake service, read from nothing but the analyzeResult the
fake made for the same pages, with field names and types as API version 2024-11-30 gives them.

A stand-in finds values the plain way: a line (or a " · "-separated part of one) that starts with a
known label, English or German, holds its value after the label ("Invoice No: 123", "Total due £12.00");
a label standing alone takes its value from the nearest line to its right or, failing that, from the
line just below that shares its columns (a row of labels over a row of values). Line items come from
tables whose header row names description, quantity, price or amount columns, or from text rows under
such a header line (on a receipt, between its date and its totals); the issuer is the first line, and
an unlabelled date is the first date no other field took. Each field's `spans` cut its `content` out of the result's `content`, and
its polygon is the value's share of its line box, in proportion to characters (as the fake's words
are). Dates and amounts are parsed when their format is recognised; otherwise the field keeps its
`content` only, as the real service does.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from datetime import date
from typing import Any

Field = dict[str, Any]
Box = tuple[float, float, float, float]
MODELS = ("prebuilt-invoice", "prebuilt-receipt", "prebuilt-idDocument")

LABELLED, BESIDE, CELL, GUESSED = 0.9, 0.85, 0.8, 0.6  # confidences: how a value was found
# The tax line names its rate: "VAT 20%", "MwSt. 19 %", "Sales tax (8.875%)", "incl. VAT 20%".
TAX_WITH_RATE = re.compile(
    r"(?:incl\.?|inkl\.?|enth\.?)?\s*(?:VAT|MwSt\.?|USt\.?|Sales\s+tax|Tax)\s*\(?(?P<rate>\d+(?:[.,]\d+)?\s*%)\)?",
    re.IGNORECASE,
)
INVOICE_LABELS: dict[str, tuple[str, tuple[str | re.Pattern[str], ...]]] = {
    "InvoiceId": ("string", ("Invoice No", "Invoice No.", "Invoice number", "Invoice #", "Invoice",
                             "Tax invoice", "Rechnungsnummer", "Rechnungsnr.", "Rechnung Nr.", "Rechnung")),
    "InvoiceDate": ("date", ("Invoice Date", "Date", "Date of issue", "Rechnungsdatum", "Datum")),
    "DueDate": ("date", ("Due Date", "Payment due", "due on", "Due by", "Fällig am", "Zahlbar bis",
                         "Fälligkeitsdatum")),
    "PurchaseOrder": ("string", ("Your order", "PO number", "PO No", "Purchase order", "Order",
                                 "Ihre Bestellung", "Bestellnummer", "Bestellung")),
    "CustomerName": ("string", ("Bill to", "Invoice to", "Customer", "Sold to", "Rechnungsempfänger",
                                "Rechnung an", "Kunde")),
    "CustomerId": ("string", ("Customer No", "Customer number", "Customer ID", "Kundennummer", "Kundennr.")),
    "SubTotal": ("currency", ("Net amount", "Net total", "Subtotal", "Sub-total", "Nettobetrag",
                              "Summe netto", "Zwischensumme netto", "Zwischensumme")),
    "TotalTax": ("currency", (TAX_WITH_RATE, "Total tax", "Tax", "VAT amount", "MwSt.", "Umsatzsteuer")),
    "InvoiceTotal": ("currency", ("Total", "Invoice total", "Gesamt", "Gesamtbetrag", "Rechnungsbetrag",
                                  "Bruttobetrag", "Summe brutto", "Endbetrag")),
    "AmountDue": ("currency", ("Total due", "Amount due", "Balance due", "Amount payable", "Zahlbetrag",
                               "Zu zahlen")),
    "PaymentTerm": ("string", ("Payment terms", "Terms", "Zahlungsbedingungen", "Zahlungsziel")),
    "VendorTaxId": ("string", ("VAT No", "VAT No.", "VAT number", "VAT reg", "VAT", "Tax ID",
                               "USt-IdNr.", "USt-ID", "Steuernummer")),
    "IBAN": ("string", ("IBAN",)),
    "SWIFT": ("string", ("SWIFT", "BIC", "SWIFT/BIC")),
}  # fmt: skip
RECEIPT_LABELS: dict[str, tuple[str, tuple[str | re.Pattern[str], ...]]] = {
    "MerchantPhoneNumber": ("phoneNumber", ("Tel", "Tel.", "Phone", "Telefon")),
    "TransactionDate": ("date", ("Date", "Datum")),
    "TransactionTime": ("time", ("Time", "Uhrzeit")),
    "Subtotal": ("currency", ("Subtotal", "Sub-total", "Zwischensumme")),
    "TotalTax": ("currency", (TAX_WITH_RATE, "Tax", "Sales tax", "MwSt.")),
    "Tip": ("currency", ("Tip", "Gratuity", "Trinkgeld")),
    "Total": ("currency", ("Total", "Summe", "Gesamt", "Total due", "Amount due", "Zu zahlen")),
}
ID_LABELS: dict[str, tuple[str, tuple[str | re.Pattern[str], ...]]] = {
    "DocumentNumber": ("string", ("Document No", "Document number", "Passport No", "Licence No",
                                  "License No", "DL No", "ID No", "Dokumentnummer", "Ausweisnummer")),
    "FirstName": ("string", ("First name", "Given names", "Given name", "Vorname", "Vornamen")),
    "LastName": ("string", ("Last name", "Surname", "Family name", "Nachname", "Name")),
    "DateOfBirth": ("date", ("Date of birth", "DOB", "Geburtsdatum", "Geboren am")),
    "DateOfExpiration": ("date", ("Date of expiry", "Expiry date", "Expires", "Expiration date",
                                  "Gültig bis", "Ablaufdatum")),
    "Sex": ("string", ("Sex", "Gender", "Geschlecht")),
    "Address": ("address", ("Address", "Adresse", "Anschrift")),
    "CountryRegion": ("countryRegion", ("Country", "Nationality", "Staatsangehörigkeit")),
}  # fmt: skip
LABELS = dict(zip(MODELS, (INVOICE_LABELS, RECEIPT_LABELS, ID_LABELS), strict=True))
# Item columns by header word; receipts call the unit price "Price" and the row's total "TotalPrice".
COLUMNS = {
    "Description": {"description", "item", "article", "product", "service", "bezeichnung", "beschreibung",
                    "artikel", "leistung"},
    "ProductCode": {"art.-nr.", "art.", "art.no.", "sku", "code", "artikelnr.", "item no"},
    "Quantity": {"qty", "quantity", "menge", "anzahl", "hours", "stunden"},
    "Unit": {"unit", "einheit"},
    "UnitPrice": {"unit price", "price", "rate", "einzelpreis", "preis", "stückpreis"},
    "Amount": {"amount", "line total", "total", "betrag", "gesamtpreis", "gesamt", "summe"},
    "Date": {"date", "datum"},
}  # fmt: skip
ITEM_KINDS = {"Description": "string", "ProductCode": "string", "Quantity": "number", "Unit": "string",
              "UnitPrice": "currency", "Amount": "currency", "Date": "date"}  # fmt: skip
RECEIPT_ITEM_NAMES = {"UnitPrice": "Price", "Amount": "TotalPrice"}

NEEDS_DIGIT = {"InvoiceId", "PurchaseOrder", "CustomerId", "VendorTaxId", "IBAN", "DocumentNumber",
               "MerchantPhoneNumber"}  # fmt: skip
ADDRESS_OF = {
    "CustomerName": "CustomerAddress",
    "VendorName": "VendorAddress",
    "MerchantName": "MerchantAddress",
}

_CURRENCY = r"(?:[€£$]|EUR|GBP|USD|CHF)"
_NUMBER = r"-?\d{1,3}(?:[.,\u00a0 ]\d{3})+(?:[.,]\d{1,2})?(?!\d)|-?\d+(?:[.,]\d{1,2})?(?!\d)"
_MONEY = rf"(?:{_CURRENCY}\s?)?(?:{_NUMBER})(?:\s?{_CURRENCY}(?!\w))?"
MONEY = re.compile(rf"(?P<pre>{_CURRENCY})?\s?(?P<number>{_NUMBER})(?:\s?(?P<post>{_CURRENCY})(?!\w))?")
SYMBOL_CODES = {"€": "EUR", "£": "GBP", "$": "USD"}
_MONTH_NAMES = (
    ("january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
     "november", "december"),
    ("januar", "februar", "märz", "april", "mai", "juni", "juli", "august", "september", "oktober",
     "november", "dezember"),
)  # fmt: skip
MONTHS = {
    key: number
    for names in _MONTH_NAMES
    for number, name in enumerate(names, 1)
    for key in (name, name[:3], name.replace("ä", "a"))
}
DATE = re.compile(
    r"(?<!\d)(?:(?P<iy>\d{4})-(?P<im>\d{1,2})-(?P<id>\d{1,2})"
    r"|(?P<a>\d{1,2})(?P<sep>[./])(?P<b>\d{1,2})(?P=sep)(?P<y>\d{4})"
    r"|(?P<d1>\d{1,2})\.?\s+(?P<m1>[^\W\d_]{3,})\.?\s+(?P<y1>\d{4})"
    r"|(?P<m2>[^\W\d_]{3,})\.?\s+(?P<d2>\d{1,2}),?\s+(?P<y2>\d{4}))(?!\d)"
)
TIME = re.compile(r"(?<!\d)(?P<h>[01]?\d|2[0-3]):(?P<m>[0-5]\d)(?::(?P<s>[0-5]\d))?(?!\d)")
SEPARATOR = re.compile(r"\s+[·|•]\s+")
# An item as a row of text: [2 x] [position] [article number] description [quantity] [unit price] amount.
ITEM_ROW = re.compile(
    rf"^(?:(?P<Times>\d+)\s*[x\u00d7]\s+)?(?:\d{{1,3}}\s+)?(?:(?P<ProductCode>[\w-]*\d[\w-]*)\s+)?"
    rf"(?P<Description>[^\W\d_].*?)\s+(?:(?P<Quantity>\d+(?:[.,]\d+)?)\s+)?(?:(?P<UnitPrice>{_MONEY})\s+)?"
    rf"(?P<Amount>{_MONEY})$"
)
# A receipt's second item line under its description: "2 x 1,20  2,40".
QUANTITY_TIMES_PRICE = re.compile(
    rf"^(?P<Quantity>\d+(?:[.,]\d+)?)\s*[x\u00d7]\s+(?P<UnitPrice>{_MONEY})\s+(?P<Amount>{_MONEY})$"
)
# OCR confuses I with l and drops umlauts; labels are matched with that in mind.
_TOLERANT = {
    " ": r"\s*",
    "I": "[Il1]",
    "l": "[Il1]",
    "ä": "[äa]",
    "ö": "[öo]",
    "ü": "[üu]",
    "ß": "(?:ß|B|ss)",
}


@dataclass(frozen=True)
class Text:
    """A run of the result's `content` on one page, with its box in the page's unit."""

    page: int
    offset: int
    text: str
    box: Box

    def cut(self, start: int, end: int | None = None) -> Text:
        end = len(self.text) if end is None else end
        x0, y0, x1, y1 = self.box
        per_char = (x1 - x0) / max(1, len(self.text))
        box = (x0 + per_char * start, y0, x0 + per_char * end, y1)
        return Text(self.page, self.offset + start, self.text[start:end], box)

    def stripped(self) -> Text:
        return self.cut(len(self.text) - len(self.text.lstrip()), len(self.text.rstrip()))

    def segments(self) -> list[Text]:
        bounds = [0, *(i for m in SEPARATOR.finditer(self.text) for i in m.span()), len(self.text)]
        return [self.cut(bounds[i], bounds[i + 1]) for i in range(0, len(bounds), 2)]


def documents(model_id: str, analyze_result: dict[str, Any]) -> list[dict[str, Any]]:
    """The analyzeResult's `documents` for one of MODELS: one document over all its pages."""
    reader = _Reader(model_id, analyze_result)
    fields = reader.fields()
    codes = Counter(
        code for field in _walk(fields) if (code := field.get("valueCurrency", {}).get("currencyCode"))
    )
    for field in _walk(fields):  # an amount without a currency is in the one the document uses
        if "valueCurrency" in field and codes and "currencyCode" not in field["valueCurrency"]:
            field["valueCurrency"]["currencyCode"] = codes.most_common(1)[0][0]
    content = analyze_result["content"]
    return [
        {
            "docType": reader.doc_type(),
            "boundingRegions": [
                {
                    "pageNumber": p["pageNumber"],
                    "polygon": [0, 0, p["width"], 0, p["width"], p["height"], 0, p["height"]],
                }
                for p in analyze_result["pages"]
            ],
            "fields": fields,
            "confidence": 0.95,
            "spans": [{"offset": 0, "length": len(content)}],
        }
    ]


class _Reader:
    def __init__(self, model_id: str, result: dict[str, Any]) -> None:
        self.model_id, self.content = model_id, result["content"]
        self.labels = [
            (_label_pattern(label), name, kind)
            for name, (kind, labels) in LABELS[model_id].items()
            for label in labels
        ]
        self.lines = [
            Text(page["pageNumber"], line["spans"][0]["offset"], line["content"], _box(line["polygon"]))
            for page in result["pages"]
            for line in page["lines"]
            if self.content.startswith(line["content"], line["spans"][0]["offset"])
        ]
        by_offset = {line.offset: line for line in self.lines}
        self.tables: list[dict[int, dict[int, Text]]] = []  # row -> column -> the cell's line
        for table in result.get("tables", []):
            rows: dict[int, dict[int, Text]] = {}
            for cell in table["cells"]:
                if cell["spans"] and (line := by_offset.get(cell["spans"][0]["offset"])):
                    rows.setdefault(cell["rowIndex"], {})[cell["columnIndex"]] = line
            self.tables.append(rows)
        # mm/dd/yyyy only where the document is plainly American (dollars, a state and ZIP code).
        self.us = bool(re.search(r"\$|\bUSD\b|\b[A-Z]{2} \d{5}\b", self.content))
        self.found: dict[str, Field] = {}

    def doc_type(self) -> str:
        if self.model_id == "prebuilt-invoice":
            return "invoice"
        if self.model_id == "prebuilt-receipt":
            return "receipt.retailMeal" if "Items" in self.found or "Total" in self.found else "receipt"
        for words, doc_type in (("passport|reisepass", "passport"), ("driv|führerschein", "driverLicense")):
            if re.search(words, self.content, re.IGNORECASE):
                return f"idDocument.{doc_type}"
        return "idDocument"

    def fields(self) -> dict[str, Field]:
        for line in self.lines:
            for segment in line.segments():
                self._read(segment.stripped(), line)
        if self.model_id == "prebuilt-idDocument":
            return self.found
        invoice = self.model_id == "prebuilt-invoice"
        self._issuer("VendorName" if invoice else "MerchantName")
        self._first("InvoiceDate" if invoice else "TransactionDate", DATE)
        if not invoice:
            self._first("TransactionTime", TIME)
        if items := self._table_items() or self._text_items():
            self._put("Items", {"type": "array", "valueArray": items})
        if "AmountDue" in self.found:  # the one total an invoice shows is both its total and what is due
            self.found.setdefault("InvoiceTotal", self.found["AmountDue"])
        return self.found

    def _matches(self, text: str) -> list[tuple[re.Match[str], str, str]]:
        found = [(m, name, kind) for pattern, name, kind in self.labels if (m := pattern.match(text))]
        return sorted(found, key=lambda match: -match[0].end())

    def _valid(self, name: str, kind: str, text: str) -> bool:
        if name in NEEDS_DIGIT and not re.search(r"\d", text):
            return False
        if kind in ("date", "currency", "number", "time"):
            return _parse(kind, text, self.us) is not None
        return bool(re.search(r"\w", text))

    def _read(self, segment: Text, line: Text) -> None:
        matches = self._matches(segment.text)
        for match, name, kind in matches:
            value = segment.cut(match.end()).stripped()
            rate = segment.cut(*match.span("rate")) if match.groupdict().get("rate") else None
            if value.text and (":" in match.group("separator") or not self._matches(value.text)):
                if self._valid(name, kind, value.text):
                    self._put(name, self._field(kind, value, LABELLED), rate)
                    self._read(value, line)  # "Payment terms: due on 3/4/2025" holds the due date too
                    return
                continue
            # A label alone (or followed by the next label): its value is beside it or below it.
            label = segment.cut(0, match.end("label"))
            for neighbour in self._neighbours(label, line):
                if self._valid(name, kind, neighbour.text) and not self._matches(neighbour.text):
                    self._put(name, self._field(kind, neighbour, BESIDE), rate)
                    break
            if value.text:
                self._read(value, line)
            return
        # "Total: see below": the label says what it is, though the value cannot be read as one.
        if matches and ":" in matches[0][0].group("separator") and matches[0][1] not in NEEDS_DIGIT:
            match, name, kind = matches[0]
            self._put(name, self._field(kind, segment.cut(match.end()).stripped(), LABELLED))

    def _neighbours(self, label: Text, line: Text) -> list[Text]:
        """The nearest line to the right on the same row, then the one just below that shares columns."""
        _, y0, _, y1 = label.box
        height = y1 - y0
        others = [other for other in self.lines if other.page == label.page and other.offset != line.offset]
        beside = [
            o for o in others if y0 <= (o.box[1] + o.box[3]) / 2 <= y1 and o.box[0] >= line.box[2] - height
        ]
        below = [
            o
            for o in others
            if -0.3 * height <= o.box[1] - y1 <= 1.5 * height and _overlap(label.box, o.box) > 0
        ]
        beside.sort(key=lambda o: o.box[0])
        below.sort(key=lambda o: (round((o.box[1] - y1) / height), -_overlap(label.box, o.box)))
        return [o.segments()[0].stripped() for o in beside[:1] + below[:1]]

    def _field(self, kind: str, where: Text, confidence: float) -> Field:
        field: Field = {"type": kind}
        if parsed := _parse(kind, where.text, self.us):
            key, value, (start, end) = parsed
            field[key] = value
            where = where.cut(start, end)
        return field | {
            "content": where.text,
            "boundingRegions": [{"pageNumber": where.page, "polygon": _polygon(where.box)}],
            "spans": [{"offset": where.offset, "length": len(where.text)}],
            "confidence": confidence,
        }

    def _put(self, name: str, field: Field, rate: Text | None = None) -> None:
        if name in ("IBAN", "SWIFT"):  # a bank account's parts are one element of PaymentDetails
            details = self.found.setdefault("PaymentDetails", {"type": "array", "valueArray": []})
            if not details["valueArray"]:
                details["valueArray"].append(_object({}, field))
            details["valueArray"][0]["valueObject"].setdefault(name, field)
            return
        if name in self.found:
            return
        address_name = ADDRESS_OF.get(name)
        if address_name and (comma := re.search(r",\s*(?=.*\d)", field["content"])):  # "Name, 1 Street, Town"
            whole = self._text(field)
            field = self._field("string", whole.cut(0, comma.start()), field["confidence"])
            self._put(address_name, self._field("address", whole.cut(comma.end()), field["confidence"]))
        self.found[name] = field
        if name == "TotalTax" and rate is not None:
            rate_field = self._field("string", rate, LABELLED) | {
                "valueString": re.sub(r"\s+", "", rate.text)
            }
            detail = _object({"Amount": field, "Rate": rate_field}, field)
            self.found["TaxDetails"] = {"type": "array", "valueArray": [detail]}

    def _text(self, field: Field) -> Text:
        offset, length = field["spans"][0]["offset"], field["spans"][0]["length"]
        region = field["boundingRegions"][0]
        return Text(
            region["pageNumber"], offset, self.content[offset : offset + length], _box(region["polygon"])
        )

    def _row(self, parts: list[Text]) -> Text:
        """One item's text from its pieces, which may stand on two lines (a receipt's description and
        its quantity line)."""
        start, end = min(p.offset for p in parts), max(p.offset + len(p.text) for p in parts)
        box = tuple(f(p.box[i] for p in parts) for i, f in enumerate((min, min, max, max)))
        return Text(parts[0].page, start, self.content[start:end], box)  # type: ignore[arg-type]

    def _used(self, offset: int) -> bool:
        spans = [span for field in _walk(self.found) for span in field.get("spans", [])]
        return any(span["offset"] <= offset < span["offset"] + span["length"] for span in spans)

    def _issuer(self, name: str) -> None:
        """The issuer heads its document: the first line names it, and the part after it is its address."""
        parts = [segment.stripped() for line in self.lines[:2] for segment in line.segments()]
        unread = [part for part in parts if not self._matches(part.text) and not self._used(part.offset)]
        if parts and unread[:1] == parts[:1] and not _parse("date", parts[0].text, self.us):
            self._put(name, self._field("string", parts[0], GUESSED))
            if len(unread) > 1 and unread[1] == parts[1] and re.search(r"\d", parts[1].text):
                self._put(ADDRESS_OF[name], self._field("address", parts[1], GUESSED))

    def _first(self, name: str, pattern: re.Pattern[str]) -> None:
        """An unlabelled date or time: the first one not already taken by another field."""
        kind = LABELS[self.model_id][name][0]
        for line in self.lines:
            for match in pattern.finditer(line.text):
                free = name not in self.found and not self._used(line.offset + match.start())
                if free and _parse(kind, match.group(), self.us):
                    self._put(name, self._field(kind, line.cut(*match.span()), GUESSED))

    def _item(self, values: dict[str, Text], parts: list[Text], confidence: float) -> Field:
        rename = RECEIPT_ITEM_NAMES if self.model_id == "prebuilt-receipt" else {}
        fields = {
            rename.get(n, n): self._field(ITEM_KINDS[n], t, confidence) for n, t in values.items() if t.text
        }
        return _object(fields, self._field("string", self._row(parts), confidence))

    def _table_items(self) -> list[Field]:
        """Items from a table whose header row names a description and a price or amount column."""
        for rows in self.tables:
            for header in sorted(rows):
                columns = {c: _column(t.text) for c, t in rows[header].items()}
                named = set(columns.values())
                if "Description" not in named or not named & {"Amount", "UnitPrice"}:
                    continue
                items = []
                for row in sorted(r for r in rows if r > header):
                    values = {column: t for c, t in rows[row].items() if (column := columns.get(c))}
                    description, amount = values.get("Description"), values.get("Amount")
                    if not description or self._matches(description.text):
                        break
                    if amount and not _parse("currency", amount.text, self.us):
                        break
                    items.append(self._item(values, list(rows[row].values()), CELL))
                if items:
                    return items
        return []

    def _text_items(self) -> list[Field]:
        """Items as rows of text: on an invoice under a header line naming description and amount columns,
        on a receipt between its date and its totals (a description line may have its quantity line below)."""
        receipt = self.model_id == "prebuilt-receipt"
        items: list[Field] = []
        listing, pending = False, None
        for line in self.lines:
            words = {word.strip(":").lower() for word in line.text.split()}
            if not listing:
                amounts = COLUMNS["Amount"] | COLUMNS["UnitPrice"]
                listing = bool(words & COLUMNS["Description"] and words & amounts) or (
                    receipt and _parse("date", line.text, self.us) is not None
                )
                continue
            if self._matches(line.text):
                listing = False
                continue
            row = (QUANTITY_TIMES_PRICE.match(line.text) if pending else None) or ITEM_ROW.match(line.text)
            if row:
                parts = [pending, line] if pending and row.re is QUANTITY_TIMES_PRICE else [line]
                values = {"Description": parts[0]} if len(parts) == 2 else {}
                for group, text in row.groupdict().items():
                    if text and not (receipt and group == "ProductCode"):
                        values["Quantity" if group == "Times" else group] = line.cut(*row.span(group))
                items.append(self._item(values, parts, CELL))
                pending = None
            elif receipt and re.search(r"[^\W\d_]", line.text):
                pending = line
            else:
                listing = False
        return items


def _object(fields: dict[str, Field], where: Field) -> Field:
    """An object field over the same text as `where`."""
    keep = ("content", "boundingRegions", "spans", "confidence")
    return {"type": "object", "valueObject": fields} | {key: where[key] for key in keep}


def _walk(fields: dict[str, Field]) -> list[Field]:
    """Every field, nested ones too."""
    out = []
    for field in fields.values():
        out.append(field)
        for element in field.get("valueArray", []):
            out += [element, *_walk(element.get("valueObject", {}))]
        out += _walk(field.get("valueObject", {}))
    return out


def _column(header: str) -> str | None:
    text = header.strip(" :").lower()
    return next((name for name, words in COLUMNS.items() if text in words), None)


def _label_pattern(label: str | re.Pattern[str]) -> re.Pattern[str]:
    source = (
        label.pattern
        if isinstance(label, re.Pattern)
        else "".join(_TOLERANT.get(c, re.escape(c)) for c in label)
    )
    return re.compile(rf"(?P<label>{source})(?![^\W_])(?P<separator>\s*[:#]?\s*)", re.IGNORECASE)


def _parse(kind: str, text: str, us: bool) -> tuple[str, Any, tuple[int, int]] | None:
    """The typed value in `text`, its REST property and where in `text` it stands."""
    if kind == "string":
        return "valueString", text, (0, len(text))
    if kind == "date":
        return next(
            (("valueDate", day, m.span()) for m in DATE.finditer(text) if (day := _date(m, us))), None
        )
    if kind == "currency" and (money := MONEY.search(text)):
        symbol = money.group("pre") or money.group("post")
        value: dict[str, Any] = {"amount": _number(money.group("number"))}
        if symbol in SYMBOL_CODES:
            value["currencySymbol"] = symbol
        if symbol:
            value["currencyCode"] = SYMBOL_CODES.get(symbol, symbol.upper())
        start = money.start("pre") if money.group("pre") else money.start("number")
        return "valueCurrency", value, (start, money.end())
    if kind == "number" and (number := re.search(r"-?\d+(?:[.,]\d+)*", text)):
        return "valueNumber", _number(number.group()), number.span()
    if kind == "time" and (time := TIME.search(text)):
        return "valueTime", f"{int(time['h']):02d}:{time['m']}:{time['s'] or '00'}", time.span()
    if kind == "phoneNumber" and (phone := re.search(r"\+?\d[\d\s()/-]{4,}\d", text)):
        return "valuePhoneNumber", re.sub(r"[^\d+]", "", phone.group()), phone.span()
    return None


def _number(text: str) -> float:
    """1.234,56 and 1,234.56 alike: a separator before one or two final digits is the decimal point."""
    compact = re.sub(r"[\s\u00a0]", "", text)
    if decimal := re.fullmatch(r"(-?[\d.,]*?)[.,](\d{1,2})", compact):
        return float(f"{re.sub(r'[.,]', '', decimal.group(1)) or '0'}.{decimal.group(2)}")
    return float(re.sub(r"[.,]", "", compact))


def _date(match: re.Match[str], us: bool) -> str | None:
    if match["iy"]:
        year, month, day = int(match["iy"]), int(match["im"]), int(match["id"])
    elif match["a"]:
        first, second, year = int(match["a"]), int(match["b"]), int(match["y"])
        month, day = (first, second) if match["sep"] == "/" and us else (second, first)
    elif match["d1"]:
        day, month, year = int(match["d1"]), MONTHS.get(match["m1"].lower(), 0), int(match["y1"])
    else:
        month, day, year = MONTHS.get(match["m2"].lower(), 0), int(match["d2"]), int(match["y2"])
    try:
        return date(year, month, day).isoformat()
    except ValueError:
        return None


def _box(polygon: list[float]) -> Box:
    return min(polygon[0::2]), min(polygon[1::2]), max(polygon[0::2]), max(polygon[1::2])


def _polygon(box: Box) -> list[float]:
    x0, y0, x1, y1 = (round(value, 4) for value in box)
    return [x0, y0, x1, y0, x1, y1, x0, y1]


def _overlap(a: Box, b: Box) -> float:
    return min(a[2], b[2]) - max(a[0], b[0])
