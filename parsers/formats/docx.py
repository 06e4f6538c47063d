"""docx: tables (merged cells filled) and paragraphs, kept in body order."""

from __future__ import annotations

import io
from typing import Any

import docx
from docx.table import Table
from docx.text.paragraph import Paragraph

from rules.provenance import Provenance
from rules.text import nfkc

from ..containers import check_zip
from ..grid import (
    MAX_TABLE_CELLS,
    MAX_TABLE_COLUMNS,
    Extracted,
    ReadFailure,
    TextBlock,
    make_grid,
    too_complex,
)
from ..outline import Outline
from ..rows import ParseProblem

_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


def _grid_width(tr: Any) -> int:
    """Columns a <w:tr> claims (gridBefore + each cell's gridSpan + gridAfter), read from the
    XML before python-docx expands them: w:gridBefore=1e8 would become a list of 10^8 cells."""
    total = 0
    for node in tr.iter(f"{_W}gridBefore", f"{_W}gridAfter", f"{_W}gridSpan"):
        value = node.get(f"{_W}val") or "1"
        total += int(value) if value.isdigit() and len(value) < 10 else MAX_TABLE_COLUMNS + 1
    return total + sum(1 for _ in tr.iterchildren(f"{_W}tc"))


def _table_rows(table: Table) -> list[list[str]]:
    trs = list(table._tbl.iterchildren(f"{_W}tr"))
    widths = [_grid_width(tr) for tr in trs]
    if any(w > MAX_TABLE_COLUMNS for w in widths) or sum(widths) > MAX_TABLE_CELLS:
        raise too_complex("a table whose merged cells claim too many columns")
    cache: dict[object, str] = {}  # keyed by the <w:tc> element (kept alive, so identity is stable)
    rows: list[list[str]] = []
    for row in table.rows:
        before = getattr(row, "grid_cols_before", 0) or 0
        values = [""] * before
        for cell in row.cells:
            key = cell._tc
            if key not in cache:
                cache[key] = nfkc(cell.text).strip()
            values.append(cache[key])
        rows.append(values)
    return rows


def read_docx(data: bytes, attachment: str | None = None) -> Extracted:
    """Paragraphs become text blocks; each table a grid whose caption is the paragraph above."""
    check_zip(data)
    try:
        document = docx.Document(io.BytesIO(data))
    except Exception as exc:  # python-docx raises KeyError, ValueError, lxml errors …
        raise ReadFailure("corrupt_file", f"cannot open document: {type(exc).__name__}: {exc}") from exc
    out = Extracted()
    last_text = ""
    outline = Outline()
    table_index = 0
    for child in document.element.body.iterchildren():
        if child.tag == f"{_W}p":
            text = nfkc(Paragraph(child, document).text).strip()
            if text:
                out.texts.append(TextBlock(text=text, source=Provenance(attachment=attachment)))
                last_text = text
                outline.see(text)
        elif child.tag == f"{_W}tbl":
            table_index += 1
            source = Provenance(attachment=attachment, table=table_index)
            try:
                rows = _table_rows(Table(child, document))
            except ReadFailure as failure:  # one hostile table; the rest of the document is still read
                out.problems.append(ParseProblem(failure.code, failure.message, source))
                continue
            grid = make_grid(rows, source, caption=last_text)
            if grid is not None:
                grid.outline = outline.enclosing()
            if grid is not None and grid.width == 1:  # a one-column table is a text box
                out.texts.extend(TextBlock(text=row[0], source=source) for row in grid.cells)
            elif grid is not None:
                out.grids.append(grid)
    if out.title is None:
        core = document.core_properties
        out.title = nfkc(core.title).strip() if core.title else None
    return out
