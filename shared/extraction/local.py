"""The local extraction provider: no network, no generative model.

Typed candidates are found by patterns (dates, amounts with currencies, numbers, identifiers, emails,
phone numbers, IBANs, VAT numbers, checkbox marks) and given the label written before them on their line
or above them in their column. Each field takes the candidate of a compatible type whose label is most
like the field's name and description (embedding similarity plus word overlap, so an obvious label wins
even where the embeddings of two labels are close); a candidate serves one field. Values that prose
names (a contract's parties, term, law, renewal) and the letterhead's company come from local_phrases.
Line items come from table-like lines (local_rows), their columns mapped to the list's sub-fields by
header; a row's amounts are not candidates for the document's totals. Money written without a currency
takes the one currency the document names, with a little less confidence. A field that no candidate
fits well enough is not_found: nothing is guessed.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

import numpy as np
import numpy.typing as npt

from shared.extraction import local_phrases, patterns, values
from shared.extraction.evidence import box, union
from shared.extraction.local_rows import (
    AMOUNT,
    GAP,
    Cell,
    Layout,
    TokenTable,
    align,
    cell_tables,
    is_label,
    line_cells,
    row_cells,
    text_lines,
    token_tables,
)
from shared.extraction.types import Evidence, FieldSpec, FieldValue, FoundStatus, PageText
from shared.extraction.words import GENERIC, field_name, field_text, gloss, words

Embed = Callable[[list[str]], npt.NDArray[np.floating]]

# Below this match score a candidate is not the field's value at all.
MATCH_FLOOR = 0.42
# A header names a column among few others, in a table already found: a weaker match will do.
COLUMN_FLOOR = 0.3
# Rows without a header to name their columns: read by position alone.
HEADERLESS = 0.5
# Money written without a currency, given the document's one currency: a little less sure.
BARE_CURRENCY = 0.9
# Candidates of other values within this score of the best make the best less certain.
_MARGIN = 0.2
_LABEL_TRIM = " \t:#.-\u2013=>|"

# Kinds of candidate, and how far a pattern alone can be trusted to be of that kind.
_STRENGTH = {
    "iban": 1.0, "email": 1.0, "vat": 0.95, "date": 0.95, "money": 0.95, "phone": 0.9,
    "reference": 0.9, "boolean": 0.9, "enum": 0.9, "number": 0.75, "text": 0.8, "percent": 0.9,
}  # fmt: skip
_KIND_WORDS = {
    "iban": "iban bank account", "email": "email address", "vat": "vat number tax id", "date": "date",
    "money": "amount total price", "phone": "phone telephone number", "reference": "number reference id",
    "boolean": "checkbox", "enum": "", "number": "number quantity", "text": "", "percent": "percent rate",
}  # fmt: skip
# Which candidate kinds a field type takes, and how readily.
_COMPATIBLE: dict[str, dict[str, float]] = {
    "date": {"date": 1.0},
    "money": {"money": 1.0, "number": 0.8},
    "number": {"number": 1.0, "money": 0.8, "percent": 1.0},
    "boolean": {"boolean": 1.0},
    "enum": {"enum": 1.0, "text": 0.9},
    "text": {
        "text": 1.0, "reference": 1.0, "email": 1.0, "phone": 1.0, "iban": 1.0, "vat": 1.0,
        "date": 0.6, "money": 0.6, "number": 0.6, "enum": 0.8,
    },
}  # fmt: skip

_IBAN = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?\b")
_VAT = re.compile(
    r"\b(?P<cc>AT|BE|BG|CY|CZ|DE|DK|EE|EL|ES|FI|FR|GB|HR|HU|IE|IT|LT|LU|LV|MT|NL|PL|PT|RO|SE|SI|SK|XI) ?(?P<body>[0-9A-Z][0-9A-Z .]{6,16}[0-9A-Z])\b"
)
_VAT_BODIES = {
    "AT": r"U\d{8}", "BE": r"[01]\d{9}", "BG": r"\d{9,10}", "CY": r"\d{8}[A-Z]", "CZ": r"\d{8,10}",
    "DE": r"\d{9}", "DK": r"\d{8}", "EE": r"\d{9}", "EL": r"\d{9}", "ES": r"[0-9A-Z]\d{7}[0-9A-Z]",
    "FI": r"\d{8}", "FR": r"[0-9A-HJ-NP-Z]{2}\d{9}", "GB": r"\d{9}(?:\d{3})?", "HR": r"\d{11}",
    "HU": r"\d{8}", "IE": r"\d{7}[A-Z]{1,2}|\d[A-Z+*]\d{5}[A-Z]", "IT": r"\d{11}", "LT": r"\d{9}|\d{12}",
    "LU": r"\d{8}", "LV": r"\d{11}", "MT": r"\d{8}", "NL": r"\d{9}B\d{2}", "PL": r"\d{10}", "PT": r"\d{9}",
    "RO": r"\d{2,10}", "SE": r"\d{12}", "SI": r"\d{8}", "SK": r"\d{10}", "XI": r"\d{9}(?:\d{3})?",
}  # fmt: skip
_NUMBER = re.compile(
    r"(?<![\w.,/:-])-?(?:\d{1,3}(?:[.,\u00a0\u202f']\d{3})+(?:[.,]\d{1,2})?|\d+(?:[.,]\d{1,2})?)(?![\w/-]|[.,]\d|\s?%)"
)
# Identifiers standing alone among a line's values ("IN-2025-2166 06/04/2025"), and lines of them.
_IDENT_TOKEN = re.compile(r"(?<!\S)[A-Z0-9][A-Z0-9/-]*\d[A-Z0-9/-]*(?!\S)")
_IDENT_TOKENS = re.compile(r"(?:\S*\d\S*\s*)+")
_IDENT = re.compile(r"[A-Za-z0-9][A-Za-z0-9\-/_.]*[A-Za-z0-9]")
_CHECKBOX = re.compile(
    r"(?P<mark>\[[xX ✓✔]\]|\([xX ]\)|[☐☑☒])\s*(?P<label>[^\n\[☐☑☒]{2,60}?)(?=\s{2,}|\s*[\[☐☑☒]|\s*$)",
    re.MULTILINE,
)


@dataclass(frozen=True)
class Candidate:
    """A value found on a page: its text span, its label and where the quote starts (at the label when
    the label is on the value's line)."""

    kind: str
    page_no: int
    start: int
    end: int
    raw: str
    label: str
    quote_start: int
    strength: float
    near: float = 1.0
    value: bool | None = None  # the value itself when the span is a clause, not a literal of it

    @property
    def context(self) -> str:
        return self.label or _KIND_WORDS[self.kind]


class LocalExtractor:
    """Extraction with patterns and the local embedding model. `embed` maps texts to unit-length
    vectors, one row per text (the loaded embeddings provider)."""

    name = "local"

    def __init__(self, embed: Embed, *, model: str) -> None:
        self._embed = embed
        self.model = f"patterns+{model}"

    def extract(self, pages: list[PageText], fields: list[FieldSpec]) -> list[FieldValue]:
        conv = values.conventions(page.text for page in pages)
        region = patterns.phone_region(page.text for page in pages)
        currency = _document_currency(pages)
        candidates = [
            c
            for n, page in enumerate(pages)
            for c in _outside_rows(page, _candidates(page, conv, region, first_page=n == 0))
        ]
        by_page = {page.page_no: page for page in pages}
        scalar = [spec for spec in fields if spec.type != "list"]
        for spec in scalar:
            if spec.type == "enum":
                candidates.extend(c for page in pages for c in _enum_candidates(page, spec))
        scores = self._scores(scalar, candidates)
        chosen = _assign(scalar, candidates, scores)
        results: list[FieldValue] = []
        for spec in fields:
            if spec.type == "list":
                results.append(self._list(spec, pages, conv, currency))
                continue
            pick = chosen.get(spec.name)
            if pick is None:
                results.append(values.not_found(spec))
                continue
            candidate, confidence = pick
            page = by_page[candidate.page_no]
            quote = page.text[candidate.quote_start : candidate.end]
            evidence = Evidence(page.page_no, quote, box(page, candidate.quote_start, candidate.end))
            if candidate.value is not None:
                results.append(
                    FieldValue(
                        spec.name, candidate.value, confidence, "found", (evidence,), raw=candidate.raw
                    )
                )
                continue
            results.append(_value(spec, candidate.raw, confidence, (evidence,), conv, currency))
        return results

    # --- matching ----------------------------------------------------------------------------------

    def _scores(
        self, fields: Sequence[FieldSpec], candidates: Sequence[Candidate]
    ) -> dict[tuple[int, int], float]:
        """The match score of each (field index, candidate index) of a compatible type."""
        pairs = [
            (f, c)
            for f, spec in enumerate(fields)
            for c, candidate in enumerate(candidates)
            if candidate.kind in _COMPATIBLE[spec.type]
            and (candidate.kind != "enum" or _enum_of(candidate, spec))
        ]
        if not pairs:
            return {}
        field_texts = [field_text(spec) for spec in fields]
        contexts = sorted({gloss(candidates[c].context) for _, c in pairs})
        similarity = self._similarity(field_texts, contexts)
        index = {context: i for i, context in enumerate(contexts)}
        field_words = [(words(field_name(spec)), words(field_text(spec))) for spec in fields]
        scores = {}
        for f, c in pairs:
            spec, candidate = fields[f], candidates[c]
            semantic = similarity[f, index[gloss(candidate.context)]]
            lexical = _overlap(*field_words[f], candidate.label, candidate.kind)
            match = _COMPATIBLE[spec.type][candidate.kind] * candidate.near * (0.5 * semantic + 0.5 * lexical)
            scores[f, c] = float(match)
        return scores

    def _similarity(self, left: list[str], right: list[str]) -> npt.NDArray[np.floating]:
        vectors: npt.NDArray[np.float32] = np.asarray(self._embed(left + right), dtype=np.float32)
        similarity: npt.NDArray[np.floating] = np.clip(
            vectors[: len(left)] @ vectors[len(left) :].T, 0.0, 1.0
        )
        return similarity

    # --- line items --------------------------------------------------------------------------------

    def _list(
        self, spec: FieldSpec, pages: list[PageText], conv: values.Conventions, currency: str | None
    ) -> FieldValue:
        """The rows of the first table whose header names columns for enough of the sub-fields."""
        columns = [sub for sub in spec.fields if sub.type != "list"]
        best: tuple[float, list[Cell], list[list[Cell]], dict[int, int], PageText] | None = None
        for page in pages:
            for header, rows in cell_tables(page):
                mapping, score = self._columns(columns, header)
                if mapping and (best is None or score > best[0]):
                    best = (score, header, rows, mapping, page)
        if best is None:
            return self._token_list(spec, pages, conv, currency)
        score, header, rows, mapping, page = best
        items: list[tuple[FieldValue, ...]] = []
        evidence: list[Evidence] = []
        for row in rows:
            cells = align(header, row)
            item = []
            for i, sub in enumerate(columns):
                cell = cells.get(mapping[i]) if i in mapping else None
                if cell is None:
                    item.append(values.not_found(sub))
                    continue
                quote = Evidence(page.page_no, cell.text, cell.bbox or box(page, cell.start, cell.end))
                item.append(_value(sub, cell.text, score, (quote,), conv, currency))
            if all(v.status == "not_found" for v in item):
                continue
            items.append(tuple(item))
            first, last = row[0], row[-1]
            boxes = [c.bbox for c in row if c.bbox is not None]
            bbox = union(boxes) if boxes else box(page, first.start, last.end)
            evidence.append(Evidence(page.page_no, page.text[first.start : last.end], bbox))
        return _list_value(spec, items, evidence, score)

    def _token_list(
        self, spec: FieldSpec, pages: list[PageText], conv: values.Conventions, currency: str | None
    ) -> FieldValue:
        """The rows of a table whose cells are apart by single spaces (a text layer, OCR text): under
        the header that names columns for enough of the sub-fields, best first, with the same header's
        rows on the pages after (a table continued); else the first run of rows without a header, read
        with less confidence."""
        columns = [sub for sub in spec.fields if sub.type != "list"]
        found: list[tuple[float, PageText, TokenTable, Layout]] = []
        for page in pages:
            for table in token_tables(page.text, text_lines(page.text)):
                layout = self._layout(columns, table)
                if layout is not None:
                    found.append((layout.score, page, table, layout))
        if not found:
            return values.not_found(spec)
        score, _, best, layout = max(found, key=lambda item: item[0])  # the first of equals
        heading = " ".join(cell.text for cell in best.header)
        parts = [
            (page, table)
            for _, page, table, _ in found
            if table is best or (best.header and " ".join(cell.text for cell in table.header) == heading)
        ]
        items: list[tuple[FieldValue, ...]] = []
        evidence: list[Evidence] = []
        for page, table in parts:
            for row in table.rows:
                cells = row_cells(row, columns, layout)
                item = []
                for i, sub in enumerate(columns):
                    cell = cells.get(i)
                    if cell is None:
                        item.append(values.not_found(sub))
                        continue
                    quote = Evidence(page.page_no, cell.text, box(page, cell.start, cell.end))
                    item.append(_value(sub, cell.text, score, (quote,), conv, currency))
                if all(v.status == "not_found" for v in item):
                    continue
                items.append(tuple(item))
                evidence.append(
                    Evidence(page.page_no, page.text[row.start : row.end], box(page, row.start, row.end))
                )
        return _list_value(spec, items, evidence, score)

    def _layout(self, columns: Sequence[FieldSpec], table: TokenTable) -> Layout | None:
        """How a table's rows fill the sub-fields; None for a table that is not the list's."""
        first_text = [i for i, sub in enumerate(columns) if sub.type == "text"][:1]
        if not table.header:
            amounts = [row for row in table.rows if row.numbers and AMOUNT.fullmatch(row.numbers[-1].text)]
            if len(amounts) < 2 or len(amounts) != len(table.rows):
                return None
            numeric = [i for i, sub in enumerate(columns) if sub.type in ("number", "money")]
            return Layout(HEADERLESS, first_text[0] if first_text else None, numeric, {}, 0, headerless=True)
        mapping, score = self._columns(columns, list(table.header))
        if not mapping:
            return None
        texts = [i for i in mapping if columns[i].type == "text"] or first_text
        numeric = sorted(
            (i for i in mapping if columns[i].type in ("number", "money")), key=mapping.__getitem__
        )
        text_column = texts[0] if texts else None
        positions: dict[int, int] = {}
        width = 0
        if text_column is not None and text_column in mapping:
            at = mapping[text_column]
            width = len(table.header) - at - 1
            positions = {i: mapping[i] - at - 1 for i in numeric if mapping[i] > at}
        return Layout(score, text_column, numeric, positions, width, headerless=False)

    def _columns(self, columns: Sequence[FieldSpec], header: list[Cell]) -> tuple[dict[int, int], float]:
        """Sub-field index -> header cell index, one column each, best matches first; and the mean
        score of the columns taken (0 when fewer than half of the sub-fields found a column)."""
        if not columns or not header:
            return {}, 0.0
        names = [field_text(sub) for sub in columns]
        heads = [gloss(cell.text) for cell in header]
        similarity = self._similarity(names, heads)
        scored = []
        for i, sub in enumerate(columns):
            name_words, text_words = words(field_name(sub)), words(field_text(sub))
            for j, cell in enumerate(header):
                lexical = _overlap(name_words, text_words, cell.text, "text", generic=False)
                scored.append((0.5 * float(similarity[i, j]) + 0.5 * lexical, i, j))
        mapping: dict[int, int] = {}
        taken: set[int] = set()
        total = 0.0
        for score, i, j in sorted(scored, reverse=True):
            if score < COLUMN_FLOOR or i in mapping or j in taken:
                continue
            mapping[i] = j
            taken.add(j)
            total += score
        if len(mapping) * 2 < len(columns):
            return {}, 0.0
        return mapping, total / len(mapping)


def _list_value(
    spec: FieldSpec, items: list[tuple[FieldValue, ...]], evidence: list[Evidence], score: float
) -> FieldValue:
    if not items:
        return values.not_found(spec)
    rows_json = [{v.name: v.value for v in item} for item in items]
    review = any(v.status == "needs_review" for item in items for v in item)
    status: FoundStatus = "needs_review" if review else "found"
    return FieldValue(spec.name, rows_json, round(score, 3), status, tuple(evidence), items=tuple(items))


def _document_currency(pages: Sequence[PageText]) -> str | None:
    """The one currency the document writes its amounts in; None when it names none or several."""
    found = {hit.tag for page in pages for hit in patterns.find_amounts(page.text) if hit.tag}
    return found.pop() if len(found) == 1 else None


def _value(
    spec: FieldSpec,
    raw: str,
    confidence: float,
    evidence: tuple[Evidence, ...],
    conv: values.Conventions,
    currency: str | None,
) -> FieldValue:
    """The field's value; money written without a currency takes the document's one currency, with
    a little less confidence."""
    value = values.field_value(spec, raw, confidence, evidence, conv)
    if (
        spec.type == "money"
        and currency
        and isinstance(value.value, dict)
        and value.value["currency"] is None
    ):
        return replace(
            value,
            value={**value.value, "currency": currency},
            confidence=round(value.confidence * BARE_CURRENCY, 3),
        )
    return value


def _assign(
    fields: Sequence[FieldSpec], candidates: Sequence[Candidate], scores: dict[tuple[int, int], float]
) -> dict[str, tuple[Candidate, float]]:
    """Each field's candidate, the best pairs first, a candidate's span serving one field; with its
    confidence: the match times the pattern's strength, lowered when another value scored close."""
    chosen: dict[str, tuple[Candidate, float]] = {}
    used: set[tuple[int, int, int]] = set()
    for (f, c), score in sorted(scores.items(), key=lambda item: (-item[1], item[0])):
        spec, candidate = fields[f], candidates[c]
        span = (candidate.page_no, candidate.start, candidate.end)
        if score < MATCH_FLOOR or spec.name in chosen or span in used:
            continue
        rivals = [
            other
            for (g, d), other in scores.items()
            if g == f and d != c and _value_key(candidates[d]) != _value_key(candidate)
        ]
        runner_up = max(rivals, default=0.0)
        margin = min(1.0, max(0.0, score - runner_up) / _MARGIN)
        confidence = min(1.0, score / 0.8) * candidate.strength * (0.6 + 0.4 * margin)
        chosen[spec.name] = (candidate, round(confidence, 3))
        used.add(span)
    return chosen


def _value_key(candidate: Candidate) -> str:
    return values.fold(candidate.raw)


# --- candidates ------------------------------------------------------------------------------------


def _outside_rows(page: PageText, candidates: list[Candidate]) -> list[Candidate]:
    """The candidates without the numbers of line items under a table header: a row's amounts are
    not the document's totals."""
    rows = [
        (row.start, row.end)
        for table in token_tables(page.text, text_lines(page.text))
        if table.header
        for row in table.rows
    ]
    return [
        c
        for c in candidates
        if c.kind not in ("money", "number", "percent") or not any(s <= c.start < e for s, e in rows)
    ]


def _candidates(
    page: PageText, conv: values.Conventions, region: str | None, *, first_page: bool
) -> list[Candidate]:
    text = page.text
    found: list[Candidate] = []
    phrases = local_phrases.find(text, first_page=first_page)

    spans: list[tuple[str, int, int]] = []

    strengths: dict[int, float] = {}

    def add(kind: str, start: int, end: int, strength: float | None = None) -> None:
        if not any(s < end and start < e for _, s, e in spans):
            spans.append((kind, start, end))
            if strength is not None:
                strengths[start] = strength

    for match in _IBAN.finditer(text):
        # A broken checksum is a typo or an OCR error: kept whole as text, and not trusted as an IBAN.
        valid = _iban_valid(match.group())
        add("iban" if valid else "text", match.start(), match.end(), None if valid else 0.5)
    for hit in patterns.find_emails(text):
        add("email", hit.start, hit.end)
    for match in _VAT.finditer(text):
        body = re.sub(r"[ .]", "", match.group("body"))
        cc = match.group("cc")
        if re.fullmatch(_VAT_BODIES[cc], body) and (cc != "DE" or _de_vat_valid(body)):
            add("vat", match.start(), match.end())
    for hit in patterns.find_dates(text, day_first=conv.day_first):
        add("date", hit.start, hit.end)
    for hit in patterns.find_amounts(text):
        add("money", hit.start, hit.end)
    for hit in patterns.find_references(text):
        ident = hit.text.rstrip(".-/")
        value_start = hit.start + len(ident) - len(hit.value)
        add("reference", value_start, value_start + len(hit.value))
    for hit in patterns.find_phones(text, region):
        add("phone", hit.start, hit.end)
    for match in _NUMBER.finditer(text):
        add("number", match.start(), match.end())
    for phrase in phrases:
        if phrase.kind == "percent":
            add("percent", phrase.start, phrase.end)
    idents = set()
    for match in _IDENT_TOKEN.finditer(text):
        free = not any(s < match.end() and match.start() < e for _, s, e in spans)
        if free and re.search(r"[A-Z-]", match.group()):
            idents.add(match.start())
            add("reference", match.start(), match.end())
    # Labels once every value is known, so that a label stops at the value before it (not at a
    # percent: "VAT 20%: 355.61" is labelled "VAT 20%").
    stops = [span for span in spans if span[0] != "percent"]
    for kind, start, end in sorted(spans, key=lambda span: span[1]):
        label, quote_start, near = _label(text, start, end, stops)
        if start in idents and kind == "reference" and near == 1.0:
            continue  # an identifier alone is a value only under the header of its column
        if kind == "date" and local_phrases.effective(text, start, end):
            label = "effective date"
        found.append(
            Candidate(
                kind,
                page.page_no,
                start,
                end,
                text[start:end],
                label,
                quote_start,
                strengths.get(start, _STRENGTH[kind]),
                near,
            )
        )
    for phrase in phrases:
        if phrase.kind != "percent":
            found.append(
                Candidate(phrase.kind, page.page_no, phrase.start, phrase.end, text[phrase.start : phrase.end],
                          phrase.label, phrase.quote_start, phrase.strength, value=phrase.value)
            )  # fmt: skip
    for match in _CHECKBOX.finditer(text):
        start, end = match.span("mark")
        if not any(c.start < end and start < c.end for c in found):
            found.append(
                Candidate("boolean", page.page_no, start, end, match.group("mark"), match.group("label").strip(),
                          start, _STRENGTH["boolean"])
            )  # fmt: skip
    _labelled_values(page, found)
    return found


def _labelled_values(page: PageText, found: list[Candidate]) -> None:
    """Values after a label and a colon on the same line ("Customer: ACME GmbH"), or on the line below
    a line that is only a label: identifiers, yes/no answers, else text."""
    text = page.text
    lines = list(text_lines(text))
    for n, (start, end) in enumerate(lines):
        for cell_start, cell_end in line_cells(text, start, end):
            cell = text[cell_start:cell_end]
            colon = cell.find(":")
            if colon > 0 and re.search(r"[^\W\d_]", cell[:colon]):
                value_start = cell_start + colon + 1
                label, label_start = cell[:colon].strip(_LABEL_TRIM), cell_start
            elif n > 0 and is_label(text[lines[n - 1][0] : lines[n - 1][1]]) and not is_label(cell):
                label = _label_above(text, lines[n - 1], cell_start - start, cell_end - start)
                value_start, label_start = cell_start, cell_start
            else:
                continue
            value_start += len(text[value_start:cell_end]) - len(text[value_start:cell_end].lstrip())
            if value_start >= cell_end or not label:
                continue
            if any(c.start < cell_end and value_start < c.end for c in found):
                continue
            raw = text[value_start:cell_end]
            if "___" in raw:  # a line to sign or fill in, empty
                continue
            if values.read_boolean(raw) is not None:
                kind = "boolean"
            elif _IDENT.fullmatch(raw) and re.search(r"\d", raw):
                kind = "reference"
            else:
                kind = "text"
            found.append(
                Candidate(kind, page.page_no, value_start, cell_end, raw, label, label_start, _STRENGTH[kind])
            )


def _enum_candidates(page: PageText, spec: FieldSpec) -> list[Candidate]:
    """Each declared value of an enum field written on the page as a word of its own."""
    out = []
    for value in spec.values:
        parts = [re.escape(w) for w in value.split()]
        if not parts:
            continue
        pattern = re.compile(r"(?<!\w)" + r"\s+".join(parts) + r"(?!\w)", re.IGNORECASE)
        for match in pattern.finditer(page.text):
            label, quote_start, near = _label(page.text, match.start(), match.end(), [])
            out.append(
                Candidate("enum", page.page_no, match.start(), match.end(), match.group(),
                          label or f"{field_name(spec)} {value}", quote_start, _STRENGTH["enum"], near if label else 0.8)
            )  # fmt: skip
    return out


def _enum_of(candidate: Candidate, spec: FieldSpec) -> bool:
    return values.read_enum(candidate.raw, spec.values) is not None


def _label(text: str, start: int, end: int, found: Sequence[tuple[str, int, int]]) -> tuple[str, int, float]:
    """The label of the value at [start, end): the words before it in its cell ("Total due: " before
    "2,115.89 EUR") or the cell before it, else the cell above it when that line is a label. Returns the
    label, where the quote starts (the label's start when it is on the value's line) and how near the
    label is: a column header over a table's first row names the column more than the value."""
    line_start = text.rfind("\n", 0, start) + 1
    cells = line_cells(text, line_start, start)
    left_start = line_start
    for gap in GAP.finditer(text, line_start, start):
        left_start = gap.end()
    for _, _, found_end in found:
        if left_start <= found_end <= start:
            left_start = found_end
    left = text[left_start:start]
    label = left.strip(_LABEL_TRIM)
    if re.search(r"[^\W\d_]", label) and not _IDENT_TOKENS.fullmatch(label):
        return label, left_start + (len(left) - len(left.lstrip())), 1.0
    if not label and cells and cells[-1][1] <= left_start:
        # The value stands in a cell of its own: the cell before it is its label ("VAT 20%:   £355.61").
        before_start, before_end = cells[-1]
        before = text[before_start:before_end]
        if is_label(re.sub(r"\d+(?:[.,]\d+)?\s?%", "", before)):
            return before.strip(_LABEL_TRIM), before_start, 1.0
    if line_start == 0:
        return "", start, 1.0
    above_end = line_start - 1
    above_start = text.rfind("\n", 0, above_end) + 1
    if not is_label(text[above_start:above_end]):
        return "", start, 1.0
    line_end = text.find("\n", start)
    line_end = len(text) if line_end < 0 else line_end
    heading = _word_above(text, (above_start, above_end), (line_start, line_end), start)
    if heading:
        return heading, start, 0.8
    near = 0.9 if len(line_cells(text, above_start, above_end)) == 1 else 0.8
    return _label_above(text, (above_start, above_end), start - line_start, end - line_start), start, near


def _word_above(text: str, above: tuple[int, int], line: tuple[int, int], start: int) -> str:
    """The word of a header line over the value at `start` when header and value line are written
    with single spaces and have as many words as each other ("Rate Net VAT Gross" over
    "20% 21.96 4.39 26.35"); "" otherwise."""
    heads = text[above[0] : above[1]].split()
    if len(heads) < 2 or len(line_cells(text, *above)) != 1:
        return ""
    tokens = [(m.start() + line[0], m.end() + line[0]) for m in re.finditer(r"\S+", text[line[0] : line[1]])]
    if len(heads) > len(tokens) >= 2 and len(heads) <= 12:
        heads = _header_groups(heads, len(tokens))
    if len(tokens) != len(heads):
        return ""
    at = next((k for k, (s, e) in enumerate(tokens) if s <= start < e), None)
    return "" if at is None else heads[at].strip(_LABEL_TRIM)


# Words that end a column header of several words ("Invoice number", "Payment due", "Unit price").
_HEADER_ENDS = frozenset({
    "number", "no", "no.", "nr", "nr.", "#", "id", "date", "due", "total", "price", "amount", "name", "ref",
    "datum", "nummer", "betrag", "preis",
})  # fmt: skip


def _header_groups(words: list[str], count: int) -> list[str]:
    """A header's words in `count` columns: the split whose columns most often end with a word that
    ends a header ("Invoice number | Date | Payment due") and least often start with one."""
    best: tuple[int, list[str]] = (-len(words), [])
    for cuts in itertools.combinations(range(1, len(words)), count - 1):
        bounds = [0, *cuts, len(words)]
        groups = [words[a:b] for a, b in itertools.pairwise(bounds)]
        ends = sum(group[-1].casefold() in _HEADER_ENDS for group in groups)
        starts = sum(len(group) > 1 and group[0].casefold() in _HEADER_ENDS for group in groups)
        if ends - starts > best[0]:
            best = (ends - starts, [" ".join(group) for group in groups])
    return best[1]


def _label_above(text: str, above: tuple[int, int], column: int, column_end: int) -> str:
    """The cell of the line above that stands over the column range [column, column_end)."""
    cells = line_cells(text, *above)
    if len(cells) == 1:
        return text[cells[0][0] : cells[0][1]].strip(_LABEL_TRIM)
    best, best_overlap = "", 0
    for s, e in cells:
        a, b = s - above[0], e - above[0]
        overlap = min(b, column_end) - max(a, column)
        if overlap > best_overlap or (best_overlap <= 0 and a <= column and not best):
            best, best_overlap = text[s:e].strip(_LABEL_TRIM), overlap
    return best


def _iban_valid(raw: str) -> bool:
    iban = raw.replace(" ", "")
    if not 15 <= len(iban) <= 34:
        return False
    rearranged = iban[4:] + iban[:4]
    digits = "".join(str(int(char, 36)) for char in rearranged)
    return int(digits) % 97 == 1


def _de_vat_valid(body: str) -> bool:
    """The check digit of a German VAT number (ISO 7064, MOD 11-10)."""
    product = 10
    for digit in body[:8]:
        total = (int(digit) + product) % 10 or 10
        product = (2 * total) % 11
    return (11 - product) % 10 == int(body[8])


def _overlap(
    name_words: set[str], text_words: set[str], label: str, kind: str, *, generic: bool = True
) -> float:
    """How plainly a label names the field: the share of the field's name words the label holds, and
    the share of the label's words that the name or description holds. Words that only say the type
    ("date", "amount") do not count when there are others: "Delivery date" does not name a due date.
    A candidate without a label is judged by how its field names its kind, at half weight."""
    label_words = words(label)
    if not label_words:
        kind_words = words(_KIND_WORDS[kind])
        if not kind_words or not name_words:
            return 0.0
        named = len(name_words & kind_words) / len(name_words)
        return 0.5 * max(named, len(kind_words & text_words) / len(kind_words))
    plain = generic and label_words <= GENERIC and label_words <= name_words
    if generic:
        name_words = (name_words - GENERIC) or name_words
        label_words = (label_words - GENERIC) or label_words
    named = len(name_words & label_words) / len(name_words) if name_words else 0.0
    if plain:
        # A label that says only the type ("Date:") half names a field of that type.
        named = max(named, 0.5)
    relevant = len(label_words & text_words) / len(label_words)
    return 0.7 * named + 0.3 * relevant
