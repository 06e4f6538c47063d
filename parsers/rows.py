"""What the parsers take and give: a stored announcement in, rule rows with metadata and problems out.

The rule rows themselves (ShortageEntry, PointsItem …) are defined by their kinds in
rules/kinds/; this module holds only the parser's own input and output types.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from rules.provenance import Provenance
from rules.registry import RULE_KINDS, RuleRow


@dataclass(frozen=True, slots=True)
class DocumentMeta:
    """Facts about the document as a whole, found in the page metadata or the text."""

    title: str | None = None
    region: str | None = None
    doc_number: str | None = None  # 文号, e.g. 闽人社文〔2025〕12号 (normalised brackets)
    issuer: str | None = None
    published_at: dt.date | None = None
    effective_at: dt.date | None = None
    replaces: tuple[str, ...] = ()  # 文号 or titles this document repeals (废止 clauses)


@dataclass(frozen=True, slots=True)
class ParseProblem:
    """Something that could not be read; a non-empty list makes a version suspect."""

    code: str  # corrupt_file, encrypted, too_large, no_text_layer, unrecognised_columns, unsupported_format, conversion_unavailable, conversion_failed, ...
    message: str
    where: Provenance = field(default_factory=Provenance)


@dataclass(frozen=True, slots=True)
class Attachment:
    url: str
    filename: str
    data: bytes
    content_type: str | None = None


@dataclass(frozen=True, slots=True)
class DocumentInput:
    """Everything the crawler stored about one announcement: the page and its attachments."""

    url: str
    region: str | None = None
    title: str | None = None
    page: bytes | None = None  # raw bytes of the detail page
    page_encoding: str | None = None  # charset the crawler decided on, if any
    attachments: tuple[Attachment, ...] = ()
    published_at: dt.date | None = None
    doc_number: str | None = None


@dataclass(frozen=True, slots=True)
class ReadCoverage:
    """How much of what looked like rules was read: table cells and sentences, seen and read."""

    seen: int = 0
    read: int = 0

    @property
    def ratio(self) -> float | None:
        return self.read / self.seen if self.seen else None

    def __add__(self, other: ReadCoverage) -> ReadCoverage:
        return ReadCoverage(self.seen + other.seen, self.read + other.read)


@dataclass(slots=True)
class ParseResult:
    meta: DocumentMeta
    rows: list[RuleRow] = field(default_factory=list)
    problems: list[ParseProblem] = field(default_factory=list)
    not_about: str | None = None  # why a rule-like document feeds no settlement series (积分入学 …)
    coverage: ReadCoverage = field(default_factory=ReadCoverage)

    def rows_of(self, kind: str) -> list[RuleRow]:
        return [r for r in self.rows if r.kind == kind]

    def kinds(self) -> list[str]:
        return [k for k in RULE_KINDS if any(r.kind == k for r in self.rows)]
