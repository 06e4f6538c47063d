"""Rule-set versions per series, the changes between them, and their release (SQL only)."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import ColumnElement, and_, exists, select
from sqlalchemy.orm import Session

from rules.canonical import canonical_json, canonical_rows
from rules.changes import Change
from storage.documents import insert_ignoring_duplicates
from storage.in_force import head_in_force, repeal_dates, version_heads
from storage.models import (
    ChangeRecord,
    Document,
    DocumentVersion,
    RuleRowRecord,
    RuleSetVersion,
    Series,
    VersionReview,
    utcnow,
)

if TYPE_CHECKING:
    from rules.registry import RuleRow


def get_series(session: Session, region: str, kind: str) -> Series:
    series = session.scalar(select(Series).where(Series.region == region, Series.kind == kind))
    if series is None:
        insert_ignoring_duplicates(session, Series.__table__, {"region": region, "kind": kind})  # type: ignore[arg-type]
        series = session.scalar(select(Series).where(Series.region == region, Series.kind == kind))
    assert series is not None
    return series


def canonical_hash(rows: Sequence[RuleRow]) -> tuple[str, str]:
    text = canonical_json(list(rows))
    return text, hashlib.sha256(text.encode("utf-8")).hexdigest()


def find_version(session: Session, series_id: int, digest: str) -> RuleSetVersion | None:
    return session.scalar(
        select(RuleSetVersion).where(
            RuleSetVersion.series_id == series_id, RuleSetVersion.canonical_hash == digest
        )
    )


@dataclass(frozen=True)
class VersionFacts:
    document_version_id: int | None
    published_at: dt.date | None
    effective_at: dt.date | None
    doc_number: str | None
    replaces: tuple[str, ...]
    parser_version: str
    problems: list[dict[str, Any]]
    suspect_reason: str | None


def append_version(
    session: Session,
    series: Series,
    rows: Sequence[RuleRow],
    facts: VersionFacts,
    relevant: Callable[[RuleRow], bool],
) -> RuleSetVersion | None:
    """Insert a version and its rows; None when the series already holds these canonical rows."""
    text, digest = canonical_hash(rows)
    created = insert_ignoring_duplicates(
        session,
        RuleSetVersion.__table__,  # type: ignore[arg-type]
        {
            "series_id": series.id,
            "document_version_id": facts.document_version_id,
            "canonical_json": text,
            "canonical_hash": digest,
            "row_count": len(rows),
            "published_at": facts.published_at,
            "effective_at": facts.effective_at,
            "doc_number": facts.doc_number,
            "replaces": list(facts.replaces),
            "parser_version": facts.parser_version,
            "problems": facts.problems,
            "suspect_reason": facts.suspect_reason,
            "created_at": utcnow(),
        },
    )
    if not created:
        return None
    version = find_version(session, series.id, digest)
    assert version is not None
    for position, row in enumerate(sorted(rows, key=lambda r: canonical_json([r]))):
        plain = canonical_rows([row])[0]
        session.add(
            RuleRowRecord(
                version_id=version.id,
                position=position,
                key=row.key(),
                fields={k: v for k, v in plain.items() if k not in ("kind", "key")},
                provenance=row.source.to_dict(),
                electrician_related=bool(relevant(row)),
            )
        )
    session.flush()
    return version


def is_held(session: Session, version: RuleSetVersion) -> bool:
    """Suspect and neither accepted by the operator nor confirmed by a later parse."""
    if version.suspect_reason is None:
        return False
    reviewed = session.scalar(select(exists().where(VersionReview.version_id == version.id)))
    return not reviewed


def replaced_doc_numbers(session: Session, series_id: int) -> set[str]:
    return set(repeal_dates(session, series_id))


def current_version(
    session: Session, series_id: int, *, at: dt.date | None = None, exclude_id: int | None = None
) -> RuleSetVersion | None:
    """The version in force at a date (default: the latest): latest by effective/publish date,
    not held, not repealed by then.

    Two queries whatever the series holds: the versions' heads, then the one chosen."""
    chosen = head_in_force(version_heads(session, series_id), at=at, exclude_id=exclude_id)
    return session.get(RuleSetVersion, chosen.id) if chosen is not None else None


def version_rows(session: Session, version: RuleSetVersion) -> list[RuleRowRecord]:
    return list(
        session.scalars(
            select(RuleRowRecord)
            .where(RuleRowRecord.version_id == version.id)
            .order_by(RuleRowRecord.position)
        )
    )


