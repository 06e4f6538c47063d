"""紧缺职业(工种)目录: shortage-occupation lists, one row per occupation (or 工种)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

from ..canonical import canonical_text
from ..changes import CHANGE_LABELS
from ..display import MAX_TEXT, one_line
from ..kind import Loose, RuleKind, TableContext, TableRow, unread_cells
from ..levels import normalise_level
from ..occupations import normalise_occupation, split_code, strip_code
from ..provenance import Provenance
from ..text import normalise_name, normalise_text, strip_enumeration

if TYPE_CHECKING:
    from ..changes import Change
    from ..relevance import OccupationFamily


@dataclass(frozen=True, slots=True)
class ShortageEntry:
    """One row of a 紧缺职业(工种)目录."""

    kind: ClassVar[str] = "shortage_occupations"
    occupation: str  # normalised name (维修电工 -> 电工)
    occupation_printed: str  # as printed, for display only
    code: str | None = None  # normalised 职业分类大典 code, "6-31-01-03"
    work_type: str | None = None  # 工种, normalised
    degree: str | None = None  # 特别紧缺 / 紧缺 / 一般紧缺 ...
    level: str | None = None  # required skill level, canonical level name (see rules.levels)
    category: str | None = None  # 大类 / 行业 as printed, normalised
    notes: str | None = None
    source: Provenance = field(default_factory=Provenance, compare=False)

    def key(self) -> str:
        base = self.code or self.occupation
        return f"{base}/{self.work_type}" if self.work_type else base

    def fields(self) -> dict[str, Any]:
        return {
            "occupation": self.occupation,
            "code": self.code,
            "work_type": self.work_type,
            "degree": self.degree,
            "level": self.level,
            "category": self.category,
            "notes": self.notes,
        }


def _synonyms(text: str) -> tuple[str, ...]:
    return tuple(text.split())


def occupation_label(d: dict[str, Any], width: int = MAX_TEXT) -> str:
    name = one_line(d.get("occupation") or d.get("code") or "?", width)
    if d.get("work_type"):
        name += f"·{one_line(d['work_type'], width)}"
    return name


_HEADING_DEGREE = re.compile(r"(?P<degree>[\u4e00-\u9fff]{0,4}?(?:紧缺|急需|短缺)(?:急需)?)")
_HEADING_TAIL = re.compile(r"(?:职业|工种|\(工种\)|岗位|目录|名单|类|清单)+$")


_CATEGORY_LABEL = re.compile(
    r"^(?:所属产业|所属行业|产业类别|行业类别|产业|行业|大类|类别)[:：](?P<value>.{2,20})$"
)


def labelled_category(title: str | None) -> str | None:
    """A subtitle naming the category of every row: "所属产业：纺织鞋服" → 纺织鞋服."""
    m = _CATEGORY_LABEL.match(normalise_name(title) or "") if title else None
    return normalise_name(m.group("value")) if m else None


def degree_from_heading(heading: str | None) -> str | None:
    """The degree a heading or sheet name gives every row under it: "(一)特别紧缺工种" → 特别紧缺,
    sheet "非常紧缺职业" → 非常紧缺. A title naming the whole catalogue gives none."""
    text = normalise_name(strip_enumeration(normalise_name(heading) or "")) if heading else None
    if text and re.match(r"^(?:紧缺程度|紧缺等级|紧缺类别|类别)[:：]", text):
        text = re.split(r"[:：]", text, maxsplit=1)[1]  # "紧缺程度：一般紧缺"
    if (
        text
        and (bracketed := re.search(r"\(([^()]{2,8})\)$", text))
        and _HEADING_DEGREE.fullmatch(bracketed.group(1))
    ):
        return bracketed.group(1)  # "…目录(非常紧缺)": the part that names this table
    if not text or len(text) > 12:
        return None
    text = _HEADING_TAIL.sub("", text)
    m = _HEADING_DEGREE.fullmatch(text)
    return m.group("degree") if m and not re.search(r"\d|年度|目录", text) else None


class ShortageKind(RuleKind):
    name = "shortage_occupations"
    row_type = ShortageEntry
    label = "紧缺工种目录"
    subject_label = "紧缺工种目录"
    field_labels: ClassVar[dict[str, str]] = {
        "occupation": "职业",
        "code": "职业代码",
        "work_type": "工种",
        "degree": "紧缺程度",
        "level": "等级要求",
        "category": "类别",
        "notes": "备注",
    }
    substantive_fields = frozenset({"code", "work_type", "degree", "level"})
    header_synonyms: ClassVar[dict[str, tuple[str, ...]]] = {
        "seq": _synonyms("序号 编号 序"),
        "code": _synonyms(
            "职业编码 职业代码 职业(工种)代码 职业(工种)编码 工种代码 工种编码 分类代码 职业分类代码 大典编码 "
            "国家职业分类代码 代码 编码 职业分类编码"
        ),
        "occupation": _synonyms(
            "职业(工种)名称 职业(工种) 职业名称 职业工种名称 紧缺职业(工种) 紧缺职业(工种)名称 紧缺职业 "
            "紧缺工种 岗位名称 职业 名称 岗位(工种) 职业工种"
        ),
        "work_type": _synonyms("工种名称 工种 工种(岗位)"),
        "degree": _synonyms("紧缺程度 紧缺等级 紧缺度 紧缺类别 急需程度 紧缺状况 紧缺指数 紧缺程度等级"),
        "level": _synonyms(
            "技能等级要求 最低技能等级要求 最低等级要求 最低等级 等级要求 技能等级 职业资格等级 技能要求 资格等级 职业技能等级 最低技能等级 "
            "学历或技能要求 技能水平 职业资格要求 证书要求"
        ),
        "category": _synonyms(
            "职业分类 职业类别 分类 类别 大类 所属行业 行业类别 行业 产业类别 所属产业 产业 职业大类 领域 "
            "类型 行业领域 产业领域"
        ),
        "notes": _synonyms("备注 说明 附注"),
    }
    # words that name a column only once stronger columns made the table a catalogue
    weak_header_synonyms: ClassVar[dict[str, tuple[str, ...]]] = {"level": ("等级",)}
    required_columns = (
        ("occupation", "code"),
        ("occupation", "degree"),
        ("occupation", "level"),
        ("occupation", "work_type"),
        ("work_type", "code"),
    )
    header_priority = 1
    header_context = re.compile(r"紧缺|急需|短缺|目录")
    repeated_column = "occupation"
    rename_ranks = ("code", "name")

    def adjust_columns(self, columns: dict[str, list[int]]) -> dict[str, list[int]]:
        if "occupation" not in columns and "work_type" in columns:
            columns = dict(columns)
            columns["occupation"] = columns.pop("work_type")
        return columns

    def build_rows(self, row: TableRow, context: TableContext) -> list[Any]:
        printed = row.get("occupation")
        code_cell = row.get("code")
        code, suffix = split_code(code_cell) if code_cell else (None, None)
        if code is None:
            code, suffix = split_code(printed)
        name = normalise_occupation(printed) if printed else ""
        work_type = normalise_name(row.get("work_type")) if row.has("work_type") else None
        if not name and work_type:
            name, work_type = work_type, None
        if not name or name == normalise_name(row.get("category")) and row.has("category"):
            return []
        if name in {"合计", "小计", "总计"} or re.fullmatch(r"\d+", name):
            return []
        if work_type and work_type == name:
            work_type = None
        if suffix and not work_type and not row.has("work_type"):
            work_type = suffix
        category = normalise_name(row.get("category")) if row.has("category") else None
        if not category:
            category = next(filter(None, map(labelled_category, context.titles)), None)
        if not category and row.section:
            category = normalise_name(strip_enumeration(normalise_name(row.section) or ""))
        elif category:
            category = strip_enumeration(category) or category
        return [
            ShortageEntry(
                occupation=name,
                occupation_printed=normalise_text(strip_code(printed) or printed) or name,
                code=code,
                work_type=work_type,
                degree=normalise_name(row.get("degree"))
                or next(filter(None, map(degree_from_heading, context.headings)), None),
                level=normalise_level(row.get("level")),
                category=category,
                notes=normalise_text(row.get("notes")),
                source=row.source,
            )
        ]

    def unread_fields(self, row: TableRow, built: Sequence[Any]) -> list[str]:
        return unread_cells(row, built, {"level": "level"})

    def from_fields(self, values: dict[str, Any], source: Provenance) -> ShortageEntry:
        values.setdefault("occupation_printed", values["occupation"])
        return ShortageEntry(**values, source=source)

    def rename_identities(
        self, row: ShortageEntry, canonical: dict[str, Any], loose: Loose
    ) -> list[tuple[Any, ...]]:
        keys: list[tuple[Any, ...]] = []
        code = canonical_text(row.code) if row.code else None
        if code:
            keys.append(("code", code))
        name = loose(row.occupation) or loose(row.occupation_printed)
        if name:
            keys.append(("name", name, loose(row.work_type)))
        return keys

    def compatible(self, old: ShortageEntry, new: ShortageEntry) -> bool:
        """Two rows with different codes are different occupations, whatever their names."""
        a, b = old.code, new.code
        return not (a and b and canonical_text(a) != canonical_text(b))

    def relevant(self, row: ShortageEntry, family: OccupationFamily) -> bool:
        return (
            family.has_code(row.code)
            or family.has_name(row.occupation)
            or family.has_name(row.occupation_printed)
            or family.has_name(row.work_type)
        )

    def describe(self, d: dict[str, Any]) -> str:
        extras = [one_line(d[k], MAX_TEXT) for k in ("level", "degree") if d.get(k)]
        return occupation_label(d) + (f"（{'，'.join(extras)}）" if extras else "")

    def describe_modified(self, before: dict[str, Any], after: dict[str, Any], changed: Sequence[str]) -> str:
        renamed = "occupation" in changed or "work_type" in changed
        parts = [f"{occupation_label(before)} 更名为 {occupation_label(after)}"] if renamed else []
        parts += self.text_changes(
            before, after, [n for n in changed if n not in ("occupation", "work_type")]
        )
        if renamed:
            return "；".join(parts)
        return f"{occupation_label(after)} {'；'.join(parts)}"

    def item_label(self, d: dict[str, Any], key: str, width: int) -> str:
        return occupation_label({**d, "occupation": d.get("occupation") or d.get("code") or key}, width)

    def headline(self, change: Change) -> str | None:
        if change.change == "modified":
            return None
        row = (change.after if change.change == "added" else change.before) or {}
        return f"{CHANGE_LABELS[change.change]}{occupation_label(row)}"


KIND = ShortageKind()
