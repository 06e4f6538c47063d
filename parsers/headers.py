"""Table headers: which rule kind a table holds and which column is which field.

Recognition is by header synonyms (职业名称 / 职业(工种)名称 / 工种名称 …), tolerant of title
rows above the header, two-row headers under a merged group label, and repeated headers.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .grid import Grid
from .levels import is_level_only, normalise_level
from .text import squash

SHORTAGE, POINTS, TALENT, CUTOFF = (
    "shortage_occupations",
    "points_schedule",
    "talent_settlement",
    "points_cutoff",
)

# field → synonyms (space-separated), most specific first; matched on the header cell with
# whitespace removed and brackets made ASCII. An exact match wins over a contained one.
_SYNONYM_TEXT: dict[str, dict[str, str]] = {
    SHORTAGE: {
        "seq": "序号 编号 序",
        "code": "职业编码 职业代码 职业(工种)代码 职业(工种)编码 工种代码 工种编码 分类代码 职业分类代码 大典编码 "
        "国家职业分类代码 代码 编码 职业分类编码",
        "occupation": "职业(工种)名称 职业(工种) 职业名称 职业工种名称 紧缺职业(工种) 紧缺职业(工种)名称 紧缺职业 "
        "紧缺工种 岗位名称 职业 名称 岗位(工种) 职业工种",
        "work_type": "工种名称 工种 工种(岗位)",
        "degree": "紧缺程度 紧缺等级 紧缺度 紧缺类别 急需程度 紧缺状况 紧缺指数 紧缺程度等级",
        "level": "技能等级要求 等级要求 技能等级 职业资格等级 技能要求 资格等级 职业技能等级 最低技能等级 "
        "学历或技能要求 技能水平 职业资格要求 证书要求",
        "category": "职业分类 职业类别 分类 类别 大类 所属行业 行业类别 行业 产业类别 所属产业 产业 职业大类 领域 "
        "类型 行业领域 产业领域",
        "notes": "备注 说明 附注",
    },
    POINTS: {
        "seq": "序号 编号",
        "category": "一级指标 指标类别 项目类别 积分类别 类别 大类 类型 指标类型 分类 指标分类",
        "item": "二级指标 三级指标 积分项目 积分指标 计分项目 具体项目 指标内容 项目内容 积分内容 计分内容 具体内容 "
        "项目 指标 内容 细则 条件 指标名称 项目名称 具体指标 积分条件 计分条件",
        "points": "分值(分) 积分分值 计分分值 标准分值 分值标准 积分标准 计分标准 加分标准 评分标准 分值 分数 "
        "得分 赋分 加分 计分 积分 分",
        "notes": "备注 说明 计分说明 计分方法 备注说明 附注 认定标准 计分办法 佐证材料 证明材料",
    },
    TALENT: {
        "seq": "序号 编号",
        "channel": "落户渠道 落户类别 落户类型 落户方式 引进类别 人员类别 渠道 类别 类型 落户途径",
        "requirement": "学历/技能/职称 学历(技能、职称) 学历或技能要求 技能等级要求 人才类型 人才类别 学历要求 "
        "技能要求 职称要求 人才条件 资格条件 学历技能 学历/技能 技能等级 学历 职称 证书 申请条件 落户条件 "
        "引进条件 基本条件 具体条件 条件 资格 人才层次",
        "months": "社保缴纳要求 社保要求 社保缴纳 缴纳社保 社会保险 参保要求 社保年限 社保 参保",
        "age": "年龄要求 年龄限制 年龄",
        "conditions": "其他条件 其他要求 其它条件 其它要求 备注 说明",
    },
    CUTOFF: {
        "year": "年度 年份 申报年度 积分年度 年",
        "score": "积分入围分数线 落户分数线 积分分数线 入围分数线 分数线 积分分值线 分值线 落户分值线 最低分值 "
        "最低分 落户积分 入围积分 入围分值 积分线",
        "quota": "落户指标数 落户指标 落户名额 指标数 指标(个) 名额 计划数 计划 人数 指标 入户指标",
        "window": "申报时间 受理时间 申请时间 申报期限 受理期限 申报日期 申请期限",
        "window_start": "申报开始日期 开始日期 起始日期 开始时间 申报开始时间 受理开始日期",
        "window_end": "申报截止日期 截止日期 结束日期 截止时间 申报截止时间 受理截止日期",
        "notes": "备注 说明",
    },
}
_SYNONYMS: dict[str, dict[str, tuple[str, ...]]] = {
    kind: {name: tuple(text.split()) for name, text in fields.items()}
    for kind, fields in _SYNONYM_TEXT.items()
}
_REQUIRED: dict[str, tuple[tuple[str, ...], ...]] = {
    # any one of the tuples must be fully present
    SHORTAGE: (
        ("occupation", "code"),
        ("occupation", "degree"),
        ("occupation", "level"),
        ("occupation", "work_type"),
        ("work_type", "code"),
    ),
    POINTS: (("item", "points"), ("category", "points")),
    TALENT: (("requirement", "channel"), ("requirement", "months"), ("requirement", "age")),
    CUTOFF: (("year", "score"), ("score", "quota"), ("year", "quota", "window")),
}
_SHORTAGE_CONTEXT = re.compile(r"紧缺|急需|短缺|目录")


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
    columns: dict[str, list[int]] = {}
    seen: set[str] = set()
    for index, raw in enumerate(cells):
        cell = squash(raw).replace("（", "(").replace("）", ")")
        if not cell or len(cell) > 16 or cell in seen and kind != SHORTAGE:
            continue
        name = _match_field(cell, _SYNONYMS[kind])
        if name:
            if cell in seen and name in columns and columns[name][-1] == index - 1:
                continue  # a merged header cell repeated across columns
            seen.add(cell)
            columns.setdefault(name, []).append(index)
    return columns


def _fix_columns(kind: str, cols: dict[str, list[int]]) -> dict[str, list[int]]:
    cols = {k: list(v) for k, v in cols.items()}
    if kind == SHORTAGE and "occupation" not in cols and "work_type" in cols:
        cols["occupation"] = cols.pop("work_type")
    if kind == TALENT and "channel" not in cols and len(cols.get("requirement", [])) >= 2:
        # 人才类别 | 学历或技能要求: the first is the channel, the second the requirement
        cols["channel"] = cols["requirement"][:1]
        cols["requirement"] = cols["requirement"][1:]
    if kind == POINTS:
        items = cols.get("item", [])
        if "category" not in cols and len(items) >= 2:
            cols["category"] = [items[0]]
            cols["item"] = items[1:]
        if "item" not in cols and "category" in cols and len(cols["category"]) >= 2:
            cols["item"] = cols["category"][1:]
            cols["category"] = cols["category"][:1]
    return cols


def _satisfies(kind: str, cols: dict[str, list[int]]) -> bool:
    return any(all(f in cols for f in req) for req in _REQUIRED[kind])


def _best_kind(row: list[str], context: str) -> tuple[float, str, dict[str, list[int]]] | None:
    candidates = []
    for kind in (CUTOFF, SHORTAGE, POINTS, TALENT):
        cols = _fix_columns(kind, map_row(row, kind))
        if _satisfies(kind, cols):
            score = len(cols) + sum(len(v) for v in cols.values()) / 100
            if kind == SHORTAGE and _SHORTAGE_CONTEXT.search(context):
                score += 1
            candidates.append((score, kind, cols))
    if not candidates:
        return None
    candidates.sort(key=lambda c: -c[0])
    return candidates[0]


def _combine(upper: list[str], lower: list[str]) -> list[str]:
    """A two-row header (a merged group label above sub-labels): the sub-label wins where present."""
    return [b if b and b != a else a for a, b in zip(upper, lower, strict=False)] + upper[len(lower) :]


def find_header(grid: Grid, context: str = "") -> Mapping | None:
    """The first row (of the first 10) that names enough columns for one rule kind.

    A second header row below it (sub-labels under a merged group label) is combined with it.
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
        start = r + 1
        if start < len(grid.cells) and grid.cells[start] != row:
            combined = _combine(row, grid.cells[start])
            better = _best_kind(combined, context)
            if (
                better is not None
                and is_header_like(grid.cells[start], better[1], row)
                and len(better[2]) > len(cols)
            ):
                _, kind, cols = better
                header = combined
                start += 1
        while start < len(grid.cells) and is_header_like(grid.cells[start], kind, header):
            start += 1
        return Mapping(kind=kind, columns=cols, header_rows=start, header=header)
    return None


def is_header_like(row: list[str], kind: str, header: list[str]) -> bool:
    if row == header:
        return True
    filled = [c for c in row if c]
    if not filled:
        return False
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
    anchor = "occupation" if mapping.kind == SHORTAGE else None
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
