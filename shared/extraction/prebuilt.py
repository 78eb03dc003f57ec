"""Document Intelligence's prebuilt models as the first reader of a schema's fields.

Where the document's classification label names a prebuilt model (AZURE_DOCUMENT_INTELLIGENCE_
EXTRACTION_MODELS, e.g. invoice -> prebuilt-invoice), the schema's fields are matched to the model's by
name and description: a field takes the model field of a compatible type whose words hold most of the
telling words of its name ("supplier VAT number" -> VendorTaxId), each model field serving one schema
field, best matches first. The model's value for a matched field becomes its value with the model's
confidence and box; every field it does not match, does not find or gives text the page does not hold is
read by the extraction provider (OpenAI, Azure OpenAI or local), and each value says which of the two
found it.

The model's word is checked like any provider's: its text must be on the page it names in the stored
page text (evidence.verify: the stored text may come from other OCR than the model's), else the provider
is asked, and the model's value is kept for review only where the provider finds nothing; its text is
read as the field's type by
`values.field_value` with the document's conventions, the model's own typed value filling what that
cannot read (a currency the amount does not print, a date in a form the reader does not know).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from decimal import Decimal, InvalidOperation
from typing import Any

from shared.extraction import evidence, values
from shared.extraction.prebuilt_fields import MODELS, Kind, ModelField
from shared.extraction.types import Extractor, FieldSpec, FieldValue, PageText
from shared.extraction.words import GENERIC, field_name, field_text, gloss, words

PROVIDER = "azure_document_intelligence"
# Below this a model field does not name the schema's field: at least half its telling name words.
MATCH_FLOOR = 0.5
# A value whose text is not on the page the model names: not trusted, sent to review.
NOT_ON_PAGE = 0.2
# The model gave no confidence for a value it found.
UNRATED = 0.5

# Which kinds of model field each schema field type takes.
_TAKES: dict[str, frozenset[Kind]] = {
    "text": frozenset({"text"}),
    "date": frozenset({"date"}),
    "money": frozenset({"money"}),
    "number": frozenset({"number"}),
    "list": frozenset({"list"}),
}


def score(spec: FieldSpec, field: ModelField) -> float:
    """How plainly `field` is the schema field `spec`: the share of the name's telling words the model
    field's words hold, then how much of the name and description they share."""
    if field.kind not in _TAKES.get(spec.type, frozenset()):
        return 0.0
    # A word said in another language counts by its English ("Rechnungsnummer": invoice number).
    name = {word for word in words(field_name(spec)) if gloss(word) == word} or words(field_name(spec))
    telling = (name - GENERIC) or name
    says = words(field.says)
    if not telling:
        return 0.0
    named = len(telling & says) / len(telling)
    if named < MATCH_FLOOR:
        return 0.0
    text = words(field_text(spec))
    return 0.7 * named + 0.3 * (len(text & says) / len(text))


def match(fields: Sequence[FieldSpec], candidates: Sequence[ModelField]) -> dict[str, ModelField]:
    """Schema field name -> the model field that answers it; best pairs first, each used once."""
    pairs = sorted(
        ((score(spec, field), i, j) for i, spec in enumerate(fields) for j, field in enumerate(candidates)),
        key=lambda pair: (-pair[0], pair[1], pair[2]),
    )
    chosen: dict[str, ModelField] = {}
    used: set[int] = set()
    for value, i, j in pairs:
        if value < MATCH_FLOOR:
            break
        if fields[i].name in chosen or j in used:
            continue
        chosen[fields[i].name] = candidates[j]
        used.add(j)
    return chosen


def matches_any(fields: Sequence[FieldSpec], model_id: str) -> bool:
    """Whether the model has a field for any of `fields`: only then is the document sent to it."""
    return bool(match(fields, MODELS.get(model_id, ())))


@dataclass(frozen=True)
class _Geometry:
    """A page of the analysis: its size in its unit, to scale boxes onto the stored page."""

    width: float
    height: float


