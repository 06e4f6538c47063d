"""parsers: pure extraction of settlement rules from announcement pages and attachments.

Bytes in, typed rule rows out (see parsers.rows); no Scrapy, no database, no network.

Exports:
- PARSER_VERSION: version string stored with each parse (bump rule in parsers/version.py)
- parse_document(doc) -> ParseResult: page + attachments → rows, DocumentMeta, problems;
  never raises on bad input
- decode_html(data, declared=None) -> str: robust page decoding (UTF-8 / GB18030 / detect)
- normalise_text, normalise_name: text normalisation (CONVENTIONS.md)
- normalise_level, find_levels, LEVELS: canonical skill levels
- normalise_occupation, normalise_code, split_code: occupation names and 大典 codes
- normalise_doc_number: 文号 normalisation (闽人社文〔2025〕12号)
- parse_number, cn_to_int: Chinese numerals → numbers
- parse_points: one points cell → points/per/cap/sign
- is_electrician_related(row, family=None), load_family(path), default_family(), OccupationFamily
- sniff_format(data, filename): format by magic bytes
- the row types re-exported from parsers.rows

The names are loaded lazily (PEP 562): ``from parsers import normalise_level`` imports only
parsers.levels, so commands that never parse a file do not pay for the format readers
(openpyxl, pdfplumber, python-docx, bs4); the first use of ``parse_document`` loads them.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the real imports, for type checkers and IDEs
    from .decoding import decode_html
    from .document import parse_document
    from .levels import LEVELS, find_levels, normalise_level
    from .meta import normalise_doc_number
    from .numerals import cn_to_int, parse_number
    from .occupations import normalise_code, normalise_occupation, split_code
    from .points import parse_points
    from .relevance import OccupationFamily, default_family, is_electrician_related, load_family
    from .rows import (
        Attachment,
        CutoffScore,
        DocumentInput,
        DocumentMeta,
        ParseProblem,
        ParseResult,
        PointsItem,
        Provenance,
        RuleRow,
        ShortageEntry,
        TalentCondition,
    )
    from .sniff import sniff_format
    from .text import normalise_name, normalise_text
    from .version import PARSER_VERSION

# exported name → the submodule that defines it
_EXPORTS: dict[str, str] = {
    "PARSER_VERSION": "version",
    "LEVELS": "levels",
    "Attachment": "rows",
    "CutoffScore": "rows",
    "DocumentInput": "rows",
    "DocumentMeta": "rows",
    "OccupationFamily": "relevance",
    "ParseProblem": "rows",
    "ParseResult": "rows",
    "PointsItem": "rows",
    "Provenance": "rows",
    "RuleRow": "rows",
    "ShortageEntry": "rows",
    "TalentCondition": "rows",
    "cn_to_int": "numerals",
    "decode_html": "decoding",
    "default_family": "relevance",
    "find_levels": "levels",
    "is_electrician_related": "relevance",
    "load_family": "relevance",
    "normalise_code": "occupations",
    "normalise_doc_number": "meta",
    "normalise_level": "levels",
    "normalise_name": "text",
    "normalise_occupation": "occupations",
    "normalise_text": "text",
    "parse_document": "document",
    "parse_number": "numerals",
    "parse_points": "points",
    "sniff_format": "sniff",
    "split_code": "occupations",
}

__all__ = [
    "PARSER_VERSION",
    "LEVELS",
    "Attachment",
    "CutoffScore",
    "DocumentInput",
    "DocumentMeta",
    "OccupationFamily",
    "ParseProblem",
    "ParseResult",
    "PointsItem",
    "Provenance",
    "RuleRow",
    "ShortageEntry",
    "TalentCondition",
    "cn_to_int",
    "decode_html",
    "default_family",
    "find_levels",
    "is_electrician_related",
    "load_family",
    "normalise_code",
    "normalise_doc_number",
    "normalise_level",
    "normalise_name",
    "normalise_occupation",
    "normalise_text",
    "parse_document",
    "parse_number",
    "parse_points",
    "sniff_format",
    "split_code",
]


def __getattr__(name: str) -> Any:
    """Load an exported name from its submodule on first access (then cache it here)."""
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
