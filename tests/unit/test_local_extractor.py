"""The local extraction provider on realistic documents, with the real embedding model."""

from __future__ import annotations

import numpy as np
import pytest

from shared.config import EmbeddingsSettings, Settings
from shared.extraction.local import LocalExtractor
from shared.extraction.types import Extractor, FieldSpec, Line, PageText
from shared.providers.embeddings import get_embedding_provider

INVOICE_EN = """\
ACME Logistics Ltd · 5 High Street · London EC1A 1BB
VAT Reg. No: GB123456789 · billing@acme-logistics.co.uk · +44 20 7946 0958

INVOICE
Invoice No: INV-2024-0042
Invoice date: 12/03/2024
Due date: 11/04/2024
Customer: Northwind Traders Ltd

Description                  Qty    Unit price      Amount
Warehouse storage, March       1    £1,234.56       £1,234.56
Last-mile delivery            12    £45.00          £540.00
Express surcharge              1    £3.50           £3.50

Subtotal:  £1,778.06
VAT 20%:   £355.61
Total due: £2,133.67

Bank: IBAN GB33BUKB20201555555555
Status: Paid
[x] Paperless billing   [ ] Reverse charge
"""

RECHNUNG = """\
Muster GmbH · Hauptstraße 5 · 10115 Berlin
USt-IdNr.: DE136695976

Rechnung
Rechnungsnummer        Rechnungsdatum        Fälligkeitsdatum
RE-2024-117            05.03.2024            04.04.2024

Pos  Bezeichnung              Menge   Einzelpreis    Gesamt
1    Beratung                 10      120,00 €       1.200,00 €
2    Reisekosten              1       85,50 €        85,50 €

Nettobetrag: 1.285,50 €
MwSt. 19 %: 244,25 €
Gesamtbetrag: 1.529,75 €
Zahlbar per Überweisung an IBAN DE89 3704 0044 0532 0130 00
"""

INVOICE_FIELDS = [
    FieldSpec("invoice_number", "text", "The invoice number"),
    FieldSpec("invoice_date", "date", "The date the invoice was issued"),
    FieldSpec("due_date", "date", "The date by which the invoice must be paid"),
    FieldSpec("total_amount", "money", "The total amount due, including tax"),
    FieldSpec("vat_amount", "money", "The VAT amount"),
    FieldSpec("supplier_vat_number", "text", "The supplier's VAT identification number"),
    FieldSpec("iban", "text", "The bank account (IBAN) to pay to"),
    FieldSpec("policy_number", "text", "The insurance policy number"),
]
LINE_ITEMS = FieldSpec(
    "line_items",
    "list",
    "The lines of the invoice",
    fields=(
        FieldSpec("description", "text", "What was sold"),
        FieldSpec("quantity", "number"),
        FieldSpec("unit_price", "money", "Price per unit"),
        FieldSpec("line_total", "money", "Total amount of the line"),
    ),
)


@pytest.fixture(scope="module")
def embeddings():
    return get_embedding_provider(Settings(embeddings=EmbeddingsSettings()))


@pytest.fixture(scope="module")
def extractor(embeddings) -> LocalExtractor:
    return LocalExtractor(lambda texts: np.asarray(embeddings.embed(texts)), model=embeddings.model)


def by_name(results):
    return {result.name: result for result in results}


def assert_quotes_are_on_their_page(results, pages):
    texts = {page.page_no: page.text for page in pages}
    for result in results:
        for evidence in result.evidence:
            assert evidence.quote and evidence.quote in texts[evidence.page_no]
        for row in result.items:
            for value in row:
                for evidence in value.evidence:
                    assert evidence.quote in texts[evidence.page_no]


def test_it_is_an_extractor_labelled_local(extractor):
    typed: Extractor = extractor
    assert callable(typed.extract)
    assert extractor.name == "local"
    assert "all-MiniLM-L6-v2" in extractor.model


