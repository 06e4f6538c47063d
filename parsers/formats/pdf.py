"""PDF: ruled tables via pdfplumber, the rest of the text layer as narrative lines.

Scanned PDFs (images only, no text layer) are reported, never read as "no rules".
"""

from __future__ import annotations

import io
import logging
import re
from collections.abc import Callable
from typing import Any

import pdfplumber
from pdfplumber.utils import extract_text

from rules.provenance import Provenance
from rules.text import nfkc

from ..grid import Extracted, ReadFailure, TextBlock, fill_spans, make_grid
from ..rows import ParseProblem

MAX_PAGES = 300
logging.getLogger("pdfminer").setLevel(logging.ERROR)


def _inside(obj: dict[str, Any], boxes: list[tuple[float, float, float, float]]) -> bool:
    x = (obj["x0"] + obj["x1"]) / 2
    y = (obj["top"] + obj["bottom"]) / 2
    return any(x0 <= x <= x1 and top <= y <= bottom for x0, top, x1, bottom in boxes)


Box = tuple[float, float, float, float]


Char = dict[str, Any]
_LINE_TOLERANCE = 3.0  # chars whose tops differ less than this are on one line


def _in_box(char: Char, box: Box) -> bool:
    """pdfplumber's own rule for a char belonging to a cell: its midpoint lies inside."""
    x = (char["x0"] + char["x1"]) / 2
    y = (char["top"] + char["bottom"]) / 2
    return box[0] <= x < box[2] and box[1] <= y < box[3]


def _lines(chars: list[Char]) -> list[list[Char]]:
    """Chars grouped into text lines (top to bottom), each line left to right."""
    lines: list[list[Char]] = []
    for char in sorted(chars, key=lambda ch: (ch["top"], ch["x0"])):
        if lines and abs(char["top"] - lines[-1][0]["top"]) < _LINE_TOLERANCE:
            lines[-1].append(char)
        else:
            lines.append([char])
    return [sorted(line, key=lambda ch: ch["x0"]) for line in lines]


def _size(char: Char) -> float:
    return float(char.get("size") or (char["bottom"] - char["top"]) or 10.0)


def _assign_chars(table: Any) -> tuple[dict[tuple[int, int], list[Char]], set[tuple[int, int]], list[Char]]:
    """Each cell's chars, with text that spilled out of its cell given back to it.

    pdfplumber puts a char in the cell holding its midpoint, so a cell's text loses
    (1) chars that overflow its right edge ("含职业技能等级证|书" where 书 sticks out of the
    table) and (2) a wrapped second line that a fixed row height pushed below the cell's
    bottom (into the next row's cell, or under the table). Those are rejoined here:
    (1) a char outside every cell on a cell's text line, touching it or the char before it;
    (2) a line directly under a cell's last line (line spacing, not row spacing) when that
    last line runs to the cell's right edge, i.e. the text wrapped there.
    Returns the chars per (row, column), the cells that changed and the chars claimed from
    outside the table.
    """
    boxes: list[list[Box | None]] = [list(row.cells) for row in table.rows]
    cells = {(r, c): box for r, row in enumerate(boxes) for c, box in enumerate(row) if box is not None}
    x0, top, x1, bottom = table.bbox
    chars = [
        ch
        for ch in table.page.chars
        if ch["text"].strip()
        and x0 - 40 <= ch["x0"]
        and ch["x1"] <= x1 + 120
        and top - 5 <= ch["top"] <= bottom + 40
    ]
    owned: dict[tuple[int, int], list[Char]] = {key: [] for key in cells}
    stray: list[Char] = []
    for ch in chars:
        key = next((k for k, box in cells.items() if _in_box(ch, box)), None)
        if key is None:
            stray.append(ch)
        else:
            owned[key].append(ch)
    claimed: list[Char] = []
    changed: set[tuple[int, int]] = set()
    # (1) horizontal overflow, left to right so a run of spilled chars chains
    for ch in sorted(stray, key=lambda c: c["x0"]):
        for key, box in cells.items():
            on_line = [o for o in owned[key] if abs(o["top"] - ch["top"]) < _LINE_TOLERANCE]
            if not on_line or not box[1] <= (ch["top"] + ch["bottom"]) / 2 < box[3] + _size(ch):
                continue
            last = max(on_line, key=lambda o: o["x1"])
            if (
                last["x1"] <= ch["x0"] + 0.5
                and ch["x0"] - last["x1"] <= 0.5 * _size(ch)
                and last["x1"] >= box[2] - 2 * _size(ch)
            ):
                owned[key].append(ch)
                claimed.append(ch)
                changed.add(key)
                break
    # (2) vertical wrap: the first line of the cell below (or of the stray text under the table)
    ncols = max((len(r) for r in boxes), default=0)
    under = [ch for ch in stray if ch not in claimed and (ch["top"] + ch["bottom"]) / 2 >= bottom]
    row_tops = {
        key: _lines(chars)[0][0]["top"] for key, chars in owned.items() if chars
    }  # first text line of every cell, before anything moves
    for c in range(ncols):
        keys = [(r, c) for r in range(len(boxes)) if (r, c) in cells]
        for i, upper in enumerate(keys):
            if not owned[upper]:
                continue
            box = cells[upper]
            last_line = _lines(owned[upper])[-1]
            size = _size(last_line[-1])
            if last_line[-1]["x1"] < box[2] - 1.5 * size:
                continue  # the last line stops short of the edge: it did not wrap
            if i + 1 < len(keys):
                lower = keys[i + 1]
                candidates = owned[lower]
                own = [t for (r, col), t in row_tops.items() if r == lower[0] and col != c]
                if candidates and any(
                    abs(t - _lines(candidates)[0][0]["top"]) < _LINE_TOLERANCE for t in own
                ):
                    continue  # level with the row's other cells: that row's own text
            else:
                # under the table: only a line that starts across the bottom rule (pushed out
                # of the row) and stays inside this column; a paragraph below is neither
                lower = None
                below = _lines(under)[0] if under else []
                inside = all(box[0] <= ch["x0"] and ch["x1"] <= box[2] + size for ch in below)
                candidates = below if inside and below and below[0]["top"] < bottom + 0.3 * size else []
            if not candidates:
                continue
            first = _lines(candidates)[0]
            gap = first[0]["top"] - last_line[0]["top"]
            indent = first[0]["x0"] - _lines(owned[upper])[0][0]["x0"]
            if not (_LINE_TOLERANCE <= gap <= 1.5 * size) or not -0.5 * size <= indent <= size:
                continue
            if lower is not None:
                owned[lower] = [ch for ch in owned[lower] if all(ch is not f for f in first)]
                changed.add(lower)
            else:
                claimed.extend(first)
            owned[upper].extend(first)
            changed.add(upper)
    return owned, changed, claimed


