"""The extraction evaluation set is what the scores rest on: it must be stable, consistent and hold what
its truth says, in the page text and in the PDFs' text layer."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pypdfium2 as pdfium
import pytest
from PIL import Image

from shared.config import LimitsSettings, OcrSettings
from shared.extraction.types import FieldSpec
from shared.pipeline.extract import open_document
from shared.providers.ocr import OcrResult
from testkit.documents import normalise_whitespace
from testkit.extraction_set import SCHEMAS, Document, extraction_set, iban_is_valid, vat_number_is_valid

SET = extraction_set()
MONTHS_EN = ("January", "February", "March", "April", "May", "June", "July", "August", "September",
             "October", "November", "December")  # fmt: skip
MONTHS_DE = ("Januar", "Februar", "März", "April", "Mai", "Juni", "Juli", "August", "September", "Oktober",
             "November", "Dezember")  # fmt: skip
BOOLEAN_PHRASES = {
    True: ("renews automatically for", "verlängert sich automatisch"),
    False: ("does not renew automatically", "endet mit Ablauf der Laufzeit"),
}
PAYMENT_WORDS = {"cash": ("cash", "bar "), "card": ("card", "karte")}


class RefusingOcr:
    name = "none"
    model = "none"

    def recognize(self, image: Image.Image) -> OcrResult:
        raise AssertionError("a page of a text PDF was sent to OCR")


def test_the_set_is_the_same_for_the_same_seed_and_differs_for_another() -> None:
    assert extraction_set() == SET
    assert extraction_set(seed=14) != SET
    assert extraction_set(per_layout=4)[:3] == SET[:3]


def test_the_set_covers_every_doc_type_and_layout_with_varied_formats() -> None:
    assert {d.doc_type for d in SET} == set(SCHEMAS)
    layouts = {(d.doc_type, d.layout) for d in SET}
    assert sum(t == "invoice" for t, _ in layouts) >= 3 and sum(t == "receipt" for t, _ in layouts) >= 2
    assert len({d.name for d in SET}) == len(SET)
    currencies = {v["currency"] for d in SET for v in d.truth.values() if isinstance(v, dict)}
    assert currencies == {"EUR", "GBP", "USD"}
    text = "\n".join(p for d in SET for p in d.pages)
    for mark in ("€", "£", "$", " EUR", " GBP", "Rechnung", "Invoice"):
        assert mark in text
    assert any(v is None for d in SET for v in d.truth.values()), "some fields must be absent"


@pytest.mark.parametrize("document", SET, ids=lambda d: d.name)
def test_truth_has_every_schema_field_normalised_by_type(document: Document) -> None:
    assert [spec.name for spec in document.schema] == list(document.truth)
    for spec in document.schema:
        _check_type(spec, document.truth[spec.name])


def _check_type(spec: FieldSpec, value: Any) -> None:
    if value is None:
        assert not spec.required, spec.name
        return
    match spec.type:
        case "text":
            assert isinstance(value, str) and value == value.strip() and value
        case "number":
            assert isinstance(value, float)
        case "money":
            assert set(value) == {"amount", "currency"}
            assert re.fullmatch(r"\d+\.\d\d", value["amount"]) and value["currency"] in ("EUR", "GBP", "USD")
        case "date":
            assert date.fromisoformat(value).isoformat() == value
        case "boolean":
            assert isinstance(value, bool)
        case "enum":
            assert value in spec.values
        case "list":
            assert isinstance(value, list) and value
            for row in value:
                assert list(row) == [column.name for column in spec.fields]
                for column in spec.fields:
                    _check_type(column, row[column.name])


@pytest.mark.parametrize("document", SET, ids=lambda d: d.name)
def test_every_truth_value_is_printed_in_the_page_text(document: Document) -> None:
    text = "\n".join(document.pages)
    for spec in document.schema:
        value = document.truth[spec.name]
        if value is None:
            continue
        if spec.type == "list":
            for row in value:
                for column in spec.fields:
                    if column.name == "quantity" and row["quantity"] == 1.0 and document.layout == "till":
                        continue  # a till prints a quantity only when it is more than one
                    assert _printed(column, row[column.name], text), (spec.name, column.name, row)
        else:
            assert _printed(spec, value, text), (spec.name, value)


def _printed(spec: FieldSpec, value: Any, text: str) -> bool:
    """Whether `value` appears in `text` in one of the forms documents print such a value in."""
    folded = text.casefold()
    match spec.type:
        case "text":
            grouped = " ".join(value[i : i + 4] for i in range(0, len(value), 4))
            return value.casefold() in folded or grouped in text
        case "number":
            forms = {f"{Decimal(str(value)).normalize():f}"}
            forms |= {form.replace(".", ",") for form in forms}
            return any(re.search(rf"(?<![\d.,]){re.escape(f)}(?![\d,]|\.\d)", text) for f in forms)
        case "money":
            amount = Decimal(value["amount"])
            english = f"{amount:,.2f}"
            german = english.replace(",", " ").replace(".", ",").replace(" ", ".")
            currency = value["currency"]
            symbol = {"EUR": "€", "GBP": "£", "USD": "$"}[currency]
            return (english in text or german in text) and (currency in text or symbol in text)
        case "date":
            day = date.fromisoformat(value)
            forms = {day.isoformat(), f"{day:%d.%m.%Y}", f"{day:%d/%m/%Y}", f"{day:%m/%d/%Y}",
                     f"{day.day} {MONTHS_EN[day.month - 1]} {day.year}",
                     f"{MONTHS_EN[day.month - 1]} {day.day}, {day.year}",
                     f"{day.day}. {MONTHS_DE[day.month - 1]} {day.year}"}  # fmt: skip
            return any(form in text for form in forms)
        case "boolean":
            return any(phrase.casefold() in folded for phrase in BOOLEAN_PHRASES[value])
        case "enum":
            return any(word in folded for word in PAYMENT_WORDS[value])
    raise AssertionError(f"no printed form for {spec.type}")


def test_iban_and_vat_numbers_carry_valid_check_digits() -> None:
    # Published examples, so the validators are checked against something they did not make.
    for valid in ("DE89370400440532013000", "GB82WEST12345698765432", "NL91ABNA0417164300",
                  "FR1420041010050500013M02606"):  # fmt: skip
        assert iban_is_valid(valid)
    assert not iban_is_valid("DE88370400440532013000")
    for valid in ("DE136695976", "NL004495445B01", "FR40303265045", "GB980780684"):
        assert vat_number_is_valid(valid), valid
    assert not vat_number_is_valid("DE136695977")

    ibans = [d.truth["IBAN"] for d in SET if d.truth.get("IBAN")]
    vats = [v for d in SET for k, v in d.truth.items() if "VAT number" in k and v]
    assert len({i[:2] for i in ibans}) >= 3 and len({v[:2] for v in vats}) >= 3
    assert all(iban_is_valid(i) for i in ibans)
    assert all(vat_number_is_valid(v) for v in vats)


def _amount(value: dict[str, str]) -> Decimal:
    return Decimal(value["amount"])


@pytest.mark.parametrize("document", [d for d in SET if d.doc_type != "contract"], ids=lambda d: d.name)
def test_amounts_add_up(document: Document) -> None:
    truth = document.truth
    rows = truth["line items"] or []
    if document.doc_type == "invoice":
        net, tax, total = (_amount(truth[k]) for k in ("net amount", "tax amount", "total amount"))
        assert net + tax == total
        rate = Decimal(str(truth["tax rate"]))
        assert abs(net * rate / 100 - tax) <= Decimal("0.005")
        if rows:
            assert sum(_amount(row["amount"]) for row in rows) == net
            for row in rows:
                quantity = Decimal(str(row["quantity"]))
                assert (quantity * _amount(row["unit price"])).quantize(Decimal("0.01")) == _amount(
                    row["amount"]
                )
    else:
        items = sum(_amount(row["amount"]) for row in rows)
        total, tax = _amount(truth["total"]), _amount(truth["tax amount"])
        assert items == (total - tax if document.country == "US" else total)


def test_the_text_pdf_text_layer_holds_the_page_text(tmp_path: Path) -> None:
    for document in SET:
        path = tmp_path / f"{document.name}.pdf"
        path.write_bytes(document.text_pdf())
        reader = open_document(path, "application/pdf", RefusingOcr(), OcrSettings(), LimitsSettings())
        try:
            pages = list(reader.pages())
        finally:
            reader.close()
        assert [p.source for p in pages] == ["text_layer"] * len(document.pages)
        for page, expected in zip(pages, document.pages, strict=True):
            assert normalise_whitespace(page.text) == normalise_whitespace(expected), document.name


def test_the_scanned_pdf_has_the_same_pages_and_no_text_layer() -> None:
    document = next(d for d in SET if len(d.pages) > 1)
    pdf = pdfium.PdfDocument(document.scanned_pdf())
    try:
        assert len(pdf) == len(document.pages)
        for page in pdf:
            assert page.get_textpage().get_text_range().strip() == ""
    finally:
        pdf.close()
