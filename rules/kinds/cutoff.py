"""积分落户分数线: the cut-off score (and quota, application window) of one year.

A cut-off is a fact per year: a new year's notice adds to the earlier years and never
removes them (``keeps_absent_rows``).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, ClassVar

from ..dates import parse_day, parse_window
from ..display import number
from ..kind import RuleKind, TableContext, TableRow, unread_cells
from ..numerals import parse_int, parse_number
from ..provenance import Provenance

if TYPE_CHECKING:
    from ..relevance import OccupationFamily


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


def _facts(d: dict[str, Any]) -> str:
    parts = []
    if d.get("score") is not None:
        parts.append(f"{number(d['score'])} 分")
    if d.get("quota") is not None:
        parts.append(f"指标 {number(d['quota'])} 个")
    if d.get("window_start") or d.get("window_end"):
        parts.append(f"申报 {d.get('window_start') or '?'}~{d.get('window_end') or '?'}")
    return ", ".join(parts) or "无数据"


class CutoffKind(RuleKind):
    name = "points_cutoff"
    row_type = CutoffScore
    label = "积分落户分数线"
    subject_label = "积分落户分数线"
    field_labels: ClassVar[dict[str, str]] = {
        "year": "年份",
        "score": "分数线",
        "quota": "指标",
        "window_start": "申报开始",
        "window_end": "申报结束",
    }
    substantive_fields = frozenset({"year", "score", "quota", "window_start", "window_end"})
    keeps_absent_rows = True
    header_synonyms: ClassVar[dict[str, tuple[str, ...]]] = {
        "year": ("年度", "年份", "申报年度", "积分年度", "年"),
        "score": tuple(
            "积分入围分数线 落户分数线 积分分数线 入围分数线 入围分数 落户分数 最低分数 最低入户分值 入户分值 落户分值 分数线 积分分值线 分值线 落户分值线 最低分值 "
            "最低分 落户积分 入围积分 入围分值 积分线".split()
        ),
        "quota": tuple(
            "落户指标数 落户指标 落户名额 计划指标 指标数 指标(个) 名额 计划数 计划 人数 指标 入户指标".split()
        ),
        "window": tuple(
            "申报时间 受理时间 申请时间 申报期限 受理期限 申报日期 申请期限 受理期间 申报期间 申请期间".split()
        ),
        "window_start": tuple(
            "申报开始日期 开始日期 起始日期 开始时间 申报开始时间 受理开始日期 受理开始时间 受理开始 申报开始 "
            "申请开始时间 申请开始".split()
        ),
        "window_end": tuple(
            "申报截止日期 截止日期 结束日期 截止时间 申报截止时间 受理截止日期 受理截止时间 受理截止 申报截止 "
            "申请截止 申请结束时间 受理结束 申报结束 结束时间".split()
        ),
        "notes": ("备注", "说明"),
    }
    required_columns = (("year", "score"), ("score", "quota"), ("year", "quota", "window"))
    header_priority = 0

    def is_data_row(self, first_cell: str) -> bool:
        return bool(re.search(r"\d", first_cell))

    def build_rows(self, row: TableRow, context: TableContext) -> list[Any]:
        m = re.search(r"(20\d{2}|19\d{2})", row.get("year"))
        year = int(m.group(1)) if m else context.year_hint
        score = parse_number(re.sub(r"[分\s]", "", row.get("score")) or None)
        quota = parse_int(re.sub(r"[个名人户\s]", "", row.get("quota")) or None)
        start, end = parse_window(row.get("window"), year)
        if start is None and row.has("window_start"):
            start = parse_day(row.get("window_start"), year)
            end = parse_day(row.get("window_end"), year)
        if year is None or (score is None and quota is None):
            return []
        return [
            CutoffScore(
                year=year, score=score, quota=quota, window_start=start, window_end=end, source=row.source
            )
        ]

    def unread_fields(self, row: TableRow, built: Sequence[Any]) -> list[str]:
        fields = {"score": "score", "quota": "quota", "window": "window_start"}
        return unread_cells(row, built, fields) if built else []

    def complete_from_text(self, table_row: CutoffScore, text_row: CutoffScore) -> CutoffScore:
        """A year printed in both gets the fields only the text gives (e.g. the window)."""
        return replace(
            table_row,
            score=table_row.score if table_row.score is not None else text_row.score,
            quota=table_row.quota if table_row.quota is not None else text_row.quota,
            window_start=table_row.window_start or text_row.window_start,
            window_end=table_row.window_end or text_row.window_end,
        )

    def from_fields(self, values: dict[str, Any], source: Provenance) -> CutoffScore:
        for name in ("window_start", "window_end"):
            if isinstance(values.get(name), str):
                values[name] = dt.date.fromisoformat(values[name])
        return CutoffScore(**values, source=source)

    def relevant(self, row: CutoffScore, family: OccupationFamily) -> bool:
        """Always: every applicant is measured against it."""
        return True

    def describe(self, d: dict[str, Any]) -> str:
        return f"{d.get('year')}年: {_facts(d)}"

    def describe_one_sided(self, verb: str, d: dict[str, Any]) -> str:
        return f"{d.get('year')}年 {verb}: {_facts(d)}"

    def describe_modified(self, before: dict[str, Any], after: dict[str, Any], changed: Sequence[str]) -> str:
        parts = []
        for name in changed:
            if name == "score":
                parts.append(f"分数线 {number(before.get(name))} → {number(after.get(name))} 分")
            elif name == "quota":
                parts.append(f"指标 {number(before.get(name))} → {number(after.get(name))} 个")
            else:
                parts += self.text_changes(before, after, [name])
        return f"{after.get('year')}年: {'；'.join(parts)}"

    def item_label(self, d: dict[str, Any], key: str, width: int) -> str:
        return f"{d.get('year', key)}年"


KIND = CutoffKind()
