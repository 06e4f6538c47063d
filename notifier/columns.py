"""Plain-text tables that line up in a terminal, CJK (double-width) characters included."""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence


def display_width(text: str) -> int:
    """Terminal columns: wide and full-width characters (CJK) take two."""
    return sum(2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1 for ch in text)


def fit(text: str, width: int) -> str:
    """Cut to ``width`` columns (with …) so one long value cannot wreck the table."""
    if display_width(text) <= width:
        return text
    out, used = "", 0
    for ch in text:
        w = display_width(ch)
        if used + w > width - 1:
            break
        out, used = out + ch, used + w
    return out + "…"


def pad(text: str, width: int) -> str:
    return text + " " * max(0, width - display_width(text))


def render_table(
    headers: Sequence[str], rows: Sequence[Sequence[object]], cell_width: int | None = None
) -> list[str]:
    """Header, rule and rows, columns padded to the widest cell (cut at ``cell_width``)."""
    cells = [[" ".join(("" if v is None else str(v)).split()) for v in row] for row in [list(headers), *rows]]
    if cell_width:
        cells = [[fit(c, cell_width) for c in row] for row in cells]
    widths = [max(display_width(row[i]) for row in cells) for i in range(len(headers))]
    out = []
    for n, row in enumerate(cells):
        out.append("  ".join(pad(c, w) for c, w in zip(row, widths, strict=True)).rstrip())
        if n == 0:
            out.append("  ".join("-" * w for w in widths))
    return out
