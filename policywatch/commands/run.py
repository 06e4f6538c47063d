"""`policywatch run`: one full cycle now, for people who schedule with system cron.

Crawls the sources that are due (a slot of their cron passed since their last completed
run, the same bookkeeping the daemon uses, so cron can call `run` often and the config
decides), parses, versions, queues and sends what is due. Exit 0 if everything worked, 1
if anything failed, with every other step still done and stored. Holds the same database
lease as the daemon, so an overlapping cron run or a running daemon makes it exit 1.
"""

from __future__ import annotations

import argparse
import json

from policywatch.context import AppContext
from policywatch.cycle import CycleReport, run_cycle
from policywatch.daemon import NOTIFY_JOB, JobSpec, catch_up_jobs, job_specs
from policywatch.process_lock import Lease
from storage.database import session_scope
from storage.jobs import finish_run, mark_interrupted, start_run
from storage.models import utcnow


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        "run", help="one full cycle now (crawl what is due, parse, notify), for system cron"
    )
    parser.add_argument("--all", action="store_true", help="crawl every enabled source, due or not")
    parser.add_argument("--source", action="append", metavar="ID", help="crawl this source now (repeatable)")
    parser.set_defaults(handler=run)


def _selected(ctx: AppContext, args: argparse.Namespace, specs: list[JobSpec]) -> list[JobSpec]:
    crawl_specs = [s for s in specs if s.crawls]
    if args.source:
        from crawlers.registry import select_sources

        wanted = {s.id for s in select_sources(ctx.config.crawl_config(), args.source)}  # unknown id: exit 2
        return [JobSpec("crawl:" + sid, ctx.config.schedule.crawl, (sid,)) for sid in sorted(wanted)]
    if args.all:
        return crawl_specs
    due = catch_up_jobs(ctx, crawl_specs, utcnow())
    return [s for s in crawl_specs if s.id in due]


def _source_status(report: CycleReport, source_id: str) -> str:
    health = {h.source_id: h for h in report.health}.get(source_id)
    steps_ok = not report.failed_steps
    return "ok" if steps_ok and health is not None and not health.failed else "failed"


def run(ctx: AppContext, args: argparse.Namespace) -> int:
    sessions = ctx.database()
    with Lease(sessions, ctx.config.schedule.lease_seconds):
        specs = _selected(ctx, args, job_specs(ctx))
        source_ids = [sid for s in specs for sid in s.source_ids]
        with session_scope(sessions) as session:
            mark_interrupted(session)
            run_ids = {s.id: start_run(session, s.id) for s in [*specs, JobSpec(NOTIFY_JOB, "", ())]}
        report = run_cycle(ctx, source_ids, do_crawl=bool(source_ids))
        detail = report.summary()
        with session_scope(sessions) as session:
            for spec in specs:
                finish_run(
                    session, run_ids[spec.id], _source_status(report, spec.source_ids[0]), detail[:2000]
                )
            finish_run(
                session, run_ids[NOTIFY_JOB], "ok" if not report.failed_steps else "failed", detail[:2000]
            )
    if ctx.json_output:
        print(json.dumps(report.to_json(), ensure_ascii=False, indent=2))
    else:
        if not source_ids:
            print("no source due for a crawl (use --all to crawl anyway)")
        print(detail)
    return 0 if report.ok else 1
