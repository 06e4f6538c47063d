"""The outline of a document: which numbered headings (第二章, 一、, （一）, 1.) enclose a point.

A table's meaning often comes from a heading two levels up ("二、技能人才入户" over "（一）申请
条件" over the table), so readers keep the outline as they go and give each table the headings
that enclose it, innermost first.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from rules.text import strip_enumeration

HEADING = re.compile(
    r"^(?:(?P<l0>第[一二三四五六七八九十百]+[章节编])|(?P<l1>[一二三四五六七八九十]+、|第[一二三四五六七八九十百]+条)"
    r"|(?P<l2>[(（][一二三四五六七八九十]+[)）])"
    r"|(?P<l3>\d{1,2}[.、](?!\d)|[(（]\d{1,2}[)）]))\s*"
)


def heading_level(text: str) -> int | None:
    """0 chapter, 1 一、/第X条, 2 （一）, 3 1. / (1); None for a paragraph that is no heading."""
    m = HEADING.match(text)
    if not m:
        return None
    return 0 if m.group("l0") else 1 if m.group("l1") else 2 if m.group("l2") else 3


def heading_title(text: str) -> str | None:
    """The heading's words when the paragraph is a short heading, not a numbered sentence."""
    title = strip_enumeration(text).rstrip("。:：")
    return title if title and len(title) <= 16 and not re.search(r"[;；,，]|\d", title) else None


@dataclass
class Outline:
    """Headings in force while reading paragraphs in order."""

    headings: dict[int, str] = field(default_factory=dict)

    def see(self, text: str) -> None:
        level = heading_level(text)
        if level is None:
            return
        self.headings = {k: v for k, v in self.headings.items() if k < level}
        title = heading_title(text)
        if title:
            self.headings[level] = title

    def enclosing(self) -> tuple[str, ...]:
        """Headings in force, innermost first."""
        return tuple(self.headings[k] for k in sorted(self.headings, reverse=True))
