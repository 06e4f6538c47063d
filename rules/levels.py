"""Skill-level aliases → the canonical names of CONVENTIONS.md ("Skill levels").

The same level is printed a dozen ways (初级 = 初级工 = 五级 = 国家职业资格五级 …); the diff
engine must see one value, or a re-typed table would look like a rule change.
"""

from __future__ import annotations

import re

from .text import squash

LEVELS: tuple[str, ...] = (
    "五级/初级工",
    "四级/中级工",
    "三级/高级工",
    "二级/技师",
    "一级/高级技师",
    "特级技师",
    "首席技师",
)

# Words after a tier that show it is NOT a skill level (一级建造师, 三级甲等医院, 高级职称 …).
_NOT_SKILL_AFTER = (
    "职称|专业技术|工程师|建造师|造价师|注册|医院|甲等|乙等|教师|律师|会计|经济师|审计师|统计师|"
    "程师|学科|残疾|伤残|人才|管理|护理|运动员|裁判|指标|分类|分局|分会|分院|学院|中学|教练|政府|行政|以下的|响应|英雄|保护|文物|资质|企业|单位|"
    "岗位|主任|职员|职务|科员|警|法官|检察官|翻译|演员|编辑|记者|农艺师|畜牧师|兽医师|社工|社会工作"
)
_ALIASES: tuple[tuple[str, str], ...] = (
    ("首席技师", "首席技师"),
    ("特级技师", "特级技师"),
    ("高级技师", "一级/高级技师"),
    ("一级", "一级/高级技师"),
    ("预备技师", ""),  # a school track, not a level
    ("技师", "二级/技师"),
    ("二级", "二级/技师"),
    ("高级工", "三级/高级工"),
    ("高级技能", "三级/高级工"),
    ("高级", "三级/高级工"),
    ("三级", "三级/高级工"),
    ("中级工", "四级/中级工"),
    ("中级技能", "四级/中级工"),
    ("中级", "四级/中级工"),
    ("四级", "四级/中级工"),
    ("初级工", "五级/初级工"),
    ("初级技能", "五级/初级工"),
    ("初级", "五级/初级工"),
    ("五级", "五级/初级工"),
)
_ALIAS_MAP = dict(_ALIASES)
_PATTERN = re.compile(
    r"(?<![第0-9一二三四五六七八九十])"
    r"(" + "|".join(re.escape(a) for a, _ in _ALIASES) + r")"
    rf"(?!(?:及以上|以上|及)?(?:{_NOT_SKILL_AFTER}))"
)
# Words that may surround a level in a cell whose whole meaning is "this level".
_FILLER = re.compile(
    r"取得|具有|具备|持有|获得|国家|职业资格|职业技能等级|技能等级|职业技能|技能人员|等级|证书|资格|"
    r"及以上|以上|或|和|及|相应|同等|相当于|人员|的|者|工|/|\(|\)|、|,|，|:|：|以|上|技能"
)


def find_levels(text: str | None) -> list[str]:
    """All canonical levels mentioned in ``text``, in order of appearance, without repeats."""
    if not text:
        return []
    found: list[str] = []
    for m in _PATTERN.finditer(squash(text)):
        level = _ALIAS_MAP[m.group(1)]
        if level and level not in found:
            found.append(level)
    return found


def level_spans(text: str) -> list[tuple[int, str]]:
    """(position, canonical level) of every level mention in ``text`` (positions in ``text``
    itself, so the caller squashes first), repeats included."""
    return [(m.start(), lv) for m in _PATTERN.finditer(text) if (lv := _ALIAS_MAP[m.group(1)])]


def normalise_level(text: str | None) -> str | None:
    """The first skill level mentioned in ``text`` as its canonical name, else None.

    "三级及以上" gives 三级/高级工 (the minimum), "国家职业资格五级" gives 五级/初级工.
    """
    levels = find_levels(text)
    return levels[0] if levels else None


def is_level_only(text: str | None) -> bool:
    """True when ``text`` says nothing but one skill level ("高级工(三级)", "取得技师证书").

    Used to decide whether a points item is replaced by the canonical level name.
    """
    if not text:
        return False
    levels = find_levels(text)
    if len(levels) != 1:
        return False
    rest = _PATTERN.sub("", squash(text))
    rest = _FILLER.sub("", rest)
    return rest == ""


def level_rank(text: str) -> int | None:
    """Position of a canonical level in LEVELS (五级 first), None for anything else."""
    return _RANK.get(text)


_RANK = {level: i for i, level in enumerate(LEVELS)}
