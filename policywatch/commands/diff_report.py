"""`policywatch diff-report`: what changed, for people (text, markdown, html) and scripts (json).

Every report says which sources in scope could not be read as of its end (their changes are
unknown), so a failed crawl never reads as "no changes". The report is printed whatever the
coverage; when it is incomplete the unread sources are also named on stderr (the only place
for json, whose stdout stays a plain list of changes) and the exit code is 1, so cron and
scripts notice.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path
from zoneinfo import ZoneInfo

from notifier.report import render_report
from policywatch import filters
from policywatch.context import AppContext, OperationalError
from policywatch.coverage import coverage_at, coverage_note
from rules.changes import Change
from rules.regions import REGIONS
from rules.registry import RULE_KINDS
from storage.rulesets import query_changes

DEFAULT_DAYS = 30


def parse_date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a date like 2026-01-31, got {text!r}") from None


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        "diff-report",
        help="report rule changes (default: electrician-related, all regions, last 30 days)",
    )
    parser.add_argument(
        "--region", action="append", default=[], metavar="R", help=f"one of {', '.join(REGIONS)} (repeatable)"
    )
    parser.add_argument(
        "--kind",
        action="append",
        default=[],
        metavar="K",
        help=f"one of {', '.join(RULE_KINDS)} (repeatable)",
    )
    parser.add_argument(
        "--since",
        type=parse_date,
        metavar="DATE",
        help=f"detected on or after DATE (default: {DEFAULT_DAYS} days ago)",
    )
    parser.add_argument("--until", type=parse_date, metavar="DATE", help="detected on or before DATE")
    parser.add_argument("--all", action="store_true", help="every change, not only electrician-related ones")
    parser.add_argument("--format", choices=("text", "markdown", "html", "json"), default="text")
    parser.add_argument("--output", metavar="FILE", help="write to FILE instead of standard output")
    parser.set_defaults(handler=run)


def run(ctx: AppContext, args: argparse.Namespace) -> int:
    regions, kinds = filters.regions(args.region, ctx.config), filters.kinds(args.kind)
    filters.period(args.since, args.until)
    zone = ZoneInfo(ctx.config.schedule.timezone)
    now = ctx.now().astimezone(zone)
    since = (
        dt.datetime.combine(args.since, dt.time(), zone)
        if args.since
        else now - dt.timedelta(days=DEFAULT_DAYS)
    )
    until = dt.datetime.combine(args.until + dt.timedelta(days=1), dt.time(), zone) if args.until else None
    with ctx.database().begin() as session:
        records = query_changes(
            session,
            regions=regions,
            kinds=kinds,
            since=since,
            until=until,
            electrician_only=not args.all,
        )
        changes = [Change.from_json(r.payload) for r in records]
    coverage = coverage_note(ctx, coverage_at(ctx, min(until, now) if until else now, args.region))
    scope = "全部变化" if args.all else "电工相关变化"
    title = f"policywatch 政策变化报告（{scope}，{since.date().isoformat()} 至 {(args.until or now.date()).isoformat()}）"
    text = render_report(changes, args.format, title=title, generated_at=now, coverage=coverage)
    if args.output:
        try:
            Path(args.output).write_text(text, encoding="utf-8")
        except OSError as exc:
            raise OperationalError(f"cannot write {args.output}: {exc}") from None
        print(f"wrote {len(changes)} changes to {args.output}")
    else:
        print(text, end="" if text.endswith("\n") else "\n")
    if not coverage.complete:
        print(f"policywatch: incomplete coverage: {coverage.sentence()}", file=sys.stderr)
        return 1
    return 0
