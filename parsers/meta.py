"""Document-level facts: 文号, title, publish and effective dates, and what it repeals."""

from __future__ import annotations

import datetime as dt
import re

from rules.dates import ANY_DATE, parse_date
from rules.doc_numbers import DOC_NUMBER, normalise_doc_number
from rules.text import nfkc, normalise_text, squash

_LABELLED = re.compile(r"(?:发文字号|文\s*号)\s*[:：]?\s*")
_EFFECTIVE = re.compile(
    rf"(?:自|从|于)?\s*(?P<date>{ANY_DATE.pattern})\s*(?:起|开始)?\s*(?:正式)?\s*(?:施行|执行|实施|实行|生效|启用)"
)
_EFFECTIVE_ON_DAY = re.compile(
    r"自\s*(?:本(?:通知|办法|细则|标准|目录|公告|意见|规定|决定|措施|方案))?\s*(?P<act>发布|印发|公布|下发|颁布|签发|发文)\s*之日\s*起"
)
_REPEAL = re.compile(r"废止|失效|作废|停止执行|不再执行")
_TITLE_IN_BOOK = re.compile(r"《([^《》]{2,80})》")
_PUBLISH_LABEL = re.compile(
    rf"(?:发布时间|发布日期|发文日期|成文日期|印发日期|日期)\s*[:：]?\s*(?P<date>{ANY_DATE.pattern})"
)


def find_doc_numbers(text: str) -> list[str]:
    """Every 文号 in ``text``, normalised, in order."""
    t = squash(text)
    out = []
    for m in DOC_NUMBER.finditer(t):
        number = normalise_doc_number(m.group(0))
        if number and number not in out:
            out.append(number)
    return out


def _sentences_with(pattern: re.Pattern[str], lines: list[str]) -> list[str]:
    out = []
    for line in lines:
        for sentence in re.split(r"(?<=[。；;])", line):
            if pattern.search(sentence):
                out.append(sentence)
    return out


def find_doc_number(lines: list[str]) -> str | None:
    """The document's own 文号: a labelled one, else the first outside any repeal/citation clause."""
    for line in lines[:80]:
        m = _LABELLED.search(nfkc(line))
        if m:
            number = normalise_doc_number(nfkc(line)[m.end() :])
            if number:
                return number
    for line in lines[:40]:
        if _REPEAL.search(line) or re.search(r"根据|按照|依据|《", line):
            continue
        numbers = find_doc_numbers(line)
        if numbers and len(nfkc(line).strip()) <= 40:
            return numbers[0]
    return None


def find_published(lines: list[str]) -> dt.date | None:
    """A labelled publish date, else the signature date (a line that is only a date) at the end."""
    for line in lines[:60]:
        m = _PUBLISH_LABEL.search(nfkc(line))
        if m:
            found = parse_date(m.group("date"))
            if found:
                return found
    for line in reversed(lines[-30:]):
        t = squash(line)
        if ANY_DATE.fullmatch(t):
            return parse_date(t)
    return None


def find_signed(lines: list[str]) -> dt.date | None:
    """The signing (落款/成文) date: a line near the end that is only a date."""
    for line in reversed(lines[-30:]):
        t = squash(line)
        if ANY_DATE.fullmatch(t):
            return parse_date(t)
    return None


def find_effective(
    lines: list[str], published: dt.date | None, signed: dt.date | None = None
) -> dt.date | None:
    """The date from a 施行/执行/实施 clause.

    "自印发之日起" means the signing date (落款), "自发布/公布之日起" the publish date; each
    falls back to the other when only one is known. "有效期至…" is not an effective date.
    """
    for sentence in _sentences_with(re.compile(r"施行|执行|实施|实行|生效|启用|之日起"), lines):
        t = squash(sentence)
        if _REPEAL.search(t) and not re.search(r"起\s*(?:施行|执行|实施|实行|生效|启用)", t):
            continue
        m = _EFFECTIVE.search(t)
        if m:
            found = parse_date(m.group("date"))
            if found:
                return found
        day = _EFFECTIVE_ON_DAY.search(t)
        if day:
            first, second = (
                (signed, published)
                if day.group("act") in ("印发", "下发", "签发", "发文")
                else (published, signed)
            )
            if first or second:
                return first or second
    return None


def find_replaces(lines: list[str]) -> tuple[str, ...]:
    """文号 (preferred) or 《titles》 named in 废止 / 同时废止 clauses."""
    out: list[str] = []
    for sentence in _sentences_with(_REPEAL, lines):
        t = squash(sentence)
        if not re.search(r"废止|同时失效|作废|停止执行|不再执行", t):
            continue
        pos = 0
        titles = list(_TITLE_IN_BOOK.finditer(t))
        for i, m in enumerate(titles):
            following_end = titles[i + 1].start() if i + 1 < len(titles) else len(t)
            following = t[m.end() : following_end]
            numbers = find_doc_numbers(following[:30])
            inside = find_doc_numbers(m.group(1))  # 《闽人社文〔2025〕3号》 names the number itself
            entry = numbers[0] if numbers else (inside[0] if inside else normalise_text(m.group(1)))
            if entry and entry not in out:
                out.append(entry)
            pos = m.end() + (len(following[:30]) if numbers else 0)
        for number in find_doc_numbers(t[pos:] if titles else t):
            if number not in out:
                out.append(number)
    return tuple(out)


def year_hint(title: str | None, published: dt.date | None) -> int | None:
    """The year a document is about: a year in its title, else the publish year."""
    if title:
        m = re.search(r"(20\d{2})\s*年", nfkc(title))
        if m:
            return int(m.group(1))
    return published.year if published else None
