"""Bookkeeping of scheduled jobs (``job_runs``): what ran when, and how it ended.

The daemon keeps APScheduler's job store in memory and rebuilds it from the config at
each start (a persisted store would be overwritten by ``replace_existing`` anyway); the
question "was a run missed while we were down?" is answered from these rows instead.
A row is written as ``running`` when a job starts and completed in a second transaction,
so a process killed in between leaves a ``running`` row that the next holder of the lock
marks ``interrupted``: such a run does not count as done, and is caught up.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Row, func, insert, select, update
from sqlalchemy.orm import Session

from storage.tables import job_runs, utcnow

RUNNING = "running"
DONE_STATUSES = ("ok", "failed")  # ran to its end (a failed step included); not "cancelled"/"interrupted"


@dataclass(frozen=True)
class JobRunView:
    job_id: str
    started_at: dt.datetime
    finished_at: dt.datetime | None
    status: str
    detail: str | None


def _view(row: Row[Any]) -> JobRunView:
    started = row.started_at
    assert started is not None
    return JobRunView(row.job_id, started, row.finished_at, row.status, row.detail)


def start_run(session: Session, job_id: str, now: dt.datetime | None = None) -> int:
    started = insert(job_runs).values(job_id=job_id, started_at=now or utcnow(), status=RUNNING)
    run_id = session.scalar(started.returning(job_runs.c.id))
    assert run_id is not None
    return int(run_id)


def finish_run(
    session: Session, run_id: int, status: str, detail: str | None = None, now: dt.datetime | None = None
) -> None:
    session.execute(
        update(job_runs)
        .where(job_runs.c.id == run_id)
        .values(status=status, detail=detail, finished_at=now or utcnow())
    )


def mark_interrupted(session: Session, now: dt.datetime | None = None) -> int:
    """Runs left ``running`` by a dead process; call only while holding the process lock."""
    result = session.execute(
        update(job_runs)
        .where(job_runs.c.status == RUNNING)
        .values(status="interrupted", finished_at=now or utcnow(), detail="the process running it died")
    )
    return int(getattr(result, "rowcount", 0) or 0)


def last_completed_start(session: Session, job_id: str) -> dt.datetime | None:
    """When the latest run of ``job_id`` that ran to its end started (catch-up reads this)."""
    started: dt.datetime | None = session.scalar(
        select(func.max(job_runs.c.started_at)).where(
            job_runs.c.job_id == job_id, job_runs.c.status.in_(DONE_STATUSES)
        )
    )
    return started


def latest_runs(session: Session) -> dict[str, JobRunView]:
    """The latest run of every job id, whatever its status."""
    newest = (
        select(job_runs.c.job_id, func.max(job_runs.c.id).label("id")).group_by(job_runs.c.job_id).subquery()
    )
    rows = session.execute(
        select(job_runs).join(newest, newest.c.id == job_runs.c.id).order_by(job_runs.c.job_id)
    )
    return {row.job_id: _view(row) for row in rows}


def latest_completed(session: Session) -> dict[str, JobRunView]:
    """The latest run that ran to its end, per job id."""
    newest = (
        select(job_runs.c.job_id, func.max(job_runs.c.id).label("id"))
        .where(job_runs.c.status.in_(DONE_STATUSES))
        .group_by(job_runs.c.job_id)
        .subquery()
    )
    rows = session.execute(select(job_runs).join(newest, newest.c.id == job_runs.c.id))
    return {row.job_id: _view(row) for row in rows}


def runs_of(session: Session, job_id: str) -> list[JobRunView]:
    rows = session.execute(select(job_runs).where(job_runs.c.job_id == job_id).order_by(job_runs.c.id))
    return [_view(row) for row in rows]


__all__ = [
    "DONE_STATUSES",
    "JobRunView",
    "finish_run",
    "last_completed_start",
    "latest_completed",
    "latest_runs",
    "mark_interrupted",
    "runs_of",
    "start_run",
]
