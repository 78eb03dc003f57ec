"""Running a schema on the cloud product: an invoice's fields that Document Intelligence's prebuilt
invoice model has are read by it (with its boxes), the others by Azure OpenAI (both fakes, through the
real SDKs on the worker); values are normalised, and every quote is on the page it names."""

from __future__ import annotations

import time
import uuid
from typing import Any

import pytest

from testkit import documents as make
from tests.conftest import ApiUser

pytestmark = pytest.mark.stack

PAGES = [
    "Harbour Supplies Ltd\nInvoice number: HS-7781\nInvoice date: 03.04.2024\nCarrier: Northern Freight\n"
    "Total amount: EUR 1.250,00\n",
]
FIELDS = [
    {"name": "invoice number", "type": "text", "description": "the invoice's own number"},
    {"name": "invoice date", "type": "date", "description": "the date the invoice was issued"},
    {"name": "total amount", "type": "money", "description": "the gross total to pay"},
    {"name": "purchase order", "type": "text", "description": "the customer's order reference"},
    {"name": "carrier", "type": "text", "description": "the company that delivers the goods"},
]
PREBUILT = ("azure_document_intelligence", "prebuilt-invoice")


def test_a_schema_runs_on_the_prebuilt_invoice_model_and_azure_openai_with_verified_evidence(
    cloud: dict[str, Any],
) -> None:
    owner = ApiUser(cloud["stack"].api_url, "cloud-extractor")
    try:
        made = owner.http.post(
            "/api/v1/schemas", json={"name": f"Invoices {uuid.uuid4().hex[:6]}", "fields": FIELDS}
        )
        assert made.status_code == 201, made.text
        document_id = owner.upload("harbour-invoice.pdf", make.text_pdf(PAGES)).json()["id"]
        assert owner.wait_for(document_id, timeout=300)["status"] == "ready"
        results = owner.http.get(f"/api/v1/documents/{document_id}/results").json()
        assert results["classification"]["label"] == "invoice"
        before = len(cloud["openai"].requests_to("chat"))
        analysed = len(cloud["di"].analyses)

        run = owner.http.post(
            f"/api/v1/schemas/{made.json()['id']}/runs", json={"document_ids": [document_id]}
        )
        assert run.status_code == 202, run.text
        deadline = time.monotonic() + 120
        items: list[dict[str, Any]] = []
        while time.monotonic() < deadline and not items:
            items = owner.http.get(f"/api/v1/documents/{document_id}/extractions").json()["items"]
            time.sleep(0.5)
        (extraction,) = items
        assert (extraction["provider"], extraction["model"]) == PREBUILT
        # The text PDF was never OCRed by the service; the prebuilt model read it once, for the fields.
        assert [a.model_id for a in cloud["di"].analyses[analysed:]] == ["prebuilt-invoice"]
        assert len(cloud["openai"].requests_to("chat")) > before  # for what the model does not have

        pages = owner.http.get(f"/api/v1/documents/{document_id}/pages").json()["items"]
        text = {page["page_no"]: page["text"] for page in pages}
        fields = {field["name"]: field for field in extraction["fields"]}
        assert fields["invoice number"]["value"] == "HS-7781"
        assert fields["invoice date"]["value"] == "2024-04-03"
        assert fields["total amount"]["value"] == {"amount": "1250.00", "currency": "EUR"}
        assert fields["carrier"]["value"] == "Northern Freight"
        assert fields["purchase order"]["status"] == "not_found"
        for name in ("invoice number", "invoice date", "total amount", "carrier"):
            assert fields[name]["status"] == "found"
            (quote,) = fields[name]["evidence"]
            assert quote["quote"] in text[quote["page_no"]]
        for name in ("invoice number", "invoice date", "total amount"):
            assert tuple(fields[name]["source"].values()) == PREBUILT
            x0, y0, x1, y1 = fields[name]["evidence"][0]["bbox"]  # the model's box, on the page
            assert 0 <= x0 < x1 and 0 <= y0 < y1
        # Not a field of the model, or one it did not find: Azure OpenAI was asked.
        for name in ("carrier", "purchase order"):
            assert tuple(fields[name]["source"].values()) == ("azure_openai", "chat")
    finally:
        owner.http.close()
