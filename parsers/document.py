"""parse_document: one announcement (page + attachments) → rule rows, meta and problems.

Never raises on bad input: each failure becomes a ParseProblem with a specific code.

The format readers (openpyxl, xlrd, python-docx, pdfplumber, bs4 behind them) are imported
inside the functions that need them, on first use, so importing this module stays cheap.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from rules.dates import parse_date
from rules.provenance import Provenance
from rules.registry import KINDS, RuleRow
from rules.scope import document_scope
from rules.text import nfkc, normalise_text

from .decoding import decode_html
from .grid import Extracted, ReadFailure, TextBlock
from .meta import (
    find_doc_number,
    find_effective,
    find_published,
    find_replaces,
    find_signed,
    normalise_doc_number,
    year_hint,
)
from .narrative import NarrativeReader, apply_loose_conditions, default_channel
from .problem_codes import NO_RULES_FOUND, TABLE_PROBLEM_CODES
from .rows import DocumentInput, DocumentMeta, ParseProblem, ParseResult
from .sniff import sniff_format
from .tables import TableReader

log = logging.getLogger(__name__)

_CONVERT_TARGET = {
    "doc": ("docx", ".doc"),
    "rtf": ("docx", ".rtf"),
    "wps": ("docx", ".wps"),
    "et": ("xlsx", ".et"),
}


@dataclass
class _Collected:
    parts: list[Extracted] = field(default_factory=list)
    problems: list[ParseProblem] = field(default_factory=list)


def read_file(data: bytes, name: str, collected: _Collected, depth: int = 0) -> None:
    """Read one attachment into ``collected`` (grids + text), or record why it could not be."""
    where = Provenance(attachment=name)
    try:
        fmt = sniff_format(data, name)
        extracted = _read_format(fmt, data, name, collected, depth)
        if extracted is not None:
            collected.parts.append(extracted)
            collected.problems.extend(extracted.problems)
            if _stand_in_page(fmt, name, extracted):
                collected.problems.append(
                    ParseProblem(
                        "unsupported_format",
                        f"named as a document but holds a short {fmt} page with no table "
                        "(an error or login page served in its place?)",
                        where,
                    )
                )
    except ReadFailure as failure:
        collected.problems.append(ParseProblem(failure.code, failure.message, where))
    except Exception as exc:  # a reader bug must not stop a crawl
        collected.problems.append(stage_problem(exc, name, where))


_DOCUMENT_EXTENSIONS = frozenset(
    {"pdf", "xlsx", "xls", "docx", "doc", "wps", "et", "rtf", "zip", "rar", "7z"}
)
_STAND_IN_CHARS = 300


def _stand_in_page(fmt: str, name: str, extracted: Extracted) -> bool:
    """An attachment named .pdf/.xlsx/... that is a short HTML or text page without a table.

    Sites answer a missing or login-protected file with such a page; read silently, it would
    give no rows and no problem, and the attachment's rules would look removed. A real table
    exported as HTML and named .xls, or a Word page saved as .doc, has a table or real text.
    """
    ext = name.lower().rsplit(".", 1)[-1] if "." in name else ""
    if fmt not in ("html", "text") or ext not in _DOCUMENT_EXTENSIONS or extracted.grids:
        return False
    return sum(len(block.text) for block in extracted.texts) < _STAND_IN_CHARS


def _read_format(fmt: str, data: bytes, name: str, collected: _Collected, depth: int) -> Extracted | None:
    lower = name.lower()
    if fmt == "html":
        from .formats.html import read_html

        return read_html(decode_html(data), attachment=name)
    if fmt == "text":
        text = decode_html(data)
        return Extracted(
            texts=[TextBlock(t.strip(), Provenance(attachment=name)) for t in text.splitlines() if t.strip()]
        )
    if fmt == "pdf":
        from .formats.pdf import read_pdf

        return read_pdf(data, attachment=name)
    if fmt == "xlsx":
        from .formats.xlsx import read_xlsx

        return read_xlsx(data, attachment=name)
    if fmt == "docx":
        from .formats.docx import read_docx

        return read_docx(data, attachment=name)
    if fmt == "xls":
        from .formats.xls import read_xls

        return read_xls(data, attachment=name)
    if fmt in ("doc", "rtf", "wps_et", "ole"):
        ext = lower.rsplit(".", 1)[-1] if "." in lower else ""
        key = "et" if ext == "et" else "wps" if ext == "wps" else ("rtf" if fmt == "rtf" else "doc")
        if fmt == "ole" and ext not in ("doc", "wps", "et", "dot"):
            raise ReadFailure("unsupported_format", "OLE container that is neither a Word nor an Excel file")
        from .formats.convert import convert_with_soffice
        from .formats.docx import read_docx
        from .formats.xlsx import read_xlsx

        target, suffix = _CONVERT_TARGET[key]
        converted = convert_with_soffice(data, suffix, target)
        return (
            read_xlsx(converted, attachment=name)
            if target == "xlsx"
            else read_docx(converted, attachment=name)
        )
    if fmt == "zip":
        from .formats.archive import unpack_zip

        if depth > 0:
            raise ReadFailure("unsupported_format", "zip archive nested in a zip archive")
        for member, content in unpack_zip(data):
            read_file(content, f"{name}/{member}", collected, depth + 1)
        return None
    if fmt == "ole_encrypted":
        raise ReadFailure("encrypted", "password-protected Office file (encrypted OOXML package)")
    if fmt == "zip_damaged":
        raise ReadFailure(
            "truncated" if b"PK\x05\x06" not in data[-66000:] else "corrupt_file", "damaged zip container"
        )
    if fmt == "empty":
        raise ReadFailure("empty_file", "file is empty")
    if fmt == "image":
        raise ReadFailure("no_text_layer", "image file (a scan or photo): no text to read without OCR")
    raise ReadFailure("unsupported_format", f"unknown file format (first bytes {data[:8]!r})")


def _dedupe(rows: list[RuleRow]) -> list[RuleRow]:
    seen: set[tuple[str, str, str]] = set()
    out = []
    for row in rows:
        key = (row.kind, row.key(), repr(sorted(row.fields().items())))
        if key not in seen:
            seen.add(key)
            out.append(row)
    return out


def stage_problem(exc: Exception, what: str, where: Provenance | None = None) -> ParseProblem:
    """A parse stage that raised: too big or too deep is the document's doing, anything else a bug."""
    if isinstance(exc, MemoryError):
        return ParseProblem("too_large", f"{what}: ran out of memory", where or Provenance())
    if isinstance(exc, RecursionError):
        return ParseProblem("too_complex", f"{what}: nested too deeply", where or Provenance())
    log.exception("%s: parser failed", what)
    return ParseProblem("parser_error", f"{what}: {type(exc).__name__}: {exc}", where or Provenance())


