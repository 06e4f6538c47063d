"""Typed rule rows: the contract between parsers, storage and the diff engine.

Every row is a frozen dataclass with a stable ``key()`` (what the diff engine matches
versions on) and ``fields()`` (the normalised values that count as the rule; provenance
and as-printed text are excluded so that layout noise never looks like a policy change).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, field
from typing import Any, ClassVar, Literal

RuleKind = Literal["shortage_occupations", "points_schedule", "talent_settlement", "points_cutoff"]
RULE_KINDS: tuple[str, ...] = (
    "shortage_occupations",
    "points_schedule",
    "talent_settlement",
    "points_cutoff",
)
REGIONS: tuple[str, ...] = ("fujian", "fuzhou", "xiamen", "quanzhou")


@dataclass(frozen=True, slots=True)
class Provenance:
    """Where a row was read: page body (attachment None) or an attachment, then sheet/page/table/row."""

    attachment: str | None = None
    sheet: str | None = None
    page: int | None = None
    table: int | None = None
    row: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if v is not None}


@dataclass(frozen=True, slots=True)
class ShortageEntry:
    """One row of a 紧缺职业(工种)目录."""

    kind: ClassVar[str] = "shortage_occupations"
    occupation: str  # normalised name (维修电工 -> 电工)
    occupation_printed: str  # as printed, for display only
    code: str | None = None  # normalised 职业分类大典 code, "6-31-01-03"
    work_type: str | None = None  # 工种, normalised
    degree: str | None = None  # 特别紧缺 / 紧缺 / 一般紧缺 ...
    level: str | None = None  # required skill level, canonical level name (see parsers.levels)
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


@dataclass(frozen=True, slots=True)
class TalentCondition:
    """One admission condition of a 人才引进落户 channel."""

    kind: ClassVar[str] = "talent_settlement"
    channel: str  # e.g. 人才引进落户, 技能人才落户
    requirement: str  # what is required, normalised (canonical level, title or degree)
    level: str | None = None  # canonical skill level when the requirement is one
    social_insurance_months: int | None = None
    age_limit: int | None = None
    conditions: str | None = None
    source: Provenance = field(default_factory=Provenance, compare=False)

    def key(self) -> str:
        return f"{self.channel}|{self.requirement}"

    def fields(self) -> dict[str, Any]:
        return {
            "channel": self.channel,
            "requirement": self.requirement,
            "level": self.level,
            "social_insurance_months": self.social_insurance_months,
            "age_limit": self.age_limit,
            "conditions": self.conditions,
        }


@dataclass(frozen=True, slots=True)
class CutoffScore:
    """The 积分落户 cut-off of one year: a fact per year, never 'removed' by a later year."""

    kind: ClassVar[str] = "points_cutoff"
    year: int
    score: float | None = None
    quota: int | None = None
    window_start: dt.date | None = None
    window_end: dt.date | None = None
    source: Provenance = field(default_factory=Provenance, compare=False)

    def key(self) -> str:
        return str(self.year)

    def fields(self) -> dict[str, Any]:
        return {
            "year": self.year,
            "score": self.score,
            "quota": self.quota,
            "window_start": self.window_start.isoformat() if self.window_start else None,
            "window_end": self.window_end.isoformat() if self.window_end else None,
        }


RuleRow = ShortageEntry | PointsItem | TalentCondition | CutoffScore
ROW_TYPES: dict[str, type] = {
    "shortage_occupations": ShortageEntry,
    "points_schedule": PointsItem,
    "talent_settlement": TalentCondition,
    "points_cutoff": CutoffScore,
}


@dataclass(frozen=True, slots=True)
class DocumentMeta:
    """Facts about the document as a whole, found in the page metadata or the text."""

    title: str | None = None
    region: str | None = None
    doc_number: str | None = None  # 文号, e.g. 闽人社文〔2025〕12号 (normalised brackets)
    issuer: str | None = None
    published_at: dt.date | None = None
    effective_at: dt.date | None = None
    replaces: tuple[str, ...] = ()  # 文号 or titles this document repeals (废止 clauses)


@dataclass(frozen=True, slots=True)
class ParseProblem:
    """Something that could not be read; a non-empty list makes a version suspect."""

    code: str  # corrupt_file, encrypted, too_large, no_text_layer, unrecognised_columns, unsupported_format, conversion_unavailable, conversion_failed, ...
    message: str
    where: Provenance = field(default_factory=Provenance)


@dataclass(frozen=True, slots=True)
class Attachment:
    url: str
    filename: str
    data: bytes
    content_type: str | None = None


@dataclass(frozen=True, slots=True)
class DocumentInput:
    """Everything the crawler stored about one announcement: the page and its attachments."""

    url: str
    region: str | None = None
    title: str | None = None
    page: bytes | None = None  # raw bytes of the detail page
    page_encoding: str | None = None  # charset the crawler decided on, if any
    attachments: tuple[Attachment, ...] = ()
    published_at: dt.date | None = None
    doc_number: str | None = None


@dataclass(slots=True)
class ParseResult:
    meta: DocumentMeta
    rows: list[RuleRow] = field(default_factory=list)
    problems: list[ParseProblem] = field(default_factory=list)

    def rows_of(self, kind: str) -> list[RuleRow]:
        return [r for r in self.rows if r.kind == kind]

    def kinds(self) -> list[str]:
        return [k for k in RULE_KINDS if any(r.kind == k for r in self.rows)]


def canonical_rows(rows: list[RuleRow] | tuple[RuleRow, ...]) -> list[dict[str, Any]]:
    """Rows as sorted plain dicts: order and provenance never change a rule set's identity."""
    out = [
        {"kind": r.kind, "key": r.key(), **{k: _plain_number(v) for k, v in r.fields().items()}} for r in rows
    ]
    out.sort(key=lambda d: (d["kind"], d["key"], repr(sorted(d.items()))))
    return out


def _plain_number(value: Any) -> Any:
    """40 and 40.0 are the same rule."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def canonical_json(rows: list[RuleRow] | tuple[RuleRow, ...]) -> str:
    """The canonical JSON whose sha256 identifies a rule-set version (unique per series)."""
    import json

    return json.dumps(canonical_rows(rows), ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def row_from_fields(kind: str, data: dict[str, Any], source: Provenance | None = None) -> RuleRow:
    """Rebuild a row from its stored ``fields()`` (dates as ISO strings)."""
    cls = ROW_TYPES[kind]
    values = {k: v for k, v in data.items() if k not in ("kind", "key")}
    if cls is ShortageEntry:
        values.setdefault("occupation_printed", values["occupation"])
    if cls is CutoffScore:
        for name in ("window_start", "window_end"):
            if isinstance(values.get(name), str):
                values[name] = dt.date.fromisoformat(values[name])
    row: RuleRow = cls(**values, source=source or Provenance())
    return row
