"""rules: what policywatch knows about settlement rules, with no I/O at all.

The bottom layer: imports neither Scrapy nor SQLAlchemy nor any other package of this
project. One module per rule kind (rules/kinds/), the registry that dispatches to them
(rules.registry.KINDS), normalisation of levels, occupations, numbers, dates and text,
electrician relevance, the diff engine and the Chinese summaries.

Exports:
- KINDS, RULE_KINDS, ROW_TYPES, RuleKind, RuleRow, row_from_fields (rules.registry)
- the row types ShortageEntry, PointsItem, TalentCondition, CutoffScore and Provenance
- Change, ChangeProvenance (rules.changes); diff_rule_sets (rules.diff)
- summarise, subject_line, describe_row, kind_label (rules.summary); region_label, REGIONS
- normalise_level, find_levels, LEVELS; normalise_occupation, normalise_code, split_code;
  normalise_text, normalise_name; parse_number, cn_to_int; parse_points
- is_electrician_related, load_family, default_family, OccupationFamily
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the names as mypy and readers see them
    from .changes import Change, ChangeProvenance
    from .diff import diff_rule_sets
    from .kinds.cutoff import CutoffScore
    from .kinds.points import PointsItem, parse_points
    from .kinds.shortage import ShortageEntry
    from .kinds.talent import TalentCondition
    from .levels import LEVELS, find_levels, normalise_level
    from .numerals import cn_to_int, parse_number
    from .occupations import normalise_code, normalise_occupation, split_code
    from .provenance import Provenance
    from .regions import REGIONS, region_label
    from .registry import KINDS, ROW_TYPES, RULE_KINDS, RuleKind, RuleRow, row_from_fields
    from .relevance import OccupationFamily, default_family, is_electrician_related, load_family
    from .summary import describe_row, kind_label, subject_line, summarise
    from .text import normalise_name, normalise_text

# Loaded on first use (PEP 562): `import rules.regions` must not load every kind and the diff
# engine (a command that only needs a region name pays ~70 ms less).
_EXPORTS = {
    "Change": ".changes",
    "ChangeProvenance": ".changes",
    "diff_rule_sets": ".diff",
    "CutoffScore": ".kinds.cutoff",
    "PointsItem": ".kinds.points",
    "parse_points": ".kinds.points",
    "ShortageEntry": ".kinds.shortage",
    "TalentCondition": ".kinds.talent",
    "LEVELS": ".levels",
    "find_levels": ".levels",
    "normalise_level": ".levels",
    "cn_to_int": ".numerals",
    "parse_number": ".numerals",
    "normalise_code": ".occupations",
    "normalise_occupation": ".occupations",
    "split_code": ".occupations",
    "Provenance": ".provenance",
    "REGIONS": ".regions",
    "region_label": ".regions",
    "KINDS": ".registry",
    "ROW_TYPES": ".registry",
    "RULE_KINDS": ".registry",
    "RuleKind": ".registry",
    "RuleRow": ".registry",
    "row_from_fields": ".registry",
    "OccupationFamily": ".relevance",
    "default_family": ".relevance",
    "is_electrician_related": ".relevance",
    "load_family": ".relevance",
    "describe_row": ".summary",
    "kind_label": ".summary",
    "subject_line": ".summary",
    "summarise": ".summary",
    "normalise_name": ".text",
    "normalise_text": ".text",
}


__all__ = [
    "KINDS",
    "LEVELS",
    "REGIONS",
    "ROW_TYPES",
    "RULE_KINDS",
    "Change",
    "ChangeProvenance",
    "CutoffScore",
    "OccupationFamily",
    "PointsItem",
    "Provenance",
    "RuleKind",
    "RuleRow",
    "ShortageEntry",
    "TalentCondition",
    "cn_to_int",
    "default_family",
    "describe_row",
    "diff_rule_sets",
    "find_levels",
    "is_electrician_related",
    "kind_label",
    "load_family",
    "normalise_code",
    "normalise_level",
    "normalise_name",
    "normalise_occupation",
    "normalise_text",
    "parse_number",
    "parse_points",
    "region_label",
    "row_from_fields",
    "split_code",
    "subject_line",
    "summarise",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'rules' has no attribute {name!r}")
    value = getattr(import_module(module, __name__), name)
    globals()[name] = value
    return value