class PrebuiltExtractor:
    """The prebuilt model's fields first, `fallback` for the rest. `analysis` is the model's
    AnalyzeResult (REST names), for the same document as the pages."""

    name = PROVIDER

    def __init__(self, model_id: str, analysis: dict[str, Any], fallback: Extractor) -> None:
        self.model = model_id
        self.fallback = fallback
        self._fields = MODELS[model_id]
        documents = analysis.get("documents") or []
        first = documents[0] if documents and isinstance(documents[0], dict) else {}
        self._found: dict[str, Any] = first.get("fields") or {}
        self._geometry = {
            page["pageNumber"]: _Geometry(float(page.get("width") or 0), float(page.get("height") or 0))
            for page in analysis.get("pages") or ()
            if isinstance(page, dict) and "pageNumber" in page
        }

    def __repr__(self) -> str:
        return f"PrebuiltExtractor(model={self.model!r}, fallback={self.fallback!r})"

    def extract(self, pages: list[PageText], fields: list[FieldSpec]) -> list[FieldValue]:
        conv = values.conventions(page.text for page in pages)
        by_number = {page.page_no: page for page in pages}
        source = (PROVIDER, self.model)
        found: dict[str, FieldValue] = {}
        # The model's values that need a person (text not on the page, say): the provider is asked
        # too, and one of these is kept only where the provider finds nothing.
        doubtful: dict[str, FieldValue] = {}
        matched = match(fields, self._fields)
        for spec in fields:
            field = matched.get(spec.name)
            if field is None:
                continue
            value = replace(self._value(spec, field, by_number, conv), source=source)
            if value.status == "found":
                found[spec.name] = value
            elif value.status == "needs_review":
                doubtful[spec.name] = value
        rest = [spec for spec in fields if spec.name not in found]
        if rest:
            fallback = (self.fallback.name, self.fallback.model)
            for spec, value in zip(rest, self.fallback.extract(pages, rest), strict=True):
                if value.status == "not_found" and spec.name in doubtful:
                    value = doubtful[spec.name]
                found[spec.name] = replace(value, source=value.source or fallback)
        return [found[spec.name] for spec in fields]

    def _value(
        self, spec: FieldSpec, field: ModelField, pages: dict[int, PageText], conv: values.Conventions
    ) -> FieldValue:
        entry = self._entry(field.path)
        if spec.type != "list":
            return self._scalar(spec, entry, pages, conv)
        columns = match([sub for sub in spec.fields if sub.type != "list"], field.columns)
        rows: list[tuple[FieldValue, ...]] = []
        for element in _array(entry):
            cells = element.get("valueObject") if isinstance(element, dict) else None
            cells = cells if isinstance(cells, dict) else {}
            row = tuple(
                self._scalar(sub, cells.get(columns[sub.name].path[0]), pages, conv)
                if sub.name in columns
                else values.not_found(sub)
                for sub in spec.fields
                if sub.type != "list"
            )
            if any(cell.status != "not_found" for cell in row):
                rows.append(row)
        return values.list_value(spec, rows)

    def _entry(self, path: tuple[str, ...]) -> Any:
        entry = self._found.get(path[0])
        for name in path[1:]:
            first = next(iter(_array(entry)), None)
            inner = first.get("valueObject") if isinstance(first, dict) else None
            entry = inner.get(name) if isinstance(inner, dict) else None
        return entry

    def _scalar(
        self, spec: FieldSpec, entry: Any, pages: dict[int, PageText], conv: values.Conventions
    ) -> FieldValue:
        if not isinstance(entry, dict):
            return values.not_found(spec)
        content = entry.get("content")
        text = content if isinstance(content, str) and content.strip() else entry.get("valueString")
        if not isinstance(text, str) or not text.strip():
            return values.not_found(spec)
        text = text.strip()
        confidence = entry.get("confidence")
        confidence = float(confidence) if isinstance(confidence, int | float) else UNRATED
        regions = [r for r in entry.get("boundingRegions") or () if isinstance(r, dict)]
        page = next((pages[r["pageNumber"]] for r in regions if r.get("pageNumber") in pages), None)
        quote = evidence.verify(text, page) if page is not None else None
        if quote is None:
            # Text the stored pages do not hold: the value is not trusted and goes to review.
            value = values.field_value(spec, text, min(confidence, NOT_ON_PAGE), (), conv)
            return replace(value, status="needs_review")
        region = next(r for r in regions if r.get("pageNumber") == quote.page_no)
        quote = replace(quote, bbox=self._box(region, page) or quote.bbox)  # type: ignore[arg-type]
        return _typed(values.field_value(spec, text, confidence, (quote,), conv), spec, entry)

    def _box(self, region: dict[str, Any], page: PageText) -> tuple[float, float, float, float] | None:
        """The region's polygon as a box on the stored page's image (the model measures PDF pages in
        inches, images in pixels)."""
        polygon = region.get("polygon") or []
        size = self._geometry.get(region.get("pageNumber", 0))
        if len(polygon) < 4 or size is None or not size.width or not page.width or not page.height:
            return None
        sx, sy = page.width / size.width, page.height / size.height
        xs, ys = polygon[0::2], polygon[1::2]
        return (
            round(min(xs) * sx, 1),
            round(min(ys) * sy, 1),
            round(max(xs) * sx, 1),
            round(max(ys) * sy, 1),
        )


def _array(entry: Any) -> list[Any]:
    items = entry.get("valueArray") if isinstance(entry, dict) else None
    return items if isinstance(items, list) else []


def _typed(value: FieldValue, spec: FieldSpec, entry: dict[str, Any]) -> FieldValue:
    """What the model's typed value adds to reading its text: the currency the amount did not print,
    and the value itself where the text could not be read as the type."""
    given = entry.get("valueCurrency")
    currency: dict[str, Any] = given if isinstance(given, dict) else {}
    code = currency.get("currencyCode")
    if spec.type == "money" and isinstance(value.value, dict) and not value.value.get("currency") and code:
        return replace(value, value={**value.value, "currency": str(code).upper()})
    if value.status != "needs_review" or value.value is not None:
        return value
    typed: Any = None
    if spec.type == "date" and isinstance(entry.get("valueDate"), str):
        typed = entry["valueDate"]
    elif spec.type == "money" and isinstance(currency.get("amount"), int | float):
        typed = {"amount": _decimal(currency["amount"]), "currency": str(code).upper() if code else None}
    elif spec.type == "number" and isinstance(entry.get("valueNumber"), int | float):
        typed = float(entry["valueNumber"])
    if typed is None or (isinstance(typed, dict) and typed["amount"] is None):
        return value
    return replace(value, value=typed, status="found")


def _decimal(amount: float) -> str | None:
    try:
        return str(Decimal(str(amount)).quantize(Decimal("0.01")))
    except InvalidOperation:
        return None