def test_an_english_invoice(extractor):
    pages = [PageText(1, INVOICE_EN)]
    fields = [
        *INVOICE_FIELDS,
        FieldSpec("status", "enum", "Payment status", values=("Open", "Paid", "Overdue")),
        FieldSpec("paperless_billing", "boolean", "Whether the customer is billed paperless"),
        FieldSpec("contact_email", "text", "The supplier's e-mail address"),
        LINE_ITEMS,
    ]
    results = extractor.extract(pages, fields)
    assert [r.name for r in results] == [f.name for f in fields]
    found = by_name(results)

    assert found["invoice_number"].value == "INV-2024-0042"
    assert found["invoice_date"].value == "2024-03-12"
    assert found["due_date"].value == "2024-04-11"
    assert found["total_amount"].value == {"amount": "2133.67", "currency": "GBP"}
    assert found["vat_amount"].value == {"amount": "355.61", "currency": "GBP"}
    assert found["supplier_vat_number"].value == "GB123456789"
    assert found["iban"].value == "GB33BUKB20201555555555"
    assert found["status"].value == "Paid"
    assert found["paperless_billing"].value is True
    assert found["contact_email"].value == "billing@acme-logistics.co.uk"
    assert found["due_date"].evidence[0].quote == "Due date: 11/04/2024"
    assert found["total_amount"].evidence[0].quote == "Total due: £2,133.67"

    policy = found["policy_number"]
    assert (policy.status, policy.value, policy.evidence, policy.confidence) == ("not_found", None, (), 0.0)

    items = found["line_items"]
    assert items.status == "found"
    assert items.value == [
        {"description": "Warehouse storage, March", "quantity": 1.0,
         "unit_price": {"amount": "1234.56", "currency": "GBP"},
         "line_total": {"amount": "1234.56", "currency": "GBP"}},
        {"description": "Last-mile delivery", "quantity": 12.0,
         "unit_price": {"amount": "45.00", "currency": "GBP"},
         "line_total": {"amount": "540.00", "currency": "GBP"}},
        {"description": "Express surcharge", "quantity": 1.0,
         "unit_price": {"amount": "3.50", "currency": "GBP"},
         "line_total": {"amount": "3.50", "currency": "GBP"}},
    ]  # fmt: skip
    assert len(items.items) == 3 and len(items.evidence) == 3

    for result in results:
        if result.status == "found":
            assert 0.3 < result.confidence <= 1.0
    # A labelled IBAN with a valid checksum is as sure as it gets; a label on the line is surer than none.
    assert found["iban"].confidence >= 0.9
    assert_quotes_are_on_their_page(results, pages)


def test_a_german_invoice_with_labels_above_their_values(extractor):
    pages = [PageText(1, RECHNUNG)]
    found = by_name(extractor.extract(pages, [*INVOICE_FIELDS, LINE_ITEMS]))

    assert found["invoice_number"].value == "RE-2024-117"
    assert found["invoice_date"].value == "2024-03-05"
    assert found["due_date"].value == "2024-04-04"
    assert found["total_amount"].value == {"amount": "1529.75", "currency": "EUR"}
    assert found["vat_amount"].value == {"amount": "244.25", "currency": "EUR"}
    assert found["supplier_vat_number"].value == "DE136695976"
    assert found["iban"].value == "DE89 3704 0044 0532 0130 00"
    assert found["policy_number"].status == "not_found"
    assert [row["line_total"] for row in found["line_items"].value] == [
        {"amount": "1200.00", "currency": "EUR"},
        {"amount": "85.50", "currency": "EUR"},
    ]
    assert [row["quantity"] for row in found["line_items"].value] == [10.0, 1.0]
    assert_quotes_are_on_their_page(found.values(), pages)


def test_a_field_never_takes_the_value_of_another_label(extractor):
    text = "Invoice date: 01.02.2024\nDelivery date: 03.02.2024\n"
    found = by_name(extractor.extract([PageText(1, text)], INVOICE_FIELDS[:3]))
    assert found["invoice_date"].value == "2024-02-01"
    # Only dates labelled for something else are on the page: the due date is not there.
    assert found["due_date"].status == "not_found"
    assert found["invoice_number"].status == "not_found"