def parse_document(doc: DocumentInput) -> ParseResult:
    """Parse the detail page and every attachment; merge rows; fill DocumentMeta.

    Never raises: unreadable files become problems, and a bug in a later stage becomes a
    ``parser_error`` problem instead of stopping the crawl.
    """
    try:
        return _parse(doc)
    except Exception as exc:  # last-resort guard; each stage below has its own
        meta = DocumentMeta(title=doc.title, region=doc.region, published_at=doc.published_at)
        return ParseResult(meta=meta, problems=[stage_problem(exc, doc.url)])


def _parse(doc: DocumentInput) -> ParseResult:
    collected = _Collected()
    page: Extracted | None = None
    if doc.page:
        from .formats.html import read_html

        try:
            page = read_html(decode_html(doc.page, doc.page_encoding))
            collected.parts.append(page)
            collected.problems.extend(page.problems)
        except Exception as exc:
            collected.problems.append(stage_problem(exc, "page"))
    for attachment in doc.attachments:
        read_file(attachment.data, attachment.filename or attachment.url.rsplit("/", 1)[-1], collected)

    meta = _meta(doc, page, collected)
    context = nfkc(" ".join(filter(None, [meta.title, *(p.title or "" for p in collected.parts)])))
    hint = year_hint(meta.title, meta.published_at)
    channel = default_channel(context)

    tables = TableReader(context=context, year_hint=hint, default_channel=channel)
    for part in collected.parts:
        tables.new_file()
        for grid in part.grids:
            try:
                tables.read(grid)
            except Exception as exc:
                tables.problems.append(stage_problem(exc, "table", grid.source))
    narrative = NarrativeReader(year_hint=hint, context=context, default_channel=channel)
    blocks = [block for part in collected.parts for block in part.texts] + tables.footnotes
    try:
        narrative_rows = narrative.read(blocks)
    except Exception as exc:
        narrative_rows = []
        tables.problems.append(stage_problem(exc, "text"))

    table_rows = apply_loose_conditions(tables.rows, narrative.loose_conditions)
    rows = _dedupe(_merge_text_rows(table_rows, narrative_rows))
    problems = collected.problems + tables.problems
    if narrative.unread:
        text, where = narrative.unread[0]
        problems.append(
            ParseProblem(
                "unread_text",
                f"{len(narrative.unread)} sentence(s) look like rules but gave none: {text[:120]}",
                where,
            )
        )
    coverage = tables.coverage + narrative.coverage
    scope = document_scope(meta.title, [block.text for block in blocks])
    if scope.not_about is not None:
        # its tables are not settlement rules: only what kept a file from being read matters
        problems = [p for p in problems if p.code not in TABLE_PROBLEM_CODES]
        return ParseResult(meta=meta, problems=problems, not_about=scope.not_about)
    doubted = sorted({row.kind for row in rows if scope.doubts(row.kind)})
    if doubted:
        problems.append(
            ParseProblem(
                "scope_unclear",
                f"{'/'.join(doubted)} rows in a document that never mentions 落户/入户/居住证积分: "
                "are they settlement rules?",
            )
        )
    if not rows and not any(p.code != "unread_rows" for p in problems):
        problems.append(ParseProblem(NO_RULES_FOUND, "no rule rows found in the page or its attachments"))
    return ParseResult(meta=meta, rows=rows, problems=problems, coverage=coverage)


