"""Chinese numerals and numbers as printed in rule documents ("十五分", "1,500", "０.５")."""

from __future__ import annotations

import re

from .text import nfkc

_DIGITS = {"零": 0, "〇": 0, "○": 0, "一": 1, "壹": 1, "二": 2, "贰": 2, "两": 2, "三": 3, "叁": 3,
           "四": 4, "肆": 4, "五": 5, "伍": 5, "六": 6, "陆": 6, "七": 7, "柒": 7, "八": 8, "捌": 8,
           "九": 9, "玖": 9}  # fmt: skip
_UNITS = {"十": 10, "拾": 10, "百": 100, "佰": 100, "千": 1000, "仟": 1000}
_BIG = {"万": 10_000, "亿": 100_000_000}
CN_NUMERAL_CHARS = "".join(_DIGITS) + "".join(_UNITS) + "".join(_BIG)
CN_NUMBER = f"[{CN_NUMERAL_CHARS}]+(?:点[{''.join(_DIGITS)}]+)?"
# A number starts where a run of digits starts: a pattern may then try each run once, not
# every position inside it (8,000 digits in a row made the clause patterns quadratic).
NUMBER = rf"(?:(?<!\d)\d+(?:,\d{{3}})*(?:\.\d+)?|{CN_NUMBER}|半)"
_LONGEST = 15  # digits: no rule value is longer (and a float past it is no longer exact)
_ARABIC = re.compile(r"^\d+(?:,\d{3})*(?:\.\d+)?$")


def cn_to_int(text: str) -> int | None:
    """Convert a Chinese integer numeral (十五, 一百二十, 二〇二六, 一千五百) to int.

    A string made only of digit characters (二〇二六) is read positionally, like a year.
    """
    if not text or any(ch not in _DIGITS and ch not in _UNITS and ch not in _BIG for ch in text):
        return None
    if all(ch in _DIGITS for ch in text):
        if len(text) == 1:
            return _DIGITS[text]
        return int("".join(str(_DIGITS[ch]) for ch in text))
    total = 0
    section = 0
    number = 0
    for ch in text:
        if ch in _DIGITS:
            number = _DIGITS[ch]
        elif ch in _UNITS:
            unit = _UNITS[ch]
            section += (number or 1) * unit
            number = 0
        else:
            big = _BIG[ch]
            total += (section + number) * big
            section = 0
            number = 0
    return total + section + number


def parse_number(text: str | None) -> float | None:
    """Parse one number written with Arabic digits (full or half width) or Chinese numerals."""
    if text is None:
        return None
    t = nfkc(text).strip().replace(" ", "")
    if not t:
        return None
    if t == "半":
        return 0.5
    if _ARABIC.match(t):
        digits = t.replace(",", "")
        return float(digits) if len(digits.partition(".")[0]) <= _LONGEST else None
    if "点" in t:
        whole, _, frac = t.partition("点")
        w = cn_to_int(whole) if whole else 0
        if w is None or not frac or any(ch not in _DIGITS for ch in frac):
            return None
        return float(f"{w}." + "".join(str(_DIGITS[ch]) for ch in frac))
    value = cn_to_int(t) if len(t) <= _LONGEST else None
    return float(value) if value is not None else None


def parse_int(text: str | None) -> int | None:
    """Like :func:`parse_number` but for counts (quotas, months, ages)."""
    value = parse_number(text)
    return int(value) if value is not None and value == int(value) else None
