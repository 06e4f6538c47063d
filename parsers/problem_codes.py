"""Parse problem codes that storage and the operator alerts need without loading the parsers."""

from __future__ import annotations

NO_RULES_FOUND = "no_rules_found"
"""The code of "this announcement gave no rule rows": a fact about the document, which an
operator cannot act on (most announcements are not about settlement at all)."""

TABLE_PROBLEM_CODES = frozenset(
    {"unrecognised_columns", NO_RULES_FOUND, "unread_rows", "partial_row", "unread_text"}
)
"""Problems of reading rule-like content (as opposed to reading a file): they do not count
for a document that is not about settlement (``ParseResult.not_about``)."""
