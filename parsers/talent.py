"""Talent-settlement requirements: skill levels, titles, degrees, insurance months, age."""

from __future__ import annotations

import re

from .categories import strip_enumeration
from .levels import find_levels
from .numerals import NUMBER, parse_int, parse_number
from .text import nfkc, normalise_name

_DEGREE = re.compile(
    r"((?:全日制)?(?:普通)?(?:高等院校|高校|大学)?(?:硕士研究生|博士研究生|高中|中专|中职|技工院校|大专|专科|本科|学士|"
    r"硕士|研究生|博士))(?:及以上|以上)?(?:学历|学位)?"
)
_TITLE = re.compile(
    r"(初级|中级|副高级|副高|正高级|正高|高级)(?:及以上|以上)?(?:专业技术)?(?:职称|专业技术职务|专业技术资格)"
)
_MONTHS = re.compile(
    rf"(?:社会保险|社保|养老保险|参保)[^。；;，,]{{0,16}}?(?:满|累计|连续|达到|不少于|超过)?\s*(?P<n>{NUMBER})\s*(?P<unit>个月|月|年|周年)"
)
_AGE = re.compile(
    rf"(?:年龄|年纪)?[^。；;，,]{{0,6}}?(?:不超过|不满|未满|在|不大于|低于)?\s*(?P<n>{NUMBER})\s*(?:周岁|岁)\s*(?:以下|以内|及以下|\(含\)|（含）)?"
)


def requirements(text: str | None) -> list[tuple[str, str | None]]:
    """(requirement, level) pairs: each skill level, title or degree alternative in ``text``."""
    if not text:
        return []
    t = nfkc(text)
    out: list[tuple[str, str | None]] = []
    for level in find_levels(t):
        out.append((level, level))
    for m in _TITLE.finditer(t):
        title = (
            m.group(1)
            .replace("副高", "副高级")
            .replace("副高级级", "副高级")
            .replace("正高", "正高级")
            .replace("正高级级", "正高级")
        )
        req = f"{title}职称"
        if (req, None) not in out:
            out.append((req, None))
    for m in _DEGREE.finditer(t):
        req = normalise_name(m.group(1)) or m.group(1)
        if (req, None) not in out:
            out.append((req, None))
    return out


def insurance_months(text: str | None) -> int | None:
    """Social-insurance months required ("连续缴纳社会保险满6个月" → 6, "满1年" → 12)."""
    if not text:
        return None
    m = _MONTHS.search(nfkc(text))
    if not m:
        return None
    n = parse_number(m.group("n"))
    if n is None:
        return None
    return int(n * 12) if "年" in m.group("unit") else int(n)


def age_limit(text: str | None) -> int | None:
    """Upper age limit ("年龄不超过45周岁", "45周岁以下")."""
    if not text:
        return None
    t = nfkc(text)
    for m in _AGE.finditer(t):
        if "以上" in m.group(0) and "以下" not in m.group(0):
            continue
        value = parse_int(m.group("n"))
        if value is not None and 16 <= value <= 70:
            return value
    return None


# A section heading that names a settlement channel: "一、高技能人才落户", "(二)高层次人才引进落户",
# "三、技能人才入户", "技能人才落户条件". The channel is the heading itself, not a shorter
# channel word found inside it (高技能人才落户 is not 技能人才落户).
_CHANNEL_HEADING = re.compile(
    r"^(?P<name>\S{2,14}?(?:落户|入户))(?:的)?(?:申请条件|基本条件|具体条件|条件|对象|范围|要求|标准|政策|渠道)?$"
)
_NOT_A_CHANNEL = re.compile(r"^(?:申请|办理|关于|准予|同意|予以|可|直接|允许|申报|登记|户口|户籍|迁移)")


def heading_channel(heading: str | None) -> str | None:
    """The channel a section heading names (enumerator removed), or None if it names none."""
    if not heading:
        return None
    text = normalise_name(heading) or ""
    text = (normalise_name(strip_enumeration(text)) or "").rstrip(":")
    m = _CHANNEL_HEADING.match(text)
    if not m:
        return None
    name = m.group("name")
    if _NOT_A_CHANNEL.match(name) or name in ("积分落户", "积分入户") or len(name) <= 3:
        return None
    return name
