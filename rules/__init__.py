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
