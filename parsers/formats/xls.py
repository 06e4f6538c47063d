"""Legacy .xls workbooks (xlrd; merged cells from the BIFF merge records)."""

from __future__ import annotations

import xlrd

from rules.provenance import Provenance

from ..grid import MAX_TABLE_COLUMNS, Extracted, ReadFailure, clean_cell, make_grid, single_value_rows
from ..rows import ParseProblem

MAX_ROWS = 20000


def _cell_value(book: xlrd.book.Book, cell: xlrd.sheet.Cell) -> object:
    if cell.ctype == xlrd.XL_CELL_DATE:
        try:
            return xlrd.xldate.xldate_as_datetime(cell.value, book.datemode).date()
        except Exception:
            return cell.value
    if cell.ctype in (xlrd.XL_CELL_ERROR, xlrd.XL_CELL_EMPTY, xlrd.XL_CELL_BLANK):
        return None
    return cell.value


def read_xls(data: bytes, attachment: str | None = None) -> Extracted:
    """Every sheet as a grid with merged areas filled."""
    try:
        try:
            book = xlrd.open_workbook(file_contents=data, formatting_info=True, on_demand=True)
        except NotImplementedError:
            book = xlrd.open_workbook(file_contents=data, on_demand=True)
    except xlrd.XLRDError as exc:
        if "encrypt" in str(exc).lower():
            raise ReadFailure("encrypted", "workbook is password-protected") from exc
        raise ReadFailure("corrupt_file", f"cannot open .xls: {exc}") from exc
    except Exception as exc:
        raise ReadFailure("corrupt_file", f"cannot open .xls: {type(exc).__name__}: {exc}") from exc
    out = Extracted()
    try:
        for index in range(book.nsheets):
            sheet = book.sheet_by_index(index)
            nrows, ncols = min(sheet.nrows, MAX_ROWS), min(sheet.ncols, MAX_TABLE_COLUMNS)
            cells = [
                [clean_cell(_cell_value(book, sheet.cell(r, c))) for c in range(ncols)] for r in range(nrows)
            ]
            for r1, r2, c1, c2 in getattr(sheet, "merged_cells", []):
                if r1 >= nrows or c1 >= ncols:
                    continue
                top = cells[r1][c1]
                for r in range(r1, min(r2, nrows)):
                    for c in range(c1, min(c2, ncols)):
                        cells[r][c] = top
            source = Provenance(attachment=attachment, sheet=sheet.name, table=index + 1)
            if any(clean_cell(v) for r in range(nrows, sheet.nrows) for v in sheet.row_values(r)):
                out.problems.append(  # rows past the cap must not look like removed rules
                    ParseProblem(
                        "too_large", f"sheet has more than {MAX_ROWS} rows; the rest were not read", source
                    )
                )
            grid = make_grid(cells, source, sheet.name)
            if grid is not None:
                out.grids.append(grid)
                out.texts.extend(single_value_rows(grid))
            book.unload_sheet(index)
    except Exception as exc:
        raise ReadFailure("corrupt_file", f"damaged .xls: {type(exc).__name__}: {exc}") from exc
    return out
