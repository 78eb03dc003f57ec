"""Document Intelligence's prebuilt extraction models on the fake service: the real SDK analyzes
documents of the extraction evaluation set (testkit/extraction_set.py) with prebuilt-invoice and
prebuilt-receipt, and the fields it gets back are checked against the set's truth and against the
result's own `content` and pages."""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from azure.ai.documentintelligence import DocumentIntelligenceClient
from azure.core.credentials import AzureKeyCredential
from azure.core.exceptions import ResourceNotFoundError

from testkit.extraction_set import Document, extraction_set
from testkit.fakes.document_intelligence import FakeDocumentIntelligence

# The fake service reads every page it receives with the local OCR engine.
pytestmark = pytest.mark.slow

SET = {document.name: document for document in extraction_set(per_layout=1)}
# The labelled invoice is left out of the invoice checks: OCR reads its "SI-" number as "Sl-".
INVOICES = ["invoice-columns-1", "invoice-table-1"]
RECEIPT = "receipt-till-1"

Analyze = Callable[[str, str], dict[str, Any]]


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeDocumentIntelligence]:
    with FakeDocumentIntelligence(running_polls=0) as server:
        yield server


@pytest.fixture(scope="module")
def analyze(fake: FakeDocumentIntelligence) -> Analyze:
    """The analyzeResult (as the SDK's `as_dict` gives it) of a set document read with a model, each
    document and model read once per module."""
    client = DocumentIntelligenceClient(fake.endpoint, AzureKeyCredential(fake.key), polling_interval=0.02)
    results: dict[tuple[str, str], dict[str, Any]] = {}

    def run(model_id: str, name: str) -> dict[str, Any]:
        if (model_id, name) not in results:
            poller = client.begin_analyze_document(model_id, io.BytesIO(SET[name].text_pdf()))
            results[model_id, name] = poller.result().as_dict()
        return results[model_id, name]

    return run


def walk(fields: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """Every field with its path, the elements of arrays and the members of objects too."""
    for name, field in fields.items():
        yield name, field
        for index, element in enumerate(field.get("valueArray", [])):
            yield f"{name}[{index}]", element
            yield from walk({f"{name}[{index}].{k}": v for k, v in element.get("valueObject", {}).items()})


def amount(field: dict[str, Any]) -> float:
    return field["valueCurrency"]["amount"]


def truth_amount(money: dict[str, str]) -> float:
    return float(money["amount"])


@pytest.mark.parametrize("name", INVOICES)
def test_an_invoice_gives_its_number_dates_total_and_items(analyze: Analyze, name: str) -> None:
    document: Document = SET[name]
    result = analyze("prebuilt-invoice", name)
    assert result["modelId"] == "prebuilt-invoice" and result["tables"] is not None
    [invoice] = result["documents"]
    assert invoice["docType"] == "invoice" and 0 < invoice["confidence"] <= 1
    fields = invoice["fields"]
    truth = document.truth
    assert fields["InvoiceId"]["content"] == truth["invoice number"]
    assert fields["InvoiceId"]["valueString"] == truth["invoice number"]
    assert amount(fields["InvoiceTotal"]) == truth_amount(truth["total amount"])
    assert fields["InvoiceTotal"]["valueCurrency"]["currencyCode"] == truth["total amount"]["currency"]
    assert fields["InvoiceDate"]["valueDate"] == truth["invoice date"]
    assert fields["DueDate"]["valueDate"] == truth["due date"]
    assert amount(fields["SubTotal"]) == truth_amount(truth["net amount"])
    assert amount(fields["TotalTax"]) == truth_amount(truth["tax amount"])
    [tax] = fields["TaxDetails"]["valueArray"]
    assert float(tax["valueObject"]["Rate"]["valueString"].rstrip("%")) == truth["tax rate"]
    [payment] = fields["PaymentDetails"]["valueArray"]
    assert payment["valueObject"]["IBAN"]["content"].replace(" ", "") == truth["IBAN"]
    items = fields["Items"]["valueArray"]
    assert [item["valueObject"]["Description"]["valueString"] for item in items] == [
        row["description"] for row in truth["line items"]
    ]
    for item, row in zip(items, truth["line items"], strict=True):
        assert item["type"] == "object"
        assert item["valueObject"]["Quantity"]["valueNumber"] == row["quantity"]
        assert amount(item["valueObject"]["UnitPrice"]) == truth_amount(row["unit price"])
        assert amount(item["valueObject"]["Amount"]) == truth_amount(row["amount"])


def test_a_receipt_gives_its_total_and_date(analyze: Analyze) -> None:
    truth = SET[RECEIPT].truth
    [receipt] = analyze("prebuilt-receipt", RECEIPT)["documents"]
    assert receipt["docType"].startswith("receipt")
    fields = receipt["fields"]
    assert amount(fields["Total"]) == truth_amount(truth["total"])
    assert amount(fields["TotalTax"]) == truth_amount(truth["tax amount"])
    assert fields["TransactionDate"]["valueDate"] == truth["receipt date"]
    assert fields["TransactionTime"]["valueTime"].count(":") == 2
    items = fields["Items"]["valueArray"]
    assert [amount(item["valueObject"]["TotalPrice"]) for item in items] == [
        truth_amount(row["amount"]) for row in truth["line items"]
    ]


@pytest.mark.parametrize(
    ("model_id", "name"), [*(("prebuilt-invoice", n) for n in INVOICES), ("prebuilt-receipt", RECEIPT)]
)
def test_every_field_points_at_its_own_text_on_its_page(analyze: Analyze, model_id: str, name: str) -> None:
    result = analyze(model_id, name)
    content = result["content"]
    pages = {page["pageNumber"]: page for page in result["pages"]}
    [document] = result["documents"]
    assert document["spans"] == [{"offset": 0, "length": len(content)}]
    assert [region["pageNumber"] for region in document["boundingRegions"]] == list(pages)
    checked = 0
    for path, field in walk(document["fields"]):
        if field["type"] == "array":  # an array is only its elements, as the service gives it
            continue
        [span] = field["spans"]
        assert content[span["offset"] : span["offset"] + span["length"]] == field["content"], path
        assert 0 < field["confidence"] <= 1, path
        for region in field["boundingRegions"]:
            page, polygon = pages[region["pageNumber"]], region["polygon"]
            assert len(polygon) == 8, path
            assert all(0 <= x <= page["width"] for x in polygon[0::2]), path
            assert all(0 <= y <= page["height"] for y in polygon[1::2]), path
            assert polygon[0] < polygon[2] and polygon[1] < polygon[5], path
        checked += 1
    assert checked >= 10


def test_the_other_models_are_as_before_and_an_unknown_model_is_not_found(
    analyze: Analyze, fake: FakeDocumentIntelligence
) -> None:
    assert "documents" not in analyze("prebuilt-layout", RECEIPT)  # the page is OCR'd once: cached
    [identity] = analyze("prebuilt-idDocument", RECEIPT)["documents"]
    assert identity["docType"].startswith("idDocument")
    client = DocumentIntelligenceClient(fake.endpoint, AzureKeyCredential(fake.key))
    with pytest.raises(ResourceNotFoundError) as raised:
        client.begin_analyze_document("prebuilt-tax.us.w2", io.BytesIO(SET[RECEIPT].text_pdf()))
    assert raised.value.status_code == 404
    assert raised.value.error is not None and raised.value.error.innererror["code"] == "ModelNotFound"
