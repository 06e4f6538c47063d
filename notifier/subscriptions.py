"""Who wants which change: address validation, preferences, and the matching rule.

Pure (no database): storage hands over rows, this decides. The default profile is the
electrician family; ``--occupation`` adds other occupations; ``--all-changes`` takes
everything, including wording-only (non-substantive) edits that others are spared.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import lru_cache

from rules.changes import Change

FREQUENCIES: tuple[str, ...] = ("immediate", "daily", "weekly")

# Deliberately strict: one mailbox, ASCII domain with a dot (or localhost), no spaces,
# quotes, angle brackets, commas or control characters that could smuggle a second
# recipient or a header into an SMTP envelope.
_LOCAL = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_EMAIL = re.compile(rf"^{_LOCAL}@(?:(?:{_LABEL}\.)+[A-Za-z]{{2,63}}|localhost)$")


class InvalidEmail(ValueError):
    """Not an address policywatch will mail."""


def normalise_email(raw: str) -> str:
    """The address as stored: trimmed and lower-cased (one subscriber per mailbox in practice).

    Raises InvalidEmail for anything that is not a single plain address.
    """
    email = raw.strip()
    if len(email) > 254 or not _EMAIL.match(email) or len(email.split("@", 1)[0]) > 64:
        raise InvalidEmail(f"not a valid email address: {raw!r}")
    return email.lower()


@dataclass(frozen=True)
class Preferences:
    """A subscription as the matcher sees it: empty regions/kinds mean all."""

    regions: frozenset[str] = frozenset()
    kinds: frozenset[str] = frozenset()
    occupations: frozenset[str] = frozenset()  # normalised names
    all_changes: bool = False
    frequency: str = "daily"

    @classmethod
    def build(
        cls,
        regions: Iterable[str] = (),
        kinds: Iterable[str] = (),
        occupations: Iterable[str] = (),
        all_changes: bool = False,
        frequency: str = "daily",
    ) -> Preferences:
        return cls(
            regions=frozenset(r.strip().lower() for r in regions if r.strip()),
            kinds=frozenset(k.strip() for k in kinds if k.strip()),
            occupations=frozenset(n for n in (normalise_occupation(o) for o in occupations) if n),
            all_changes=all_changes,
            frequency=frequency,
        )

    def describe(self) -> str:
        """One Chinese sentence for the digest footer: why this mail arrives."""
        from rules.regions import region_label
        from rules.summary import kind_label

        regions = "、".join(region_label(r) for r in sorted(self.regions)) or "全部地区"
        kinds = "、".join(kind_label(k) for k in sorted(self.kinds)) or "全部规则类型"
        if self.all_changes:
            what = "所有变化"
        else:
            what = "与电工相关的变化"
            if self.occupations:
                what += "，以及职业 " + "、".join(sorted(self.occupations)) + " 的变化"
        labels = {"immediate": "即时", "daily": "每日", "weekly": "每周"}
        return f"您订阅了{regions}·{kinds}中{what}（{labels.get(self.frequency, self.frequency)}汇总）。"


@lru_cache(maxsize=1)
def _occupation_normaliser() -> Callable[[str], str]:
    try:
        from rules.occupations import normalise_occupation as parser_normalise
    except ImportError:  # parsers not installed: only trim and fold the one old name we know
        return lambda name: "电工" if name.strip() == "维修电工" else name.strip()
    return lambda name: parser_normalise(name) or name.strip()


def normalise_occupation(name: str | None) -> str:
    """An occupation name as the parsers store it (维修电工 → 电工), so matching is exact."""
    if not name or not name.strip():
        return ""
    return _occupation_normaliser()(name)


def change_occupations(change: Change) -> set[str]:
    """Occupation names a change is about, before and after (renames count both ways)."""
    names: set[str] = set()
    for row in (change.before, change.after):
        if not row:
            continue
        for key in ("occupation", "occupation_printed", "work_type"):
            value = row.get(key)
            if isinstance(value, str) and value.strip():
                names.add(normalise_occupation(value))
    if change.renamed_from:
        names.add(normalise_occupation(change.renamed_from.split("/", 1)[0]))
    names.discard("")
    return names


def matches(prefs: Preferences, change: Change) -> bool:
    """Whether a released change belongs in this subscriber's digest."""
    if change.parser_upgrade:
        return False
    if prefs.regions and change.region not in prefs.regions:
        return False
    if prefs.kinds and change.kind not in prefs.kinds:
        return False
    if prefs.all_changes:
        return True
    if not change.substantive:
        return False
    if change.electrician_related:
        return True
    return bool(prefs.occupations and prefs.occupations & change_occupations(change))
