"""Parse problem codes that storage and the operator alerts need without loading the parsers."""

from __future__ import annotations

from collections.abc import Iterable

NO_RULES_FOUND = "no_rules_found"
"""The code of "this announcement gave no rule rows": a fact about the document, which an
operator cannot act on (most announcements are not about settlement at all)."""

TABLE_PROBLEM_CODES = frozenset(
    {"unrecognised_columns", NO_RULES_FOUND, "unread_rows", "partial_row", "unread_text"}
)
"""Problems of reading rule-like content (as opposed to reading a file): they do not count
for a document that is not about settlement (``ParseResult.not_about``)."""


def actionable(codes: Iterable[str], not_about: bool) -> bool:
    """Whether a parse reported a problem an operator can act on: anything but "no rules
    found", and for a document that is not about settlement only what kept a file from being
    read. storage.alerts applies the same rule in SQL to choose which parses alert."""
    return any(c != NO_RULES_FOUND and not (not_about and c in TABLE_PROBLEM_CODES) for c in codes)
