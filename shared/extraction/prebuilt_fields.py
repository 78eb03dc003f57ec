"""The fields of Document Intelligence's prebuilt models (REST API 2024-11-30), in the words a schema's
fields would use for them.

`says` is what matching reads: a field of a schema takes the model field whose words hold the telling
words of its name (shared/extraction/prebuilt.py), so it lists the field's name and its synonyms
(English; other languages are glossed into English before matching). `kind` is which schema field types
may take it: a money field never takes a tax identifier because both say "tax".
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Kind = Literal["text", "date", "money", "number", "list"]


@dataclass(frozen=True)
class ModelField:
    """A field of a prebuilt model. `path` is its name, or (array, property) for the property of the
    first object of an array ("PaymentDetails", "IBAN"); `columns` are a list's properties."""

    path: tuple[str, ...]
    kind: Kind
    says: str
    columns: tuple[ModelField, ...] = ()

    @property
    def name(self) -> str:
        return ".".join(self.path)


def _field(path: str, kind: Kind, says: str, *columns: ModelField) -> ModelField:
    return ModelField(tuple(path.split(".")), kind, says, columns)


_INVOICE = (
    _field("InvoiceId", "text", "invoice number id reference"),
    _field("InvoiceDate", "date", "invoice date issued issue"),
    _field("DueDate", "date", "due date payment pay by deadline"),
    _field("ServiceStartDate", "date", "service period start begin"),
    _field("ServiceEndDate", "date", "service period end"),
    _field("VendorName", "text", "vendor supplier seller issuer company name"),
    _field("VendorTaxId", "text", "vendor supplier seller vat tax id identification number"),
    _field("VendorAddress", "text", "vendor supplier seller address"),
    _field("CustomerName", "text", "customer client buyer recipient bill to company name"),
    _field("CustomerId", "text", "customer client account number id"),
    _field("CustomerTaxId", "text", "customer client buyer vat tax id identification"),
    _field("CustomerAddress", "text", "customer client buyer billing address"),
    _field("ShippingAddress", "text", "shipping delivery ship to address"),
    _field("PurchaseOrder", "text", "purchase order po reference number"),
    _field("PaymentTerm", "text", "payment terms conditions"),
    _field("SubTotal", "money", "subtotal net amount before tax"),
    _field("TotalDiscount", "money", "discount rebate"),
    _field("TotalTax", "money", "tax vat sales amount charged"),
    _field("InvoiceTotal", "money", "invoice total gross amount tax included"),
    _field("AmountDue", "money", "amount due balance outstanding"),
    _field("PaymentDetails.IBAN", "text", "iban bank account"),
    _field("PaymentDetails.SWIFT", "text", "swift bic bank code"),
    _field("TaxDetails.Rate", "number", "tax vat rate percent"),
    _field(
        "Items",
        "list",
        "line items rows goods services products positions",
        _field("Description", "text", "description item product service article"),
        _field("Quantity", "number", "quantity qty units hours count"),
        _field("UnitPrice", "money", "unit price rate per each"),
        _field("Amount", "money", "amount line row total"),
        _field("ProductCode", "text", "product code article sku"),
        _field("Unit", "text", "unit measure"),
        _field("Date", "date", "date delivery service"),
        _field("Tax", "money", "tax vat"),
        _field("TaxRate", "number", "tax vat rate percent"),
    ),
)

_RECEIPT = (
    _field("MerchantName", "text", "merchant shop store seller business vendor name"),
    _field("MerchantAddress", "text", "merchant shop store address"),
    _field("MerchantPhoneNumber", "text", "merchant shop store phone telephone number"),
    _field("TransactionDate", "date", "transaction purchase receipt sale date"),
    _field("TransactionTime", "text", "transaction purchase receipt time"),
    _field("Subtotal", "money", "subtotal net before tax"),
    _field("TotalTax", "money", "tax vat sales amount"),
    _field("Tip", "money", "tip gratuity"),
    _field("Total", "money", "total paid gross amount"),
    _field(
        "Items",
        "list",
        "line items rows goods products purchases positions",
        _field("Description", "text", "description item product article"),
        _field("Quantity", "number", "quantity qty count units"),
        _field("Price", "money", "unit price each"),
        _field("TotalPrice", "money", "amount total price line row"),
    ),
)

_ID_DOCUMENT = (
    _field("DocumentNumber", "text", "document passport licence license card id number"),
    _field("FirstName", "text", "first given forename name"),
    _field("LastName", "text", "last family surname name"),
    _field("DateOfBirth", "date", "birth born birthday date"),
    _field("DateOfExpiration", "date", "expiry expiration expires valid until date"),
    _field("DateOfIssue", "date", "issue issued date"),
    _field("Sex", "text", "sex gender"),
    _field("Address", "text", "address residence home"),
    _field("CountryRegion", "text", "country region issuing state"),
    _field("Nationality", "text", "nationality citizenship"),
    _field("PlaceOfBirth", "text", "place birth birthplace"),
)

MODELS: dict[str, tuple[ModelField, ...]] = {
    "prebuilt-invoice": _INVOICE,
    "prebuilt-receipt": _RECEIPT,
    "prebuilt-idDocument": _ID_DOCUMENT,
}
