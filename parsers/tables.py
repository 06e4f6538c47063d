"""Grids → typed rule rows, once parsers.headers has said what each column holds.

General rules only: section rows that span the whole width (categories, 减分 sections),
footnotes, repeated headers, tables continued in a following grid, side-by-side column
groups, level-matrix layouts and cells packing several levels with their points.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

from rules.kind import TableContext, TableRow, cell_text
from rules.kinds import cutoff, points
from rules.kinds.points import (
    CANONICAL_CATEGORIES,
    PointsItem,
    canonical_category,
    heading_category,
    normalise_item,
    parse_points,
)
from rules.kinds.talent import caption_channel
from rules.levels import find_levels, is_level_only
from rules.numerals import NUMBER
from rules.provenance import Provenance
from rules.registry import KINDS, RuleRow
from rules.text import squash, strip_enumeration

from .grid import Grid, TextBlock
from .headers import Mapping, column_groups, find_header, is_header_like, level_matrix, map_row
from .rows import ParseProblem, ReadCoverage

CUTOFF, POINTS = cutoff.KIND.name, points.KIND.name
_FOOTNOTE = re.compile(
    r"^(?:注|备注|说明|资料来源|数据来源|填表说明|填报说明|[*※])\s*[:：\d、.]?|^(?:合计|小计|总计|共计)"
)
_RULE_LIKE = re.compile(
    rf"紧缺|急需|\d-\d{{2}}-\d{{2}}-\d{{2}}|{NUMBER}\s*分|积分|分数线|落户|职业资格|技能等级|[初中高]级工|技师"
)


_CONTINUED = re.compile(r"^(?:续表|续上表|续|\(续\)|接上表)")


def _section_title(row: list[str]) -> str | None:
    values = {c for c in row if c}
    if len(values) == 1 and len(row) >= 2:
        return next(iter(values))
    return None


@dataclass
class TableReader:
    """Reads grids one after another so a table split over several grids keeps its header."""

    context: str = ""  # document title etc., helps decide shortage vs. other lists
    year_hint: int | None = None
    default_channel: str = "人才引进落户"
    rows: list[RuleRow] = field(default_factory=list)
    problems: list[ParseProblem] = field(default_factory=list)
    footnotes: list[TextBlock] = field(default_factory=list)
    _previous: tuple[Grid, Mapping] | None = None
    _caption_channel: str | None = None  # "一、高技能人才落户" printed just above a talent table
    _heading: str = ""  # the caption of the table a continuation belongs to
    _titles: tuple[str, ...] = ()  # title rows above that table's header
    _section: str | None = None  # the last group row ("二、建筑业"), for a continuation
    coverage: ReadCoverage = field(default_factory=ReadCoverage)  # rule-like cells seen and read

    def new_file(self) -> None:
        """Tables never continue across files."""
        self._previous = None

    def read(self, grid: Grid) -> None:
        for part in split_sections(grid):
            self._read_one(part)

    def _read_one(self, grid: Grid) -> None:
        transposed = key_value_cutoff(grid)
        if transposed is not None:  # 项目 | 内容 rows (年度 | 2024年; 分数线 | 105分 …): one cut-off
            header = transposed.cells[0]
            kv = Mapping(kind=CUTOFF, columns=map_row(header, CUTOFF), header_rows=1, header=header)
            self._read_rows(transposed, kv)
            self._previous = None
            return
        mapping = find_header(grid, self.context)
        if mapping is None or mapping.kind == POINTS:
            pairs = points_rows(grid)
            if pairs and (mapping is None or pairs[0][0] < mapping.header_rows - 1):
                for label_row, points_row in pairs:
                    self._read_points_rows(grid, label_row, points_row)
                self._previous = None
                return
        matrix = level_matrix(grid) if mapping is None or mapping.kind == POINTS else None
        if matrix is not None and (
            mapping is None or mapping.first("item") is None or matrix[0] <= mapping.header_rows - 1
        ):
            self._read_matrix(grid, *matrix)
            self._previous = None
            return
        if mapping is None:
            prev = self._previous
            if (
                prev is not None
                and 2 <= grid.width <= prev[0].width
                and prev[0].source.attachment == grid.source.attachment
                and prev[0].source.sheet == grid.source.sheet
            ):
                mapping = replace(prev[1], header_rows=0)
            else:
                self._unrecognised(grid)
                return
        self._read_rows(grid, mapping)  # rows that look like rules and give none: unread_rows
        self._previous = (grid, mapping)

    def _unrecognised(self, grid: Grid) -> None:
        self._previous = None
        if len(grid.cells) >= 2 and grid.width >= 2 and _rule_like(grid.cells):
            self.coverage += ReadCoverage(sum(rule_like_cells(row) for row in grid.cells), 0)
            head = " | ".join(c for c in grid.cells[0] if c)[:120]
            self.problems.append(
                ParseProblem(
                    "unrecognised_columns",
                    f"table with rule-like content but unknown columns: {head}",
                    grid.source,
                )
            )

    def _source(self, grid: Grid, index: int) -> Provenance:
        row_no = grid.row_numbers[index] if index < len(grid.row_numbers) else index + 1
        return replace(grid.source, row=row_no)

    def _read_rows(self, grid: Grid, mapping: Mapping) -> None:
        header_squashed = [squash(c) for c in mapping.header]
        continued = mapping.header_rows == 0 or (
            self._previous is not None
            and [squash(c) for c in self._previous[1].header] == header_squashed
            and (
                not grid.caption
                or _CONTINUED.match(squash(grid.caption))
                or grid.caption == self._previous[0].caption
            )
        )
        # a continuation (续表, header repeated or not) keeps the first part's caption and group row
        section: str | None = self._section if continued else None
        if not continued:
            # the heading just above, else the nearest enclosing heading that names a channel
            self._caption_channel = next(
                filter(None, map(caption_channel, (grid.caption, *grid.outline))), None
            )
            self._heading = grid.caption
            # title rows above the header ("紧缺程度：一般紧缺"): context for every row, nearest first
            self._titles = tuple(
                title for row in reversed(grid.cells[: mapping.header_rows]) if (title := _section_title(row))
            )
        points_cols = map_row(mapping.header, POINTS).get("points", []) if mapping.kind == POINTS else []
        context = TableContext(
            year_hint=self.year_hint,
            default_channel=self.default_channel,
            caption_channel=self._caption_channel,
            heading=self._heading,
            titles=self._titles,
            other_points_columns=tuple(c for c in points_cols if c != mapping.first("points")),
        )
        spec = KINDS[mapping.kind]
        unread: list[int] = []
        partial: list[str] = []
        for index in range(mapping.header_rows, len(grid.cells)):
            row = grid.cells[index]
            first = next((c for c in row if c), "")
            if not first:
                continue
            if [squash(c) for c in row] == header_squashed or is_header_like(
                row, mapping.kind, mapping.header
            ):
                continue
            if _FOOTNOTE.match(squash(first)):
                if len({c for c in row if c}) <= 2:
                    self.footnotes.append(TextBlock(text=first, source=self._source(grid, index)))
                    continue
            title = _section_title(row)
            if title is not None and not spec.is_data_row(first):
                section = self._section = title
                continue
            groups = column_groups(mapping)
            spans = {k: tuple(v) for k, v in mapping.columns.items()} if len(groups) == 1 else {}
            cells = rule_like_cells(row)
            built_any = False
            missed: list[str] = []
            for group in groups:
                table_row = TableRow(
                    row, group, mapping.header, section, self._source(grid, index), spans=spans
                )
                built = spec.build_rows(table_row, context)
                self.rows.extend(built)
                built_any = built_any or bool(built)
                if built:
                    missed += [table_row.get(f) for f in spec.unread_fields(table_row, built)]
            self.coverage += ReadCoverage(cells, cells - len(missed) if built_any else 0)
            if cells and not built_any:
                unread.append(index)
            if missed:
                partial.append(f"row {self._source(grid, index).row}: " + "、".join(f"'{m}'" for m in missed))
        self._report_unread(grid, mapping.kind, unread, partial)

    def _report_unread(self, grid: Grid, kind: str, unread: list[int], partial: list[str]) -> None:
        """Rows that look like rules but gave none, and cells a row could not read: never silent."""
        if unread:
            rows = ", ".join(str(self._source(grid, i).row) for i in unread[:8])
            sample = " | ".join(c for c in grid.cells[unread[0]] if c)[:120]
            self.problems.append(
                ParseProblem(
                    "unread_rows",
                    f"{len(unread)} row(s) of a {kind} table look like rules but gave none "
                    f"(rows {rows}): {sample}",
                    grid.source,
                )
            )
        if partial:
            self.problems.append(
                ParseProblem(
                    "partial_row",
                    f"cells of a {kind} table that could not be read: {'; '.join(partial[:5])}",
                    grid.source,
                )
            )

    def _read_points_rows(self, grid: Grid, label_row: int, points_row: int) -> None:
        """A transposed points table: items across one row, their points in the row below
        (紧缺程度 | 特别紧缺 | 紧缺; 分值 | 15 | 10)."""
        labels, values = grid.cells[label_row], grid.cells[points_row]
        heading = heading_category(grid.caption)
        row_category = canonical_category(labels[0]) if labels[0] else None
        items = [(c, normalise_item(labels[c])) for c in range(1, len(labels)) if labels[c]]
        category = (
            (row_category if row_category in CANONICAL_CATEGORIES else None)
            or heading
            or ("技能水平" if all(is_level_only(labels[c]) for c, _ in items) else row_category)
            or "技能水平"
        )
        for c, item in items:
            value = parse_points(cell_text(values, c))
            seen = int(bool(cell_text(values, c)))
            self.coverage += ReadCoverage(seen, seen if value is not None and item is not None else 0)
            if value is None or item is None:
                continue
            self.rows.append(
                PointsItem(category=category, item=item, points=value.points, per=value.per, cap=value.cap,
                           sign=-1 if category == "减分" else value.sign, source=self._source(grid, points_row))
            )  # fmt: skip

    def _read_matrix(self, grid: Grid, header_row: int, levels: dict[int, str]) -> None:
        first_level_col = min(levels)
        heading = heading_category(grid.caption)
        for index in range(header_row + 1, len(grid.cells)):
            row = grid.cells[index]
            label = next((c for c in row[:first_level_col] if c), "")
            category = canonical_category(label) if label else heading or "技能水平"
            if category not in (None, "技能水平", "紧缺工种", "减分"):
                category = heading or ("技能水平" if re.search(r"分值|积分|分数", label) else category)
            for col, level in levels.items():
                value = parse_points(cell_text(row, col))
                seen = int(bool(rule_like_cells([cell_text(row, col)])))
                self.coverage += ReadCoverage(seen, seen if value is not None else 0)
                if value is not None:
                    self.rows.append(
                        PointsItem(category=category or "技能水平", item=level, points=value.points, per=value.per,
                                   cap=value.cap, sign=value.sign, source=self._source(grid, index))
                    )  # fmt: skip


# the header row of a two-column key/value table: 项目 | 内容, 事项 | 内容, 指标 | 数值
_KV_VALUE_HEADER = re.compile(r"^(?:具体)?(?:内容|数值|数据|值|说明|情况|标准|结果|信息|要求|明细)$")
_KV_FIELDS = ("year", "score", "quota", "window", "window_start", "window_end")


def key_value_cutoff(grid: Grid) -> Grid | None:
    """A cut-off table laid out vertically, labels in a column and values beside them
    (年度 | 2024年; 积分落户分数线 | 105分; 落户指标 | 1500个; 申报时间 | …), turned into the
    usual horizontal layout: one header row of labels, one row per value column (so
    项目 | 2023年 | 2024年 gives one row per year). None when the grid is not such a table."""
    if grid.width < 2 or grid.width > 12 or len(grid.cells) < 2:
        return None
    for label_col in range(min(2, grid.width - 1)):
        fields: dict[int, str] = {}
        for r, row in enumerate(grid.cells):
            label = strip_enumeration(squash(row[label_col])) if label_col < len(row) else ""
            found = map_row([label], CUTOFF) if label and not re.search(r"\d", label) else {}
            name = next(iter(found), None)
            cells = [squash(c) for c in row[label_col + 1 :] if c.strip()]
            if (
                name in _KV_FIELDS
                and len(label) <= 12
                and cells
                and any(re.search(NUMBER, v) for v in cells)  # a year, score, quota or date
                and not all(_KV_VALUE_HEADER.match(v) for v in cells)
            ):
                fields[r] = name
        names = set(fields.values())
        if len(names) < 2 or not names & {"score", "quota"} or len(names) < len(fields):
            continue
        first = min(fields)
        # the row naming the value columns (项目 | 2023年度 | 2024年度): the nearest one above with years
        head = next(
            (
                grid.cells[r]
                for r in range(first - 1, -1, -1)
                if sum(bool(re.search(r"(?:19|20)\d{2}", c)) for c in grid.cells[r][label_col + 1 :]) >= 1
            ),
            grid.cells[first - 1] if first > 0 else None,
        )
        header_values = head[label_col + 1 :] if head is not None else []
        values = range(label_col + 1, grid.width)
        if head is not None and all(not c or _KV_VALUE_HEADER.match(squash(c)) for c in header_values):
            head = None  # 项目 | 内容: names the columns, holds no value
        if head is not None and not any(re.search(r"(?:19|20)\d{2}", c) for c in header_values):
            head = None
        labels = ["年度"] if head is not None else []
        rows = [grid.cells[r] for r in sorted(fields)]
        labels += [strip_enumeration(squash(row[label_col])) for row in rows]
        body = []
        for c in values:
            column = ([head[c]] if head is not None else []) + [
                row[c] if c < len(row) else "" for row in rows
            ]
            if any(v.strip() for v in column):
                body.append(column)
        if not body:
            return None
        source_row = grid.row_numbers[first] if first < len(grid.row_numbers) else first + 1
        return Grid(
            cells=[labels, *body],
            source=grid.source,
            caption=grid.caption,
            row_numbers=[source_row] * (len(body) + 1),
        )
    return None


_POINTS_LABEL = re.compile(r"分值|积分|分数|计分|标准分|得分|赋分")


def points_rows(grid: Grid) -> list[tuple[int, int]]:
    """(label row, points row) pairs of a transposed points table: a row of items followed by
    a row labelled 分值 / 积分标准 holding their points (职业技能等级 | 初级工 | 中级工, 分值 | 10 | 20,
    学历 | 大专 | 本科, 分值 | 30 | 50); empty when the grid is not one."""
    pairs: list[tuple[int, int]] = []
    for r in range(len(grid.cells) - 1):
        if pairs and r == pairs[-1][1]:
            continue
        if r >= 6 and not pairs:
            break
        labels, values = grid.cells[r], grid.cells[r + 1]
        if not values or not _POINTS_LABEL.search(squash(values[0])) or re.search(r"\d", labels[0] or ""):
            continue
        columns = [
            c
            for c in range(1, min(len(labels), len(values)))
            if labels[c] and not re.search(r"\d", labels[c]) and parse_points(cell_text(values, c))
        ]
        if len(columns) >= 2:
            pairs.append((r, r + 1))
    return pairs


def _starts_table(grid: Grid, r: int) -> bool:
    """Whether row ``r`` opens a table of its own (a header, a level row, an item row over 分值)."""
    row = grid.cells[r]
    if len({c for c in row if c}) < 2:
        return False
    part = Grid(cells=grid.cells[r : r + 2], source=grid.source)
    return find_header(part) is not None or level_matrix(part) is not None or bool(points_rows(part))


def _opens_after_transposed(grid: Grid, r: int) -> bool:
    """Row ``r`` is a header of its own and the two rows above are a transposed item | 分值 pair."""
    row = grid.cells[r]
    if any(re.search(r"\d", c) for c in row if c) or len({c for c in row if c}) < 2:
        return False
    above = Grid(cells=grid.cells[r - 2 : r], source=grid.source)
    here = Grid(cells=grid.cells[r : r + 2], source=grid.source)
    return bool(points_rows(above)) and find_header(here) is not None


def split_sections(grid: Grid) -> list[Grid]:
    """A sheet stacking several small tables under their own titles ("一、技能水平计分标准"
    over a level row, "二、紧缺工种计分标准" over another), or a header row right under a
    transposed block → one grid per table, each titled by its heading. A title only at the top,
    or group rows inside one table, split nothing."""
    titled = [
        r
        for r, row in enumerate(grid.cells[:-1])
        if _section_title(row) is not None and _starts_table(grid, r + 1)
    ]
    # title rows above the one table of a sheet ("附件1", "…目录（非常紧缺）") split nothing
    if len(titled) == 1 and all(_section_title(row) for row in grid.cells[: titled[0]]):
        titled = []
    # (first row of the part, rows it skips, caption): a titled part skips its title row
    cuts = [(r, 1, _section_title(grid.cells[r]) or grid.caption) for r in titled]
    cuts += [
        (r, 0, grid.caption)
        for r in range(2, len(grid.cells) - 1)
        if r - 1 not in titled and _opens_after_transposed(grid, r)
    ]
    if not cuts:
        return [grid]
    cuts.sort()
    parts = []
    if cuts[0][0] > 0:
        parts.append(
            replace(grid, cells=grid.cells[: cuts[0][0]], row_numbers=grid.row_numbers[: cuts[0][0]])
        )
    for i, (start, skip, caption) in enumerate(cuts):
        end = cuts[i + 1][0] if i + 1 < len(cuts) else len(grid.cells)
        rows = slice(start + skip, end)
        parts.append(
            replace(grid, cells=grid.cells[rows], row_numbers=grid.row_numbers[rows], caption=caption)
        )
    return [p for p in parts if p.cells]


def rule_like_cells(row: list[str]) -> int:
    """Distinct cells of a row that look like part of a rule (a level, code, points, a number
    with its unit); a bare 序号 does not."""
    distinct = {squash(c) for c in row if c and squash(c)}
    return sum(
        1
        for c in distinct
        if _RULE_LIKE.search(c) or find_levels(c) or (re.search(r"\d", c) and not re.fullmatch(r"\d{1,3}", c))
    )


def _rule_like(cells: list[list[str]]) -> bool:
    hits = sum(1 for row in cells for c in row if c and _RULE_LIKE.search(c))
    return hits >= 3
