"""Operator-alert queries: what is wrong now (sources, suspect versions, parse problems), and
the alert rows that remember what the operator was told and when."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import ColumnElement, Row, case, exists, func, literal_column, or_, select, update
from sqlalchemy.orm import Session

from parsers.problem_codes import NO_RULES_FOUND, TABLE_PROBLEM_CODES
from storage.documents import insert_ignoring_duplicates
from storage.tables import (
    crawl_runs,
    document_parses,
    documents,
    operator_alerts,
    rule_set_versions,
    series,
    sources,
    version_reviews,
)

_runs, _parses, _alerts = crawl_runs.c, document_parses.c, operator_alerts.c


def recent_runs(session: Session, n: int) -> dict[str, list[Row[Any]]]:
    """The last ``n`` crawl runs of every source, newest first (one query that reads ``n`` runs
    per source, however many crawls the history holds)."""
    rank = func.row_number().over(partition_by=_runs.source_id, order_by=_runs.id.desc()).label("rank")
    ranked = select(_runs.id, rank).subquery()
    runs: dict[str, list[Row[Any]]] = {}
    for run in session.execute(
        select(crawl_runs)
        .join(ranked, ranked.c.id == _runs.id)
        .where(ranked.c.rank <= n)
        .order_by(_runs.source_id, _runs.id.desc())
    ):
        runs.setdefault(run.source_id, []).append(run)
    return runs


def source_names(session: Session) -> dict[str, str]:
    return {row.id: row.name for row in session.execute(select(sources.c.id, sources.c.name))}


def unreviewed_suspect_versions(session: Session) -> list[Row[Any]]:
    """Suspect versions no operator accepted and no later version confirmed: rows of
    (id, suspect_reason, region, kind)."""
    versions = rule_set_versions.c
    reviewed = select(version_reviews.c.version_id)
    return list(
        session.execute(
            select(versions.id, versions.suspect_reason, series.c.region, series.c.kind)
            .join(series, series.c.id == versions.series_id)
            .where(versions.suspect_reason.is_not(None), versions.id.not_in(reviewed))
            .order_by(versions.id)
        )
    )


def _latest_parses(session: Session, *where: Any) -> list[Row[Any]]:
    """The latest parse of each document, among those meeting ``where`` (one query): the
    parse's columns and its document's ``url``."""
    later = document_parses.alias("later")
    newer_exists = exists().where(later.c.document_id == _parses.document_id, later.c.id > _parses.id)
    return list(
        session.execute(
            select(document_parses, documents.c.url)
            .join(documents, documents.c.id == _parses.document_id)
            .where(~newer_exists, *where)
            .order_by(_parses.document_id)
        )
    )


def _actionable_problem(dialect: str) -> ColumnElement[bool]:
    """The parse reported a problem an operator can act on: anything but "no rules found" (a
    fact about the announcement), and, for an announcement that is not about settlement
    (``not_about``), only what kept a file from being read.

    The same rule as parsers.problem_codes.actionable (which decides the pipeline's log level),
    evaluated in SQL over the JSON list of problems (``{"code": …}`` objects; a bare string
    is its own code), so the alert query stays one query that returns only the few parses
    with such problems."""
    if dialect == "postgresql":
        elements = func.json_array_elements(_parses.problems).table_valued("value")
        value = elements.c.value
        code = case(
            (func.json_typeof(value) == "object", value.op("->>")("code")),
            else_=value.op("#>>")(literal_column("'{}'")),
        )
    else:
        elements = func.json_each(_parses.problems).table_valued("value", "type")
        code = case(
            (elements.c.type == "object", func.json_extract(elements.c.value, "$.code")),
            else_=elements.c.value,
        )
    not_skipped = or_(_parses.not_about.is_(None), code.not_in(sorted(TABLE_PROBLEM_CODES)))
    return exists(
        select(literal_column("1")).select_from(elements).where(code != NO_RULES_FOUND, not_skipped)
    )


def latest_parses_with_problems(session: Session) -> list[Row[Any]]:
    """The latest parse of each document, where that parse reported a problem the operator can
    act on (see ``_actionable_problem``)."""
    return _latest_parses(session, _actionable_problem(session.get_bind().dialect.name))


def latest_parses_read_in_part(session: Session) -> list[Row[Any]]:
    """The latest parse of each document that left rule-like cells or sentences unread."""
    return _latest_parses(session, _parses.coverage_read < _parses.coverage_seen)


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
            select(_alerts.subject, _alerts.detail).where(_alerts.resolved_at.is_(None))
        )
    }
    opened = []
    for subject, detail in problems.items():
        if subject in open_now:
            if open_now[subject] != detail:
                session.execute(
                    update(operator_alerts)
                    .where(_alerts.subject == subject)
                    .values(detail=detail, last_seen_at=now)
                )
            continue
        fresh = {"detail": detail, "first_seen_at": now, "last_seen_at": now}
        if insert_ignoring_duplicates(
            session,
            operator_alerts,
            {"subject": subject, "occurrences": 1, **fresh},
        ):
            opened.append(subject)
            continue
        came_back = session.execute(
            update(operator_alerts)
            .where(_alerts.subject == subject, _alerts.resolved_at.is_not(None))
            .values(
                **fresh,
                resolved_at=None,
                last_sent_at=None,
                occurrences=_alerts.occurrences + 1,
            )
        )
        if int(getattr(came_back, "rowcount", 0)):
            opened.append(subject)
    gone = sorted(set(open_now) - set(problems))
    if gone:
        session.execute(
            update(operator_alerts)
            .where(_alerts.subject.in_(gone), _alerts.resolved_at.is_(None))
            .values(resolved_at=now)
        )
    return opened, gone


def due_alerts(session: Session, remind_before: dt.datetime) -> list[Row[Any]]:
    """Unresolved alerts never sent, or last sent before ``remind_before``."""
    return list(
        session.execute(
            select(operator_alerts)
            .where(
                _alerts.resolved_at.is_(None),
                (_alerts.last_sent_at.is_(None)) | (_alerts.last_sent_at < remind_before),
            )
            .order_by(_alerts.subject)
        )
    )


def mark_alerts_sent(session: Session, alert_ids: Sequence[int], now: dt.datetime) -> None:
    session.execute(update(operator_alerts).where(_alerts.id.in_(alert_ids)).values(last_sent_at=now))
