"""Parsers that misbehave on purpose, for the bounded parse worker's tests (run inside the worker)."""

from __future__ import annotations

import time

from parsers import parse_document
from parsers.rows import DocumentInput, ParseResult


def by_url(doc: DocumentInput) -> ParseResult:
    """``.../hog`` allocates without end, ``.../hang`` never returns, ``.../die`` exits; else parse."""
    if doc.url.endswith("/hog"):
        hoard = []
        while True:
            hoard.append(bytearray(64 * 1024 * 1024))
    if doc.url.endswith("/hang"):
        time.sleep(3600)
    if doc.url.endswith("/die"):
        raise SystemExit(3)
    return parse_document(doc)
