"""Reading raw text as a field's type: the same rules for every extraction provider."""

from __future__ import annotations

import pytest

from shared.extraction.types import Evidence, FieldSpec
from shared.extraction.values import (
    Conventions,
    conventions,
    field_value,
    read,
    read_boolean,
    read_date,
    read_enum,
    read_money,
    read_number,
)


@pytest.mark.parametrize(
    ("raw", "day_first", "iso"),
    [
        ("2024-04-30", True, "2024-04-30"),
        ("30.04.2024", False, "2024-04-30"),  # dotted dates are day first everywhere
        ("03/04/2024", True, "2024-04-03"),
        ("03/04/2024", False, "2024-03-04"),
        ("30/04/2024", False, "2024-04-30"),  # unambiguous whatever the document says
        ("30 April 2024", True, "2024-04-30"),
        ("April 30, 2024", True, "2024-04-30"),
        ("1st Sept 2024", True, "2024-09-01"),
        ("30. März 2024", True, "2024-03-30"),
        ("12/03/24", True, "2024-03-12"),
        ("Due: 11.04.2024", True, "2024-04-11"),
        ("31.02.2024", True, None),  # no such day
        ("March 2024", True, None),  # no day: not a date to store
        ("tomorrow", True, None),
        ("2024", True, None),
        ("12.03.2024 and 13.03.2024", True, None),
        ("01.01.1850", True, None),
    ],
)
def test_dates(raw, day_first, iso):
    assert read_date(raw, day_first=day_first) == iso


@pytest.mark.parametrize(
    ("raw", "decimal", "value"),
    [
        ("1.234,56", None, "1234.56"),
        ("1,234.56", None, "1234.56"),
        ("1 234,5", None, "1234.5"),
        ("1'250.00", None, "1250.00"),
        ("12", None, "12"),
        ("-12,50", None, "-12.50"),
        ("(12.00)", None, "-12.00"),
        ("1.234", None, "1234"),  # a lone separator before three digits groups thousands...
        ("1.234", ".", "1.234"),  # ...unless the document writes its decimals with "."
        ("1,234", ",", "1.234"),
        ("12,5", ".", "12.5"),  # a group of thousands has three digits
        ("1.234.567,89", None, "1234567.89"),
        ("1,23,456.50", None, "123456.50"),
        ("0,125", None, "0.125"),
        ("1,5.3", None, None),
        ("1.2.3", None, None),
        ("12abc", None, None),
        ("", None, None),
        ("9" * 41, None, None),
        ("٣", None, "3"),  # digits of other scripts are digits
    ],
)
def test_numbers(raw, decimal, value):
    number = read_number(raw, decimal)
    assert (None if number is None else str(number)) == value


@pytest.mark.parametrize(
    ("raw", "money"),
    [
        ("EUR 1.234,56", ("1234.56", "EUR")),
        ("1.234,56 €", ("1234.56", "EUR")),
        ("€ -5", ("-5.00", "EUR")),
        ("$3.5", ("3.50", "USD")),
        ("£1,000", ("1000.00", "GBP")),
        ("CHF 1'250.00", ("1250.00", "CHF")),
        ("1234.5 usd", ("1234.50", "USD")),
        ("0.125 EUR", ("0.125", "EUR")),
        ("12.00", ("12.00", None)),
        ("XYZ 12", None),
        ("12 EUR 13 USD", None),
        ("EUR", None),
        ("free", None),
    ],
)
def test_money(raw, money):
    value = read_money(raw)
    assert (None if value is None else (value["amount"], value["currency"])) == money


def test_document_conventions_come_from_its_unambiguous_values():
    german = conventions(["Summe 1.234,56 EUR", "am 04.03.2024"])
    assert german == Conventions(day_first=True, decimal=",")
    american = conventions(["Total $1,234.56 due 04/30/2024"])
    assert american == Conventions(day_first=False, decimal=".")
    assert conventions(["no numbers"], day_first_default=False) == Conventions(day_first=False, decimal=None)
    assert conventions([]) == Conventions()


@pytest.mark.parametrize(
    ("raw", "value"),
    [
        ("Yes", True), ("no", False), ("TRUE", True), ("false", False), ("x", True), ("[x]", True),
        ("[ ]", False), ("☒", True), ("☐", False), ("✓", True), ("checked", True), ("Ja", True),
        ("nein", False), ("maybe", None), ("", None),
    ],
)  # fmt: skip
def test_booleans(raw, value):
    assert read_boolean(raw) is value


def test_enum_matches_a_declared_value_ignoring_case_accents_and_spacing():
    choices = ("Paid", "Partially paid", "Überfällig")
    assert read_enum("paid", choices) == "Paid"
    assert read_enum("  PARTIALLY   paid ", choices) == "Partially paid"
    assert read_enum("uberfallig", choices) == "Überfällig"
    assert read_enum("partially-paid", choices) == "Partially paid"
    assert read_enum("unpaid", choices) is None
    assert read_enum("", choices) is None
    assert read_enum("paid", ()) is None


def test_field_values_are_found_or_need_review_with_the_raw_text_kept():
    evidence = (Evidence(1, "Total: 12,50 €"),)
    total = FieldSpec("total", "money")
    found = field_value(total, "12,50 €", 0.9, evidence)
    assert (found.status, found.value, found.raw, found.evidence) == (
        "found",
        {"amount": "12.50", "currency": "EUR"},
        "12,50 €",
        evidence,
    )
    unreadable = field_value(total, "twelve fifty", 0.9, evidence)
    assert (unreadable.status, unreadable.value, unreadable.raw) == ("needs_review", None, "twelve fifty")
    assert field_value(total, "12", 7.0).confidence == 1.0


@pytest.mark.parametrize(
    "spec",
    [
        FieldSpec("t", "text"), FieldSpec("n", "number"), FieldSpec("m", "money"), FieldSpec("d", "date"),
        FieldSpec("b", "boolean"), FieldSpec("e", "enum", values=("A",)), FieldSpec("l", "list"),
    ],
)  # fmt: skip
@pytest.mark.parametrize(
    "raw", ["", "   ", "\x00", "💥" * 50, "9" * 5000, "1e400", "--", "()", "1/0/0", "NaN", "inf", "½"]
)
def test_hostile_input_never_raises(spec, raw):
    reading = read(raw, spec)
    assert reading.ok is (reading.value is not None)
    if spec.type == "number" and reading.ok:
        assert reading.value == reading.value and abs(reading.value) != float("inf")


def test_each_type_reads_its_own_kind_of_text():
    conv = Conventions(day_first=False, decimal=".")
    assert read(" ACME GmbH \n", FieldSpec("t", "text")).value == "ACME GmbH"
    assert read("1,234.5", FieldSpec("n", "number"), conv).value == 1234.5
    assert read("1.234", FieldSpec("n", "number"), conv).value == 1.234
    assert read("04/05/2024", FieldSpec("d", "date"), conv).value == "2024-04-05"
    assert read("yes", FieldSpec("b", "boolean")).value is True
    assert read("no", FieldSpec("b", "boolean")).value is False
    assert read("gold", FieldSpec("e", "enum", values=("Gold", "Silver"))).value == "Gold"
    assert not read("rows", FieldSpec("l", "list")).ok
