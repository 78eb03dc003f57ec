"""What a failed program printed, cut to the part a person can act on."""

from __future__ import annotations


def tail(output: bytes | str, *, lines: int = 25, chars: int = 3000) -> str:
    """The last `lines` lines (at most `chars` characters) of a program's output."""
    text = output.decode(errors="replace") if isinstance(output, bytes) else output
    kept = "\n".join(text.strip().splitlines()[-lines:])
    if len(kept) > chars:
        kept = "…" + kept[-chars:]
    return kept or "(it printed nothing)"
