"""Points cells and clauses → (points, per, cap, sign) (CONVENTIONS.md, "Points schedule").

Handles "40分", "+40", "十五分", "-10", "扣5分", "每满1年积2分，最高不超过20分",
"2分/年，上限20分", "每月0.5分", "每次1分".
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .numerals import NUMBER, parse_number
from .text import nfkc, unify_dashes

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