def test_a_receipt_from_ocr_lines_with_boxes(extractor):
    lines = (
        Line("CAFE CENTRAL", (100, 20, 300, 45)),
        Line("Date: 2024-05-17 08:42", (40, 60, 330, 80)),
        Line("Item", (40, 100, 90, 118)),
        Line("Qty", (200, 100, 240, 118)),
        Line("Price", (280, 100, 340, 118)),
        Line("Cappuccino", (40, 125, 160, 143)),
        Line("2", (210, 125, 222, 143)),
        Line("7.00", (290, 125, 340, 143)),
        Line("Croissant", (40, 150, 150, 168)),
        Line("1", (210, 150, 222, 168)),
        Line("2.80", (290, 150, 340, 168)),
        Line("TOTAL EUR 9.80", (40, 180, 340, 200)),
    )
    text = "CAFE CENTRAL\nDate: 2024-05-17 08:42\nItem Qty Price\nCappuccino 2 7.00\nCroissant 1 2.80\nTOTAL EUR 9.80"
    page = PageText(1, text, lines, width=400, height=600)
    fields = [
        FieldSpec("purchase_date", "date", "The date of the purchase"),
        FieldSpec("total", "money", "The total paid"),
        FieldSpec("items", "list", fields=(FieldSpec("item", "text"), FieldSpec("qty", "number"),
                                            FieldSpec("price", "money"))),
        FieldSpec("iban", "text", "The bank account (IBAN)"),
    ]  # fmt: skip
    found = by_name(extractor.extract([page], fields))
    assert found["purchase_date"].value == "2024-05-17"
    assert found["purchase_date"].evidence[0].bbox == (40, 60, 330, 80)
    assert found["total"].value == {"amount": "9.80", "currency": "EUR"}
    assert found["total"].evidence[0].bbox == (40, 180, 340, 200)
    # The prices carry no currency; the receipt names one (EUR, in its total), so they take it.
    assert found["items"].value == [
        {"item": "Cappuccino", "qty": 2.0, "price": {"amount": "7.00", "currency": "EUR"}},
        {"item": "Croissant", "qty": 1.0, "price": {"amount": "2.80", "currency": "EUR"}},
    ]
    assert found["items"].evidence[0].bbox == (40, 125, 340, 143)
    assert found["iban"].status == "not_found"
    assert_quotes_are_on_their_page(found.values(), [page])


def test_an_empty_document_and_no_fields(extractor):
    fields = [*INVOICE_FIELDS, LINE_ITEMS]
    assert {r.status for r in extractor.extract([], fields)} == {"not_found"}
    assert {r.status for r in extractor.extract([PageText(1, "")], fields)} == {"not_found"}
    assert extractor.extract([PageText(1, INVOICE_EN)], []) == []


def test_an_iban_with_a_wrong_checksum_is_not_an_iban(extractor):
    text = "IBAN: DE89 3704 0044 0532 0130 01"
    [iban] = extractor.extract([PageText(1, text)], [FieldSpec("iban", "text", "IBAN")])
    # The label still points at the text, but a broken IBAN is only ever text with a label.
    assert iban.value in (None, "DE89 3704 0044 0532 0130 01")
    assert iban.status != "found" or iban.confidence < 0.9


# --- text layers, where runs of spaces are single spaces -------------------------------------------

INVOICE_TEXT_LAYER = """\
Lakeside Print Company · 77 Elm Avenue, Portland, OR 97205
Customer: Brightwater Hotels Group
Invoice number Date Payment due
IN-2024-1269 2024-11-07 2024-11-21
# Art. no. Description Qty Unit price Line total
1 57742 Paper shredder 4 276.15 USD 1,104.60 USD
2 30006 Desk lamp 3 397.96 USD 1,193.88 USD
Net total: 2,298.48 USD
Sales tax (8.875%): 203.99 USD
Amount payable: 2,502.47 USD
"""


def test_line_items_from_single_spaced_rows_under_a_header(extractor):
    pages = [PageText(1, INVOICE_TEXT_LAYER)]
    found = by_name(extractor.extract(pages, [LINE_ITEMS]))
    items = found["line_items"]
    assert items.status == "found"
    assert items.value == [
        {"description": "Paper shredder", "quantity": 4.0,
         "unit_price": {"amount": "276.15", "currency": "USD"},
         "line_total": {"amount": "1104.60", "currency": "USD"}},
        {"description": "Desk lamp", "quantity": 3.0,
         "unit_price": {"amount": "397.96", "currency": "USD"},
         "line_total": {"amount": "1193.88", "currency": "USD"}},
    ]  # fmt: skip
    assert [e.quote for e in items.evidence] == [
        "1 57742 Paper shredder 4 276.15 USD 1,104.60 USD",
        "2 30006 Desk lamp 3 397.96 USD 1,193.88 USD",
    ]
    assert_quotes_are_on_their_page(found.values(), pages)


