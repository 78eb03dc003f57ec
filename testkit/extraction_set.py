"""An extraction evaluation set: invoices, receipts and contracts with known field values.

Deterministic from a seed, made on the fly (no data is downloaded). Each layout is filled three ways in
turn, by suppliers from different countries, so labels (English or German), number formats (1,234.50 or
1.234,50), currencies (£ $ € and ISO codes, before or after the amount) and date formats vary. Values are
consistent as in real documents: VAT numbers and IBANs carry valid check digits, line items add up to the
net amount, and net + tax = gross.

Truth is normalised as `shared.extraction.types.FieldValue` says values are; a field the document does
not hold (a US supplier prints no VAT number) is None there, so an extractor is also scored on saying
"not found" instead of inventing a value.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal
from typing import Any

from shared.extraction.types import FieldSpec
from testkit import documents

CENT = Decimal("0.01")

INVOICE_FIELDS = [
    FieldSpec("invoice number", "text", "the invoice's own number or reference", required=True),
    FieldSpec("invoice date", "date", "the date the invoice was issued", required=True),
    FieldSpec("due date", "date", "the date by which the invoice must be paid"),
    FieldSpec("supplier name", "text", "the company that issued the invoice and is to be paid"),
    FieldSpec("supplier VAT number", "text", "the supplier's VAT identification number"),
    FieldSpec("customer name", "text", "the company the invoice is addressed to"),
    FieldSpec("purchase order number", "text", "the customer's purchase order reference, if quoted"),
    FieldSpec("IBAN", "text", "the supplier's bank account (IBAN) to pay into"),
    FieldSpec("net amount", "money", "the total before tax"),
    FieldSpec("tax rate", "number", "the VAT or sales tax rate in percent"),
    FieldSpec("tax amount", "money", "the VAT or sales tax charged"),
    FieldSpec("total amount", "money", "the gross total to pay, tax included", required=True),
    FieldSpec(
        "line items",
        "list",
        "the goods or services invoiced, one row each",
        fields=(
            FieldSpec("description", "text", "what was delivered"),
            FieldSpec("quantity", "number", "how many units or hours"),
            FieldSpec("unit price", "money", "the price of one unit"),
            FieldSpec("amount", "money", "the row's total"),
        ),
    ),
]
RECEIPT_FIELDS = [
    FieldSpec("merchant name", "text", "the shop or business that issued the receipt", required=True),
    FieldSpec("merchant VAT number", "text", "the shop's VAT identification number"),
    FieldSpec("receipt date", "date", "the date of the purchase", required=True),
    FieldSpec("total", "money", "the total paid", required=True),
    FieldSpec("tax amount", "money", "the VAT or sales tax included in or added to the total"),
    FieldSpec("payment method", "enum", "how the customer paid", values=("cash", "card")),
    FieldSpec(
        "line items",
        "list",
        "the articles bought, one row each",
        fields=(
            FieldSpec("description", "text", "the article"),
            FieldSpec("quantity", "number", "how many were bought"),
            FieldSpec("amount", "money", "the price paid for the row"),
        ),
    ),
]
CONTRACT_FIELDS = [
    FieldSpec("client", "text", "the party that receives the services and pays the fee", required=True),
    FieldSpec("service provider", "text", "the party that provides the services", required=True),
    FieldSpec("effective date", "date", "the date from which the contract applies"),
    FieldSpec("term in months", "number", "how long the contract runs, in months"),
    FieldSpec("governing law", "text", "the jurisdiction whose law governs the contract"),
    FieldSpec("monthly fee", "money", "the fee paid each month for the services"),
    FieldSpec("renews automatically", "boolean", "whether the contract renews itself at the end of its term"),
]
SCHEMAS: dict[str, list[FieldSpec]] = {
    "invoice": INVOICE_FIELDS,
    "receipt": RECEIPT_FIELDS,
    "contract": CONTRACT_FIELDS,
}


@dataclass(frozen=True)
class Document:
    name: str  # e.g. "invoice-table-2": doc type, layout and number within the layout
    doc_type: str  # a key of SCHEMAS
    layout: str
    country: str  # the issuer's: sets language, number, date and currency formats
    pages: tuple[str, ...]
    truth: dict[str, Any]  # every field of the doc type's schema; None where the document lacks it

    @property
    def schema(self) -> list[FieldSpec]:
        return SCHEMAS[self.doc_type]

    def text_pdf(self) -> bytes:
        return documents.text_pdf(self.pages)

    def scanned_pdf(self) -> bytes:
        return documents.scanned_pdf(self.pages)


# Check digits --------------------------------------------------------------------------------------


def iban_check_digits(country: str, bban: str) -> str:
    """The two ISO 13616 check digits for `bban` in `country` (mod 97 of the rearranged number)."""
    number = "".join(str(int(char, 36)) for char in bban + country + "00")
    return f"{98 - int(number) % 97:02d}"


def iban_is_valid(iban: str) -> bool:
    compact = iban.replace(" ", "")
    number = "".join(str(int(char, 36)) for char in compact[4:] + compact[:4])
    return int(number) % 97 == 1


def _german_vat_check(digits: str) -> str:
    # ISO 7064 MOD 11,10, as the Bundeszentralamt für Steuern defines for USt-IdNr.
    product = 10
    for digit in digits:
        total = (int(digit) + product) % 10 or 10
        product = (2 * total) % 11
    return str((11 - product) % 10)


def _dutch_vat_check(digits: str) -> str | None:
    remainder = sum(int(d) * w for d, w in zip(digits, range(9, 1, -1), strict=True)) % 11
    return None if remainder == 10 else str(remainder)


def _luhn_check(digits: str) -> str:
    total = 0
    for index, digit in enumerate(reversed(digits)):
        value = int(digit) * (2 if index % 2 == 0 else 1)
        total += value - 9 if value > 9 else value
    return str((10 - total % 10) % 10)


def _british_vat_check(digits: str) -> str:
    total = sum(int(d) * w for d, w in zip(digits, range(8, 1, -1), strict=True))
    return f"{-total % 97:02d}"


def vat_number(country: str, rng: random.Random) -> str:
    """A VAT identification number in `country`'s format with valid check digits."""
    if country == "DE":
        digits = str(rng.randint(1, 9)) + "".join(str(rng.randint(0, 9)) for _ in range(7))
        return f"DE{digits}{_german_vat_check(digits)}"
    if country == "NL":
        while True:
            digits = "".join(str(rng.randint(0, 9)) for _ in range(8))
            check = _dutch_vat_check(digits)
            if check is not None:
                return f"NL{digits}{check}B01"
    if country == "FR":
        head = str(rng.randint(1, 9)) + "".join(str(rng.randint(0, 9)) for _ in range(7))
        siren = head + _luhn_check(head)
        return f"FR{(12 + 3 * (int(siren) % 97)) % 97:02d}{siren}"
    if country == "GB":
        digits = str(rng.randint(1, 9)) + "".join(str(rng.randint(0, 9)) for _ in range(6))
        return f"GB{digits}{_british_vat_check(digits)}"
    raise ValueError(f"no VAT number format for {country}")


