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
    assert found["items"].value == [
        {"item": "Cappuccino", "qty": 2.0, "price": {"amount": "7.00", "currency": None}},
        {"item": "Croissant", "qty": 1.0, "price": {"amount": "2.80", "currency": None}},
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
