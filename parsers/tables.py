"""Grids → typed rule rows, once parsers.headers has said what each column holds.

General rules only: section rows that span the whole width (categories, 减分 sections),
footnotes, repeated headers, tables continued in a following grid, side-by-side column
groups, level-matrix layouts and cells packing several levels with their points.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

from .categories import (
    CANONICAL_CATEGORIES,
    canonical_category,
    infer_category,
    normalise_item,
    strip_enumeration,
)
from .dates import parse_day, parse_window
from .grid import Grid, TextBlock
from .headers import (
    CUTOFF,
    POINTS,
    SHORTAGE,
    TALENT,
    Mapping,
    column_groups,
    find_header,
    is_header_like,
    level_matrix,
    map_row,
)
from .levels import find_levels, is_level_only, normalise_level
from .numerals import NUMBER, parse_int, parse_number
from .occupations import normalise_occupation, split_code, strip_code
from .points import PointsValue, parse_points
from .rows import CutoffScore, ParseProblem, PointsItem, Provenance, RuleRow, ShortageEntry, TalentCondition
from .talent import age_limit, heading_channel, insurance_months, requirements
from .text import normalise_name, normalise_text, squash

_PLACEHOLDERS = {"—", "-", "/", "无", "——", "–", "－", "\\", "／", "×", "---", "--", "…"}
_FOOTNOTE = re.compile(
    r"^(?:注|备注|说明|资料来源|数据来源|填表说明|填报说明|[*※])\s*[:：\d、.]?|^(?:合计|小计|总计|共计)"
)
_RULE_LIKE = re.compile(
    rf"紧缺|急需|\d-\d{{2}}-\d{{2}}-\d{{2}}|{NUMBER}\s*分|积分|分数线|落户|职业资格|技能等级|[初中高]级工|技师"
)


def _cell(row: list[str], index: int | None) -> str:
    """The cell text, with placeholders ("—", "/", "无") read as empty."""
    value = row[index] if index is not None and index < len(row) else ""
    return "" if squash(value) in _PLACEHOLDERS else value


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
    _header: list[str] = field(default_factory=list)
    _other_points_columns: list[int] = field(default_factory=list)  # 分值 | 计分标准: both may hold points
    _caption_channel: str | None = None  # "一、高技能人才落户" printed just above a talent table

    def new_file(self) -> None:
        """Tables never continue across files."""
        self._previous = None

    def read(self, grid: Grid) -> None:
        transposed = key_value_cutoff(grid)
        if transposed is not None:  # 项目 | 内容 rows (年度 | 2024年; 分数线 | 105分 …): one cut-off
            header = transposed.cells[0]
            kv = Mapping(kind=CUTOFF, columns=map_row(header, CUTOFF), header_rows=1, header=header)
            self._read_rows(transposed, kv)
            self._previous = None
            return
        mapping = find_header(grid, self.context)
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
                and grid.width <= prev[0].width
                and prev[0].source.attachment == grid.source.attachment
            ):
                mapping = replace(prev[1], header_rows=0)
            else:
                self._unrecognised(grid)
                return
        before = len(self.rows)
        self._read_rows(grid, mapping)
        if len(self.rows) == before and _rule_like(grid.cells[mapping.header_rows :]):
            self.problems.append(
                ParseProblem(
                    "no_rows_read",
                    f"a {mapping.kind} table was recognised but none of its rows could be read",
                    grid.source,
                )
            )
        self._previous = (grid, mapping)

    def _unrecognised(self, grid: Grid) -> None:
        self._previous = None
        if len(grid.cells) >= 2 and grid.width >= 2 and _rule_like(grid.cells):
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
        section: str | None = None
        self._header = mapping.header
        if mapping.header_rows > 0:  # a new table (a continuation keeps the first one's caption)
            self._caption_channel = heading_channel(grid.caption) if mapping.kind == TALENT else None
        points_cols = map_row(mapping.header, POINTS).get("points", []) if mapping.kind == POINTS else []
        self._other_points_columns = [c for c in points_cols if c != mapping.first("points")]
        header_squashed = [squash(c) for c in mapping.header]
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
            if title is not None and not self._row_is_data(mapping, row):
                section = title
                continue
            for group in column_groups(mapping):
                self._read_row(mapping.kind, row, group, section, self._source(grid, index))

    def _row_is_data(self, mapping: Mapping, row: list[str]) -> bool:
        value = next(c for c in row if c)
        if mapping.kind == POINTS:
            return (
                parse_points(value) is not None and bool(re.search(r"\d|分", value)) and "减分" not in value
            )
        if mapping.kind == CUTOFF:
            return bool(re.search(r"\d", value))
        return False

    def _read_row(
        self, kind: str, row: list[str], cols: dict[str, int], section: str | None, src: Provenance
    ) -> None:
        if kind == SHORTAGE:
            self._shortage(row, cols, section, src)
        elif kind == POINTS:
            self._points(row, cols, section, src)
        elif kind == TALENT:
            self._talent(row, cols, section, src)
        else:
            self._cutoff(row, cols, src)

    def _shortage(self, row: list[str], cols: dict[str, int], section: str | None, src: Provenance) -> None:
        printed = _cell(row, cols.get("occupation"))
        code_cell = _cell(row, cols.get("code"))
        code, suffix = split_code(code_cell) if code_cell else (None, None)
        if code is None:
            code, suffix = split_code(printed)
        name = normalise_occupation(printed) if printed else ""
        work_type = normalise_name(_cell(row, cols.get("work_type"))) if "work_type" in cols else None
        if not name and work_type:
            name, work_type = work_type, None
        if not name or name == normalise_name(_cell(row, cols.get("category"))) and "category" in cols:
            return
        if name in {"合计", "小计", "总计"} or re.fullmatch(r"\d+", name):
            return
        if work_type and work_type == name:
            work_type = None
        if suffix and not work_type and "work_type" not in cols:
            work_type = suffix
        level_cell = _cell(row, cols.get("level"))
        category = normalise_name(_cell(row, cols.get("category"))) if "category" in cols else None
        if not category and section:
            category = normalise_name(strip_enumeration(normalise_name(section) or ""))
        elif category:
            category = strip_enumeration(category) or category
        self.rows.append(
            ShortageEntry(
                occupation=name,
                occupation_printed=normalise_text(strip_code(printed) or printed) or name,
                code=code,
                work_type=work_type,
                degree=normalise_name(_cell(row, cols.get("degree"))),
                level=normalise_level(level_cell),
                category=category,
                notes=normalise_text(_cell(row, cols.get("notes"))),
                source=src,
            )
        )

    def _points(self, row: list[str], cols: dict[str, int], section: str | None, src: Provenance) -> None:
        cat_cell = _cell(row, cols.get("category"))
        item_cell = _cell(row, cols.get("item"))
        points_cell = _cell(row, cols.get("points"))
        notes = normalise_text(_cell(row, cols.get("notes")))
        if item_cell == cat_cell and "item" in cols and "category" in cols and not points_cell:
            return
        if not item_cell and not points_cell:
            return
        deduction_section = bool(section and re.search(r"减分|扣分|扣除|负面", section))
        category = canonical_category(cat_cell) if cat_cell else None
        section_category = canonical_category(section) if section else None
        if category is None and section_category in CANONICAL_CATEGORIES:
            category = section_category  # "一、基础指标" is a grouping, not a category
        if deduction_section:
            category = "减分"
        if not item_cell or item_cell == cat_cell and "item" in cols:
            item_cell = item_cell or cat_cell
        packed = split_packed_points(points_cell)
        if packed and not is_level_only(item_cell):
            for level, packed_value in packed:
                self.rows.append(
                    PointsItem(category=category or "技能水平", item=level, points=packed_value.points,
                               per=packed_value.per, cap=packed_value.cap,
                               sign=-1 if deduction_section else packed_value.sign, conditions=notes, source=src)
                )  # fmt: skip
            return
        value = parse_points(points_cell)
        for other in self._other_points_columns:
            if value is None:
                value = parse_points(_cell(row, other))
        if value is None:
            value = parse_points(item_cell) if re.search(r"分", item_cell) else None
        if value is None:
            return
        item = normalise_item(item_cell) or category
        if item is None:
            return
        sign = -1 if deduction_section or category == "减分" else value.sign
        if category is None:
            category = infer_category(item_cell) or ("减分" if sign < 0 else section_category or item)
        self.rows.append(
            PointsItem(category=category, item=item, points=value.points, per=value.per, cap=value.cap,
                       sign=sign, conditions=notes, source=src)
        )  # fmt: skip

    def _talent(self, row: list[str], cols: dict[str, int], section: str | None, src: Provenance) -> None:
        channel_cell = _cell(row, cols.get("channel"))
        req_cell = _cell(row, cols.get("requirement"))
        if not req_cell:
            return
        channel = normalise_name(strip_enumeration(channel_cell)) if channel_cell else None
        channel = (
            channel
            or (normalise_name(strip_enumeration(section)) if section else None)
            or self._caption_channel
            or self.default_channel
        )
        if "months" in cols:
            months = _months_value(_cell(row, cols.get("months")), _header_of(cols, "months", self._header))
        else:
            months = insurance_months(req_cell)
        if "age" in cols:
            age = _age_value(_cell(row, cols.get("age")))
        else:
            age = age_limit(req_cell)
        reqs = requirements(req_cell) or [(normalise_name(req_cell) or "", None)]
        conditions = normalise_text(_cell(row, cols.get("conditions")))
        for requirement, level in reqs:
            if requirement:
                self.rows.append(
                    TalentCondition(channel=channel, requirement=requirement, level=level,
                                    social_insurance_months=months, age_limit=age, conditions=conditions, source=src)
                )  # fmt: skip

    def _cutoff(self, row: list[str], cols: dict[str, int], src: Provenance) -> None:
        year_cell = _cell(row, cols.get("year"))
        m = re.search(r"(20\d{2}|19\d{2})", year_cell)
        year = int(m.group(1)) if m else self.year_hint
        score = parse_number(re.sub(r"[分\s]", "", _cell(row, cols.get("score"))) or None)
        quota = parse_int(re.sub(r"[个名人户\s]", "", _cell(row, cols.get("quota"))) or None)
        start, end = parse_window(_cell(row, cols.get("window")), year)
        if start is None and "window_start" in cols:
            start = parse_day(_cell(row, cols.get("window_start")), year)
            end = parse_day(_cell(row, cols.get("window_end")), year)
        if year is None or (score is None and quota is None):
            return
        self.rows.append(
            CutoffScore(year=year, score=score, quota=quota, window_start=start, window_end=end, source=src)
        )

    def _read_matrix(self, grid: Grid, header_row: int, levels: dict[int, str]) -> None:
        first_level_col = min(levels)
        for index in range(header_row + 1, len(grid.cells)):
            row = grid.cells[index]
            label = next((c for c in row[:first_level_col] if c), "")
            category = canonical_category(label) if label else "技能水平"
            if category not in (None, "技能水平", "紧缺工种", "减分"):
                category = "技能水平" if re.search(r"分值|积分|分数", label) else category
            for col, level in levels.items():
                value = parse_points(_cell(row, col))
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
    if grid.width < 2 or grid.width > 5 or len(grid.cells) < 2:
        return None
    for label_col in range(min(2, grid.width - 1)):
        fields: dict[int, str] = {}
        for r, row in enumerate(grid.cells):
            label = strip_enumeration(squash(row[label_col])) if label_col < len(row) else ""
            found = map_row([label], CUTOFF) if label and not re.search(r"\d", label) else {}
            name = next(iter(found), None)
            cells = [squash(c) for c in row[label_col + 1 :] if c.strip()]
            if name in _KV_FIELDS and cells and not all(_KV_VALUE_HEADER.match(v) for v in cells):
                fields[r] = name
        names = set(fields.values())
        if len(names) < 2 or not names & {"score", "quota"} or len(names) < len(fields):
            continue
        first = min(fields)
        head = grid.cells[first - 1] if first > 0 else None
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


def _header_of(cols: dict[str, int], name: str, header: list[str]) -> str:
    index = cols.get(name)
    return header[index] if index is not None and index < len(header) else ""


def _months_value(cell: str, header: str) -> int | None:
    """Insurance months from a cell: "满6个月", "连续缴纳满1年", or a bare number in a (月)/(年) column."""
    if not cell:
        return None
    bare = parse_number(re.sub(r"[个月年\s]", "", cell)) if re.fullmatch(rf"\s*{NUMBER}\s*", cell) else None
    if bare is not None:
        return int(bare * 12) if "年" in header and "月" not in header else int(bare)
    months = insurance_months(f"社保{cell}")
    return months if months is not None else _months_from_cell(cell)


def _age_value(cell: str) -> int | None:
    """Upper age limit from a cell: "45周岁以下", "不超过45周岁", or a bare number."""
    if not cell:
        return None
    bare = re.fullmatch(
        rf"\s*(?:≤|<=|<|不超过|不大于)?\s*({NUMBER})\s*(?:周岁|岁)?\s*(?:以下|以内|及以下)?\s*", cell
    )
    if bare:
        value = parse_int(bare.group(1))
        return value if value is not None and 14 <= value <= 80 else None
    return age_limit(f"年龄{cell}")


def _months_from_cell(cell: str) -> int | None:
    m = re.search(rf"({NUMBER})\s*(个月|月|年)", cell)
    if not m:
        return None
    n = parse_number(m.group(1))
    if n is None:
        return None
    return int(n * 12) if m.group(2) == "年" else int(n)


_PACKED_SPLIT = re.compile(r"[；;，,、\n]")


def split_packed_points(text: str) -> list[tuple[str, PointsValue]]:
    """A cell listing several levels with points ("初级工10分；中级工20分") → [(level, value)]."""
    if not text:
        return []
    parts = [p for p in _PACKED_SPLIT.split(text) if p.strip()]
    if len(parts) < 2:
        return []
    out = []
    for part in parts:
        levels = find_levels(part)
        value = (
            parse_points(re.sub(r"^.*?(?=[+\-−]?\s*" + NUMBER + r"\s*分)", "", part))
            if "分" in part
            else None
        )
        if len(levels) != 1 or value is None:
            return []
        out.append((levels[0], value))
    return out


def _rule_like(cells: list[list[str]]) -> bool:
    hits = sum(1 for row in cells for c in row if c and _RULE_LIKE.search(c))
    return hits >= 3
