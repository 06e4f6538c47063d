"""The rule-kind registry: ``KINDS[kind]`` is how every other module reaches a kind's knowledge.

Adding a kind = one module in rules/kinds/ (a row type and a ``RuleKind`` subclass, see
rules/kind.py), one entry in ``_MODULES`` and in ``RuleKind`` below, and its tests.
"""

from __future__ import annotations

from typing import Any, Literal

from .kind import RuleKind as RuleKindSpec
from .kinds import cutoff, points, shortage, talent
from .kinds.cutoff import CutoffScore
from .kinds.points import PointsItem
from .kinds.shortage import ShortageEntry
from .kinds.talent import TalentCondition
from .provenance import Provenance

_MODULES = (shortage, points, talent, cutoff)

KINDS: dict[str, RuleKindSpec] = {m.KIND.name: m.KIND for m in _MODULES}
RULE_KINDS: tuple[str, ...] = tuple(KINDS)
ROW_TYPES: dict[str, type] = {name: kind.row_type for name, kind in KINDS.items()}

# Static twins of the registry for type checkers; tests/test_architecture.py keeps them equal.
RuleKind = Literal["shortage_occupations", "points_schedule", "talent_settlement", "points_cutoff"]
RuleRow = ShortageEntry | PointsItem | TalentCondition | CutoffScore


def row_from_fields(kind: str, data: dict[str, Any], source: Provenance | None = None) -> RuleRow:
    """Rebuild a row from its stored ``fields()`` (dates as ISO strings)."""
    values = {k: v for k, v in data.items() if k not in ("kind", "key")}
    row: RuleRow = KINDS[kind].from_fields(values, source or Provenance())
    return row
