"""Document Intelligence's prebuilt models as the first reader of a schema's fields: which schema fields
they answer, how their answers are checked against the stored pages, and that everything else is left
to the extraction provider (the real local extractor here)."""

from __future__ import annotations

import copy

import numpy as np
import pytest

from shared.config import PREBUILT_EXTRACTION_MODELS, EmbeddingsSettings, OcrSettings, Settings
from shared.extraction.local import LocalExtractor
from shared.extraction.prebuilt import PROVIDER, PrebuiltExtractor, match, matches_any
from shared.extraction.prebuilt_fields import MODELS
from shared.extraction.types import FieldSpec, PageText
from shared.providers.embeddings import get_embedding_provider
from testkit.extraction_set import INVOICE_FIELDS, RECEIPT_FIELDS


def _names(fields: list[FieldSpec], model_id: str) -> dict[str, str]:
    return {name: field.name for name, field in match(fields, MODELS[model_id]).items()}


def test_the_catalogue_covers_exactly_the_models_the_setting_accepts() -> None:
    assert set(MODELS) == set(PREBUILT_EXTRACTION_MODELS)


def test_an_invoice_schema_is_matched_field_by_field_and_the_rest_is_left_alone() -> None:
    assert _names(INVOICE_FIELDS, "prebuilt-invoice") == {
        "invoice number": "InvoiceId",
        "invoice date": "InvoiceDate",
        "due date": "DueDate",
        "supplier name": "VendorName",
        "supplier VAT number": "VendorTaxId",
        "customer name": "CustomerName",
        "purchase order number": "PurchaseOrder",
        "IBAN": "PaymentDetails.IBAN",
        "net amount": "SubTotal",
        "tax rate": "TaxDetails.Rate",
        "tax amount": "TotalTax",
        "total amount": "InvoiceTotal",
        "line items": "Items",
    }
    items = next(spec for spec in INVOICE_FIELDS if spec.type == "list")
    columns = {
        name: field.name
        for name, field in match(items.fields, MODELS["prebuilt-invoice"][-1].columns).items()
    }
    assert columns == {
        "description": "Description",
        "quantity": "Quantity",
        "unit price": "UnitPrice",
        "amount": "Amount",
    }


def test_a_receipt_schema_keeps_what_the_model_does_not_have_for_the_provider() -> None:
    assert _names(RECEIPT_FIELDS, "prebuilt-receipt") == {
        "merchant name": "MerchantName",
        "receipt date": "TransactionDate",
        "total": "Total",
        "tax amount": "TotalTax",
        "line items": "Items",
    }  # no VAT number and no payment method in the receipt model


def test_types_gate_the_match_and_unrelated_fields_match_nothing() -> None:
    fields = [
        FieldSpec("policy holder", "text", "the person the insurance policy covers"),
        FieldSpec("tax", "boolean", "whether tax applies"),
        FieldSpec("Rechnungsnummer", "text", "die Nummer der Rechnung"),
        FieldSpec("Fälligkeitsdatum", "date", ""),
    ]
    assert _names(fields, "prebuilt-invoice") == {
        "Rechnungsnummer": "InvoiceId",
        "Fälligkeitsdatum": "DueDate",
    }
    assert not matches_any(fields[:2], "prebuilt-invoice")
    assert not matches_any(INVOICE_FIELDS, "prebuilt-unknown")


def test_settings_name_models_per_label_only_with_an_endpoint_and_refuse_unknown_models() -> None:
    assert OcrSettings().extraction_models() == {}
    configured = OcrSettings(AZURE_DOCUMENT_INTELLIGENCE_ENDPOINT="https://di.example")
    assert configured.extraction_models() == {"invoice": "prebuilt-invoice", "receipt": "prebuilt-receipt"}
    with pytest.raises(ValueError, match="AZURE_DOCUMENT_INTELLIGENCE_EXTRACTION_MODELS"):
        OcrSettings(AZURE_DOCUMENT_INTELLIGENCE_EXTRACTION_MODELS="card:prebuilt-businessCard")
    none = OcrSettings(
        AZURE_DOCUMENT_INTELLIGENCE_ENDPOINT="https://di.example",
        AZURE_DOCUMENT_INTELLIGENCE_EXTRACTION_MODELS="",
    )
    assert none.extraction_models() == {}


# One stored page (OCR at 200 dpi: 1700 x 2200 pixels) and what prebuilt-invoice said of it (inches).
PAGE = PageText(
    page_no=1,
    text="Harbour Supplies Ltd\nInvoice No: HS-7781\nDatum: 03.04.2024\nTotal due: 1.250,00\nRef: Q-2291\n",
    width=1700,
    height=2200,
)
ANALYSIS = {
    "pages": [{"pageNumber": 1, "unit": "inch", "width": 8.5, "height": 11.0}],
    "documents": [
        {
            "docType": "invoice",
            "fields": {
                "InvoiceId": {
                    "type": "string",
                    "valueString": "HS-7781",
                    "content": "HS-7781",
                    "confidence": 0.97,
                    "boundingRegions": [
                        {"pageNumber": 1, "polygon": [1.5, 1.0, 2.5, 1.0, 2.5, 1.2, 1.5, 1.2]}
                    ],
                },
                "InvoiceDate": {
                    "type": "date",
                    "valueDate": "2024-04-03",
                    "content": "03.04.2024",
                    "confidence": 0.91,
                    "boundingRegions": [
                        {"pageNumber": 1, "polygon": [1.0, 1.5, 2.0, 1.5, 2.0, 1.7, 1.0, 1.7]}
                    ],
                },
                "InvoiceTotal": {
                    "type": "currency",
                    "valueCurrency": {"amount": 1250.0, "currencyCode": "EUR"},
                    "content": "1.250,00",
                    "confidence": 0.88,
                    "boundingRegions": [
                        {"pageNumber": 1, "polygon": [1.2, 2.0, 2.2, 2.0, 2.2, 2.2, 1.2, 2.2]}
                    ],
                },
                # Text the stored page does not hold: not trusted.
                "VendorTaxId": {
                    "type": "string",
                    "valueString": "DE136695976",
                    "content": "DE136695976",
                    "confidence": 0.95,
                    "boundingRegions": [{"pageNumber": 1, "polygon": [0, 0, 1, 0, 1, 1, 0, 1]}],
                },
            },
        }
    ],
}


