"""The rules in force in a region at a date, as the eligibility engine reads them (SQL only).

Each row is rebuilt as its typed rule row with the document it came from (link, title, 文号),
so an estimate can cite its sources.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from rules.eligibility import DocRef, RegionRules, Sourced
from rules.provenance import Provenance
from rules.registry import row_from_fields
from storage.models import DocumentVersion, Series
from storage.rulesets import current_version, version_rows

_ATTRS = {
    "points_schedule": "points",
    "talent_settlement": "talent",
    "shortage_occupations": "shortage",
    "points_cutoff": "cutoffs",
}


def _rows(session: Session, region: str, kind: str, at: dt.date) -> tuple[Sourced[Any], ...]:
    series = session.scalar(select(Series).where(Series.region == region, Series.kind == kind))
    if series is None:
        return ()
    version = current_version(session, series.id, at=at)
    if version is None:
        return ()
    doc_version = (
        session.get(DocumentVersion, version.document_version_id) if version.document_version_id else None
    )
    doc = DocRef(
        url=doc_version.document.url if doc_version else None,
        title=(doc_version.title or doc_version.document.list_title) if doc_version else None,
        doc_number=version.doc_number,
    )
    out = []
    for record in version_rows(session, version):
        provenance = {k: v for k, v in record.provenance.items() if k in Provenance.__dataclass_fields__}
        out.append(Sourced(row_from_fields(kind, dict(record.fields), Provenance(**provenance)), doc))
    return tuple(out)


def regions_with_rules(session: Session) -> list[str]:
    """Regions with any series stored (in the order they were first seen)."""
    return list(dict.fromkeys(session.scalars(select(Series.region).order_by(Series.id))))


def region_rules(
    session: Session, region: str, at: dt.date, catalogue_regions: Sequence[str] = ()
) -> RegionRules:
    """Every kind in force in ``region`` at ``at``; ``catalogue_regions``' shortage lists (the
    province's) as the catalogues a talent condition may name."""
    found = {attr: _rows(session, region, kind, at) for kind, attr in _ATTRS.items()}
    catalogues: tuple[Sourced[Any], ...] = ()
    for other in catalogue_regions:
        if other != region:
            catalogues += _rows(session, other, "shortage_occupations", at)
    return RegionRules(region=region, catalogues=catalogues, **found)
