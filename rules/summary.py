"""Plain-Chinese one-liners for changes: what a subscriber reads first, in a digest or a subject.

The words for each kind's rows live in that kind's module (rules/kinds/); this module puts
region, kind and verb around them and keeps every line on one line.
"""

from __future__ import annotations

from collections.abc import Sequence

from .changes import CHANGE_LABELS, Change
from .display import one_line
from .regions import REGION_LABELS, region_label
from .registry import KINDS

KIND_LABELS: dict[str, str] = {name: kind.label for name, kind in KINDS.items()}
# Subjects name the channel a reader knows ("积分落户"), not the table ("积分").
SUBJECT_KIND_LABELS: dict[str, str] = {name: kind.subject_label for name, kind in KINDS.items()}


def kind_label(kind: str) -> str:
    return KIND_LABELS.get(kind, one_line(kind))


def describe_row(kind: str, d: dict[str, object]) -> str:
    """A whole row in a few words (used for added and removed rows)."""
    return KINDS[kind].describe(dict(d))


def summarise(change: Change) -> str:
    """One line of plain Chinese, e.g. "泉州 积分: 五级/初级工 10 → 15 分"."""
    prefix = f"{region_label(change.region)} {kind_label(change.kind)}"
    kind = KINDS[change.kind]
    if change.change == "modified":
        text = kind.describe_modified(change.before or {}, change.after or {}, change.fields_changed)
        return one_line(f"{prefix}: {text}")
    row = change.after if change.change == "added" else change.before
    return one_line(f"{prefix} {kind.describe_one_sided(CHANGE_LABELS[change.change], row or {})}")


# ---------------------------------------------------------------- email subjects


def _headline(change: Change) -> str:
    """The shortest useful form of a change, for a subject line: "初级工积分 10→15"."""
    special = KINDS[change.kind].headline(change)
    if special is not None:
        return special
    text = change.summary or summarise(change)
    prefix = f"{region_label(change.region)} {kind_label(change.kind)}"
    text = text.removeprefix(prefix).lstrip(": ")
    return text.replace(" → ", "→")


def _names(values: Sequence[str], labels: dict[str, str]) -> str:
    unique = list(dict.fromkeys(values))
    shown = "、".join(labels.get(v, v) for v in unique[:3])
    return shown + ("等" if len(unique) > 3 else "")


def subject_line(changes: Sequence[Change], limit: int = 120) -> str:
    """An email subject: "【政策变化】泉州 积分落户：初级工积分 10→15 等 3 项" (always one line)."""
    if not changes:
        return "【政策变化】本期无变化"
    ranked = sorted(
        changes,
        key=lambda c: (
            not (c.substantive and c.electrician_related),
            not c.substantive,
            c.change != "modified",
        ),
    )
    lead = ranked[0]
    regions = _names([c.region for c in ranked], REGION_LABELS)
    kinds = _names([c.kind for c in ranked], SUBJECT_KIND_LABELS)
    suffix = f" 等 {len(changes)} 项" if len(changes) > 1 else ""
    head = one_line(f"【政策变化】{regions} {kinds}：")
    body = one_line(_headline(lead), max(10, limit - len(head) - len(suffix)))
    return head + body + suffix