def _meta(doc: DocumentInput, page: Extracted | None, collected: _Collected) -> DocumentMeta:
    """Crawler-supplied facts first, then page metadata, then the text itself."""
    lines = [block.text for part in collected.parts for block in part.texts]
    page_lines = [block.text for block in page.texts] if page else lines
    title = normalise_text(doc.title) or (normalise_text(page.title) if page and page.title else None)
    if title is None:
        title = next((normalise_text(p.title) for p in collected.parts if p.title), None)
    published = doc.published_at or (parse_date(page.published) if page and page.published else None)
    published = published or find_published(page_lines) or find_published(lines)
    number = normalise_doc_number(doc.doc_number)
    if number is None and page and page.doc_number:
        number = normalise_doc_number(page.doc_number)
    number = number or find_doc_number(page_lines) or find_doc_number(lines)
    signed = find_signed(page_lines) or find_signed(lines)
    return DocumentMeta(
        title=title,
        region=doc.region,
        doc_number=number,
        issuer=normalise_text(page.issuer) if page and page.issuer else None,
        published_at=published,
        effective_at=find_effective(lines, published, signed),
        replaces=tuple(r for r in find_replaces(lines) if r != number),
    )


def _merge_text_rows(table_rows: list[RuleRow], narrative: list[RuleRow]) -> list[RuleRow]:
    """Tables win; text that restates a table row adds nothing but what each kind lets it fill in."""
    text_by_key = {(r.kind, r.key()): r for r in narrative}
    merged: list[RuleRow] = []
    for row in table_rows:
        text_row = text_by_key.get((row.kind, row.key()))
        merged.append(KINDS[row.kind].complete_from_text(row, text_row) if text_row is not None else row)
    keys = {(r.kind, r.key()) for r in table_rows}
    return merged + [
        r for r in narrative if (r.kind, r.key()) not in keys and not KINDS[r.kind].restates(r, table_rows)
    ]
