"""Points categories and items, printed in many ways → canonical names (CONVENTIONS.md)."""

from __future__ import annotations

import re

from .levels import is_level_only, normalise_level
from .text import normalise_name

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

_ENUM = re.compile(
    r"^(?:[一二三四五六七八九十]+[、.．]|\([一二三四五六七八九十\d]+\)|\d+(?:\.\d+)*[、.．)](?!\d)|[①-⑳]|[A-Za-z][、.]"
    r"|第[一二三四五六七八九十百\d]+[条章节款部分]+)"
)


def strip_enumeration(text: str) -> str:
    """Remove a leading list marker: 一、 (一) 1. 1、 ① A."""
    prev = None
    while prev != text:
        prev = text
        text = _ENUM.sub("", text).strip()
    return text


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
