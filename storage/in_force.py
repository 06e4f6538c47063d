"""Which version of a series is in force at a date, from the few columns that decide it.

Core only (storage.tables): a poll asks which announcements are in force to recheck them,
and must not pay for the ORM; storage.rulesets loads the chosen version as an object.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy import case, exists, or_, select
from sqlalchemy.orm import Session

from storage.tables import document_versions, rule_set_versions, series, version_reviews

_versions = rule_set_versions.c


class Dated(Protocol):
    @property
    def effective_at(self) -> dt.date | None: ...
    @property
    def published_at(self) -> dt.date | None: ...
    @property
    def created_at(self) -> dt.datetime: ...


def version_date(version: Dated) -> dt.date:
    """The date a version takes effect: effective, else published, else when it was stored."""
    return version.effective_at or version.published_at or version.created_at.date()


@dataclass(frozen=True)
class VersionHead:
    """What deciding which version is in force reads of a version: its dates, 文号 and 废止
    clause, never its rows or canonical JSON (a series may hold hundreds of large versions)."""

    id: int
    effective_at: dt.date | None
    published_at: dt.date | None
    created_at: dt.datetime
    doc_number: str | None
    replaces: list[Any]
    usable: bool  # not held: not suspect, or accepted / confirmed
    document_version_id: int | None = None


def version_heads(session: Session, series_id: int) -> list[VersionHead]:
    """Every version of a series, as the few columns that decide which is in force (one query)."""
    reviewed = exists().where(version_reviews.c.version_id == _versions.id)
    not_held = or_(_versions.suspect_reason.is_(None), reviewed)
    rows = session.execute(
        select(
            _versions.id,
            _versions.effective_at,
            _versions.published_at,
            _versions.created_at,
            _versions.doc_number,
            _versions.replaces,
            case((not_held, True), else_=False),
            _versions.document_version_id,
        ).where(_versions.series_id == series_id)
    )
    return [
        VersionHead(id_, effective, published, created, number, replaces, bool(usable), document_version)
        for id_, effective, published, created, number, replaces, usable, document_version in rows
    ]


def _repeals(heads: Sequence[VersionHead]) -> dict[str, dt.date]:
    out: dict[str, dt.date] = {}
    for head in heads:
        day = version_date(head)
        for number in head.replaces or []:
            if number not in out or day < out[number]:
                out[number] = day
    return out


def repeal_dates(session: Session, series_id: int) -> dict[str, dt.date]:
    """文号 → the date a document of this series is repealed from: the earliest effective date
    of a version that names it in its 废止 clause (a repeal is never retroactive)."""
    return _repeals(version_heads(session, series_id))


def head_in_force(
    heads: Sequence[VersionHead], *, at: dt.date | None = None, exclude_id: int | None = None
) -> VersionHead | None:
    """The version in force at a date (default: the latest): latest by effective/publish date,
    not held, not repealed by then."""
    repealed = _repeals(heads)
    candidates = [
        h
        for h in heads
        if h.usable
        and h.id != exclude_id
        and not (h.doc_number in repealed and (at is None or repealed[h.doc_number] <= at))
        and (at is None or version_date(h) <= at)
    ]
    if not candidates:
        return None
    return max(candidates, key=lambda h: (version_date(h), h.id))


def documents_in_force(session: Session, at: dt.date) -> set[int]:
    """Ids of the announcements whose parse is the version in force of some series at ``at``
    (the crawler rechecks them on every poll, however old)."""
    chosen = (
        head_in_force(version_heads(session, series_id), at=at)
        for series_id in session.scalars(select(series.c.id))
    )
    ids = {h.document_version_id for h in chosen if h is not None and h.document_version_id is not None}
    if not ids:
        return set()
    found = session.scalars(select(document_versions.c.document_id).where(document_versions.c.id.in_(ids)))
    return set(found)


__all__ = [
    "VersionHead",
    "documents_in_force",
    "head_in_force",
    "repeal_dates",
    "version_date",
    "version_heads",
]
