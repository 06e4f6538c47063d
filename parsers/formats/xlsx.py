"""xlsx workbooks (openpyxl, read-only; merged cells read from the sheet XML)."""

from __future__ import annotations

import io
import re
import zipfile
from typing import Any

from openpyxl import load_workbook
from openpyxl.utils.cell import range_boundaries

from rules.provenance import Provenance

from ..containers import check_zip
from ..grid import Extracted, ReadFailure, clean_cell, make_grid, single_value_rows
from ..rows import ParseProblem

_MERGE = re.compile(rb'<(?:\w+:)?mergeCell\s+ref="([A-Z]+\d+:[A-Z]+\d+)"')
MAX_ROWS = 20000
MAX_COLS = 60


def _merged_ranges(zf: zipfile.ZipFile, path: str | None) -> list[tuple[int, int, int, int]]:
    if not path:
        return []
    try:
        xml = zf.read(path.lstrip("/"))
    except KeyError:
        return []
    out = []
    for ref in _MERGE.findall(xml):
        min_col, min_row, max_col, max_row = range_boundaries(ref.decode())
        out.append((min_row, min_col, max_row, max_col))
    return out


def read_xlsx(data: bytes, attachment: str | None = None) -> Extracted:
    """Every visible sheet as a grid; merged areas repeat their top-left value."""
    check_zip(data)
    try:
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for a damaged workbook
        raise ReadFailure("corrupt_file", f"cannot open workbook: {type(exc).__name__}: {exc}") from exc
    out = Extracted()
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        for sheet_index, ws in enumerate(wb.worksheets):
            if getattr(ws, "sheet_state", "visible") != "visible":
                continue
            rows: list[list[Any]] = []
            truncated = False
            try:
                for values in ws.iter_rows(values_only=True, max_col=MAX_COLS):
                    if len(rows) < MAX_ROWS:
                        rows.append(list(values))
                    elif any(clean_cell(v) for v in values):  # content past the cap, not formatting
                        truncated = True
                        break
            except Exception as exc:
                raise ReadFailure("corrupt_file", f"sheet {ws.title}: {type(exc).__name__}: {exc}") from exc
            cells = [[clean_cell(v) for v in row] for row in rows]
            for r1, c1, r2, c2 in _merged_ranges(zf, getattr(ws, "_worksheet_path", None)):
                if r1 - 1 >= len(cells):
                    continue
                top = cells[r1 - 1][c1 - 1] if c1 - 1 < len(cells[r1 - 1]) else ""
                right = min(c2, MAX_COLS)  # a merge may claim A1:XFD5000; only read columns exist
                for r in range(r1 - 1, min(r2, len(cells))):
                    row = cells[r]
                    if len(row) < right:
                        row.extend([""] * (right - len(row)))
                    for c in range(c1 - 1, right):
                        row[c] = top
            source = Provenance(attachment=attachment, sheet=ws.title, table=sheet_index + 1)
            if truncated:  # rows past the cap must not look like removed rules
                out.problems.append(
                    ParseProblem(
                        "too_large", f"sheet has more than {MAX_ROWS} rows; the rest were not read", source
                    )
                )
            grid = make_grid(cells, source, caption=ws.title)
            if grid is not None:
                out.grids.append(grid)
                out.texts.extend(single_value_rows(grid))
    wb.close()
    return out
