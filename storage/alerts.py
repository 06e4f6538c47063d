"""Operator-alert queries: what is wrong now (sources, suspect versions, parse problems), and
the alert rows that remember what the operator was told and when."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import ColumnElement, case, exists, func, literal_column, or_, select, update
from sqlalchemy.orm import Session, aliased

from parsers.problem_codes import NO_RULES_FOUND, TABLE_PROBLEM_CODES
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
    """The last ``n`` crawl runs of every source, newest first (one query that reads ``n`` runs
    per source, however many crawls the history holds)."""
    rank = func.row_number().over(partition_by=CrawlRun.source_id, order_by=CrawlRun.id.desc()).label("rank")
    ranked = select(CrawlRun.id, rank).subquery()
    runs: dict[str, list[CrawlRun]] = {}
    for run in session.scalars(
        select(CrawlRun)
        .join(ranked, ranked.c.id == CrawlRun.id)
        .where(ranked.c.rank <= n)
        .order_by(CrawlRun.source_id, CrawlRun.id.desc())
    ):
        runs.setdefault(run.source_id, []).append(run)
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
    """The latest parse of each document, among those meeting ``where`` (one query)."""
    later = aliased(DocumentParse)
    newer_exists = exists().where(later.document_id == DocumentParse.document_id, later.id > DocumentParse.id)
    rows = session.execute(
        select(DocumentParse, Document)
        .join(Document, Document.id == DocumentParse.document_id)
        .where(~newer_exists, *where)
        .order_by(DocumentParse.document_id)
    )
    return [(p, d) for p, d in rows]


def _actionable_problem(dialect: str) -> ColumnElement[bool]:
    """The parse reported a problem an operator can act on: anything but "no rules found" (a
    fact about the announcement), and, for an announcement that is not about settlement
    (``not_about``), only what kept a file from being read.

    Evaluated in SQL over the JSON list of problems (``{"code": …}`` objects; a bare string
    is its own code), so the alert query stays one query that returns only the few parses
    with such problems."""
    if dialect == "postgresql":
        elements = func.json_array_elements(DocumentParse.problems).table_valued("value")
        value = elements.c.value
        code = case(
            (func.json_typeof(value) == "object", value.op("->>")("code")),
            else_=value.op("#>>")(literal_column("'{}'")),
        )
    else:
        elements = func.json_each(DocumentParse.problems).table_valued("value", "type")
        code = case(
            (elements.c.type == "object", func.json_extract(elements.c.value, "$.code")),
            else_=elements.c.value,
        )
    not_skipped = or_(DocumentParse.not_about.is_(None), code.not_in(sorted(TABLE_PROBLEM_CODES)))
    return exists(
        select(literal_column("1")).select_from(elements).where(code != NO_RULES_FOUND, not_skipped)
    )


def latest_parses_with_problems(session: Session) -> list[tuple[DocumentParse, Document]]:
    """The latest parse of each document, where that parse reported a problem the operator can
    act on (see ``_actionable_problem``)."""
    return _latest_parses(session, _actionable_problem(session.get_bind().dialect.name))


def latest_parses_read_in_part(session: Session) -> list[tuple[DocumentParse, Document]]:
    """The latest parse of each document that left rule-like cells or sentences unread."""
    return _latest_parses(session, DocumentParse.coverage_read < DocumentParse.coverage_seen)


def sync_alerts(
    session: Session, problems: Mapping[str, str], now: dt.datetime
) -> tuple[list[str], list[str]]:
    """Bring the alert rows in line with the problems present now; returns (opened, resolved).

    Writes only what changed, so a cycle whose problems are the same as the last one's writes
    nothing: an alert is inserted when its problem is new, reopened (``occurrences`` + 1,
    ``first_seen_at`` and the reminder clock reset) when it comes back, its ``detail`` and
    ``last_seen_at`` rewritten only when the detail changed, and resolved when the problem is
    gone. The database's unique subject arbitrates with a concurrent `notify`.
    """
    open_now: dict[str, str] = {
        subject: detail
        for subject, detail in session.execute(
            select(OperatorAlert.subject, OperatorAlert.detail).where(OperatorAlert.resolved_at.is_(None))
        )
    }
    opened = []
    for subject, detail in problems.items():
        if subject in open_now:
            if open_now[subject] != detail:
                session.execute(
                    update(OperatorAlert)
                    .where(OperatorAlert.subject == subject)
                    .values(detail=detail, last_seen_at=now)
                    .execution_options(synchronize_session=False)
                )
            continue
        fresh = {"detail": detail, "first_seen_at": now, "last_seen_at": now}
        if insert_ignoring_duplicates(
            session,
            OperatorAlert.__table__,  # type: ignore[arg-type]
            {"subject": subject, "occurrences": 1, **fresh},
        ):
            opened.append(subject)
            continue
        came_back = session.execute(
            update(OperatorAlert)
            .where(OperatorAlert.subject == subject, OperatorAlert.resolved_at.is_not(None))
            .values(
                **fresh,
                resolved_at=None,
                last_sent_at=None,
                occurrences=OperatorAlert.occurrences + 1,
            )
            .execution_options(synchronize_session=False)
        )
        if int(getattr(came_back, "rowcount", 0)):
            opened.append(subject)
    gone = sorted(set(open_now) - set(problems))
    if gone:
        session.execute(
            update(OperatorAlert)
            .where(OperatorAlert.subject.in_(gone), OperatorAlert.resolved_at.is_(None))
            .values(resolved_at=now)
            .execution_options(synchronize_session=False)
        )
    return opened, gone


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