def record_changes(
    session: Session,
    version: RuleSetVersion,
    previous: RuleSetVersion | None,
    changes: Sequence[Change],
    *,
    release: bool,
) -> int:
    """Store the diff engine's changes for a new version; released now unless held."""
    now = utcnow()
    for change in changes:
        session.add(
            ChangeRecord(
                version_id=version.id,
                previous_version_id=previous.id if previous else None,
                region=change.region,
                kind=change.kind,
                change=change.change,
                key=change.key,
                electrician_related=change.electrician_related,
                substantive=change.substantive,
                parser_upgrade=change.parser_upgrade,
                payload=change.to_json(),
                detected_at=now,
                released_at=now if release and not change.parser_upgrade else None,
            )
        )
    session.flush()
    return len(changes)


def release_version(session: Session, version: RuleSetVersion, decision: str, by: str) -> int:
    """Accept or confirm a held version: its changes go out with the next digest."""
    session.add(VersionReview(version_id=version.id, decision=decision, decided_by=by))
    held = session.scalars(
        select(ChangeRecord).where(
            ChangeRecord.version_id == version.id,
            ChangeRecord.released_at.is_(None),
            ChangeRecord.parser_upgrade.is_(False),
        )
    ).all()
    now = utcnow()
    for record in held:
        record.released_at = now
    session.flush()
    return len(held)


def held_versions(session: Session) -> list[RuleSetVersion]:
    """Suspect versions neither accepted nor confirmed (one query)."""
    reviewed = exists().where(VersionReview.version_id == RuleSetVersion.id)
    return list(
        session.scalars(
            select(RuleSetVersion)
            .where(RuleSetVersion.suspect_reason.is_not(None), ~reviewed)
            .order_by(RuleSetVersion.id)
        )
    )


def series_fed_by(session: Session, document_id: int) -> set[tuple[str, str]]:
    """(region, kind) of every series a version of this document ever fed."""
    rows = session.execute(
        select(Series.region, Series.kind)
        .join(RuleSetVersion, RuleSetVersion.series_id == Series.id)
        .join(DocumentVersion, DocumentVersion.id == RuleSetVersion.document_version_id)
        .where(DocumentVersion.document_id == document_id)
    ).all()
    return {(r, k) for r, k in rows}


def version_source(
    session: Session, version: RuleSetVersion
) -> tuple[Document | None, DocumentVersion | None]:
    if version.document_version_id is None:
        return None, None
    doc_version = session.get(DocumentVersion, version.document_version_id)
    return (doc_version.document if doc_version else None), doc_version


def query_changes(
    session: Session,
    *,
    regions: Sequence[str] = (),
    kinds: Sequence[str] = (),
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
    electrician_only: bool = True,
    include_held: bool = False,
    include_parser_upgrades: bool = False,
) -> list[ChangeRecord]:
    conditions: list[ColumnElement[bool]] = []
    if regions:
        conditions.append(ChangeRecord.region.in_(regions))
    if kinds:
        conditions.append(ChangeRecord.kind.in_(kinds))
    if since:
        conditions.append(ChangeRecord.detected_at >= since)
    if until:
        conditions.append(ChangeRecord.detected_at < until)
    if electrician_only:
        conditions.append(ChangeRecord.electrician_related.is_(True))
    if not include_held:
        conditions.append(ChangeRecord.released_at.is_not(None))
    if not include_parser_upgrades:
        conditions.append(ChangeRecord.parser_upgrade.is_(False))
    stmt = select(ChangeRecord).order_by(ChangeRecord.region, ChangeRecord.kind, ChangeRecord.id)
    if conditions:
        stmt = stmt.where(and_(*conditions))
    return list(session.scalars(stmt))


def held_versions_by_source(session: Session) -> dict[str, list[int]]:
    """Suspect versions still held, by the source whose document produced them."""
    out: dict[str, list[int]] = {}
    for version in held_versions(session):
        document, _ = version_source(session, version)
        if document is not None:
            out.setdefault(document.source_id, []).append(version.id)
    return out


def rules_in_force(
    session: Session, region: str, kind: str, at: dt.date | None = None
) -> tuple[RuleSetVersion | None, list[dict[str, object]]]:
    """The rows of the version in force at a date, with their provenance, for `rules show`."""
    series = session.scalar(select(Series).where(Series.region == region, Series.kind == kind))
    if series is None:
        return None, []
    version = current_version(session, series.id, at=at)
    if version is None:
        return None, []
    doc_version = (
        session.get(DocumentVersion, version.document_version_id) if version.document_version_id else None
    )
    url = doc_version.document.url if doc_version else None
    out: list[dict[str, object]] = []
    for record in version_rows(session, version):
        out.append(
            {
                "kind": kind,
                "key": record.key,
                **record.fields,
                "electrician_related": record.electrician_related,
                "provenance": {
                    **record.provenance,
                    "version": version.id,
                    "source_url": url,
                    "doc_number": version.doc_number,
                    "published_at": version.published_at.isoformat() if version.published_at else None,
                    "effective_at": version.effective_at.isoformat() if version.effective_at else None,
                },
            }
        )
    return version, out
