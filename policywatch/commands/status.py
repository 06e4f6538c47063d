"""`policywatch status [--json]`: jobs (last and next run), sources, deliveries, database, SMTP.

Reads only the database and the config, so it works whether or not a daemon is running
(next runs are computed from the cron expressions; the daemon adds up to
``schedule.jitter_seconds`` to crawl jobs).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
from typing import Any

from crawlers.registry import load_sources
from policywatch.context import AppContext
from policywatch.crontab import next_fire
from policywatch.daemon import job_specs
from policywatch.process_lock import LOCK_NAME
from policywatch.terminal import print_table
from storage.database import safe_url, session_scope
from storage.documents import last_crawl_runs
from storage.jobs import latest_completed, latest_runs
from storage.locks import lock_state
from storage.models import utcnow
from storage.status import delivery_counts


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        "status", help="last and next run per job, source health, deliveries, database, SMTP"
    )
    parser.set_defaults(handler=run)


def _iso(value: dt.datetime | None) -> str | None:
    """UTC, ISO 8601 with the offset."""
    return value.astimezone(dt.UTC).isoformat(timespec="seconds") if value else None


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
    now = utcnow()
    schedule = ctx.config.schedule
    lease = float(schedule.lease_seconds)
    with session_scope(ctx.database()) as session:
        runs, completed = latest_runs(session), latest_completed(session)
        crawls = last_crawl_runs(session)
        deliveries = delivery_counts(session)
        lock = lock_state(session, LOCK_NAME)
    jobs = []
    for spec in job_specs(ctx):
        last, done = runs.get(spec.id), completed.get(spec.id)
        jobs.append(
            {
                "job": spec.id,
                "cron": spec.cron,
                "last_run": _iso(last.started_at) if last else None,
                "last_status": last.status if last else "never run",
                "last_completed": _iso(done.finished_at) if done else None,
                "next_run": _iso(next_fire(spec.cron, schedule.timezone, now)),
            }
        )
    sources = []
    for src in load_sources(ctx.config.crawl_config()):
        crawl = crawls.get(src.id)
        sources.append(
            {
                "source": src.id,
                "status": crawl.status if crawl else "never crawled",
                "last_crawl": _iso(crawl.finished_at or crawl.started_at) if crawl else None,
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
            "since": _iso(lock.acquired_at),
            "heartbeat": _iso(lock.heartbeat_at),
            "alive": alive,
        }
    return {
        **connection_info(ctx),
        "timezone": schedule.timezone,
        "daemon_lock": holder,
        "jobs": jobs,
        "sources": sources,
        "deliveries": deliveries,
    }


def run(ctx: AppContext, args: argparse.Namespace) -> int:
    data = collect(ctx)
    if ctx.json_output:
        print(json.dumps(data, ensure_ascii=False, indent=2))
        return 0
    print(f"database: {data['database']}")
    print(f"smtp:     {data['smtp']}")
    lock = data["daemon_lock"]
    if lock is None:
        print("lock:     free (no daemon or run is working)")
    else:
        state = "alive" if lock["alive"] else "lapsed"
        print(
            f"lock:     held by {lock['holder']} since {lock['since']} (heartbeat {lock['heartbeat']}, {state})"
        )
    d = data["deliveries"]
    print(f"deliveries: {d['pending']} pending, {d['failed']} failed, {d['sent']} sent")
    print(f"\nJobs (times UTC; cron in {data['timezone']}):")
    print_table(
        ["job", "cron", "last run", "status", "next run"],
        [
            [j["job"], j["cron"], j["last_run"] or "-", j["last_status"], j["next_run"] or "-"]
            for j in data["jobs"]
        ],
    )
    print("\nSources:")
    print_table(
        ["source", "status", "last crawl", "items", "errors"],
        [
            [
                s["source"],
                s["status"],
                s["last_crawl"] or "-",
                s["items"] if s["items"] is not None else "-",
                s["errors"] if s["errors"] is not None else "-",
            ]
            for s in data["sources"]
        ],
    )
    return 0
