"""Coverage in words: how many sources were read, and which could not be, since when.

Every answer about changes carries this note (diff-report, digests, `policywatch status`),
so that a source that could not be read never reads as "no changes". Whether a source was
read is decided once, in storage.coverage; this module only words it, in the reader's
timezone. Source names come from the registry and config: still kept on one line.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from notifier.localtime import local_time
from rules.display import one_line
from storage.coverage import Coverage, SourceReading

# What a failed crawl status means, for a reader (crawlers/health.py defines the statuses).
STATUS_LABELS = {
    "blocked": "被网站拦截",
    "failing": "无法访问",
    "structure-changed": "页面结构变化",
    "empty": "栏目列表为空",
}


@dataclass(frozen=True)
class UnreadSource:
    """One source whose changes are unknown: its name and since when, in words."""

    name: str
    detail: str

    def describe(self) -> str:
        return f"{self.name}（{self.detail}）"


@dataclass(frozen=True)
class CoverageNote:
    """What a report says about coverage; ``unread`` empty means every source in scope was read."""

    total: int
    read: int
    unread: tuple[UnreadSource, ...]

    @property
    def complete(self) -> bool:
        return not self.unread

    def summary(self) -> str:
        """12 个来源中 12 个读取成功."""
        return f"{self.total} 个来源中 {self.read} 个读取成功"

    def no_changes(self) -> str:
        """ "No changes", said only for the sources that were read."""
        if self.total == 0:
            return "范围内没有启用的来源，无从得知变化。"
        if self.read == 0:
            return f"没有一个来源读取成功（{self.summary()}），本期变化未知。"
        if self.complete:
            return f"本期无政策变化（{self.summary()}）。"
        return f"已读取的 {self.read} 个来源本期无政策变化（{self.summary()}）。"

    def unread_heading(self) -> str:
        return f"{len(self.unread)} 个来源未能读取，其变化未知："

    def sentence(self) -> str:
        """The whole note on one line (stderr, logs): summary, then every unread source."""
        if self.complete:
            return self.summary() + "。"
        return f"{self.summary()}；{self.unread_heading()}" + "、".join(u.describe() for u in self.unread)


def _detail(reading: SourceReading, tz: dt.tzinfo) -> str:
    if reading.status is None:
        return "尚未抓取"
    label = STATUS_LABELS.get(reading.status, one_line(reading.status, 40))
    since = f"自 {local_time(reading.unread_since, tz)} 起" if reading.unread_since else ""
    never = "，从未读取成功" if reading.last_read_at is None else ""
    return f"{since}{label}{never}"


def describe_coverage(coverage: Coverage, tz: dt.tzinfo) -> CoverageNote:
    """The note for ``coverage``, times in ``tz`` (schedule.timezone)."""
    return CoverageNote(
        total=len(coverage.readings),
        read=len(coverage.read),
        unread=tuple(UnreadSource(one_line(r.source.name, 60), _detail(r, tz)) for r in coverage.unread),
    )
