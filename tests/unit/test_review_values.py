"""A person's correction is checked against its field's type before it is kept."""

from __future__ import annotations

import pytest

from shared.extraction.errors import InvalidValue
from shared.extraction.export import content_disposition, neutralise
from shared.extraction.review import check_value
from shared.extraction.types import FieldSpec

TEXT = FieldSpec("supplier", "text")
NUMBER = FieldSpec("quantity", "number")
MONEY = FieldSpec("net amount", "money")
DATE = FieldSpec("due date", "date")
BOOLEAN = FieldSpec("paid", "boolean")
ENUM = FieldSpec("terms", "enum", values=("net 30", "net 60"))
LINES = FieldSpec(
    "line items",
    "list",
    fields=(FieldSpec("description", "text"), FieldSpec("amount", "money"), FieldSpec("qty", "number")),
)


@pytest.mark.parametrize(
    ("spec", "given", "kept"),
    [
        (TEXT, "  ACME GmbH ", "ACME GmbH"),
        (NUMBER, 3, 3.0),
        (NUMBER, 2.5, 2.5),
        (NUMBER, "1.234,5", 1234.5),
        (MONEY, {"amount": "1234.5", "currency": "eur"}, {"amount": "1234.50", "currency": "EUR"}),
        (MONEY, {"amount": "-12.345", "currency": None}, {"amount": "-12.345", "currency": None}),
        (MONEY, {"amount": "7"}, {"amount": "7.00", "currency": None}),
        (MONEY, "1.234,50 €", {"amount": "1234.50", "currency": "EUR"}),
        (DATE, "2026-02-28", "2026-02-28"),
        (DATE, "28 February 2026", "2026-02-28"),
        (BOOLEAN, False, False),
        (BOOLEAN, "yes", True),
        (ENUM, "net 60", "net 60"),
        (ENUM, "NET 30", "net 30"),
        (TEXT, None, None),
        (MONEY, None, None),
        (
            LINES,
            [{"description": "Bolts", "amount": "3,00 EUR", "qty": 2}, {"description": "Nuts"}],
            [
                {"description": "Bolts", "amount": {"amount": "3.00", "currency": "EUR"}, "qty": 2.0},
                {"description": "Nuts", "amount": None, "qty": None},
            ],
        ),
        (LINES, [], []),
    ],
)
def test_a_value_of_the_type_is_kept_normalised(spec: FieldSpec, given: object, kept: object) -> None:
    assert check_value(spec, given) == kept


@pytest.mark.parametrize(
    ("spec", "given"),
    [
        (TEXT, 12),
        (TEXT, "   "),
        (TEXT, "x" * 5000),
        (NUMBER, True),
        (NUMBER, "twelve"),
        (NUMBER, float("inf")),
        (NUMBER, [1]),
        (MONEY, 12.5),
        (MONEY, {"amount": "1e5", "currency": "EUR"}),
        (MONEY, {"amount": "NaN"}),
        (MONEY, {"amount": "12.00", "currency": "XYZ"}),
        (MONEY, {"amount": "12.00", "currency": "EUR", "note": "x"}),
        (MONEY, {"currency": "EUR"}),
        (MONEY, {"amount": True}),
        (MONEY, "a lot"),
        (DATE, "2026-02-30"),
        (DATE, "2026-2-3x"),
        (DATE, 20260228),
        (BOOLEAN, 1),
        (BOOLEAN, "maybe"),
        (ENUM, "net 90"),
        (ENUM, 30),
        (LINES, {"description": "Bolts"}),
        (LINES, ["Bolts"]),
        (LINES, [{"colour": "red"}]),
        (LINES, [{"description": "Bolts", "qty": "many"}]),
    ],
)
def test_anything_else_is_refused_naming_the_field(spec: FieldSpec, given: object) -> None:
    with pytest.raises(InvalidValue) as caught:
        check_value(spec, given)
    error = caught.value
    assert error.code == "invalid_value"
    assert error.extra["field"] == spec.name
    assert spec.name in error.detail
    assert error.extra["errors"][0]["loc"][:2] == ["body", "value"]


def test_a_bad_cell_is_located_in_its_row_and_column() -> None:
    with pytest.raises(InvalidValue) as caught:
        check_value(LINES, [{"description": "ok"}, {"description": "Bolts", "qty": "many"}])
    assert caught.value.extra["errors"][0]["loc"] == ["body", "value", 1, "qty"]
    assert "row 1" in caught.value.detail


@pytest.mark.parametrize(
    ("cell", "shown"),
    [
        ("=SUM(A1:A9)", "'=SUM(A1:A9)"),
        ("+1 555 0100", "'+1 555 0100"),
        ("-cmd", "'-cmd"),
        ("@import", "'@import"),
        ("\tx", "'\tx"),
        ("-12.50", "-12.50"),
        ("ACME", "ACME"),
    ],
)
def test_csv_cells_never_start_a_formula(cell: str, shown: str) -> None:
    assert neutralise(cell) == shown


def test_the_download_name_is_safe_and_exact() -> None:
    header = content_disposition('Invoices "Q1"/Ärger.csv')
    assert header.startswith('attachment; filename="Invoices _Q1___rger.csv"; ')
    assert header.endswith("filename*=UTF-8''Invoices%20%22Q1%22%2F%C3%84rger.csv")