def vat_number_is_valid(vat: str) -> bool:
    country, body = vat[:2], vat[2:]
    if country == "DE":
        return len(body) == 9 and body.isdigit() and _german_vat_check(body[:8]) == body[8]
    if country == "NL":
        return len(body) == 12 and body.endswith("B01") and _dutch_vat_check(body[:8]) == body[8]
    if country == "FR":
        key, siren = body[:2], body[2:]
        return (
            len(siren) == 9
            and _luhn_check(siren[:8]) == siren[8]
            and int(key) == (12 + 3 * (int(siren) % 97)) % 97
        )
    if country == "GB":
        return len(body) == 9 and _british_vat_check(body[:7]) == body[7:]
    return False


def _french_rib_key(bank: str, branch: str, account: str) -> str:
    return f"{97 - (89 * int(bank) + 15 * int(branch) + 3 * int(account)) % 97:02d}"


def iban(country: str, rng: random.Random) -> str:
    """A compact IBAN in `country`'s format with valid check digits (and, for France, a valid RIB key)."""

    def digits(n: int) -> str:
        return "".join(str(rng.randint(0, 9)) for _ in range(n))

    def letters(n: int) -> str:
        return "".join(rng.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ") for _ in range(n))

    if country == "DE":
        bban = digits(8) + digits(10)
    elif country == "NL":
        bban = letters(4) + digits(10)
    elif country == "GB":
        bban = letters(4) + digits(6) + digits(8)
    elif country == "FR":
        bank, branch, account = digits(5), digits(5), digits(11)
        bban = bank + branch + account + _french_rib_key(bank, branch, account)
    else:
        raise ValueError(f"no IBAN format for {country}")
    return f"{country}{iban_check_digits(country, bban)}{bban}"


def grouped(compact: str) -> str:
    return " ".join(compact[i : i + 4] for i in range(0, len(compact), 4))


# Formats -------------------------------------------------------------------------------------------

MONTHS_EN = ("January", "February", "March", "April", "May", "June", "July", "August", "September",
             "October", "November", "December")  # fmt: skip
MONTHS_DE = ("Januar", "Februar", "März", "April", "Mai", "Juni", "Juli", "August", "September", "Oktober",
             "November", "Dezember")  # fmt: skip
SYMBOLS = {"EUR": "€", "GBP": "£", "USD": "$"}


@dataclass(frozen=True)
class Country:
    code: str
    german: bool  # labels in German, else English
    comma_decimal: bool  # 1.234,50 rather than 1,234.50
    currency: str
    tax_rate: Decimal
    date_style: str  # "de", "gb", "us" or "iso"
    money_style: str  # "symbol_before", "symbol_after", "iso_before", "iso_after"
    has_vat: bool
    has_iban: bool


COUNTRIES = {
    "GB": Country("GB", False, False, "GBP", Decimal(20), "gb", "symbol_before", True, True),
    "DE": Country("DE", True, True, "EUR", Decimal(19), "de", "symbol_after", True, True),
    "US": Country("US", False, False, "USD", Decimal("8.875"), "us", "symbol_before", False, False),
    "NL": Country("NL", False, True, "EUR", Decimal(21), "iso", "iso_before", True, True),
    "FR": Country("FR", False, False, "EUR", Decimal(20), "gb", "iso_after", True, True),
}
# A layout's documents come from countries in this order, so every layout mixes formats.
ROTATIONS = {
    "invoice": ("GB", "DE", "US", "NL", "FR"),
    "receipt": ("DE", "GB", "US", "NL"),
    "contract": ("GB", "DE", "US"),
}

SUPPLIERS = {
    "GB": ("Northwind Traders Ltd", "Bluebell Office Supplies Ltd", "Harbour Lane Consulting LLP"),
    "DE": ("Müller & Söhne GmbH", "Kessler Bürotechnik GmbH", "Rheinland Logistik AG"),
    "US": ("Pinecrest Software Inc", "Lakeside Print Company", "Redwood Analytics LLC"),
    "NL": ("Van der Berg Installaties BV", "Zeeland Koeltechniek BV", "Grachten Design BV"),
    "FR": ("Atelier Lumière SARL", "Provence Emballages SAS", "Bordelais Informatique SAS"),
}
CUSTOMERS = ("Alder & Finch Architects", "Brightwater Hotels Group", "Castlegate Dental Practice",
             "Dunmore Engineering", "Elmstead Garden Centre", "Fairhaven School Trust")  # fmt: skip
SHOPS = {
    "GB": ("The Corner Bakery", "Greenleaf Grocers", "Kings Road Coffee"),
    "DE": ("Bäckerei Schneider", "Getränkemarkt Hoffmann", "Café am Markt"),
    "US": ("Sunset Deli", "Maple Street Hardware", "Blue Door Coffee"),
    "NL": ("Bakkerij De Molen", "Kaashandel Gouda", "Fietsenwinkel Jansen"),
}
STREETS = {
    "GB": ("14 Riverside Park, Reading RG1 8DB", "2 Mill Lane, York YO1 7HH", "88 High Street, Bath BA1 5AW"),
    "DE": ("Hauptstraße 12, 50667 Köln", "Lindenallee 4, 04109 Leipzig", "Hafenweg 9, 20457 Hamburg"),
    "US": ("410 Market Street, San Francisco, CA 94105", "77 Elm Avenue, Portland, OR 97205",
           "1200 Commerce Drive, Austin, TX 78701"),
    "NL": ("Keizersgracht 120, 1015 CX Amsterdam", "Stationsplein 3, 3511 ED Utrecht",
           "Markt 8, 4331 LK Middelburg"),
    "FR": ("12 rue de la République, 69002 Lyon", "5 avenue Jean Jaurès, 13001 Marseille",
           "28 quai des Chartrons, 33000 Bordeaux"),
}  # fmt: skip
GOODS = ("Ergonomic office chair", "Standing desk frame", "USB-C docking station", "Laser printer toner",
         "Whiteboard markers, box", "Monitor arm", "Network switch", "Desk lamp", "Paper shredder",
         "Conference speakerphone")  # fmt: skip
SERVICES = ("Consulting services", "Software maintenance", "Data migration support", "On-site training",
            "Website hosting", "Security audit")  # fmt: skip
SNACKS = {
    "GB": ("Flat white", "Sourdough loaf", "Almond croissant", "Orange juice", "Cheddar scone"),
    "DE": ("Roggenbrot", "Butterbrezel", "Apfelschorle", "Kaffee groß", "Mohnschnecke"),
    "US": ("Turkey sandwich", "Iced latte", "Blueberry muffin", "Bottled water", "Bagel with cream cheese"),
    "NL": ("Appeltaart", "Stroopwafels", "Koffie verkeerd", "Jonge kaas", "Volkorenbrood"),
}


def _amount(value: Decimal, country: Country) -> str:
    text = f"{value:,.2f}"
    if country.comma_decimal:
        text = text.replace(",", " ").replace(".", ",").replace(" ", ".")
    return text


def money_text(value: Decimal, country: Country, style: str | None = None) -> str:
    amount = _amount(value, country)
    symbol = SYMBOLS[country.currency]
    return {
        "symbol_before": f"{symbol}{amount}",
        "symbol_after": f"{amount} {symbol}",
        "iso_before": f"{country.currency} {amount}",
        "iso_after": f"{amount} {country.currency}",
    }[style or country.money_style]


def number_text(value: Decimal, country: Country) -> str:
    text = f"{value.normalize():f}"
    return text.replace(".", ",") if country.comma_decimal else text


def date_text(day: date, country: Country, long: bool = False) -> str:
    if country.date_style == "de":
        return f"{day.day}. {MONTHS_DE[day.month - 1]} {day.year}" if long else f"{day:%d.%m.%Y}"
    if country.date_style == "us":
        return f"{MONTHS_EN[day.month - 1]} {day.day}, {day.year}" if long else f"{day:%m/%d/%Y}"
    if country.date_style == "iso" and not long:
        return day.isoformat()
    return f"{day.day} {MONTHS_EN[day.month - 1]} {day.year}" if long else f"{day:%d/%m/%Y}"


def money(value: Decimal, currency: str) -> dict[str, str]:
    return {"amount": f"{value.quantize(CENT)}", "currency": currency}


def _cents(rng: random.Random, low: int, high: int) -> Decimal:
    return Decimal(rng.randint(low * 100, high * 100)) / 100


def _day(rng: random.Random) -> date:
    return date(2024, 1, 1) + timedelta(days=rng.randrange(0, 700))


def _label(country: Country, english: str, german: str) -> str:
    return german if country.german else english


# Invoices ------------------------------------------------------------------------------------------


@dataclass
class _Invoice:
    country: Country
    number: str
    issued: date
    due: date
    supplier: str
    supplier_address: str
    customer: str
    customer_address: str
    vat: str | None
    iban: str | None
    po: str | None
    items: list[tuple[str, Decimal, Decimal, Decimal]]  # description, quantity, unit price, amount
    net: Decimal
    tax: Decimal
    gross: Decimal

    def truth(self, with_items: bool) -> dict[str, Any]:
        currency = self.country.currency
        rows = [
            {
                "description": d,
                "quantity": float(q),
                "unit price": money(u, currency),
                "amount": money(a, currency),
            }
            for d, q, u, a in self.items
        ]
        return {
            "invoice number": self.number,
            "invoice date": self.issued.isoformat(),
            "due date": self.due.isoformat(),
            "supplier name": self.supplier,
            "supplier VAT number": self.vat,
            "customer name": self.customer,
            "purchase order number": self.po,
            "IBAN": self.iban,
            "net amount": money(self.net, currency),
            "tax rate": float(self.country.tax_rate),
            "tax amount": money(self.tax, currency),
            "total amount": money(self.gross, currency),
            "line items": rows if with_items else None,
        }


def _invoice(rng: random.Random, country: Country, index: int, items: int, services: bool) -> _Invoice:
    issued = _day(rng)
    prefix = _label(country, rng.choice(("INV", "IN", "SI")), "RE")
    number = rng.choice(
        (f"{prefix}-{issued.year}-{rng.randint(1, 9999):04d}", f"{rng.randint(10000, 99999)}")
    )
    names = rng.sample(GOODS if not services else SERVICES, items)
    rows = []
    for name in names:
        quantity = (
            Decimal(rng.choice((1, 2, 3, 4, 5, 6, 8, 10, 12)))
            if not services
            else Decimal(rng.choice(("1", "4", "7.5", "12", "16.5")))
        )
        unit = _cents(rng, 8, 600) if not services else Decimal(rng.choice((85, 95, 110, 120, 145)))
        rows.append((name, quantity, unit, (quantity * unit).quantize(CENT, ROUND_HALF_UP)))
    net = sum((row[3] for row in rows), Decimal(0))
    tax = (net * country.tax_rate / 100).quantize(CENT, ROUND_HALF_UP)
    return _Invoice(
        country=country,
        number=number,
        issued=issued,
        due=issued + timedelta(days=rng.choice((14, 30, 45))),
        supplier=SUPPLIERS[country.code][index % 3],
        supplier_address=STREETS[country.code][index % 3],
        customer=rng.choice(CUSTOMERS),
        customer_address=rng.choice(
            [s for s in STREETS["GB"] + STREETS["DE"] if s != STREETS[country.code][index % 3]]
        ),
        vat=vat_number(country.code, rng) if country.has_vat else None,
        iban=iban(country.code, rng) if country.has_iban else None,
        po=f"PO-{rng.randint(100000, 999999)}" if rng.random() < 0.5 else None,
        items=rows,
        net=net,
        tax=tax,
        gross=net + tax,
    )


def _tax_label(country: Country) -> str:
    rate = number_text(country.tax_rate, country)
    if country.german:
        return f"MwSt. {rate} %"
    return f"Sales tax ({rate}%)" if country.code == "US" else f"VAT {rate}%"


def _pay_lines(invoice: _Invoice) -> list[str]:
    c = invoice.country
    lines = []
    if invoice.iban:
        lines.append(f"IBAN: {grouped(invoice.iban)}")
    else:
        lines.append(f"Pay by ACH to account {invoice.number[-4:]}-{len(invoice.items)}07 or by check.")
    if invoice.vat:
        lines.append(f"{_label(c, 'VAT No', 'USt-IdNr.')}: {invoice.vat}")
    return lines


def invoice_labels(rng: random.Random, country: Country, index: int) -> tuple[list[str], dict[str, Any]]:
    """Label: value lines, one service row described in prose (so the invoice has no line-item table)."""
    inv = _invoice(rng, country, index, 1, services=True)
    c = country
    description, quantity, unit, _ = inv.items[0]
    lines = [
        inv.supplier,
        inv.supplier_address,
        "",
        _label(c, "INVOICE", "RECHNUNG"),
        "",
        f"{_label(c, 'Invoice No', 'Rechnungsnummer')}: {inv.number}",
        f"{_label(c, 'Invoice Date', 'Rechnungsdatum')}: {date_text(inv.issued, c)}",
        f"{_label(c, 'Due Date', 'Fällig am')}: {date_text(inv.due, c)}",
    ]
    if inv.po:
        lines.append(f"{_label(c, 'Your order', 'Ihre Bestellung')}: {inv.po}")
    lines += [
        "",
        f"{_label(c, 'Bill to', 'Rechnungsempfänger')}: {inv.customer}, {inv.customer_address}",
        "",
        f"{_label(c, 'For', 'Leistung')}: {description}, {number_text(quantity, c)} "
        f"{_label(c, 'hours at', 'Stunden zu je')} {money_text(unit, c)}",
        "",
        f"{_label(c, 'Net amount', 'Nettobetrag')}: {money_text(inv.net, c)}",
        f"{_tax_label(c)}: {money_text(inv.tax, c)}",
        f"{_label(c, 'Total due', 'Gesamtbetrag')}: {money_text(inv.gross, c)}",
        "",
        *_pay_lines(inv),
        _label(c, "Thank you for your business.", "Vielen Dank für Ihren Auftrag."),
    ]
    return ["\n".join(lines)], inv.truth(with_items=False)


def invoice_columns(rng: random.Random, country: Country, index: int) -> tuple[list[str], dict[str, Any]]:
    """A header block of labels with their values on the line below, then a short item list."""
    inv = _invoice(rng, country, index, rng.randint(2, 3), services=False)
    c = country
    labels = [_label(c, "Invoice number", "Rechnungsnr."), _label(c, "Date", "Datum"),
              _label(c, "Payment due", "Zahlbar bis")]  # fmt: skip
    values = [inv.number, date_text(inv.issued, c), date_text(inv.due, c)]
    if inv.po:
        labels.append(_label(c, "PO number", "Bestellnummer"))
        values.append(inv.po)
    lines = [
        f"{inv.supplier} · {inv.supplier_address}",
        "",
        f"{_label(c, 'Invoice to', 'Rechnung an')}:",
        inv.customer,
        inv.customer_address,
        "",
        "      ".join(labels),
        "      ".join(values),
        "",
        "      ".join([_label(c, "Item", "Artikel"), _label(c, "Qty", "Menge"), _label(c, "Price", "Preis"),
                       _label(c, "Amount", "Betrag")]),
    ]  # fmt: skip
    for description, quantity, unit, amount in inv.items:
        lines.append(
            f"{description}      {number_text(quantity, c)}      {money_text(unit, c)}      {money_text(amount, c)}"
        )
    lines += [
        "",
        f"{_label(c, 'Subtotal', 'Zwischensumme netto')}      {money_text(inv.net, c)}",
        f"{_tax_label(c)}      {money_text(inv.tax, c)}",
        f"{_label(c, 'Total', 'Gesamt')}      {money_text(inv.gross, c)}",
        "",
        *_pay_lines(inv),
    ]
    return ["\n".join(lines)], inv.truth(with_items=True)


def invoice_table(rng: random.Random, country: Country, index: int) -> tuple[list[str], dict[str, Any]]:
    """Mostly a table: numbered rows with article numbers, totals in ISO-code money, two pages of text
    when the item list is long (the totals on the last page)."""
    inv = _invoice(rng, country, index, rng.randint(4, 7), services=False)
    c = country
    head = [
        f"{inv.supplier.upper()}",
        f"{inv.supplier_address} · {_label(c, 'VAT', 'USt-IdNr.')} {inv.vat}" if inv.vat else inv.supplier_address,
        "",
        f"{_label(c, 'Tax invoice', 'Rechnung')} {inv.number} · {date_text(inv.issued, c, long=True)}",
        f"{_label(c, 'Customer', 'Kunde')}: {inv.customer}"
        + (f" · {_label(c, 'Order', 'Bestellung')} {inv.po}" if inv.po else ""),
        "",
        "  ".join(["#", _label(c, "Art. no.", "Art.-Nr."), _label(c, "Description", "Bezeichnung"),
                   _label(c, "Qty", "Menge"), _label(c, "Unit price", "Einzelpreis"),
                   _label(c, "Line total", "Gesamtpreis")]),
    ]  # fmt: skip
    rows = [
        f"{n}  {rng.randint(10000, 99999)}  {d}  {number_text(q, c)}  {money_text(u, c, 'iso_after')}  "
        f"{money_text(a, c, 'iso_after')}"
        for n, (d, q, u, a) in enumerate(inv.items, 1)
    ]
    totals = [
        f"{_label(c, 'Net total', 'Summe netto')}: {money_text(inv.net, c, 'iso_after')}",
        f"{_tax_label(c)}: {money_text(inv.tax, c, 'iso_after')}",
        f"{_label(c, 'Amount payable', 'Rechnungsbetrag')}: {money_text(inv.gross, c, 'iso_after')}",
        f"{_label(c, 'Payment terms: due on', 'Zahlungsbedingungen: zahlbar bis')} {date_text(inv.due, c)}",
        *(_pay_lines(inv)[:1]),
    ]
    if len(rows) > 5:
        pages = ["\n".join([*head, *rows[:4], _label(c, "continued overleaf", "Fortsetzung nächste Seite")]),
                 "\n".join([*head[6:], *rows[4:], "", *totals])]  # fmt: skip
    else:
        pages = ["\n".join([*head, *rows, "", *totals])]
    return pages, inv.truth(with_items=True)


# Receipts ------------------------------------------------------------------------------------------


def _receipt(rng: random.Random, country: Country, index: int) -> dict[str, Any]:
    rows = []
    for name in rng.sample(SNACKS[country.code], rng.randint(2, 4)):
        quantity = Decimal(rng.choice((1, 1, 2, 3)))
        unit = _cents(rng, 1, 9)
        rows.append((name, quantity, unit, quantity * unit))
    subtotal = sum((row[3] for row in rows), Decimal(0))
    if country.code == "US":  # sales tax is added at the till
        tax = (subtotal * country.tax_rate / 100).quantize(CENT, ROUND_HALF_UP)
        total = subtotal + tax
    else:  # VAT is included in the prices
        total = subtotal
        tax = (total - total / (1 + country.tax_rate / 100)).quantize(CENT, ROUND_HALF_UP)
    return {
        "shop": SHOPS[country.code][index % 3],
        "address": STREETS[country.code][(index + 1) % 3],
        "vat": vat_number(country.code, rng) if country.has_vat and rng.random() < 0.7 else None,
        "day": _day(rng),
        "time": f"{rng.randint(7, 20):02d}:{rng.randint(0, 59):02d}",
        "rows": rows,
        "subtotal": subtotal,
        "tax": tax,
        "total": total,
        "method": rng.choice(("cash", "card")),
        "till": rng.randint(1, 6),
        "number": rng.randint(1000, 9999),
    }


def _receipt_truth(r: dict[str, Any], country: Country) -> dict[str, Any]:
    currency = country.currency
    return {
        "merchant name": r["shop"],
        "merchant VAT number": r["vat"],
        "receipt date": r["day"].isoformat(),
        "total": money(r["total"], currency),
        "tax amount": money(r["tax"], currency),
        "payment method": r["method"],
        "line items": [
            {"description": d, "quantity": float(q), "amount": money(a, currency)} for d, q, _, a in r["rows"]
        ],
    }


def _paid_line(r: dict[str, Any], country: Country) -> str:
    if r["method"] == "cash":
        tendered = (r["total"] / 5).to_integral_value(rounding=ROUND_CEILING) * 5
        return (
            f"{_label(country, 'Cash', 'Bar')} {_amount(tendered, country)}\n"
            f"{_label(country, 'Change', 'Rückgeld')} {_amount(tendered - r['total'], country)}"
        )
    return f"{_label(country, 'Card payment', 'Kartenzahlung')} {_amount(r['total'], country)}"


def receipt_till(rng: random.Random, country: Country, index: int) -> tuple[list[str], dict[str, Any]]:
    """A narrow till receipt: one line per article, quantities written into the line, a TOTAL."""
    r = _receipt(rng, country, index)
    c = country
    lines = [r["shop"].upper(), r["address"]]
    if r["vat"]:
        lines.append(f"{_label(c, 'VAT reg', 'USt-IdNr.')} {r['vat']}")
    lines += [f"{date_text(r['day'], c)}  {r['time']}  {_label(c, 'Till', 'Kasse')} {r['till']}", "-" * 32]
    for description, quantity, _, amount in r["rows"]:
        if quantity > 1:
            lines.append(f"{number_text(quantity, c)} x {description}  {_amount(amount, c)}")
        else:
            lines.append(f"{description}  {_amount(amount, c)}")
    lines.append("-" * 32)
    if c.code == "US":
        lines += [f"SUBTOTAL  {_amount(r['subtotal'], c)}", f"{_tax_label(c)}  {_amount(r['tax'], c)}"]
    lines.append(f"{_label(c, 'TOTAL', 'SUMME')}  {money_text(r['total'], c)}")
    lines.append(_paid_line(r, c))
    if c.code != "US":
        lines.append(
            f"{_label(c, 'incl. VAT', 'enth. MwSt.')} {number_text(c.tax_rate, c)}%  {_amount(r['tax'], c)}"
        )
    lines.append(_label(c, "Thank you, come again", "Vielen Dank für Ihren Einkauf"))
    return ["\n".join(lines)], _receipt_truth(r, c)


def receipt_itemised(rng: random.Random, country: Country, index: int) -> tuple[list[str], dict[str, Any]]:
    """A narrow receipt whose articles show quantity x unit price on their own line, a tax summary
    block, and the currency code beside the total."""
    r = _receipt(rng, country, index)
    c = country
    lines = [r["shop"], r["address"], f"{_label(c, 'Receipt', 'Beleg')} {r['number']}",
             f"{_label(c, 'Date', 'Datum')}: {date_text(r['day'], c)} {r['time']}", ""]  # fmt: skip
    for description, quantity, unit, amount in r["rows"]:
        lines += [description, f"  {number_text(quantity, c)} x {_amount(unit, c)}  {_amount(amount, c)}"]
    lines += [
        "",
        f"{_label(c, 'Total', 'Summe')} {money_text(r['total'], c, 'iso_before')}",
        _paid_line(r, c),
        "",
    ]
    rate = number_text(c.tax_rate, c)
    if c.code == "US":
        lines += [
            f"{_label(c, 'Subtotal', 'Netto')} {_amount(r['subtotal'], c)}",
            f"{_tax_label(c)} {_amount(r['tax'], c)}",
        ]
    else:
        net = r["total"] - r["tax"]
        lines += [
            f"{_label(c, 'Rate', 'Satz')}  {_label(c, 'Net', 'Netto')}  {_label(c, 'VAT', 'MwSt.')}  "
            f"{_label(c, 'Gross', 'Brutto')}",
            f"{rate}%  {_amount(net, c)}  {_amount(r['tax'], c)}  {_amount(r['total'], c)}",
        ]
    if r["vat"]:
        lines.append(f"{_label(c, 'VAT no', 'USt-IdNr.')} {r['vat']}")
    return ["\n".join(lines)], _receipt_truth(r, c)


# Contracts -----------------------------------------------------------------------------------------

GOVERNING_LAW = {"GB": "England and Wales", "DE": "Bundesrepublik Deutschland", "US": "State of New York"}


def contract(rng: random.Random, country: Country, index: int) -> tuple[list[str], dict[str, Any]]:
    """A short services agreement in prose: parties, dates, term, fee, renewal and governing law."""
    c = country
    provider = SUPPLIERS[c.code][index % 3]
    client = rng.choice(CUSTOMERS)
    effective = _day(rng)
    signed = effective - timedelta(days=rng.randint(3, 20))
    term = rng.choice((6, 12, 24, 36))
    fee = Decimal(rng.randint(8, 60) * 100 + rng.choice((0, 50)))
    renews = rng.random() < 0.5
    law = GOVERNING_LAW[c.code]
    notice = rng.choice((1, 2, 3))
    if c.german:
        renewal = (
            "Der Vertrag verlängert sich automatisch um jeweils 12 Monate, wenn er nicht mit einer Frist "
            f"von {notice} Monaten gekündigt wird."
            if renews
            else "Der Vertrag endet mit Ablauf der Laufzeit, ohne dass es einer Kündigung bedarf."
        )
        text = (
            "DIENSTLEISTUNGSVERTRAG\n\n"
            f"zwischen {client}, {rng.choice(STREETS['DE'])} (im Folgenden „Auftraggeber“)\n"
            f"und {provider}, {STREETS['DE'][index % 3]} (im Folgenden „Auftragnehmer“).\n\n"
            f"§ 1 Gegenstand. Der Auftragnehmer erbringt für den Auftraggeber Leistungen der IT-Betreuung.\n"
            f"§ 2 Beginn und Laufzeit. Der Vertrag tritt am {date_text(effective, c, long=True)} in Kraft "
            f"und hat eine Laufzeit von {term} Monaten. {renewal}\n"
            f"§ 3 Vergütung. Der Auftraggeber zahlt eine monatliche Vergütung von {money_text(fee, c)} "
            f"zuzüglich gesetzlicher MwSt., fällig zum {rng.randint(1, 15)}. eines Monats.\n"
            f"§ 4 Recht. Dieser Vertrag unterliegt dem Recht der {law}. Gerichtsstand ist Köln.\n\n"
            f"Köln, den {date_text(signed, c)}\n"
            f"{client}                {provider}"
        )
    else:
        renewal = (
            f"This Agreement renews automatically for successive periods of 12 months unless either party "
            f"gives {notice} months' written notice."
            if renews
            else "This Agreement ends at the end of the Term and does not renew automatically."
        )
        text = (
            "SERVICES AGREEMENT\n\n"
            f"This Services Agreement is made on {date_text(signed, c, long=True)} between:\n"
            f'(1) {client}, of {rng.choice(STREETS[c.code])} (the "Client"); and\n'
            f'(2) {provider}, of {STREETS[c.code][index % 3]} (the "Service Provider").\n\n'
            f"1. Services. The Service Provider shall provide managed IT support services to the Client.\n"
            f'2. Term. This Agreement takes effect on {date_text(effective, c, long=True)} (the "Effective '
            f'Date") and continues for a term of {term} months. {renewal}\n'
            f"3. Fees. The Client shall pay a monthly fee of {money_text(fee, c)}, invoiced monthly in "
            f"advance and payable within {rng.choice((14, 30))} days.\n"
            f"4. Governing law. This Agreement is governed by the laws of {'the ' if c.code == 'US' else ''}"
            f"{law}.\n\n"
            f"Signed for the Client: ____________    Signed for the Service Provider: ____________"
        )
    truth = {
        "client": client,
        "service provider": provider,
        "effective date": effective.isoformat(),
        "term in months": float(term),
        "governing law": law,
        "monthly fee": money(fee, c.currency),
        "renews automatically": renews,
    }
    return [text], truth


Layout = Callable[[random.Random, Country, int], tuple[list[str], dict[str, Any]]]
LAYOUTS: dict[str, tuple[str, Layout]] = {
    "labels": ("invoice", invoice_labels),
    "columns": ("invoice", invoice_columns),
    "table": ("invoice", invoice_table),
    "till": ("receipt", receipt_till),
    "itemised": ("receipt", receipt_itemised),
    "agreement": ("contract", contract),
}


def extraction_set(per_layout: int = 3, seed: int = 13) -> list[Document]:
    """`per_layout` documents of each layout, the same for the same arguments."""
    made = []
    for layout, (doc_type, build) in LAYOUTS.items():
        rotation = ROTATIONS[doc_type]
        # Layouts of one doc type start at different places in its rotation, so even a small set
        # meets every country.
        start = 3 * [name for name, (t, _) in LAYOUTS.items() if t == doc_type].index(layout)
        for index in range(per_layout):
            # One generator per document: adding a layout or a document leaves the others as they were.
            rng = random.Random(f"{seed}/{layout}/{index}")
            country = COUNTRIES[rotation[(start + index) % len(rotation)]]
            pages, truth = build(rng, country, index)
            assert set(truth) == {spec.name for spec in SCHEMAS[doc_type]}, layout
            made.append(Document(f"{doc_type}-{layout}-{index + 1}", doc_type, layout, country.code,
                                 tuple(pages), truth))  # fmt: skip
    return made
