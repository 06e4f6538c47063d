"""积分计分标准: points schedules, one row per item (fixed points, or a rate with a cap).

Also the grammar of a points cell or clause ("40分", "扣5分", "每满1年积2分，最高不超过20分",
"2分/年，上限20分") and the canonical categories (CONVENTIONS.md, "Points schedule").
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

from ..display import MAX_TEXT, number, one_line
from ..kind import Loose, RuleKind, TableContext, TableRow, cell_text, unread_cells
from ..levels import find_levels, is_level_only, normalise_level
from ..numerals import NUMBER, parse_number
from ..provenance import Provenance
from ..text import nfkc, normalise_name, normalise_text, squash, strip_enumeration, unify_dashes

if TYPE_CHECKING:
    from ..changes import Change
    from ..relevance import OccupationFamily


@dataclass(frozen=True, slots=True)
class PointsItem:
    """One line of a 积分计分标准: fixed points, or a rate per unit with an optional cap."""

    kind: ClassVar[str] = "points_schedule"
    category: str  # normalised category: 技能水平, 社保缴纳, 居住年限, 住房, 年龄, 学历, 紧缺工种, 社会服务, 表彰奖励, 减分 ...
    item: str  # normalised item, e.g. canonical level "三级/高级工"
    points: float | None  # fixed points, or points per unit when ``per`` is set
    per: str | None = None  # unit of a rate: 年, 月, 次, 小时 ...
    cap: float | None = None  # maximum points for a rate
    sign: int = 1  # +1 bonus, -1 deduction
    conditions: str | None = None
    source: Provenance = field(default_factory=Provenance, compare=False)

    def key(self) -> str:
        return f"{self.category}|{self.item}"

    def fields(self) -> dict[str, Any]:
        return {
            "category": self.category,
            "item": self.item,
            "points": self.points,
            "per": self.per,
            "cap": self.cap,
            "sign": self.sign,
            "conditions": self.conditions,
        }


# ---------------------------------------------------------------- categories and items

# Order matters: the first matching group wins ("紧缺职业工种" is 紧缺工种, not 技能水平).
_CATEGORY_RULES: tuple[tuple[str, str], ...] = (
    ("减分", r"减分|扣分|扣除|违法|犯罪|失信|违反|负面|处罚|拘留|惩戒"),
    ("紧缺工种", r"紧缺|急需|短缺|重点产业"),
    ("社保缴纳", r"社保|社会保险|参保|缴纳社|缴费|养老保险"),
    ("居住年限", r"居住年限|居住证|连续居住|暂住"),
    ("住房", r"住房|房产|购房|租房|租赁|住所|产权|自有"),
    ("年龄", r"年龄|周岁"),
    ("学历", r"学历|文化程度|教育|学位|毕业|本科|大专|专科|硕士|博士|研究生|高中|中专|技工院校"),
    ("技能水平", r"技能|职业资格|职称|专业技术|技术等级|特种作业|人才|技师|资格证|执业"),
    ("社会服务", r"献血|志愿|社会服务|公益|慈善|捐|义工|见义勇为"),
    ("表彰奖励", r"表彰|奖励|荣誉|获奖|劳模|劳动模范|先进"),
    ("投资纳税", r"投资|纳税|创业|税收|注册资本"),
    ("居住年限", r"居住"),
)
CANONICAL_CATEGORIES = frozenset(name for name, _ in _CATEGORY_RULES)


def canonical_category(text: str | None) -> str | None:
    """The canonical category a printed category belongs to, else its normalised text."""
    name = normalise_name(text)
    if not name:
        return None
    name = strip_enumeration(name) or name
    for canonical, pattern in _CATEGORY_RULES:
        if re.search(pattern, name):
            return canonical
    if normalise_level(name):
        return "技能水平"
    return name


_WHOLE_SCHEDULE = re.compile(r"积分落户|居住证积分|办法|细则|通知|目录|[市省县区]")


def heading_category(heading: str | None) -> str | None:
    """The canonical category a short heading gives the table under it ("二、社会保险",
    "一、技能水平计分标准", "四、减分项目"); None for titles and sentences."""
    if not heading or len(squash(heading)) > 20 or _WHOLE_SCHEDULE.search(heading):
        return None
    found = canonical_category(re.sub(r"(?:计分|积分|评分|赋分)?(?:标准|细则|表)$", "", squash(heading)))
    return found if found in CANONICAL_CATEGORIES else None


def infer_category(item: str | None) -> str | None:
    """Category of an item printed without one: only when the item clearly says it."""
    if not item:
        return None
    if normalise_level(item):
        return "技能水平"
    found = canonical_category(item)
    return found if found != normalise_name(strip_enumeration(item)) else None


def normalise_item(text: str | None) -> str | None:
    """Canonical level name when the item is a skill level, else the normalised printed item."""
    name = normalise_name(text)
    if not name:
        return None
    name = strip_enumeration(name) or name
    name = re.sub(r"的$", "", name)
    if is_level_only(name):
        return normalise_level(name)
    return name or None


# ---------------------------------------------------------------- points cells

_UNITS = "年|个月|月|次|小时|天|周|项|人|万元|本|篇|个|届"
_RATE = re.compile(
    rf"每(?:满|缴纳|缴满|参保|居住|连续|[\u4e00-\u9fff]{{1,4}}?)??\s*(?P<qty>{NUMBER})?\s*(?P<unit>{_UNITS})"
    rf"[^0-9，,；;。]*?(?:积|计|加|得|给予|扣|减)?\s*(?P<neg>[-−])?\s*(?P<pts>{NUMBER})\s*(?:分|$)"
)
_RATE_SLASH = re.compile(rf"(?P<pts>{NUMBER})\s*分\s*/\s*(?P<qty>{NUMBER})?\s*(?P<unit>{_UNITS})")
_CAP = re.compile(
    rf"(?:最高|最多|上限|累计|封顶|总分|合计|总计)[^0-9{{}}，,；;。]{{0,6}}?(?P<cap>{NUMBER})\s*分|以\s*(?P<cap2>{NUMBER})\s*分为限|(?P<cap3>{NUMBER})\s*分封顶"
)
_FIXED = re.compile(
    rf"(?P<neg>[-−]|减|扣|扣除|减去|倒扣)?\s*(?:积|计|加|得|给予|记)?\s*(?P<pts>{NUMBER})\s*分?"
)
_NEG_WORDS = re.compile(r"^\s*[-−]|扣|减(?!免)|倒扣")


@dataclass(frozen=True)
class PointsValue:
    points: float | None
    per: str | None = None
    cap: float | None = None
    sign: int = 1


def _unit(qty: str | None, unit: str) -> str:
    unit = "月" if unit == "个月" else unit
    q = parse_number(qty) if qty else None
    if q is None or q == 1:
        return unit
    return f"{q:g}{unit}"


def parse_points(text: str | None) -> PointsValue | None:
    """Read one points cell; None when it holds no number of points."""
    if text is None:
        return None
    t = nfkc(str(text)).strip()
    if not t:
        return None
    t = unify_dashes(t)  # "–10", "−10", "—10" are all -10
    sign = -1 if _NEG_WORDS.search(t) else 1
    cap_m = _CAP.search(t)
    cap = None
    if cap_m:
        cap = parse_number(cap_m.group("cap") or cap_m.group("cap2") or cap_m.group("cap3"))
    rate = _RATE.search(t) or _RATE_SLASH.search(t)
    if rate:
        pts = parse_number(rate.group("pts"))
        if pts is not None:
            if rate.groupdict().get("neg"):
                sign = -1
            return PointsValue(
                points=abs(pts), per=_unit(rate.group("qty"), rate.group("unit")), cap=cap, sign=sign
            )
    m = re.fullmatch(rf"\s*([+\-−]?)\s*({NUMBER})\s*分?\s*", t)
    if m:
        value = parse_number(m.group(2))
        if value is None:
            return None
        if m.group(1) in ("-", "−"):
            sign = -1
        return PointsValue(points=abs(value), sign=sign)
    if re.search(rf"{NUMBER}\s*-\s*{NUMBER}\s*分", t) and not cap_m:
        return None  # a range ("10-20分") is not one value
    for fixed in _FIXED.finditer(t):
        if not fixed.group(0).rstrip().endswith("分"):
            continue
        if cap_m and fixed.start("pts") >= cap_m.start() and fixed.end("pts") <= cap_m.end():
            continue
        value = parse_number(fixed.group("pts"))
        if value is not None:
            if fixed.group("neg"):
                sign = -1
            return PointsValue(points=abs(value), cap=cap, sign=sign)
    return None


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


# ---------------------------------------------------------------- words


def points_label(d: dict[str, Any]) -> str:
    category = one_line(d.get("category") or "", MAX_TEXT)
    item = one_line(d.get("item") or "", MAX_TEXT)
    if not category or category == "技能水平" or category in item:
        return item or category
    if not item or item in category:
        return category
    return f"{category} {item}"


def points_value(d: dict[str, Any]) -> str:
    sign = "-" if d.get("sign") == -1 else ""
    text = f"{sign}{number(d.get('points'))} 分"
    if d.get("per"):
        text = f"每{one_line(d['per'], 10)} {text}"
    if d.get("cap") is not None:
        text += f" (上限 {number(d['cap'])})"
    return text


def _level_short(level: str) -> str:
    """ "五级/初级工" -> "初级工": the name workers use, for subjects."""
    return level.split("/", 1)[1] if "/" in level else level


_LEVEL_CATEGORIES = ("技能水平", "职业资格", "技能等级", "职业技能")


def level_of(row: dict[str, Any]) -> str | None:
    """The certificate level a points item is about, when it is one ("三级/高级工")."""
    category = str(row.get("category") or "")
    item = str(row.get("item") or "")
    if any(c in category for c in _LEVEL_CATEGORIES) or is_level_only(item):
        return normalise_level(item)
    return None


def _level_name(level: str) -> str:
    """ "三级/高级工" -> "高级工（三级）": the name on the certificate first."""
    if "/" in level:
        tier, name = level.split("/", 1)
        return f"{name}（{tier}）"
    return level


def _plain_points(row: dict[str, Any]) -> str:
    sign = "-" if row.get("sign") == -1 else ""
    per = f"每{one_line(row['per'], 10)} " if row.get("per") else ""
    return f"{per}{sign}{number(row.get('points'))} 分"


def _values(row: PointsItem) -> tuple[object, ...]:
    return (row.category, row.points, row.per, row.cap, row.sign)


def _label_path(row: TableRow) -> list[str] | None:
    """The labels of a row under three or more label columns (一级 | 二级 | 三级指标), merged
    repeats dropped; None for the usual category | item layout."""
    columns = sorted(set(row.spans.get("category", ())) | set(row.spans.get("item", ())))
    if len(columns) < 3:
        return None
    path: list[str] = []
    for c in columns:
        text = cell_text(row.cells, c)
        if text and (not path or squash(text) != squash(path[-1])):
            path.append(text)
    return path


def _rate_column(row: TableRow) -> PointsValue | None:
    """Points under a column headed by its unit: "每满1年" over "2" is 2 points per year."""
    for column in row.spans.get("rate") or (row.columns["rate"],):
        cell = cell_text(row.cells, column)
        header = row.header[column] if column < len(row.header) else ""
        if cell and re.fullmatch(rf"\s*[-−]?\s*{NUMBER}\s*分?\s*", nfkc(cell)):
            value = parse_points(f"{squash(header)}积{cell.strip().rstrip('分')}分")
            if value is not None and value.per:
                return value
    return None


def _cap_cell(text: str) -> float | None:
    """A 上限 / 最高分 column: "30", "30分", "最高30分"."""
    if not text:
        return None
    value = parse_points(text)
    return value.cap if value is not None and value.cap is not None else value.points if value else None


# ---------------------------------------------------------------- the kind

_SHORTAGE_WORDS = re.compile(r"紧缺|急需|短缺")
_SKILL_WORDS = re.compile(r"职业资格|职业技能等级|技能等级|技能人才|技能水平")
_DEDUCTION_SECTION = re.compile(r"减分|扣分|扣除|负面")


class PointsKind(RuleKind):
    name = "points_schedule"
    row_type = PointsItem
    label = "积分"
    subject_label = "积分落户"  # subjects name the channel a reader knows, not the table
    field_labels: ClassVar[dict[str, str]] = {
        "category": "类别",
        "item": "项目",
        "points": "分值",
        "per": "计分单位",
        "cap": "上限",
        "sign": "加/减分",
        "conditions": "条件",
    }
    substantive_fields = frozenset({"points", "per", "cap", "sign"})
    header_synonyms: ClassVar[dict[str, tuple[str, ...]]] = {
        "seq": ("序号", "编号"),
        "category": tuple(
            "一级指标 指标类别 项目类别 积分类别 评分要素 积分要素 计分要素 评分项目 类别 大类 类型 指标类型 分类 "
            "指标分类".split()
        ),
        "item": tuple(
            "二级指标 三级指标 积分项目 积分指标 计分项目 具体项目 指标内容 项目内容 积分内容 计分内容 具体内容 "
            "项目 指标 内容 细则 条件 指标名称 项目名称 具体指标 积分条件 计分条件".split()
        ),
        "points": tuple(
            "分值(分) 积分分值 计分分值 标准分值 分值标准 积分标准 计分标准 加分标准 评分标准 分值 分数 "
            "得分 赋分 加分 计分 积分 分".split()
        ),
        # a column headed by its unit ("每满1年" | "每次"): the cells are points per that unit
        "rate": tuple("每满1年 每满一年 每满1个月 每满12个月 每满6个月 每满 每年 每月 每次 每项".split()),
        "cap": tuple(
            "最高分值 最高分 分值上限 积分上限 上限分值 最高限 封顶分值 封顶 上限 累计上限 最高积分".split()
        ),
        "notes": tuple(
            "备注 说明 计分说明 计分方法 备注说明 附注 认定标准 计分办法 佐证材料 证明材料".split()
        ),
    }
    required_columns = (("item", "points"), ("category", "points"))
    header_priority = 2
    rename_ranks = ("item",)

    def adjust_columns(self, columns: dict[str, list[int]]) -> dict[str, list[int]]:
        columns = {k: list(v) for k, v in columns.items()}
        items = columns.get("item", [])
        if "category" not in columns and len(items) >= 2:
            columns["category"] = [items[0]]
            columns["item"] = items[1:]
        if "item" not in columns and "category" in columns and len(columns["category"]) >= 2:
            columns["item"] = columns["category"][1:]
            columns["category"] = columns["category"][:1]
        return columns

    def is_data_row(self, first_cell: str) -> bool:
        return (
            parse_points(first_cell) is not None
            and bool(re.search(r"\d|分", first_cell))
            and "减分" not in first_cell
        )

    def build_rows(self, row: TableRow, context: TableContext) -> list[Any]:
        points_cell = row.get("points")
        notes = normalise_text(row.get("notes"))
        section = row.section
        deduction_section = bool(section and _DEDUCTION_SECTION.search(section))
        section_category = canonical_category(section) if section else None
        path = _label_path(row)
        if path is not None:  # 一级指标 | 二级指标 | 三级指标: the item is the most specific label
            if not path:
                return []
            item_cell, parents = path[-1], path[:-1]
            deduction_section = deduction_section or any(_DEDUCTION_SECTION.search(p) for p in parents)
            category = next(
                (c for p in reversed(parents) if (c := canonical_category(p)) in CANONICAL_CATEGORIES), None
            )
            if category is None:
                category = infer_category(item_cell) or (canonical_category(parents[-1]) if parents else None)
            cat_cell = None
        else:
            cat_cell = row.get("category")
            item_cell = row.get("item")
            if item_cell == cat_cell and row.has("item") and row.has("category") and not points_cell:
                return []
            category = canonical_category(cat_cell) if cat_cell else None
            if not item_cell or item_cell == cat_cell and row.has("item"):
                item_cell = item_cell or cat_cell
        if not item_cell and not points_cell:
            return []
        if category is None and section_category in CANONICAL_CATEGORIES:
            category = section_category  # "一、基础指标" is a grouping, not a category
        if category is None:
            category = heading_category(context.heading)
            deduction_section = deduction_section or category == "减分"
        if deduction_section:
            category = "减分"
        packed = split_packed_points(points_cell)
        if packed and not is_level_only(item_cell):
            return [
                PointsItem(category=category or "技能水平", item=level, points=value.points, per=value.per,
                           cap=value.cap, sign=-1 if deduction_section else value.sign, conditions=notes,
                           source=row.source)
                for level, value in packed
            ]  # fmt: skip
        value = parse_points(points_cell)
        for other in context.other_points_columns:
            if value is None:
                value = parse_points(cell_text(row.cells, other))
        if value is None and row.has("rate"):
            value = _rate_column(row)
        if value is None:
            value = parse_points(item_cell) if re.search(r"分", item_cell) else None
        if value is None:
            return []
        cap = value.cap if value.cap is not None else _cap_cell(row.get("cap"))
        item = normalise_item(item_cell) or category
        if item is None:
            return []
        sign = -1 if deduction_section or category == "减分" else value.sign
        if category is None:
            category = infer_category(item_cell) or ("减分" if sign < 0 else section_category or item)
        return [
            PointsItem(category=category, item=item, points=value.points, per=value.per, cap=cap,
                       sign=sign, conditions=notes, source=row.source)
        ]  # fmt: skip

    def unread_fields(self, row: TableRow, built: Sequence[Any]) -> list[str]:
        return unread_cells(row, built, {"cap": "cap"})

    def restates(self, text_row: PointsItem, table_rows: Sequence[Any]) -> bool:
        """Text restating a table item in other words ("参加社会保险" for "社会保险缴纳") carries its values."""
        values = _values(text_row)
        return any(r.kind == self.name and _values(r) == values for r in table_rows)

    def rename_identities(
        self, row: PointsItem, canonical: dict[str, Any], loose: Loose
    ) -> list[tuple[Any, ...]]:
        c = canonical
        return [("item", loose(row.category), loose(row.item), c["points"], c["per"], c["cap"], c["sign"])]

    def relevant(self, row: PointsItem, family: OccupationFamily) -> bool:
        """About skill levels, special-operation licences or shortage bonuses."""
        if row.category == "紧缺工种" or _SHORTAGE_WORDS.search(f"{row.category}{row.item}"):
            return True
        if find_levels(row.item) or _SKILL_WORDS.search(row.item):
            return True
        text = squash(f"{row.category}|{row.item}|{row.conditions or ''}")
        return any(word in text for word in (*family.licences, *family.licence_keywords))

    def describe(self, d: dict[str, Any]) -> str:
        return f"{points_label(d)} {points_value(d)}"

    def describe_modified(self, before: dict[str, Any], after: dict[str, Any], changed: Sequence[str]) -> str:
        b, a = before, after
        label = points_label(a)
        parts = []
        if {"points", "per", "sign"} & set(changed):
            sb = "-" if b.get("sign") == -1 else ""
            sa = "-" if a.get("sign") == -1 else ""
            if b.get("per") == a.get("per"):
                per = f"每{one_line(a['per'], 10)} " if a.get("per") else ""
                parts.append(f"{per}{sb}{number(b.get('points'))} → {sa}{number(a.get('points'))} 分")
            else:
                bb = {k: b.get(k) for k in ("points", "per", "sign")}
                aa = {k: a.get(k) for k in ("points", "per", "sign")}
                parts.append(f"{points_value(bb)} → {points_value(aa)}")
        if "cap" in changed:
            cap = f"(上限 {number(b.get('cap'))} → {number(a.get('cap'))})"
            if parts:
                parts[-1] += f" {cap}"
            else:
                parts.append(f"{points_value({**a, 'cap': None})} {cap}")
        elif parts and a.get("cap") is not None:
            parts[-1] += f" (上限 {number(a['cap'])})"
        rest = [n for n in changed if n not in ("points", "per", "sign", "cap", "item", "category")]
        parts += self.text_changes(b, a, rest)
        if not parts:
            return f"{points_label(b)} 更名为 {label}"
        return f"{label} {'；'.join(parts)}"

    def item_label(self, d: dict[str, Any], key: str, width: int) -> str:
        return points_label(d)

    def headline(self, change: Change) -> str | None:
        if change.change != "modified" or "points" not in change.fields_changed:
            return None
        b, a = change.before or {}, change.after or {}
        label = points_label(a)
        if a.get("category") == "技能水平":
            label = _level_short(label)
        return f"{label}积分 {number(b.get('points'))}→{number(a.get('points'))}"

    def meaning(self, change: Change) -> str | None:
        """For items about a skill level: what changes for an electrician holding that certificate."""
        before, after = change.before or {}, change.after or {}
        level = level_of(after or before)
        if level is None:
            return None
        who = f"持{_level_name(level)}职业技能等级证书的电工"
        if change.change == "added":
            return f"{who}：新增此项，可积 {_plain_points(after)}。"
        if change.change == "removed":
            return f"{who}：此项取消，原来的 {_plain_points(before)} 不再计入。"
        if not {"points", "per", "sign", "cap"} & set(change.fields_changed):
            return None
        text = f"{who}：此项积分由 {_plain_points(before)}变为 {_plain_points(after)}"
        b, a = before.get("points"), after.get("points")
        if (
            isinstance(b, int | float)
            and isinstance(a, int | float)
            and before.get("per") == after.get("per")
            and before.get("sign", 1) == after.get("sign", 1)
        ):
            delta = (a - b) * (-1 if after.get("sign") == -1 else 1)
            if delta:
                text += f"（{'多' if delta > 0 else '少'} {number(abs(delta))} 分）"
        return text + "。"


KIND = PointsKind()