@pytest.fixture(scope="module")
def local() -> LocalExtractor:
    embeddings = get_embedding_provider(Settings(embeddings=EmbeddingsSettings()))
    return LocalExtractor(lambda texts: np.asarray(embeddings.embed(texts)), model=embeddings.model)


def test_the_model_answers_what_it_matches_checked_on_the_page_and_boxed_in_page_pixels(local) -> None:
    fields = [
        FieldSpec("invoice number", "text", "the invoice's own number"),
        FieldSpec("invoice date", "date", "the date the invoice was issued"),
        FieldSpec("total amount", "money", "the gross total to pay"),
        FieldSpec("supplier VAT number", "text", "the supplier's VAT identification number"),
        FieldSpec("quote reference", "text", "the reference of the quote the invoice follows"),
        FieldSpec("due date", "date", "the date by which the invoice must be paid"),
    ]
    extractor = PrebuiltExtractor("prebuilt-invoice", ANALYSIS, local)
    assert (extractor.name, extractor.model) == (PROVIDER, "prebuilt-invoice")
    found = {value.name: value for value in extractor.extract([PAGE], fields)}

    number = found["invoice number"]
    assert (number.value, number.status, number.confidence) == ("HS-7781", "found", 0.97)
    assert number.source == (PROVIDER, "prebuilt-invoice")
    (quote,) = number.evidence
    assert quote.quote == "HS-7781" and quote.quote in PAGE.text
    assert quote.bbox == (300.0, 200.0, 500.0, 240.0)  # inches x 200 px

    assert found["invoice date"].value == "2024-04-03"
    # The amount prints no currency; the model's typed value says EUR.
    assert found["total amount"].value == {"amount": "1250.00", "currency": "EUR"}

    vat = found["supplier VAT number"]
    # The local extractor finds no VAT number either, so the model's doubtful one waits for a person.
    assert vat.status == "needs_review" and vat.evidence == () and vat.confidence <= 0.2
    assert vat.source == (PROVIDER, "prebuilt-invoice") and vat.raw == "DE136695976"

    # Not a field of the model: the local extractor reads it, and says so.
    reference = found["quote reference"]
    assert reference.source == ("local", local.model)
    assert reference.value == "Q-2291" and reference.evidence[0].quote in PAGE.text
    # A field of the model that it did not find is asked of the provider too; nothing invents it.
    due = found["due date"]
    assert due.source == ("local", local.model) and due.status == "not_found"


def test_line_items_come_from_the_models_array_row_by_row(local) -> None:
    page = PageText(1, "Rope 12 m   2   4,50   9,00\nHooks   10   0,80   8,00\n", width=1700, height=2200)

    def cell(kind: str, content: str, **typed: object) -> dict:
        return {
            "type": kind,
            "content": content,
            "confidence": 0.9,
            "boundingRegions": [{"pageNumber": 1, "polygon": [0, 0, 1, 0, 1, 1, 0, 1]}],
            **typed,
        }

    analysis = {
        "pages": [{"pageNumber": 1, "unit": "inch", "width": 8.5, "height": 11.0}],
        "documents": [{"fields": {"Items": {"type": "array", "valueArray": [
            {"type": "object", "valueObject": {"Description": cell("string", "Rope 12 m"), "Quantity": cell("number", "2"), "Amount": cell("currency", "9,00")}},
            {"type": "object", "valueObject": {"Description": cell("string", "Hooks"), "Quantity": cell("number", "10"), "Amount": cell("currency", "8,00")}},
        ]}}}],
    }  # fmt: skip
    items = FieldSpec(
        "line items",
        "list",
        "the goods invoiced",
        fields=(
            FieldSpec("description", "text"),
            FieldSpec("quantity", "number"),
            FieldSpec("amount", "money"),
        ),
    )
    (value,) = PrebuiltExtractor("prebuilt-invoice", analysis, local).extract([page], [items])
    assert value.status == "found" and value.source == (PROVIDER, "prebuilt-invoice")
    assert value.value == [
        {"description": "Rope 12 m", "quantity": 2.0, "amount": {"amount": "9.00", "currency": None}},
        {"description": "Hooks", "quantity": 10.0, "amount": {"amount": "8.00", "currency": None}},
    ]


def test_a_model_value_the_page_does_not_hold_gives_way_to_the_providers(local) -> None:
    misread = copy.deepcopy(ANALYSIS)
    misread["documents"][0]["fields"]["InvoiceId"]["content"] = "HS-778I"  # the model's OCR slipped
    fields = [FieldSpec("invoice number", "text", "the invoice's own number")]
    (number,) = PrebuiltExtractor("prebuilt-invoice", misread, local).extract([PAGE], fields)
    assert (number.value, number.status, number.source) == ("HS-7781", "found", ("local", local.model))
