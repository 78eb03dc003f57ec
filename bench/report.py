"""Benchmark output: one aligned table, readable in a terminal and valid as Markdown."""

from __future__ import annotations

import re

_NUMBER = re.compile(r"^[-+]?[\d,]*\.?\d+(e[-+]?\d+)?\s*%?$|^[-—]$")


def print_table(title: str, columns: list[str], rows: list[list[object]]) -> None:
    """Print `rows` under `columns` as a Markdown table headed by `title`.

    Floats get three decimals (one above 100); columns whose cells all read as numbers are
    right-aligned, others left-aligned.
    """
    cells = [[_format(value) for value in row] for row in rows]
    numeric = [bool(cells) and all(_NUMBER.match(row[i]) for row in cells) for i in range(len(columns))]
    widths = [max([len(columns[i]), *(len(row[i]) for row in cells)]) for i in range(len(columns))]

    def line(values: list[str]) -> str:
        padded = [
            v.rjust(w) if num else v.ljust(w) for v, w, num in zip(values, widths, numeric, strict=True)
        ]
        return "| " + " | ".join(padded) + " |"

    rule = ["-" * (w + 1) + ":" if num else "-" * (w + 2) for w, num in zip(widths, numeric, strict=True)]
    print(f"\n### {title}\n")
    print(line(columns))
    print("|" + "|".join(rule) + "|")
    for row in cells:
        print(line(row))
    print(flush=True)


def _format(value: object) -> str:
    if isinstance(value, float):
        return f"{value:.3f}" if abs(value) < 100 else f"{value:,.1f}"
    return str(value)
