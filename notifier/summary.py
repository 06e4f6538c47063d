"""Plain-Chinese one-liners for changes: what a subscriber reads first, in a digest or a subject.

Values come from crawled pages, so every line is forced onto one line and stripped of
control characters: a stray CR/LF in a title must not split an email header or a table row.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from notifier.diff import Change

REGION_LABELS: dict[str, str] = {"fujian": "福建省", "fuzhou": "福州", "xiamen": "厦门", "quanzhou": "泉州"}
KIND_LABELS: dict[str, str] = {
    "shortage_occupations": "紧缺工种目录",
    "points_schedule": "积分",
    "talent_settlement": "人才引进",
    "points_cutoff": "积分落户分数线",
}
# Subjects name the channel a reader knows ("积分落户"), not the table ("积分").
SUBJECT_KIND_LABELS: dict[str, str] = {**KIND_LABELS, "points_schedule": "积分落户"}
CHANGE_LABELS: dict[str, str] = {"added": "新增", "removed": "删除", "modified": "修改"}
FIELD_LABELS: dict[str, str] = {
    "occupation": "职业",
    "code": "职业代码",
    "work_type": "工种",
    "degree": "紧缺程度",
    "level": "等级要求",
    "category": "类别",
    "notes": "备注",
    "item": "项目",
    "points": "分值",
    "per": "计分单位",
    "cap": "上限",
    "sign": "加/减分",
    "conditions": "条件",
    "channel": "渠道",
    "requirement": "要求",
    "social_insurance_months": "社保月数",
    "age_limit": "年龄上限",
    "year": "年份",
    "score": "分数线",
    "quota": "指标",
    "window_start": "申报开始",
    "window_end": "申报结束",
}

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]+")
# Unicode format characters (category Cf): zero-width and bidi controls that can disguise text.
_FORMAT = re.compile(
    "[\u00ad\u0600-\u0605\u061c\u06dd\u070f\u180e\u200b-\u200f\u202a-\u202e"
    "\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb\U000e0001-\U000e007f]"
)
_SPACES = re.compile(r"\s+")
_MAX_TEXT = 40


def one_line(text: Any, limit: int | None = None) -> str:
    """Crawled text made safe for a single line: no control chars, no line breaks, bounded."""
    out = _SPACES.sub(" ", _CONTROL.sub(" ", _FORMAT.sub("", str(text)))).strip()
    if limit is not None and len(out) > limit:
        out = out[: limit - 1] + "…"
    return out


def region_label(region: str) -> str:
    return REGION_LABELS.get(region, one_line(region))


def kind_label(kind: str) -> str:
    return KIND_LABELS.get(kind, one_line(kind))


def number(value: Any) -> str:
    """10.0 -> "10", 0.5 -> "0.5": points are printed the way offices write them."""
    if isinstance(value, bool) or value is None:
        return "无" if value is None else str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else f"{value:g}"
    return one_line(value, _MAX_TEXT)


def display_value(name: str, value: Any) -> str:
    """A field value for a person: None as 无, sign as 加分/减分, text bounded to one line."""
    if value is None or value == "":
        return "无"
    if name == "sign":
        return "减分" if value == -1 else "加分"
    if isinstance(value, int | float) and not isinstance(value, bool):
        return number(value)
    return one_line(value, _MAX_TEXT)


def _arrow(a: Any, b: Any, name: str = "") -> str:
    return f"{display_value(name, a)} → {display_value(name, b)}"


# ---------------------------------------------------------------- row descriptions


def _level_short(level: str) -> str:
    """ "五级/初级工" -> "初级工": the name workers use, for subjects."""
    return level.split("/", 1)[1] if "/" in level else level


def _occupation(d: dict[str, Any]) -> str:
    name = one_line(d.get("occupation") or d.get("code") or "?", _MAX_TEXT)
    if d.get("work_type"):
        name += f"·{one_line(d['work_type'], _MAX_TEXT)}"
    return name


def _shortage_row(d: dict[str, Any]) -> str:
    extras = [one_line(d[k], _MAX_TEXT) for k in ("level", "degree") if d.get(k)]
    return _occupation(d) + (f"（{'，'.join(extras)}）" if extras else "")


def points_label(d: dict[str, Any]) -> str:
    category = one_line(d.get("category") or "", _MAX_TEXT)
    item = one_line(d.get("item") or "", _MAX_TEXT)
    if not category or category == "技能水平" or category in item:
        return item or category
    if not item or item in category:
        return category
    return f"{category} {item}"


def _points_value(d: dict[str, Any]) -> str:
    sign = "-" if d.get("sign") == -1 else ""
    text = f"{sign}{number(d.get('points'))} 分"
    if d.get("per"):
        text = f"每{one_line(d['per'], 10)} {text}"
    if d.get("cap") is not None:
        text += f" (上限 {number(d['cap'])})"
    return text


def _talent_row(d: dict[str, Any]) -> str:
    parts = []
    if d.get("social_insurance_months") is not None:
        parts.append(f"社保 {number(d['social_insurance_months'])} 个月")
    if d.get("age_limit") is not None:
        parts.append(f"年龄 ≤{number(d['age_limit'])}")
    head = f"{one_line(d.get('channel') or '', _MAX_TEXT)}: {one_line(d.get('requirement') or '', _MAX_TEXT)}"
    return head + (f"（{'，'.join(parts)}）" if parts else "")


def _cutoff_facts(d: dict[str, Any]) -> str:
    parts = []
    if d.get("score") is not None:
        parts.append(f"{number(d['score'])} 分")
    if d.get("quota") is not None:
        parts.append(f"指标 {number(d['quota'])} 个")
    if d.get("window_start") or d.get("window_end"):
        parts.append(f"申报 {d.get('window_start') or '?'}~{d.get('window_end') or '?'}")
    return ", ".join(parts) or "无数据"


def describe_row(kind: str, d: dict[str, Any]) -> str:
    """A whole row in a few words (used for added and removed rows)."""
    if kind == "shortage_occupations":
        return _shortage_row(d)
    if kind == "points_schedule":
        return f"{points_label(d)} {_points_value(d)}"
    if kind == "talent_settlement":
        return _talent_row(d)
    if kind == "points_cutoff":
        return f"{d.get('year')}年: {_cutoff_facts(d)}"
    return one_line(", ".join(f"{k}={v}" for k, v in d.items() if v is not None), 80)


# ---------------------------------------------------------------- modifications


def _text_changes(b: dict[str, Any], a: dict[str, Any], names: Sequence[str]) -> list[str]:
    out = []
    for name in names:
        label = FIELD_LABELS.get(name, name)
        if name in ("notes", "conditions"):
            out.append(f"{label}修改: {_arrow(b.get(name), a.get(name), name)}")
        else:
            out.append(f"{label} {_arrow(b.get(name), a.get(name), name)}")
    return out


def _modified_points(b: dict[str, Any], a: dict[str, Any], changed: Sequence[str]) -> str:
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
            parts.append(f"{_points_value(bb)} → {_points_value(aa)}")
    if "cap" in changed:
        cap = f"(上限 {number(b.get('cap'))} → {number(a.get('cap'))})"
        if parts:
            parts[-1] += f" {cap}"
        else:
            parts.append(f"{_points_value({**a, 'cap': None})} {cap}")
    elif parts and a.get("cap") is not None:
        parts[-1] += f" (上限 {number(a['cap'])})"
    rest = [n for n in changed if n not in ("points", "per", "sign", "cap", "item", "category")]
    parts += _text_changes(b, a, rest)
    if not parts:
        return f"{points_label(b)} 更名为 {label}"
    return f"{label} {'；'.join(parts)}"


def _modified_shortage(b: dict[str, Any], a: dict[str, Any], changed: Sequence[str]) -> str:
    parts = []
    if "occupation" in changed or "work_type" in changed:
        parts.append(f"{_occupation(b)} 更名为 {_occupation(a)}")
    parts += _text_changes(b, a, [n for n in changed if n not in ("occupation", "work_type")])
    if "occupation" in changed or "work_type" in changed:
        return "；".join(parts)
    return f"{_occupation(a)} {'；'.join(parts)}"


def _modified_talent(b: dict[str, Any], a: dict[str, Any], changed: Sequence[str]) -> str:
    head = f"{one_line(a.get('channel') or '', _MAX_TEXT)} {one_line(a.get('requirement') or '', _MAX_TEXT)}"
    parts = []
    for name in changed:
        if name == "social_insurance_months":
            parts.append(f"社保 {number(b.get(name))} → {number(a.get(name))} 个月")
        elif name == "age_limit":
            parts.append(f"年龄上限 {number(b.get(name))} → {number(a.get(name))} 岁")
        elif name in ("channel", "requirement"):
            parts.append(f"{FIELD_LABELS[name]} {_arrow(b.get(name), a.get(name))}")
        else:
            parts += _text_changes(b, a, [name])
    return f"{head}: {'；'.join(parts)}"


def _modified_cutoff(b: dict[str, Any], a: dict[str, Any], changed: Sequence[str]) -> str:
    parts = []
    for name in changed:
        if name == "score":
            parts.append(f"分数线 {number(b.get(name))} → {number(a.get(name))} 分")
        elif name == "quota":
            parts.append(f"指标 {number(b.get(name))} → {number(a.get(name))} 个")
        else:
            parts += _text_changes(b, a, [name])
    return f"{a.get('year')}年: {'；'.join(parts)}"


def _modified(change: Change) -> str:
    b, a = change.before or {}, change.after or {}
    changed = change.fields_changed
    if change.kind == "points_schedule":
        return _modified_points(b, a, changed)
    if change.kind == "shortage_occupations":
        return _modified_shortage(b, a, changed)
    if change.kind == "talent_settlement":
        return _modified_talent(b, a, changed)
    if change.kind == "points_cutoff":
        return _modified_cutoff(b, a, changed)
    return "；".join(_text_changes(b, a, changed))


def summarise(change: Change) -> str:
    """One line of plain Chinese, e.g. "泉州 积分: 五级/初级工 10 → 15 分"."""
    prefix = f"{region_label(change.region)} {kind_label(change.kind)}"
    if change.change == "modified":
        return one_line(f"{prefix}: {_modified(change)}")
    row = change.after if change.change == "added" else change.before
    verb = CHANGE_LABELS[change.change]
    if change.kind == "points_cutoff":
        d = row or {}
        return one_line(f"{prefix} {d.get('year')}年 {verb}: {_cutoff_facts(d)}")
    return one_line(f"{prefix} {verb} {describe_row(change.kind, row or {})}")


# ---------------------------------------------------------------- email subjects


def _headline(change: Change) -> str:
    """The shortest useful form of a change, for a subject line: "初级工积分 10→15"."""
    b, a = change.before or {}, change.after or {}
    if change.kind == "points_schedule" and change.change == "modified" and "points" in change.fields_changed:
        label = points_label(a)
        if a.get("category") == "技能水平":
            label = _level_short(label)
        return f"{label}积分 {number(b.get('points'))}→{number(a.get('points'))}"
    if change.kind == "shortage_occupations" and change.change != "modified":
        row = a if change.change == "added" else b
        return f"{CHANGE_LABELS[change.change]}{_occupation(row)}"
    text = change.summary or summarise(change)
    prefix = f"{region_label(change.region)} {kind_label(change.kind)}"
    text = text.removeprefix(prefix).lstrip(": ")
    return text.replace(" → ", "→")


def _names(values: Sequence[str], labels: dict[str, str]) -> str:
    unique = list(dict.fromkeys(values))
    shown = "、".join(labels.get(v, v) for v in unique[:3])
    return shown + ("等" if len(unique) > 3 else "")


def subject_line(changes: Sequence[Change], limit: int = 120) -> str:
    """An email subject: "【政策变化】泉州 积分落户：初级工积分 10→15 等 3 项" (always one line)."""
    if not changes:
        return "【政策变化】本期无变化"
    ranked = sorted(
        changes,
        key=lambda c: (
            not (c.substantive and c.electrician_related),
            not c.substantive,
            c.change != "modified",
        ),
    )
    lead = ranked[0]
    regions = _names([c.region for c in ranked], REGION_LABELS)
    kinds = _names([c.kind for c in ranked], SUBJECT_KIND_LABELS)
    suffix = f" 等 {len(changes)} 项" if len(changes) > 1 else ""
    head = one_line(f"【政策变化】{regions} {kinds}：")
    body = one_line(_headline(lead), max(10, limit - len(head) - len(suffix)))
    return head + body + suffix
