"""What a user says an extraction schema is: named, typed fields, checked before anything is stored.

A definition is refused whole with every fault located (`loc`) and the field named in the message, so
the web app can point at the field and an API caller can fix a generated definition without guessing.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from typing import Annotated, Any, Literal

from pydantic import ConfigDict, Field, StringConstraints, ValidationInfo, field_validator

from shared.extraction.types import FIELD_TYPES, FieldSpec, FieldType
from shared.schemas import Schema

MAX_FIELDS = 100
MAX_COLUMNS = 50  # of a list field's line items
MAX_ENUM_VALUES = 100
MAX_NAME_CHARS = 100
MAX_DESCRIPTION_CHARS = 1000
MAX_VALUE_CHARS = 200
MAX_SCHEMA_NAME_CHARS = 200
MAX_LABEL_CHARS = 64
DEFAULT_REVIEW_THRESHOLD = 0.6

# Names become CSV headers, JSON keys and the property names of a model's structured output: no control
# characters, nothing but spaces at either end.
_PRINTABLE = r"^[^\x00-\x1f\x7f]+$"
_FieldName = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_NAME_CHARS, pattern=_PRINTABLE),
]
_Description = Annotated[str, StringConstraints(strip_whitespace=True, max_length=MAX_DESCRIPTION_CHARS)]
_EnumValue = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_VALUE_CHARS, pattern=_PRINTABLE),
]
SchemaName = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True, min_length=1, max_length=MAX_SCHEMA_NAME_CHARS, pattern=_PRINTABLE
    ),
]
ReviewThreshold = Annotated[
    float,
    Field(
        ge=0,
        le=1,
        description="A value found with a confidence below this is marked for review (`needs_review`).",
    ),
]


def _unique_names(names: Sequence[str], what: str) -> None:
    seen: dict[str, str] = {}
    for name in names:
        key = name.casefold()
        if key in seen:
            raise ValueError(
                f"{what} {name!r} is there twice (as {seen[key]!r} too); names are compared ignoring case"
            )
        seen[key] = name


def _known_type(kind: object, info: ValidationInfo) -> object:
    if isinstance(kind, str) and kind not in FIELD_TYPES:
        name = info.data.get("name", "?")
        raise ValueError(f"field {name!r} has the unknown type {kind!r}; types are {', '.join(FIELD_TYPES)}")
    return kind


def _check_values(values: list[str] | None, info: ValidationInfo) -> list[str] | None:
    kind, name = info.data.get("type"), info.data.get("name", "?")
    if kind is None:  # the type itself was refused; that error says enough
        return values
    if kind == "enum":
        if not values:
            raise ValueError(f"field {name!r} is an enum: give its values")
        _unique_names(values, f"the value of {name!r}")
    elif values is not None:
        raise ValueError(f"field {name!r} is {kind}, not enum: only an enum has values")
    return values


class ColumnIn(Schema):
    """A column of a list field's line items: any type but a list."""

    model_config = ConfigDict(extra="forbid")

    name: _FieldName = Field(examples=["amount"])
    type: FieldType
    description: _Description = ""
    required: bool = False
    values: Annotated[list[_EnumValue], Field(max_length=MAX_ENUM_VALUES)] | None = Field(
        None, validate_default=True, description="The allowed values; only, and required, for enum."
    )

    @field_validator("type", mode="before")
    @classmethod
    def _known(cls, kind: object, info: ValidationInfo) -> object:
        return _known_type(kind, info)

    @field_validator("type")
    @classmethod
    def _flat(cls, kind: FieldType, info: ValidationInfo) -> FieldType:
        if kind == "list":
            name = info.data.get("name", "?")
            raise ValueError(f"column {name!r} cannot be a list: line items nest one level deep")
        return kind

    @field_validator("values")
    @classmethod
    def _values(cls, values: list[str] | None, info: ValidationInfo) -> list[str] | None:
        return _check_values(values, info)