def test_a_table_continued_on_the_next_page_under_the_same_header(extractor):
    header = "Item Qty Price Amount\n"
    pages = [
        PageText(1, header + "Monitor arm 4 £18.83 £75.32\ncontinued overleaf\n"),
        PageText(2, header + "Network switch 3 £497.43 £1,492.29\nSubtotal £1,567.61\n"),
    ]
    [items] = extractor.extract(pages, [LINE_ITEMS])
    assert [row["description"] for row in items.value] == ["Monitor arm", "Network switch"]
    assert [row["line_total"] for row in items.value] == [
        {"amount": "75.32", "currency": "GBP"},
        {"amount": "1492.29", "currency": "GBP"},
    ]
    assert [e.page_no for e in items.evidence] == [1, 2]


def test_a_row_total_is_not_the_invoice_total(extractor):
    found = by_name(extractor.extract([PageText(1, INVOICE_TEXT_LAYER)], INVOICE_FIELDS))
    assert found["total_amount"].value == {"amount": "2502.47", "currency": "USD"}
    # The dates under a header of several words each take their own column's label.
    assert found["invoice_date"].value == "2024-11-07"
    assert found["due_date"].value == "2024-11-21"


def test_receipt_rows_without_a_header_up_to_the_total(extractor):
    text = (
        "GREENLEAF GROCERS\n88 High Street, Bath BA1 5AW\n15/01/2025 20:52 Till 4\n"
        "2 x Cheddar scone 6.92\nOrange juice 4.20\nTOTAL £11.12\nCash 15.00\nChange 3.88\n"
    )
    spec = FieldSpec("line_items", "list", fields=(FieldSpec("description", "text"),
                                                   FieldSpec("quantity", "number"), FieldSpec("amount", "money")))  # fmt: skip
    [items] = extractor.extract([PageText(1, text)], [spec])
    # A quantity only where one is written: a row without one does not get an invented 1.
    assert items.value == [
        {"description": "Cheddar scone", "quantity": 2.0, "amount": {"amount": "6.92", "currency": "GBP"}},
        {"description": "Orange juice", "quantity": None, "amount": {"amount": "4.20", "currency": "GBP"}},
    ]
    assert items.confidence <= 0.5


def test_a_description_above_its_numbers(extractor):
    text = "Receipt 8076\nOrange juice\n 1 x 7.39 7.39\nFlat white\n 3 x 6.32 18.96\nTotal GBP 26.35\n"
    spec = FieldSpec("line_items", "list", fields=(FieldSpec("description", "text"),
                                                   FieldSpec("quantity", "number"), FieldSpec("amount", "money")))  # fmt: skip
    [items] = extractor.extract([PageText(1, text)], [spec])
    assert [(r["description"], r["quantity"], r["amount"]["amount"]) for r in items.value] == [
        ("Orange juice", 1.0, "7.39"),
        ("Flat white", 3.0, "18.96"),
    ]
    assert items.evidence[0].quote == "Orange juice\n 1 x 7.39 7.39"


def test_bare_money_takes_the_one_currency_the_document_names(extractor):
    text = "Kings Road Coffee\nTotal GBP 26.35\nRate Net VAT Gross\n20% 21.96 4.39 26.35\n"
    fields = [FieldSpec("total", "money", "the total paid"), FieldSpec("tax amount", "money", "the VAT")]
    found = by_name(extractor.extract([PageText(1, text)], fields))
    assert found["total"].value == {"amount": "26.35", "currency": "GBP"}
    # The word over its column labels the amount; the currency comes from the total, less surely.
    assert found["tax amount"].value == {"amount": "4.39", "currency": "GBP"}
    assert found["tax amount"].confidence < found["total"].confidence


def test_bare_money_keeps_no_currency_when_the_document_names_several(extractor):
    text = "Total: EUR 10.00\nPaid: USD 11.00\nVAT: 1.60\n"
    [vat] = extractor.extract([PageText(1, text)], [FieldSpec("vat amount", "money", "the VAT")])
    assert vat.value == {"amount": "1.60", "currency": None}


