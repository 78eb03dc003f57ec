"""The base of every request and response body (each domain's `schemas.py`)."""

from __future__ import annotations

from typing import Any, Self

from pydantic import BaseModel, ConfigDict


class Schema(BaseModel):
    """A body the API reads or writes; views read their fields from ORM rows and dataclasses by name."""

    model_config = ConfigDict(from_attributes=True)

    @classmethod
    def from_row(cls, row: object, **given: Any) -> Self:
        """The view of `row`: `given` supplies what the row does not hold as the view shows it (a value
        computed from its columns, the caller's role, related rows); every other field is read from the
        row's attribute of the same name."""
        return cls.model_validate(_Given(row, given) if given else row)


class _Given:
    """`row` with some attributes supplied from outside it, for validation from attributes."""

    __slots__ = ("_given", "_row")

    def __init__(self, row: object, given: dict[str, Any]) -> None:
        self._row = row
        self._given = given

    def __getattr__(self, name: str) -> Any:
        if name in self._given:
            return self._given[name]
        return getattr(self._row, name)
