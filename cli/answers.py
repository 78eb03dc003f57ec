"""A streamed answer in the terminal: the text as it arrives, then the citations that back it."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from rich.console import Console
from rich.markup import escape


def show(
    events: Iterable[tuple[str, dict[str, Any]]], out: Console, note: Console, *, as_json: bool
) -> dict[str, Any]:
    """Print the answer (or with `as_json` only the final JSON) and return it."""
    done: dict[str, Any] = {}
    for name, data in events:
        if name == "delta" and not as_json:
            out.print(escape(data["text"]), end="", soft_wrap=True)
            out.file.flush()
        elif name == "done":
            done = data
    if as_json:
        print(json.dumps(done, indent=2, ensure_ascii=False))
        return done
    out.print()
    if done.get("grounded"):
        out.print()
        for citation in done["citations"]:
            quote = " ".join(citation["quote"].split())
            out.print(
                f"[bold][{citation['number']}][/bold] {escape(citation['filename'])}, page {citation['page_no']}: “{escape(quote)}”"
            )
    elif done.get("sources"):
        out.print("\n[dim]The closest passages:[/dim]")
        for source in done["sources"][:3]:
            excerpt = " ".join(source["text"].split())[:160]
            out.print(f"[dim]{escape(source['filename'])}, page {source['page_no']}: {escape(excerpt)}[/dim]")
    label = "extractive, " if done.get("extractive") else ""
    note.print(
        f"[dim]{label}{done.get('provider')}/{done.get('model')} · follow up with "
        f"--conversation {done.get('conversation_id')}[/dim]"
    )
    return done