def _table_cells(table: Any) -> tuple[list[list[str | None]], list[Char]]:
    """Cell texts with merged areas resolved by geometry: a position pdfplumber reports as
    None takes the text of the cell whose box covers it (left for a colspan, above for a
    rowspan); a line break inside a cell is a wrap ("最高1\n0分"), not a separator; text
    that spilled out of its cell is rejoined (see :func:`_assign_chars`)."""
    texts = [
        [None if v is None else nfkc(v).replace("\n", "").strip() for v in row] for row in table.extract()
    ]
    try:
        owned, changed, claimed = _assign_chars(table)
    except Exception:  # geometry is a refinement: never lose the plain extraction over it
        owned, changed, claimed = {}, set(), []
    for r, c in changed:
        if r < len(texts) and c < len(texts[r]):
            chars = owned[(r, c)]
            texts[r][c] = nfkc(extract_text(chars)).replace("\n", "").strip() if chars else ""
    boxes: list[list[Box | None]] = [list(row.cells) for row in table.rows]
    if len(boxes) != len(texts):
        return texts, claimed
    ncols = max((len(r) for r in boxes), default=0)
    x_mid: list[float | None] = []
    for c in range(ncols):
        col: list[Box] = [box for r in boxes if c < len(r) and (box := r[c]) is not None]
        narrow = min(col, key=lambda b: b[2] - b[0]) if col else None
        x_mid.append((narrow[0] + narrow[2]) / 2 if narrow else None)
    anchors = [
        (box, texts[r][c])
        for r, row in enumerate(boxes)
        for c, box in enumerate(row)
        if box is not None and c < len(texts[r])
    ]
    for r, row in enumerate(boxes):
        present = [b for b in row if b is not None]
        if not present:
            continue
        low = min(present, key=lambda b: b[3] - b[1])
        y = (low[1] + low[3]) / 2
        for c in range(min(len(row), len(texts[r]))):
            x = x_mid[c]
            if texts[r][c] is None and x is not None:
                for (x0, top, x1, bottom), value in anchors:
                    if x0 <= x <= x1 and top <= y <= bottom:
                        texts[r][c] = value
                        break
    return texts, claimed


_TEXT_STRATEGY = {"vertical_strategy": "text", "horizontal_strategy": "text"}


def _text_tables(page: pdfplumber.page.Page) -> list[Any]:
    """Tables without ruling lines, found from text alignment; kept only if their header is
    recognised (text alignment finds "tables" in ordinary paragraphs too)."""
    from ..headers import find_header

    found = []
    for table in page.find_tables(_TEXT_STRATEGY):
        rows = [[nfkc(v or "").replace("\n", "").strip() for v in row] for row in table.extract()]
        grid = make_grid(rows, Provenance())
        if grid is not None and len(grid.cells) >= 2 and find_header(grid) is not None:
            found.append(table)
    return found


def _char_key(obj: Char) -> tuple[object, ...]:
    return (obj.get("object_type"), obj.get("text"), round(obj["x0"], 2), round(obj["top"], 2))


