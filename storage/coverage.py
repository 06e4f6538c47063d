"""Which sources were read: the one place that decides it, from the crawl records alone.

A source counts as *read* at a moment when its latest crawl finished by then succeeded
(status ``ok``): its list pages were read, so whatever they show was seen, including
what was published while an earlier crawl failed. Any other latest status, or no crawl at
all, means its changes are unknown, and reports must say so instead of "no changes".
The same records give the retry backoff its inputs (failures in a row, last attempt).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Row, func, select
from sqlalchemy.orm import Session

from storage.documents import SourceRecord
from storage.tables import crawl_runs

_runs = crawl_runs.c

READ_STATUS = "ok"


@dataclass(frozen=True)
class SourceReading:
    """What the crawl records say about one source at a moment."""

    source: SourceRecord
    status: str | None  # of the latest crawl; None: never crawled
    last_attempt_at: dt.datetime | None  # when the latest crawl finished
    last_read_at: dt.datetime | None  # when the latest successful crawl finished; None: never
    unread_since: dt.datetime | None  # when the first failed crawl since the last success started
    failures: int  # failed crawls since the last success
    message: str | None  # the latest crawl's own account of what went wrong

    @property
    def read(self) -> bool:
        return self.status == READ_STATUS


@dataclass(frozen=True)
class Coverage:
    """The readings of the sources in scope at ``at``."""

    at: dt.datetime
    readings: tuple[SourceReading, ...]

    @property
    def read(self) -> tuple[SourceReading, ...]:
        return tuple(r for r in self.readings if r.read)

    @property
    def unread(self) -> tuple[SourceReading, ...]:
        return tuple(r for r in self.readings if not r.read)

    @property
    def complete(self) -> bool:
        return not self.unread

    def within(self, regions: Collection[str]) -> Coverage:
        """Only the sources of these regions (none given: every source)."""
        if not regions:
            return self
        return Coverage(self.at, tuple(r for r in self.readings if r.source.region in regions))


def read_coverage(session: Session, sources: Sequence[SourceRecord], at: dt.datetime) -> Coverage:
    """The reading of every source from the crawls that finished by ``at``.

    Two queries whatever the history's length: the last success per source, then the
    crawls after it (a failing source's streak; a healthy one's is empty).
    """
    ids = [s.id for s in sources]
    finished = func.coalesce(_runs.finished_at, _runs.started_at)
    last_read = (
        select(_runs.source_id, func.max(_runs.id).label("id"))
        .where(_runs.source_id.in_(ids), _runs.status == READ_STATUS, finished <= at)
        .group_by(_runs.source_id)
        .subquery()
    )
    reads = {
        run.source_id: run
        for run in session.execute(select(crawl_runs).join(last_read, last_read.c.id == _runs.id))
    }
    streaks: dict[str, list[Row[Any]]] = {}
    since_last_read = (
        select(crawl_runs)
        .outerjoin(last_read, last_read.c.source_id == _runs.source_id)
        .where(_runs.source_id.in_(ids), finished <= at, _runs.id > func.coalesce(last_read.c.id, 0))
        .order_by(_runs.id)
    )
    for run in session.execute(since_last_read):
        streaks.setdefault(run.source_id, []).append(run)
    return Coverage(at, tuple(_reading(s, reads.get(s.id), streaks.get(s.id, [])) for s in sources))


def _finished(run: Row[Any]) -> dt.datetime:
    return run.finished_at or run.started_at


def _reading(source: SourceRecord, last_read: Row[Any] | None, failed: list[Row[Any]]) -> SourceReading:
    latest = failed[-1] if failed else last_read
    return SourceReading(
        source=source,
        status=latest.status if latest else None,
        last_attempt_at=_finished(latest) if latest else None,
        last_read_at=_finished(last_read) if last_read else None,
        unread_since=failed[0].started_at if failed else None,
        failures=len(failed),
        message=latest.message if latest else None,
    )


__all__ = ["READ_STATUS", "Coverage", "SourceReading", "read_coverage"]
