"""What is scheduled and what is due: the jobs the config defines, and which of them should run now.

Shared by the daemon (policywatch/daemon.py, which schedules them with APScheduler) and
`policywatch run` (which runs what is due, for system cron); kept apart from the daemon so
that `run` does not load the scheduler. Bookkeeping is per source (``crawl:<id>`` in
``job_runs``) and ``notify``; the daemon crawls the sources sharing a cron together.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from crawlers.registry import load_sources
from policywatch.context import AppContext
from policywatch.coverage import coverage_at
from policywatch.crontab import missed_since
from policywatch.retry import RetryWait, retry_wait
from storage.jobs import last_completed_start

NOTIFY_JOB = "notify"
CRAWL_PREFIX = "crawl:"  # a source's runs in job_runs, and its one-off retry job in the daemon


@dataclass(frozen=True)
class JobSpec:
    """A scheduled job as the config defines it."""

    id: str
    cron: str
    source_ids: tuple[str, ...]  # empty: the notify job (no crawl)
    jitter: int = 0

    @property
    def crawls(self) -> bool:
        return bool(self.source_ids)


def job_specs(ctx: AppContext) -> list[JobSpec]:
    """One crawl job per enabled source (its own cron or the global one), plus notify."""
    schedule = ctx.config.schedule
    specs = [
        JobSpec(CRAWL_PREFIX + s.id, s.schedule or schedule.crawl, (s.id,), schedule.jitter_seconds)
        for s in load_sources(ctx.config.crawl_config())
    ]
    specs.append(JobSpec(NOTIFY_JOB, schedule.notify, ()))
    return specs


def slot_groups(specs: list[JobSpec]) -> dict[str, list[JobSpec]]:
    """Crawl specs by cron: each group is crawled in one crawl per slot."""
    groups: dict[str, list[JobSpec]] = {}
    for spec in specs:
        if spec.crawls:
            groups.setdefault(spec.cron, []).append(spec)
    return groups


def catch_up_jobs(ctx: AppContext, specs: list[JobSpec], now: dt.datetime) -> set[str]:
    """Jobs with a slot since their last completed run (or none ever): run once at start."""
    tz = ctx.config.schedule.timezone
    due = set()
    with ctx.database().begin() as session:
        for spec in specs:
            last = last_completed_start(session, spec.id)
            if missed_since(spec.cron, tz, last, now):
                due.add(spec.id)
    return due


@dataclass(frozen=True)
class DueJobs:
    """What to run now, and the crawls that wait only for a failed source's backoff."""

    due: set[str]
    retries: dict[str, RetryWait]  # job id -> its source's retry (jobs not due now)


def jobs_due(ctx: AppContext, specs: list[JobSpec], now: dt.datetime) -> DueJobs:
    """Due: a cron slot passed since the job's last completed run (catch_up_jobs), or its
    source could not be read at its last crawl and the backoff since that attempt is over."""
    due = catch_up_jobs(ctx, specs, now)
    readings = {r.source.id: r for r in coverage_at(ctx, now).readings}
    retries: dict[str, RetryWait] = {}
    for spec in specs:
        waits = [w for sid in spec.source_ids if sid in readings and (w := retry_wait(readings[sid]))]
        if spec.id in due or not waits:
            continue
        first = min(waits, key=lambda w: w.at)
        if first.at <= now:
            due.add(spec.id)
        else:
            retries[spec.id] = first
    return DueJobs(due, retries)