def _outside(boxes: list[tuple[float, float, float, float]], claimed: list[Char]) -> Callable[[Char], bool]:
    """Objects outside every table and not claimed by a table cell (text spilled out of it)."""
    taken = {_char_key(ch) for ch in claimed}

    def keep(obj: Char) -> bool:
        return not _inside(obj, boxes) and (not taken or _char_key(obj) not in taken)

    return keep


def _open(data: bytes) -> pdfplumber.PDF:
    try:
        pdf = pdfplumber.open(io.BytesIO(data))
        _ = pdf.pages  # forces the page tree: damaged files fail here
        return pdf
    except Exception as exc:
        name = type(exc).__name__
        text = f"{name}: {exc!r}"
        if "Password" in text or "password" in text.lower() or "encrypt" in text.lower():
            raise ReadFailure("encrypted", "PDF is password-protected") from exc
        if b"%%EOF" not in data[-2048:]:
            raise ReadFailure(
                "truncated", f"PDF has no end-of-file marker (truncated download?): {text}"
            ) from exc
        raise ReadFailure("corrupt_file", f"cannot open PDF: {text}") from exc


def read_pdf(data: bytes, attachment: str | None = None) -> Extracted:
    """Tables per page (merged cells filled) and text lines outside those tables."""
    pdf = _open(data)
    out = Extracted()
    chars = 0
    images = 0
    try:
        with pdf:
            if len(pdf.pages) > MAX_PAGES:  # rows past the cap must not look like removed rules
                out.problems.append(
                    ParseProblem(
                        "too_large",
                        f"PDF has {len(pdf.pages)} pages; only the first {MAX_PAGES} were read",
                        Provenance(attachment=attachment),
                    )
                )
            for page_no, page in enumerate(pdf.pages[:MAX_PAGES], start=1):
                chars += len(page.chars)
                images += len(page.images)
                tables = page.find_tables() or _text_tables(page)
                boxes = [t.bbox for t in tables]
                cells = [_table_cells(table) for table in tables]
                claimed = [ch for _, taken in cells for ch in taken]
                last_line = ""
                text_page = page.filter(_outside(boxes, claimed)) if boxes else page
                lines = [nfkc(line).strip() for line in (text_page.extract_text() or "").splitlines()]
                for paragraph in join_wrapped_lines([line for line in lines if line]):
                    out.texts.append(
                        TextBlock(text=paragraph, source=Provenance(attachment=attachment, page=page_no))
                    )
                    last_line = paragraph
                for t_index, (table, (texts, _)) in enumerate(zip(tables, cells, strict=True), start=1):
                    header = " ".join(c for c in (texts[0] if texts else []) if c)
                    caption = _caption_above(page, table.bbox, header) or last_line
                    source = Provenance(attachment=attachment, page=page_no, table=t_index)
                    grid = make_grid(fill_spans(texts), source, caption=caption)
                    if grid is not None:
                        out.grids.append(grid)
    except ReadFailure:
        raise
    except Exception as exc:
        raise ReadFailure("corrupt_file", f"damaged PDF content: {type(exc).__name__}: {exc}") from exc
    if chars == 0:
        raise ReadFailure(
            "no_text_layer",
            f"PDF has no text layer ({images} images): a scan, needs OCR",
        )
    return out


_TERMINAL = ("。", ";", "；", ":", "：", "!", "！", "?", "？")
_STARTS_BLOCK = re.compile(
    r"^(?:[一二三四五六七八九十]+、|[(（][一二三四五六七八九十\d]+[)）]|第[一二三四五六七八九十百\d]+[条章节]|\d+[.、]|附件|注[:：])"
)


def join_wrapped_lines(lines: list[str]) -> list[str]:
    """Rebuild paragraphs from PDF text lines: a full-width line not ending a sentence wraps."""
    if not lines:
        return []
    width = max(len(line) for line in lines)
    paragraphs = [lines[0]]
    for line in lines[1:]:
        prev = paragraphs[-1]
        wrapped = not prev.endswith(_TERMINAL) and (
            len(prev.splitlines()[-1]) >= 0.8 * width or prev.endswith((",", "，", "、"))
        )
        if wrapped and not _STARTS_BLOCK.match(line):
            paragraphs[-1] = prev + "\n" + line
        else:
            paragraphs.append(line)
    return [p.replace("\n", "") for p in paragraphs]


def _caption_above(
    page: pdfplumber.page.Page, bbox: tuple[float, float, float, float], header: str = ""
) -> str:
    """The line just above a table (its heading), skipping the table's own header row when the
    table was found below it."""
    x0, top, x1, _ = bbox
    if top <= 1:
        return ""
    region = page.crop((0, max(0, top - 90), page.width, top))
    lines = [nfkc(line).strip() for line in (region.extract_text() or "").splitlines() if line.strip()]
    own = re.sub(r"\s+", "", nfkc(header or ""))
    lines = [line for line in lines if not own or re.sub(r"\s+", "", line) != own]
    return lines[-1] if lines else ""
