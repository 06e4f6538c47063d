"""parsers: pure extraction of settlement rules from announcement pages and attachments.

Bytes in, typed rule rows out (see parsers.rows); no Scrapy, no database, no network.

Exports:
- PARSER_VERSION: version string stored with each parse (bump rule in parsers/version.py)
- parse_document(doc) -> ParseResult: page + attachments → rows, DocumentMeta, problems;
  never raises on bad input
- decode_html(data, declared=None) -> str: robust page decoding (UTF-8 / GB18030 / detect)
- normalise_doc_number: 文号 normalisation (闽人社文〔2025〕12号)
- sniff_format(data, filename): format by magic bytes
- Attachment, DocumentInput, DocumentMeta, ParseProblem, ParseResult, ReadCoverage (parsers.rows)

The rule rows, their kinds and the normalisers of levels, occupations and numbers live in
``rules`` (the layer below, which parsers build on).

The names are loaded lazily (PEP 562): ``from parsers import DocumentInput`` imports only
parsers.rows, so commands that never parse a file do not pay for the format readers
(openpyxl, pdfplumber, python-docx, bs4); the first use of ``parse_document`` loads them.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the real imports, for type checkers and IDEs
    from .decoding import decode_html
    from .document import parse_document
    from .meta import normalise_doc_number
    from .rows import Attachment, DocumentInput, DocumentMeta, ParseProblem, ParseResult, ReadCoverage
    from .sniff import sniff_format
    from .version import PARSER_VERSION

# exported name → the submodule that defines it
_EXPORTS: dict[str, str] = {
    "PARSER_VERSION": "version",
    "Attachment": "rows",
    "DocumentInput": "rows",
    "DocumentMeta": "rows",
    "ParseProblem": "rows",
    "ParseResult": "rows",
    "ReadCoverage": "rows",
    "decode_html": "decoding",
    "normalise_doc_number": "meta",
    "parse_document": "document",
    "sniff_format": "sniff",
}

__all__ = [
    "PARSER_VERSION",
    "Attachment",
    "DocumentInput",
    "DocumentMeta",
    "ParseProblem",
    "ParseResult",
    "ReadCoverage",
    "decode_html",
    "normalise_doc_number",
    "parse_document",
    "sniff_format",
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
