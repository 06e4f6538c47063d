"""Dates as printed in announcements: 2025年3月12日, 2025-03-12, 二〇二五年三月十二日."""

from __future__ import annotations

import datetime as dt
import re

from .numerals import cn_to_int
from .text import nfkc

_CN = "〇零○一二三四五六七八九十"
YEAR = rf"(\d{{4}}|[{_CN}]{{4}})"
MONTH = rf"(\d{{1,2}}|[{_CN}]{{1,3}})"
DAY = rf"(\d{{1,2}}|[{_CN}]{{1,3}})"
DATE_CN = re.compile(rf"{YEAR}\s*年\s*{MONTH}\s*月\s*{DAY}\s*[日号]")
DATE_NUM = re.compile(r"(?<!\d)(\d{4})\s*[-/.]\s*(\d{1,2})\s*[-/.]\s*(\d{1,2})(?!\d)")
ANY_DATE = re.compile(rf"(?:{DATE_CN.pattern}|{DATE_NUM.pattern})")


def _num(text: str) -> int | None:
    return int(text) if text.isdigit() else cn_to_int(text)


def make_date(year: str, month: str, day: str) -> dt.date | None:
    y, m, d = _num(year), _num(month), _num(day)
    if y is None or m is None or d is None:
        return None
    try:
        return dt.date(y, m, d)
    except ValueError:
        return None


def parse_date(text: str | None) -> dt.date | None:
    """The first date in ``text`` (Chinese or numeric form), or None."""
    if not text:
        return None
    t = nfkc(text)
    for m in ANY_DATE.finditer(t):
        groups = [g for g in m.groups() if g is not None]
        found = make_date(*groups[:3])
        if found:
            return found
    return None


_SEP = r"(?:至|到|[-—–~〜―‐‑－]{1,2})"  # 至 / 到 / ASCII, full-width, em, double em dashes / 〜 ~
_TIME = r"(?:\s*\d{1,2}[:：]\d{2})?"
_RANGE = re.compile(
    rf"{YEAR}\s*年\s*{MONTH}\s*月\s*{DAY}\s*[日号]?{_TIME}\s*(?:起)?\s*{_SEP}\s*"
    rf"(?:{YEAR}\s*年\s*)?(?:{MONTH}\s*月\s*)?{DAY}\s*[日号]"
)
# the same without a year ("3月10日至4月10日"): the year comes from the caller's context
_RANGE_NO_YEAR = re.compile(
    rf"(?<![\d{_CN}年])(?<!年\s){MONTH}\s*月\s*{DAY}\s*[日号]?{_TIME}\s*(?:起)?\s*{_SEP}\s*"
    rf"(?:{MONTH}\s*月\s*)?{DAY}\s*[日号]"
)
_RANGE_NUM = re.compile(
    rf"(\d{{4}})[-/.](\d{{1,2}})[-/.](\d{{1,2}})\s*{_SEP}\s*(?:(\d{{4}})[-/.])?(\d{{1,2}})[-/.](\d{{1,2}})"
)
_MONTH_DAY = re.compile(rf"^\s*{MONTH}\s*月\s*{DAY}\s*[日号]?\s*$")


def parse_window(text: str | None, year: int | None = None) -> tuple[dt.date | None, dt.date | None]:
    """An application window "2026年3月1日至3月31日" → (start, end); end inherits year/month.

    ``year`` is the year from context (the cut-off year, else the document's year) for a
    window printed without one ("3月1日至3月31日"); an end before the start is next year's.
    """
    if not text:
        return None, None
    t = nfkc(text)
    m = _RANGE.search(t)
    if m:
        y1, m1, d1, y2, m2, d2 = m.groups()
        start = make_date(y1, m1, d1)
        end = make_date(y2 or y1, m2 or m1, d2)
        if start and end and end < start and not y2:  # "11月20日至1月10日": the end is next year's
            end = make_date(str(int(y1) + 1), m2 or m1, d2)
        if start and end:
            return start, end
    m = _RANGE_NUM.search(t)
    if m:
        y1, m1, d1, y2, m2, d2 = m.groups()
        start = make_date(y1, m1, d1)
        end = make_date(y2 or y1, m2, d2)
        if start and end and end < start and not y2:  # "2024.11.15-1.10": the end is next year's
            end = make_date(str(int(y1) + 1), m2, d2)
        if start and end:
            return start, end
    m = _RANGE_NO_YEAR.search(t) if year is not None else None
    if m and year is not None:
        m1, d1, m2, d2 = m.groups()
        start = make_date(str(year), m1, d1)
        end = make_date(str(year), m2 or m1, d2)
        if start and end and end < start:
            end = make_date(str(year + 1), m2 or m1, d2)
        if start and end:
            return start, end
    return None, None


def parse_day(text: str | None, year: int | None = None) -> dt.date | None:
    """A date cell: a full date, or "3月10日" alone completed with ``year``."""
    found = parse_date(text)
    if found is not None or not text or year is None:
        return found
    m = _MONTH_DAY.match(nfkc(text))
    return make_date(str(year), m.group(1), m.group(2)) if m else None
