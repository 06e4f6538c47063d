"""Table headers: which rule kind a table holds and which column is which field.

Recognition is by header synonyms (职业名称 / 职业(工种)名称 / 工种名称 …), tolerant of title
rows above the header, two-row headers under a merged group label, and repeated headers.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from rules.levels import is_level_only, normalise_level
from rules.registry import KINDS
from rules.text import squash

from .grid import Grid

# Candidates in tie-break order (a cut-off table also names years and quotas …).
_BY_PRIORITY = sorted(KINDS.values(), key=lambda k: k.header_priority)


@dataclass
class Mapping:
    """A recognised header: the kind and which column holds which field."""

    kind: str
    columns: dict[str, list[int]]
    header_rows: int  # index of the first data row
    header: list[str] = field(default_factory=list)

    def first(self, name: str) -> int | None:
        cols = self.columns.get(name)
        return cols[0] if cols else None


def _match_field(cell: str, synonyms: dict[str, tuple[str, ...]]) -> str | None:
    key = (
        re.sub(r"\(.*?\)$", "", cell)
        if not any(cell == s for syns in synonyms.values() for s in syns)
        else cell
    )
    for name, syns in synonyms.items():
        if cell in syns or key in syns:
            return name
    best: tuple[int, str] | None = None
    for name, syns in synonyms.items():
        for s in syns:
            if len(s) >= 2 and s in cell and (best is None or len(s) > best[0]):
                best = (len(s), name)
    return best[1] if best else None


def map_row(cells: list[str], kind: str) -> dict[str, list[int]]:
    spec = KINDS[kind]
    columns: dict[str, list[int]] = {}
    seen: set[str] = set()
    for index, raw in enumerate(cells):
        cell = squash(raw).replace("（", "(").replace("）", ")")
        if not cell or len(cell) > 16 or cell in seen and not spec.repeated_column:
            continue
        name = _match_field(cell, spec.header_synonyms)
        if name:
            if cell in seen and name in columns and columns[name][-1] == index - 1:
                continue  # a merged header cell repeated across columns
            seen.add(cell)
            columns.setdefault(name, []).append(index)
    return columns


def _best_kind(row: list[str], context: str) -> tuple[float, str, dict[str, list[int]]] | None:
    candidates = []
    for spec in _BY_PRIORITY:
        cols = spec.adjust_columns(map_row(row, spec.name))
        if any(all(f in cols for f in req) for req in spec.required_columns):
            score = len(cols) + sum(len(v) for v in cols.values()) / 100
            if spec.header_context is not None and spec.header_context.search(context):
                score += 1
            candidates.append((score, spec.name, cols))
    if not candidates:
        return None
    candidates.sort(key=lambda c: -c[0])
    return candidates[0]


def _with_weak_columns(cols: dict[str, list[int]], header: list[str], kind: str) -> dict[str, list[int]]:
    """Columns named by words too plain to recognise a table by ("等级"), once its kind is known."""
    weak = KINDS[kind].weak_header_synonyms
    taken = {c for v in cols.values() for c in v}
    out = {k: list(v) for k, v in cols.items()}
    for index, raw in enumerate(header):
        cell = squash(raw)
        for name, words in weak.items():
            if name not in out and index not in taken and cell in words:
                out[name] = [index]
    return out


def _stack(rows: list[list[str]], kind: str) -> list[str]:
    """A header of several rows (group labels above sub-labels, 一级/二级/三级 above 分值/上限):
    per column the lowest label that names a field of ``kind``, else the lowest label."""
    synonyms = KINDS[kind].header_synonyms
    width = max(len(r) for r in rows)
    out = []
    for c in range(width):
        labels = [r[c] for r in rows if c < len(r) and r[c]]
        named = [
            label
            for label in labels
            if _match_field(squash(label).replace("（", "(").replace("）", ")"), synonyms)
        ]
        label = (named or labels or [""])[-1]
        if named and labels and labels[-1] != label and _SEX_LABEL.fullmatch(labels[-1]):
            label = f"{label}({labels[-1]})"  # 年龄要求 over 男 | 女: one column per sex
        out.append(label)
    return out


_SEX_LABEL = re.compile(r"男性?|女性?")


def find_header(grid: Grid, context: str = "") -> Mapping | None:
    """The first row (of the first 15) that names enough columns for one rule kind.

    Header rows below it (sub-labels under merged group labels, up to three rows) are
    stacked with it, each column taking its most specific label.
    """
    context = context + grid.caption
    for r, row in enumerate(grid.cells[:15]):
        if len({c for c in row if c}) < 2:
            continue
        best = _best_kind(row, context)
        if best is None:
            continue
        _, kind, cols = best
        header = row
        end = r + 1
        while (
            end < len(grid.cells)
            and end - r < 4
            and _continues_header(grid.cells[end], grid.cells[end - 1], kind)
        ):
            end += 1
        if end > r + 1:
            stacked = _stack(grid.cells[r:end], kind)
            better = _best_kind(stacked, context)
            if better is not None and len(better[2]) >= len(cols):
                _, kind, cols = better
                header = stacked
        start = end
        while start < len(grid.cells) and is_header_like(grid.cells[start], kind, header):
            start += 1
        return Mapping(
            kind=kind, columns=_with_weak_columns(cols, header, kind), header_rows=start, header=header
        )
    return None


def _continues_header(row: list[str], above: list[str], kind: str) -> bool:
    """A row under a header row that is more header (sub-labels under merged group labels):
    no numbers, and either it repeats a merged label of the row above or names enough fields."""
    if row == above:
        return True
    filled = [c for c in row if c]
    if not filled or (len(filled) > 1 and len(set(filled)) == 1):
        return False  # a row merged across the table is a title or group row
    if any(re.search(r"\d", c) for c in filled if not re.fullmatch(r"每满?\d+\S{0,3}", c)):
        return False
    hits = sum(len(v) for v in map_row(row, kind).values())
    merged = any(c and c == above[i] for i, c in enumerate(row) if i < len(above))
    # a group label merged over columns this row tells apart (积分标准 over 分值 | 上限)
    split_group = any(
        above[i] and above[i] == above[i + 1] and row[i] != row[i + 1]
        for i in range(min(len(row), len(above)) - 1)
    )
    return hits >= 2 and (merged or split_group or hits >= len(filled) - 1)


def is_header_like(row: list[str], kind: str, header: list[str]) -> bool:
    if row == header:
        return True
    filled = [c for c in row if c]
    if not filled or (len(filled) > 1 and len(set(filled)) == 1):
        return False  # a row merged across the table is a title or group row, never a header
    mapped = map_row(row, kind)
    hits = sum(len(v) for v in mapped.values())
    return hits >= max(2, len(filled) - 1) and not any(re.search(r"\d", c) for c in filled)


def level_matrix(grid: Grid) -> tuple[int, dict[int, str]] | None:
    """A header row whose cells are skill levels (初级工 | 中级工 | 高级工 …): a points matrix."""
    for r, row in enumerate(grid.cells[:6]):
        levels = {c: normalise_level(cell) for c, cell in enumerate(row) if cell and is_level_only(cell)}
        levels = {c: lv for c, lv in levels.items() if lv}
        if len(set(levels.values())) >= 3:
            return r, levels  # type: ignore[return-value]
    return None


def column_groups(mapping: Mapping) -> list[dict[str, int]]:
    """Side-by-side repeats of the same columns (序号|职业|代码|序号|职业|代码) → one dict each."""
    anchor = KINDS[mapping.kind].repeated_column
    if anchor and len(mapping.columns.get(anchor, [])) >= 2:
        starts = mapping.columns[anchor]
        groups = []
        for i, start in enumerate(starts):
            end = starts[i + 1] if i + 1 < len(starts) else 10_000
            lo = starts[i - 1] if i > 0 else -1
            group = {}
            for name, cols in mapping.columns.items():
                inside = [c for c in cols if (lo < c < end) and (c >= start or name == "seq" or c > lo)]
                nearest = [c for c in inside if c >= start] or inside
                if nearest:
                    group[name] = nearest[0]
            groups.append(group)
        return groups
    return [{name: cols[0] for name, cols in mapping.columns.items()}]
