"""Changes between two versions of a rule series: what the diff yields and everyone downstream reads."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Literal

from .canonical import plain_fields

ChangeKind = Literal["added", "removed", "modified"]

CHANGE_LABELS: dict[str, str] = {"added": "新增", "removed": "删除", "modified": "修改"}


@dataclass(frozen=True, slots=True)
class ChangeProvenance:
    """The document that brought the new version, and when policywatch noticed it."""

    source_url: str | None = None
    document_title: str | None = None
    doc_number: str | None = None
    published_at: dt.date | None = None
    effective_at: dt.date | None = None
    detected_at: dt.datetime | None = None


@dataclass(frozen=True, slots=True)
class Change:
    """One added, removed or modified rule row, ready for a digest or a report."""

    region: str
    kind: str
    change: ChangeKind
    key: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    fields_changed: tuple[str, ...]
    substantive: bool
    electrician_related: bool
    summary: str
    renamed_from: str | None = None
    provenance: ChangeProvenance = field(default_factory=ChangeProvenance)
    parser_upgrade: bool = False

    def to_json(self) -> dict[str, Any]:
        """The DESIGN.md ``diff-report --format json`` object (dates as ISO strings)."""
        p = self.provenance
        return {
            "region": self.region,
            "kind": self.kind,
            "change": self.change,
            "key": self.key,
            "before": plain_fields(self.before),
            "after": plain_fields(self.after),
            "electrician_related": self.electrician_related,
            "source_url": p.source_url,
            "published_at": _iso(p.published_at),
            "detected_at": _iso(p.detected_at),
            "summary": self.summary,
            "substantive": self.substantive,
            "fields_changed": list(self.fields_changed),
            "renamed_from": self.renamed_from,
            "document_title": p.document_title,
            "doc_number": p.doc_number,
            "effective_at": _iso(p.effective_at),
            "parser_upgrade": self.parser_upgrade,
        }

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> Change:
        """Inverse of :meth:`to_json`, so storage can keep changes as JSON."""
        detected = d.get("detected_at")
        return cls(
            region=d["region"],
            kind=d["kind"],
            change=d["change"],
            key=d["key"],
            before=d.get("before"),
            after=d.get("after"),
            fields_changed=tuple(d.get("fields_changed") or ()),
            substantive=bool(d.get("substantive", True)),
            electrician_related=bool(d.get("electrician_related", False)),
            summary=d.get("summary") or "",
            renamed_from=d.get("renamed_from"),
            provenance=ChangeProvenance(
                source_url=d.get("source_url"),
                document_title=d.get("document_title"),
                doc_number=d.get("doc_number"),
                published_at=_date(d.get("published_at")),
                effective_at=_date(d.get("effective_at")),
                detected_at=dt.datetime.fromisoformat(detected) if detected else None,
            ),
            parser_upgrade=bool(d.get("parser_upgrade", False)),
        )


def _iso(value: dt.date | dt.datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _date(value: str | None) -> dt.date | None:
    return dt.date.fromisoformat(value[:10]) if value else None
