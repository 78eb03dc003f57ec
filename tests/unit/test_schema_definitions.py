"""A schema definition is checked whole before anything is stored: each fault is located and names its
field, and a good definition becomes the FieldSpecs every extractor takes."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from shared.extraction.definitions import (
    DEFAULT_REVIEW_THRESHOLD,
    MAX_COLUMNS,
    MAX_FIELDS,
    Definition,
    SchemaIn,
)
from shared.extraction.errors import UnknownLabel
from shared.extraction.schemas_service import known_label
from shared.extraction.types import FieldSpec

INVOICE: dict[str, Any] = {
    "name": "Supplier invoices",
    "fields": [
        {
            "name": "invoice number",
            "type": "text",
            "description": "the supplier's reference",
            "required": True,
        },
        {"name": "net amount", "type": "money"},
        {"name": "due date", "type": "date"},
        {"name": "paid", "type": "boolean"},
        {"name": "payment terms", "type": "enum", "values": ["net 30", "net 60"]},
        {
            "name": "line items",
            "type": "list",
            "description": "one row per product",
            "fields": [
                {"name": "description", "type": "text"},
                {"name": "quantity", "type": "number"},
                {"name": "unit", "type": "enum", "values": ["pcs", "kg"]},
            ],
        },
    ],
    "apply_to_label": "invoice",
}


def errors_of(body: dict[str, Any]) -> list[tuple[tuple[int | str, ...], str]]:
    with pytest.raises(ValidationError) as caught:
        SchemaIn.model_validate(body)
    return [(tuple(error["loc"]), error["msg"]) for error in caught.value.errors()]


def with_fields(*fields: dict[str, Any]) -> dict[str, Any]:
    return {"name": "s", "fields": list(fields)}


def test_a_nested_definition_becomes_field_specs() -> None:
    schema = SchemaIn.model_validate(INVOICE)
    assert schema.review_threshold == DEFAULT_REVIEW_THRESHOLD
    stored = schema.definition()
    specs = Definition.model_validate(stored).specs()
    assert specs[0] == FieldSpec("invoice number", "text", "the supplier's reference", required=True)
    assert specs[4].values == ("net 30", "net 60")
    lines = specs[5]
    assert lines.type == "list" and [c.name for c in lines.fields] == ["description", "quantity", "unit"]
    assert lines.fields[2] == FieldSpec("unit", "enum", values=("pcs", "kg"))
    # Stored without the members a type does not use, and read back the same.
    assert "values" not in stored["fields"][0] and "fields" not in stored["fields"][0]
    assert Definition.model_validate(stored).model_dump(mode="json", exclude_none=True) == stored


def test_names_are_trimmed() -> None:
    schema = SchemaIn.model_validate(with_fields({"name": "  total  ", "type": "money"}) | {"name": " s "})
    assert schema.name == "s" and schema.fields[0].name == "total"


@pytest.mark.parametrize(
    ("fields", "loc", "words"),
    [
        (
            [{"name": "Total", "type": "money"}, {"name": "total ", "type": "number"}],
            ("fields",),
            "'total' is there twice",
        ),
        ([{"name": "  ", "type": "text"}], ("fields", 0, "name"), "at least 1 character"),
        ([{"name": "", "type": "text"}], ("fields", 0, "name"), "at least 1 character"),
        ([{"name": "x" * 101, "type": "text"}], ("fields", 0, "name"), "at most 100"),
        ([{"name": "a\nb", "type": "text"}], ("fields", 0, "name"), "pattern"),
        ([{"name": "amount", "type": "currency"}], ("fields", 0, "type"), "'amount' has the unknown type"),
        ([{"name": "amount"}], ("fields", 0, "type"), "Field required"),
        ([{"name": "status", "type": "enum"}], ("fields", 0, "values"), "'status' is an enum"),
        ([{"name": "status", "type": "enum", "values": []}], ("fields", 0, "values"), "'status' is an enum"),
        (
            [{"name": "status", "type": "enum", "values": ["open", "Open"]}],
            ("fields", 0, "values"),
            "'Open' is there twice",
        ),
        (
            [{"name": "status", "type": "enum", "values": [" "]}],
            ("fields", 0, "values", 0),
            "at least 1 character",
        ),
        (
            [{"name": "note", "type": "text", "values": ["a"]}],
            ("fields", 0, "values"),
            "'note' is text, not enum",
        ),
        ([{"name": "lines", "type": "list"}], ("fields", 0, "fields"), "'lines' is a list"),
        ([{"name": "lines", "type": "list", "fields": []}], ("fields", 0, "fields"), "'lines' is a list"),
        (
            [{"name": "note", "type": "text", "fields": [{"name": "a", "type": "text"}]}],
            ("fields", 0, "fields"),
            "'note' is text, not list",
        ),
        (
            [
                {
                    "name": "lines",
                    "type": "list",
                    "fields": [{"name": "sub", "type": "list", "fields": [{"name": "a", "type": "text"}]}],
                }
            ],
            ("fields", 0, "fields", 0, "type"),
            "column 'sub' cannot be a list",
        ),
        (
            [
                {
                    "name": "lines",
                    "type": "list",
                    "fields": [{"name": "a", "type": "text"}, {"name": "A", "type": "date"}],
                }
            ],
            ("fields", 0, "fields"),
            "column of 'lines' 'A' is there twice",
        ),
        (
            [{"name": "lines", "type": "list", "fields": [{"name": "qty", "type": "numeric"}]}],
            ("fields", 0, "fields", 0, "type"),
            "'qty' has the unknown type",
        ),
        (
            [{"name": "d", "type": "text", "description": "x" * 1001}],
            ("fields", 0, "description"),
            "at most 1000",
        ),
        ([{"name": "d", "type": "text", "options": ["a"]}], ("fields", 0, "options"), "Extra inputs"),
    ],
)
def test_a_bad_field_is_located_and_named(
    fields: list[dict[str, Any]], loc: tuple[Any, ...], words: str
) -> None:
    found = errors_of(with_fields(*fields))
    assert any(error_loc == loc and words in msg for error_loc, msg in found), found


def test_too_many_fields_or_columns() -> None:
    many = [{"name": f"f{i}", "type": "text"} for i in range(MAX_FIELDS + 1)]
    assert errors_of(with_fields(*many))[0][0] == ("fields",)
    SchemaIn.model_validate(with_fields(*many[:MAX_FIELDS]))
    columns = [{"name": f"c{i}", "type": "text"} for i in range(MAX_COLUMNS + 1)]
    assert errors_of(with_fields({"name": "lines", "type": "list", "fields": columns}))[0][0] == (
        "fields",
        0,
        "fields",
    )


@pytest.mark.parametrize(
    ("body", "loc"),
    [
        ({"name": "s", "fields": []}, ("fields",)),
        ({"name": "", "fields": [{"name": "a", "type": "text"}]}, ("name",)),
        ({"name": "x" * 201, "fields": [{"name": "a", "type": "text"}]}, ("name",)),
        ({"fields": [{"name": "a", "type": "text"}]}, ("name",)),
        (
            {"name": "s", "fields": [{"name": "a", "type": "text"}], "review_threshold": 1.5},
            ("review_threshold",),
        ),
        (
            {"name": "s", "fields": [{"name": "a", "type": "text"}], "review_threshold": -0.1},
            ("review_threshold",),
        ),
        (
            {"name": "s", "fields": [{"name": "a", "type": "text"}], "apply_to_label": "x" * 65},
            ("apply_to_label",),
        ),
    ],
)
def test_a_bad_schema_is_located(body: dict[str, Any], loc: tuple[Any, ...]) -> None:
    assert [error_loc for error_loc, _ in errors_of(body)] == [loc]


def test_the_label_is_one_the_deployment_knows() -> None:
    labels = ["invoice", "receipt"]
    assert known_label("Invoice", labels) == "invoice"
    assert known_label(None, labels) is None
    with pytest.raises(UnknownLabel) as caught:
        known_label("menu", labels)
    assert caught.value.extra["labels"] == labels and "apply_to_label" in caught.value.detail
    blank = SchemaIn.model_validate(with_fields({"name": "a", "type": "text"}) | {"apply_to_label": " "})
    assert blank.apply_to_label is None
