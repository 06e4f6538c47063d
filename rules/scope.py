"""Whether a document is about settlement at all, decided before any of its rows count.

Many announcements look like rules without being settlement rules: 积分入学 (school admission)
schedules, skill subsidies per level in 元, recruitment notices with ages and levels, meeting
notices, Q&A replies that quote an item or two of a schedule. Read as rules they would replace
a city's real schedule, so a document feeds a settlement series only when it is about
落户 / 入户 / 居住证积分 (or is a shortage catalogue), and one of the classes above never does.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .text import nfkc

_SETTLEMENT = re.compile(r"落户|入户|户口迁|迁入户口|居住证积分")


@dataclass(frozen=True, slots=True)
class _NotAbout:
    reason: str
    title: re.Pattern[str]
    text: re.Pattern[str] | None = None  # a marker in the opening lines that decides it alone
    unless_settlement_title: bool = True  # "落户" in the title overrides the title words


# The first that matches wins.
_NOT_ABOUT = (
    _NotAbout(
        "a reply to a question (it quotes rules; the schedule itself is elsewhere)",
        re.compile(r"咨询|答复|回复|来信|留言|网友|问答|答问"),
        re.compile(r"来信(?:内容|时间)|回复(?:内容|单位|时间)|^问[:：]|网友(?:留言|提问)"),
        unless_settlement_title=False,
    ),
    _NotAbout(
        "a meeting or training notice",
        re.compile(r"召开.{0,30}(?:会议|座谈会|培训班)|会议的通知"),
        unless_settlement_title=False,
    ),
    _NotAbout("school admission points (积分入学)", re.compile(r"入学|招生|学位申请")),
    _NotAbout("a recruitment notice", re.compile(r"招聘|招考|录用|遴选|选调")),
    _NotAbout("subsidy or allowance amounts", re.compile(r"补贴|补助|津贴|奖补|资助")),
)


@dataclass(frozen=True, slots=True)
class DocumentScope:
    """Which series a document may feed."""

    settlement: bool | None  # names 落户/入户 (True), does not (False), nothing to judge by (None)
    not_about: str | None = None  # why it feeds nothing, when it looks like rules but is not

    def doubts(self, kind: str) -> bool:
        """Rows of ``kind`` from a titled document that never names settlement: read, but held
        for an operator (a catalogue is often published bare; its table says what it is)."""
        return kind != "shortage_occupations" and self.settlement is False


def document_scope(title: str | None, texts: list[str]) -> DocumentScope:
    """Classify by the title first (offices name what a notice is), then the opening text."""
    title_text = nfkc(title or "")
    everything = f"{title_text} {nfkc(' '.join(texts))}"
    settlement_title = bool(_SETTLEMENT.search(title_text))
    for rule in _NOT_ABOUT:
        overridden = rule.unless_settlement_title and settlement_title
        if rule.title.search(title_text) and not overridden:
            return DocumentScope(settlement=False, not_about=rule.reason)
        if rule.text is not None and any(rule.text.search(nfkc(t).strip()) for t in texts[:40]):
            return DocumentScope(settlement=False, not_about=rule.reason)
    if _SETTLEMENT.search(everything):
        return DocumentScope(settlement=True)
    return DocumentScope(settlement=False if title_text.strip() else None)