def test_a_contract_in_prose(extractor):
    text = (
        "SERVICES AGREEMENT\n"
        "This Services Agreement is made on 22 February 2024 between:\n"
        '(1) Elmstead Garden Centre, of 2 Mill Lane, York YO1 7HH (the "Client"); and\n'
        '(2) Northwind Traders Ltd, of 14 Riverside Park, Reading RG1 8DB (the "Service\nProvider").\n'
        '2. Term. This Agreement takes effect on 1 March 2024 (the "Effective Date") and\n'
        "continues for a term of 6 months. This Agreement ends at the end of the Term and\n"
        "does not renew automatically.\n"
        "4. Governing law. This Agreement is governed by the laws of England and Wales.\n"
        "Signed for the Client: ____________ Signed for the Service Provider: ____________\n"
    )
    pages = [PageText(1, text)]
    found = by_name(extractor.extract(pages, [
        FieldSpec("client", "text", "the party that receives the services and pays the fee"),
        FieldSpec("service provider", "text", "the party that provides the services"),
        FieldSpec("effective date", "date", "the date from which the contract applies"),
        FieldSpec("term in months", "number", "how long the contract runs, in months"),
        FieldSpec("governing law", "text", "the jurisdiction whose law governs the contract"),
        FieldSpec("renews automatically", "boolean", "whether the contract renews itself"),
    ]))  # fmt: skip
    assert found["client"].value == "Elmstead Garden Centre"
    assert found["service provider"].value == "Northwind Traders Ltd"
    assert found["effective date"].value == "2024-03-01"
    assert found["term in months"].value == 6.0
    assert found["governing law"].value == "England and Wales"
    assert found["renews automatically"].value is False
    assert found["renews automatically"].evidence[0].quote == "renew automatically"
    assert_quotes_are_on_their_page(found.values(), pages)


def test_a_german_contract_renews_and_names_its_parties_by_role(extractor):
    text = (
        "zwischen Castlegate Dental Practice, Hafenweg 9, 20457 Hamburg (im Folgenden\n„Auftraggeber“)\n"
        "und Kessler Bürotechnik GmbH, Lindenallee 4, 04109 Leipzig (im Folgenden\n„Auftragnehmer“).\n"
        "Der Vertrag verlängert sich automatisch um jeweils 12 Monate.\n"
        "Dieser Vertrag unterliegt dem Recht der Bundesrepublik Deutschland.\n"
    )
    found = by_name(extractor.extract([PageText(1, text)], [
        FieldSpec("client", "text", "the party that receives the services and pays the fee"),
        FieldSpec("service provider", "text", "the party that provides the services"),
        FieldSpec("governing law", "text", "the jurisdiction whose law governs the contract"),
        FieldSpec("renews automatically", "boolean", "whether the contract renews itself"),
        FieldSpec("term in months", "number", "how long the contract runs, in months"),
    ]))  # fmt: skip
    assert found["client"].value == "Castlegate Dental Practice"
    assert found["service provider"].value == "Kessler Bürotechnik GmbH"
    assert found["governing law"].value == "Bundesrepublik Deutschland"
    assert found["renews automatically"].value is True
    # "um jeweils 12 Monate" is the renewal period, not the term: nothing says the term.
    assert found["term in months"].status == "not_found"


def test_the_issuer_from_the_letterhead_and_a_plain_date_label(extractor):
    text = "Bakkerij De Molen\nStationsplein 3, 3511 ED Utrecht\nReceipt 5563\nDate: 2024-05-23 20:48\n"
    found = by_name(extractor.extract([PageText(1, text)], [
        FieldSpec("merchant name", "text", "the shop or business that issued the receipt"),
        FieldSpec("receipt date", "date", "the date of the purchase"),
        FieldSpec("tax rate", "number", "the VAT rate in percent"),
    ]))  # fmt: skip
    assert found["merchant name"].value == "Bakkerij De Molen"
    assert found["merchant name"].confidence < 0.8  # a position on the page, not a label
    assert found["receipt date"].value == "2024-05-23"
    assert found["tax rate"].status == "not_found"


def test_a_tax_rate_from_its_percent(extractor):
    text = "Tax invoice 89195\nSubtotal EUR 100,00\nVAT 21% EUR 21,00\nTotal EUR 121,00\n"
    found = by_name(extractor.extract([PageText(1, text)], [
        FieldSpec("tax rate", "number", "the VAT or sales tax rate in percent"),
        FieldSpec("tax amount", "money", "the VAT or sales tax charged"),
    ]))  # fmt: skip
    assert found["tax rate"].value == 21.0
    assert found["tax amount"].value == {"amount": "21.00", "currency": "EUR"}
