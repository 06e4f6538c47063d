"""The common intermediate model: every format is read into grids and text blocks.

A grid is a table as a rectangle of cell strings with merged cells already filled, so
that table recognition (parsers.tables) is written once for HTML, xlsx, xls, docx and pdf.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from rules.provenance import Provenance
from rules.text import nfkc

from .rows import ParseProblem


@dataclass
class Grid:
    """One table: ``cells[r][c]`` strings (merged areas repeat their value); where it came from."""

    cells: list[list[str]]
    source: Provenance
    caption: str = ""  # text just above the table (title), used to guess its kind
    outline: tuple[str, ...] = ()  # numbered headings enclosing the table, innermost first
    row_numbers: list[int] = field(default_factory=list)  # original row index per row (1-based)

    @property
    def width(self) -> int:
        return max((len(r) for r in self.cells), default=0)


@dataclass
class TextBlock:
    """A paragraph or line of narrative text in reading order."""

    text: str
    source: Provenance


@dataclass
class Extracted:
    """What a format reader found in one file or page."""

    grids: list[Grid] = field(default_factory=list)
    texts: list[TextBlock] = field(default_factory=list)
    problems: list[ParseProblem] = field(default_factory=list)
    title: str | None = None
    published: str | None = None  # a date string found in page metadata
    doc_number: str | None = None
    issuer: str | None = None


class ReadFailure(Exception):
    """Raised by format readers for a specific, reportable problem (caught by parsers.document)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


# No real rule table comes near these; a merged cell claiming more is hostile or broken, and
# expanding it would take gigabytes (a 13 KB page of rowspan/colspan=200 cells, an xlsx merging
# A1:XFD5000).
MAX_TABLE_CELLS = 200_000
MAX_TABLE_COLUMNS = 200


def too_complex(what: str) -> ReadFailure:
    return ReadFailure(
        "too_complex", f"{what}: more than {MAX_TABLE_CELLS} cells or {MAX_TABLE_COLUMNS} columns"
    )


def clean_cell(value: object) -> str:
    """A cell value as text: None → "", 40.0 → "40", NFKC applied, outer whitespace stripped."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if value == int(value) else repr(value)
    if hasattr(value, "isoformat") and not isinstance(value, str):
        return str(value.isoformat())[:10]
    return nfkc(str(value)).strip()


def make_grid(rows: list[list[str]], source: Provenance, caption: str = "") -> Grid | None:
    """Rectangularise ``rows``, drop empty rows and empty edge columns; None when nothing is left."""
    width = max((len(r) for r in rows), default=0)
    numbered = [
        (i + 1, [*r, *([""] * (width - len(r)))]) for i, r in enumerate(rows) if any(c.strip() for c in r)
    ]
    if not numbered or width == 0:
        return None
    used = [c for c in range(width) if any(r[c].strip() for _, r in numbered)]
    keep = range(used[0], used[-1] + 1)  # inner empty columns stay: a continued table keeps its shape
    cells = [[r[c] for c in keep] for _, r in numbered]
    return Grid(cells=cells, source=source, caption=caption, row_numbers=[n for n, _ in numbered])


def fill_spans(grid: list[list[str | None]]) -> list[list[str]]:
    """Fill cells that a reader reported as None (inside a merged area) from above or the left."""
    out: list[list[str]] = []
    for r, row in enumerate(grid):
        new: list[str] = []
        for c, value in enumerate(row):
            if value is None:
                above = out[r - 1][c] if r > 0 and c < len(out[r - 1]) else None
                left = new[c - 1] if c > 0 else None
                value = above if above not in (None, "") and r > 0 else (left or "")
            new.append(value)
        out.append(new)
    return out


def single_value_rows(grid: Grid) -> list[TextBlock]:
    """Rows holding one value (titles, 文号 lines, notes typed into a sheet) as text blocks.

    Spreadsheets have no paragraphs: such rows are where a sheet carries its narrative.
    """
    out = []
    for index, row in enumerate(grid.cells):
        values = {c for c in row if c.strip()}
        if len(values) == 1:
            row_no = grid.row_numbers[index] if index < len(grid.row_numbers) else index + 1
            src = Provenance(
                attachment=grid.source.attachment,
                sheet=grid.source.sheet,
                table=grid.source.table,
                row=row_no,
            )
            out.append(TextBlock(text=next(iter(values)), source=src))
    return out
