"""`policywatch status [--json]`: jobs (last and next run), sources, deliveries, database, SMTP.

Reads only the database and the config, so it works whether or not a daemon is running
(next runs are computed from the cron expressions; the daemon adds up to
``schedule.jitter_seconds`` to crawl jobs). Text shows times in ``schedule.timezone``;
``--json`` gives them in UTC ISO 8601 with the offset.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
from typing import Any
from zoneinfo import ZoneInfo

from notifier.localtime import local_time
from policywatch.context import AppContext
from policywatch.coverage import coverage_at, coverage_note
from policywatch.crontab import next_fire
from policywatch.jobs import job_specs
from policywatch.process_lock import LOCK_NAME
from policywatch.retry import retry_wait
from policywatch.terminal import json_time, print_table
from storage.database import safe_url
from storage.documents import last_crawl_runs
from storage.jobs import latest_completed, latest_runs
from storage.locks import lock_state
from storage.status import delivery_counts


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        "status", help="last and next run per job, source health, deliveries, database, SMTP"
    )
    parser.set_defaults(handler=run)


def _smtp(ctx: AppContext) -> str:
    smtp = ctx.config.smtp
    if not smtp.host:
        return f"none: digests are written as .eml files to {ctx.config.path(ctx.config.notify.outbox_dir)}"
    user = f" as {smtp.username}" if smtp.username else ""
    return f"{smtp.host}:{smtp.port} ({smtp.security}){user}"


def connection_info(ctx: AppContext) -> dict[str, str]:
    """The database (password masked) and the mail server in use."""
    return {"database": safe_url(ctx.config.database_url), "smtp": _smtp(ctx)}


def collect(ctx: AppContext) -> dict[str, Any]:
    """Everything status shows; times are aware datetimes (the output decides their form)."""
    now = ctx.now()
    schedule = ctx.config.schedule
    lease = float(schedule.lease_seconds)
    with ctx.database().begin() as session:
        runs, completed = latest_runs(session), latest_completed(session)
        crawls = last_crawl_runs(session)
        deliveries = delivery_counts(session)
        lock = lock_state(session, LOCK_NAME)
    coverage = coverage_at(ctx, now)
    jobs = []
    for spec in job_specs(ctx):
        last, done = runs.get(spec.id), completed.get(spec.id)
        jobs.append(
            {
                "job": spec.id,
                "cron": spec.cron,
                "last_run": last.started_at if last else None,
                "last_status": last.status if last else "never run",
                "last_completed": done.finished_at if done else None,
                "next_run": next_fire(spec.cron, schedule.timezone, now),
            }
        )
    sources = []
    for reading in coverage.readings:
        crawl = crawls.get(reading.source.id)
        wait = retry_wait(reading)
        sources.append(
            {
                "source": reading.source.id,
                "name": reading.source.name,
                "status": reading.status or "never crawled",
                "read": reading.read,
                "unread_since": reading.unread_since,
                "last_read": reading.last_read_at,
                "retry_at": wait.at if wait else None,
                "last_crawl": (crawl.finished_at or crawl.started_at) if crawl else None,
                "items": crawl.items_seen if crawl else None,
                "errors": crawl.errors if crawl else None,
                "message": crawl.message if crawl else None,
            }
        )
    holder = None
    if lock is not None:
        alive = (now - lock.heartbeat_at).total_seconds() < lease
        holder = {
            "holder": lock.holder,
            "since": lock.acquired_at,
            "heartbeat": lock.heartbeat_at,
            "alive": alive,
        }
    note = coverage_note(ctx, coverage)
    return {
        **connection_info(ctx),
        "timezone": schedule.timezone,
        "daemon_lock": holder,
        "jobs": jobs,
        "sources": sources,
        "coverage": {
            "summary": note.summary(),
            "unread": [
                {"source": r.source.id, "description": u.describe()}
                for r, u in zip(coverage.unread, note.unread, strict=True)
            ],
        },
        "deliveries": deliveries,
    }


def run(ctx: AppContext, args: argparse.Namespace) -> int:
    data = collect(ctx)
    if ctx.json_output:
        print(json.dumps(data, ensure_ascii=False, indent=2, default=json_time))
        return 0
    tz = ZoneInfo(data["timezone"])

    def when(value: dt.datetime | None) -> str:
        return local_time(value, tz) if value else "-"

    print(f"database: {data['database']}")
    print(f"smtp:     {data['smtp']}")
    lock = data["daemon_lock"]
    if lock is None:
        print("lock:     free (no daemon or run is working)")
    else:
        state = "alive" if lock["alive"] else "lapsed"
        print(
            f"lock:     held by {lock['holder']} since {when(lock['since'])}"
            f" (heartbeat {when(lock['heartbeat'])}, {state})"
        )
    d = data["deliveries"]
    print(f"deliveries: {d['pending']} pending, {d['failed']} failed, {d['sent']} sent")
    print(f"\nJobs (times and cron in {data['timezone']}):")
    print_table(
        ["job", "cron", "last run", "status", "next run"],
        [
            [j["job"], j["cron"], when(j["last_run"]), j["last_status"], when(j["next_run"])]
            for j in data["jobs"]
        ],
    )
    print("\nSources:")
    print_table(
        ["source", "status", "last crawl", "unread since", "retry from", "items", "errors"],
        [
            [
                s["source"],
                s["status"],
                when(s["last_crawl"]),
                when(s["unread_since"]) if not s["read"] else "-",
                when(s["retry_at"]),
                s["items"] if s["items"] is not None else "-",
                s["errors"] if s["errors"] is not None else "-",
            ]
            for s in data["sources"]
        ],
    )
    cover = data["coverage"]
    print(f"coverage: {cover['summary']}")
    if cover["unread"]:
        print(f"not read, changes unknown ({len(cover['unread'])}):")
        for unread in cover["unread"]:
            print(f"  {unread['source']}: {unread['description']}")
    return 0