class FieldIn(Schema):
    """A field to find in each document. A `list` holds line items: rows of the columns in `fields`."""

    model_config = ConfigDict(extra="forbid")

    name: _FieldName = Field(examples=["net amount"])
    type: FieldType
    description: _Description = Field("", description="What to look for, in words; matching reads it.")
    required: bool = False
    values: Annotated[list[_EnumValue], Field(max_length=MAX_ENUM_VALUES)] | None = Field(
        None, validate_default=True, description="The allowed values; only, and required, for enum."
    )
    fields: Annotated[list[ColumnIn], Field(max_length=MAX_COLUMNS)] | None = Field(
        None, validate_default=True, description="The columns of a list's line items; only for list."
    )

    @field_validator("type", mode="before")
    @classmethod
    def _known(cls, kind: object, info: ValidationInfo) -> object:
        return _known_type(kind, info)

    @field_validator("values")
    @classmethod
    def _values(cls, values: list[str] | None, info: ValidationInfo) -> list[str] | None:
        return _check_values(values, info)

    @field_validator("fields")
    @classmethod
    def _columns(cls, columns: list[ColumnIn] | None, info: ValidationInfo) -> list[ColumnIn] | None:
        kind, name = info.data.get("type"), info.data.get("name", "?")
        if kind is None:
            return columns
        if kind == "list":
            if not columns:
                raise ValueError(f"field {name!r} is a list: give the columns of its items in fields")
            _unique_names([column.name for column in columns], f"column of {name!r}")
        elif columns is not None:
            raise ValueError(f"field {name!r} is {kind}, not list: only a list has fields")
        return columns


_Fields = Annotated[list[FieldIn], Field(min_length=1, max_length=MAX_FIELDS)]


class SchemaIn(Schema):
    """A schema as created (`POST`) or replaced (`PUT`: a new version when fields or threshold change)."""

    model_config = ConfigDict(extra="forbid")

    name: SchemaName = Field(examples=["Supplier invoices"])
    fields: _Fields
    apply_to_label: (
        Annotated[str, StringConstraints(strip_whitespace=True, max_length=MAX_LABEL_CHARS)] | None
    ) = Field(
        None,
        description="A classification label (e.g. `invoice`): documents classified so are extracted "
        "with this schema. One of the labels this deployment classifies with.",
    )
    review_threshold: ReviewThreshold = DEFAULT_REVIEW_THRESHOLD

    @field_validator("fields")
    @classmethod
    def _unique(cls, fields: list[FieldIn]) -> list[FieldIn]:
        _unique_names([field.name for field in fields], "field")
        return fields

    @field_validator("apply_to_label")
    @classmethod
    def _blank_is_none(cls, label: str | None) -> str | None:
        return label or None

    def definition(self) -> dict[str, Any]:
        """What a version stores: the fields and the review threshold, as JSON."""
        return {
            "fields": [field.model_dump(mode="json", exclude_none=True) for field in self.fields],
            "review_threshold": self.review_threshold,
        }


class FieldOut(Schema):
    """A field as stored. Not re-checked against today's limits: a version stays readable as it was made."""

    name: str
    type: FieldType
    description: str = ""
    required: bool = False
    values: list[str] | None = None
    fields: list[FieldOut] | None = None


class Definition(Schema):
    """A version's definition, the JSON it is stored as and what extraction runs with."""

    fields: list[FieldOut]
    review_threshold: float = DEFAULT_REVIEW_THRESHOLD

    def specs(self) -> tuple[FieldSpec, ...]:
        return to_specs(self.fields)


def to_specs(fields: Sequence[FieldIn | ColumnIn | FieldOut]) -> tuple[FieldSpec, ...]:
    """The fields as the extractors take them."""
    return tuple(
        FieldSpec(
            name=field.name,
            type=field.type,
            description=field.description,
            required=field.required,
            values=tuple(field.values or ()),
            fields=to_specs(getattr(field, "fields", None) or ()),
        )
        for field in fields
    )


Role = Literal["owner", "editor", "viewer"]


class SchemaOut(Schema):
    id: uuid.UUID
    name: str
    version: int = Field(description="The version shown: the current one unless `?version=` asked")
    current_version: int
    fields: list[FieldOut]
    apply_to_label: str | None
    review_threshold: float
    role: Role = Field(description="the caller's role on the schema")
    created_at: dt.datetime
    updated_at: dt.datetime


class SchemaSummaryOut(Schema):
    """A row of the schemas list: the schema without its fields."""

    id: uuid.UUID
    name: str
    version: int
    field_count: int
    apply_to_label: str | None
    role: Role
    created_at: dt.datetime
    updated_at: dt.datetime


class SchemaList(Schema):
    items: list[SchemaSummaryOut]
    next_cursor: str | None


class SchemaVersionOut(Schema):
    version: int
    field_count: int
    review_threshold: float
    created_at: dt.datetime
    created_by: str | None = Field(description="the user id (the identity provider's subject) who made it")


class SchemaVersionList(Schema):
    items: list[SchemaVersionOut]
    next_cursor: None = None
