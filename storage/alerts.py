"""Operator-alert queries: what is wrong now (sources, suspect versions, parse problems), and
the alert rows that remember what the operator was told and when."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from storage.documents import insert_ignoring_duplicates
from storage.models import (
    CrawlRun,
    Document,
    DocumentParse,
    OperatorAlert,
    RuleSetVersion,
    Series,
    Source,
    VersionReview,
)


def recent_runs(session: Session, n: int) -> dict[str, list[CrawlRun]]:
    """The last ``n`` crawl runs of every source, newest first."""
    runs: dict[str, list[CrawlRun]] = {}
    for run in session.scalars(select(CrawlRun).order_by(CrawlRun.source_id, CrawlRun.id.desc())):
        bucket = runs.setdefault(run.source_id, [])
        if len(bucket) < n:
            bucket.append(run)
    return runs


def source_names(session: Session) -> dict[str, str]:
    return {s.id: s.name for s in session.scalars(select(Source))}


def unreviewed_suspect_versions(session: Session) -> list[tuple[RuleSetVersion, Series]]:
    """Suspect versions no operator accepted and no later version confirmed."""
    reviewed = select(VersionReview.version_id)
    rows = session.execute(
        select(RuleSetVersion, Series)
        .join(Series, Series.id == RuleSetVersion.series_id)
        .where(RuleSetVersion.suspect_reason.is_not(None), RuleSetVersion.id.not_in(reviewed))
        .order_by(RuleSetVersion.id)
    )
    return [(v, s) for v, s in rows]


def _latest_parses(session: Session, *where: Any) -> list[tuple[DocumentParse, Document]]:
    latest = select(func.max(DocumentParse.id)).group_by(DocumentParse.document_id)
    rows = session.execute(
        select(DocumentParse, Document)
        .join(Document, Document.id == DocumentParse.document_id)
        .where(DocumentParse.id.in_(latest), *where)
        .order_by(DocumentParse.document_id)
    )
    return [(p, d) for p, d in rows]


def latest_parses_with_problems(session: Session) -> list[tuple[DocumentParse, Document]]:
    """The latest parse of each document, where that parse reported problems."""
    return [(p, d) for p, d in _latest_parses(session) if p.problems]


def latest_parses_read_in_part(session: Session) -> list[tuple[DocumentParse, Document]]:
    """The latest parse of each document that left rule-like cells or sentences unread."""
    return _latest_parses(session, DocumentParse.coverage_read < DocumentParse.coverage_seen)


def observe_alert(session: Session, subject: str, detail: str, now: dt.datetime) -> bool:
    """Record that a problem is present now; returns True when it is new or came back."""
    inserted = insert_ignoring_duplicates(
        session,
        OperatorAlert.__table__,  # type: ignore[arg-type]
        {
            "subject": subject,
            "detail": detail,
            "first_seen_at": now,
            "last_seen_at": now,
            "occurrences": 1,
        },
    )
    if inserted:
        return True
    alert = session.scalar(select(OperatorAlert).where(OperatorAlert.subject == subject))
    assert alert is not None
    reopened = alert.resolved_at is not None
    if reopened:
        alert.resolved_at, alert.last_sent_at, alert.first_seen_at = None, None, now
    alert.detail, alert.last_seen_at = detail, now
    alert.occurrences += 1
    session.flush()
    return reopened


def resolve_absent(session: Session, present: Iterable[str], now: dt.datetime) -> list[str]:
    """Mark unresolved alerts whose problem is gone as resolved; returns their subjects."""
    present = set(present)
    gone = [
        a
        for a in session.scalars(select(OperatorAlert).where(OperatorAlert.resolved_at.is_(None)))
        if a.subject not in present
    ]
    for alert in gone:
        alert.resolved_at = now
    session.flush()
    return [a.subject for a in gone]


def due_alerts(session: Session, remind_before: dt.datetime) -> list[OperatorAlert]:
    """Unresolved alerts never sent, or last sent before ``remind_before``."""
    return list(
        session.scalars(
            select(OperatorAlert)
            .where(
                OperatorAlert.resolved_at.is_(None),
                (OperatorAlert.last_sent_at.is_(None)) | (OperatorAlert.last_sent_at < remind_before),
            )
            .order_by(OperatorAlert.subject)
        )
    )


def mark_alerts_sent(session: Session, alert_ids: Sequence[int], now: dt.datetime) -> None:
    session.execute(
        update(OperatorAlert)
        .where(OperatorAlert.id.in_(alert_ids))
        .values(last_sent_at=now)
        .execution_options(synchronize_session=False)
    )
