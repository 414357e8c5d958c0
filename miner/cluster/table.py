"""The plain-text topic table `miner topics` prints."""

from __future__ import annotations

from typing import Any


def _clean(text: str, width: int) -> str:
    """One line of at most `width` characters: labels may hold any text an LLM wrote."""
    text = " ".join("".join(ch if ch.isprintable() else " " for ch in str(text)).split())
    return text if len(text) <= width else text[: width - 1] + "…"


def format_table(info: dict[str, Any], *, by_category: bool = False, n_keywords: int = 5) -> str:
    """Topics (or categories) as aligned columns: id, size, share, category, label, keywords."""
    if by_category:
        header = ("category", "size", "share", "topics", "label", "keywords")
        rows = [
            (str(c["category"]), f"{c['size']:,}", f"{c['share']:.1%}", str(len(c["topics"])),
             _clean(c["label"], 40), _clean(", ".join(c.get("keywords", [])[:n_keywords]), 60))
            for c in info.get("categories", [])
        ]
    else:
        header = ("topic", "size", "share", "category", "label", "keywords")
        entries = sorted(info.get("topics", []), key=lambda t: (t["topic"] == -1, -t["size"]))
        rows = [
            (str(t["topic"]), f"{t['size']:,}", f"{t['share']:.1%}",
             "-" if t.get("parent") is None else str(t["parent"]), _clean(t["label"], 40),
             _clean(", ".join(t.get("keywords", [])[:n_keywords]), 60))
            for t in entries
        ]
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    numeric = {1, 2}
    lines = []
    for row in [header, *rows]:
        cells = [cell.rjust(widths[i]) if i in numeric and row is not header else
                 cell.ljust(widths[i]) for i, cell in enumerate(row)]
        lines.append("  ".join(cells).rstrip())
    return "\n".join(lines)
