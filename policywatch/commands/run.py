"""`policywatch run`: one full cycle now, for people who schedule with system cron.

Crawls the sources that are due (a slot of their cron passed since their last completed
run, or a source that could not be read is past its retry backoff: the daemon's
``jobs_due``, so cron can call `run` often and the config decides), parses, versions,
queues and sends what is due. Exit 0 if everything worked (a failed source waiting for its
retry is said, not counted as a failure of this run), 1 if anything failed, with every other
step still done and stored. Holds the same database
lease as the daemon, so an overlapping cron run or a running daemon makes it exit 1.
"""

from __future__ import annotations

import argparse
import json
from zoneinfo import ZoneInfo

from policywatch.context import AppContext
from policywatch.cycle import CycleReport, run_cycle
from policywatch.jobs import NOTIFY_JOB, JobSpec, job_specs, jobs_due
from policywatch.process_lock import exclusive
from policywatch.retry import RetryWait
from policywatch.terminal import json_time
from storage.jobs import finish_run, mark_interrupted, start_run


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        "run", help="one full cycle now (crawl what is due, parse, notify), for system cron"
    )
    parser.add_argument("--all", action="store_true", help="crawl every enabled source, due or not")
    parser.add_argument("--source", action="append", metavar="ID", help="crawl this source now (repeatable)")
    parser.set_defaults(handler=run)


def _selected(
    ctx: AppContext, args: argparse.Namespace, specs: list[JobSpec]
) -> tuple[list[JobSpec], list[RetryWait]]:
    """The crawl jobs to run now, and the failed sources that wait for their retry."""
    crawl_specs = [s for s in specs if s.crawls]
    if args.source:
        from crawlers.registry import select_sources

        wanted = {s.id for s in select_sources(ctx.config.crawl_config(), args.source)}  # unknown id: exit 2
        return [JobSpec("crawl:" + sid, ctx.config.schedule.crawl, (sid,)) for sid in sorted(wanted)], []
    if args.all:
        return crawl_specs, []
    plan = jobs_due(ctx, crawl_specs, ctx.now())
    return [s for s in crawl_specs if s.id in plan.due], list(plan.retries.values())


def _source_status(report: CycleReport, source_id: str) -> str:
    health = {h.source_id: h for h in report.health}.get(source_id)
    steps_ok = not report.failed_steps
    return "ok" if steps_ok and health is not None and not health.failed else "failed"


def run(ctx: AppContext, args: argparse.Namespace) -> int:
    sessions = ctx.database()
    with exclusive(ctx):
        specs, waits = _selected(ctx, args, job_specs(ctx))
        source_ids = [sid for s in specs for sid in s.source_ids]
        with sessions.begin() as session:
            mark_interrupted(session)
            run_ids = {s.id: start_run(session, s.id) for s in [*specs, JobSpec(NOTIFY_JOB, "", ())]}
        report = run_cycle(ctx, source_ids, do_crawl=bool(source_ids))
        detail = report.summary()
        with sessions.begin() as session:
            for spec in specs:
                finish_run(
                    session, run_ids[spec.id], _source_status(report, spec.source_ids[0]), detail[:2000]
                )
            finish_run(
                session, run_ids[NOTIFY_JOB], "ok" if not report.failed_steps else "failed", detail[:2000]
            )
    tz = ZoneInfo(ctx.config.schedule.timezone)
    if ctx.json_output:
        retries = [
            {"source": w.reading.source.id, "status": w.reading.status, "failures": w.reading.failures,
             "retry_at": w.at}
            for w in waits
        ]  # fmt: skip
        out = {**report.to_json(), "retries": retries}
        print(json.dumps(out, ensure_ascii=False, indent=2, default=json_time))
    else:
        if waits:
            lead = "nothing to crawl now" if not source_ids else "not crawled this time"
            print(
                f"{lead}: {len(waits)} source(s) that could not be read wait for their retry (times {tz.key}):"
            )
            for wait in waits:
                print(f"  {wait.describe(tz)}")
        elif not source_ids:
            print("no source due for a crawl (use --all to crawl anyway)")
        print(detail)
    return 0 if report.ok else 1
