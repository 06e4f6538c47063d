"""`policywatch notify [--flush]`: send the digests that are due (and operator alerts).

Prints one summary line: messages sent and failed this run, deliveries still pending, and
the outbox folder when no SMTP host is configured. Exits 1 when anything failed to send
this run (refused, or deferred because the server was unreachable), so cron notices.
"""

from __future__ import annotations

import argparse
import json

from notifier.delivery import NotifyResult, run_notify
from policywatch.context import AppContext
from policywatch.coverage import monitored_sources
from policywatch.process_lock import exclusive


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        "notify",
        help="send due digests and operator alerts",
        description="Queue released changes for matching subscribers and send the digests that are due "
        "(immediate now; daily/weekly at notify.daily_hour / notify.weekly_day in schedule.timezone).",
    )
    parser.add_argument(
        "--flush",
        action="store_true",
        help="send everything pending now, ignoring schedules and retry backoff",
    )
    parser.set_defaults(handler=run)


def summary_line(result: NotifyResult) -> str:
    parts = [
        f"sent {result.sent}",
        f"failed {result.failed + result.deferred}",
        f"pending {result.pending}",
    ]
    line = "notify: " + ", ".join(parts)
    if result.rate_limited:
        line += f" ({result.rate_limited} digests over the per-run limit wait for the next run)"
    if result.outbox_dir is not None:
        line += f"; outbox folder {result.outbox_dir}"
    return line


def run(ctx: AppContext, args: argparse.Namespace) -> int:
    with exclusive(ctx):
        result = run_notify(
            ctx.database(), ctx.config.notify_settings(), flush=args.flush, monitored=monitored_sources(ctx)
        )
    if ctx.json_output:
        print(
            json.dumps(
                {
                    "queued": result.queued,
                    "sent": result.sent,
                    "sent_changes": result.sent_changes,
                    "failed": result.failed,
                    "deferred": result.deferred,
                    "rate_limited": result.rate_limited,
                    "pending": result.pending,
                    "alerts_sent": result.alerts_sent,
                    "outbox_dir": str(result.outbox_dir) if result.outbox_dir else None,
                    "errors": result.errors,
                },
                ensure_ascii=False,
            )
        )
    else:
        print(summary_line(result))
        for error in result.errors:
            print(f"  {error}")
    return 0 if result.ok else 1
