"""`policywatch health` and `policywatch accept VERSION`: what the health guard is holding.

Unhealthy (exit 1): a suspect version held back, or an enabled source that could not be read
at its last crawl or was never read at all (a database nobody has crawled yet is not
"healthy": nothing is known).
"""

from __future__ import annotations

import argparse
import json
from zoneinfo import ZoneInfo

from notifier.localtime import local_time
from policywatch.context import AppContext, OperationalError
from policywatch.coverage import coverage_at
from policywatch.terminal import json_time, print_table
from storage.alerts import latest_parses_read_in_part
from storage.models import RuleSetVersion
from storage.rulesets import held_versions, is_held, release_version


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    health = sub.add_parser("health", help="suspect versions held back and sources that are not ok")
    health.set_defaults(handler=show_health)
    accept = sub.add_parser("accept", help="release a suspect version's changes to subscribers")
    accept.add_argument(
        "version", type=version_number, metavar="VERSION", help="version number shown by `policywatch health`"
    )
    accept.set_defaults(handler=accept_version)


def show_health(ctx: AppContext, args: argparse.Namespace) -> int:
    tz = ZoneInfo(ctx.config.schedule.timezone)
    with ctx.database().begin() as session:
        suspects = [
            {
                "version": v.id,
                "region": v.series.region,
                "kind": v.series.kind,
                "rows": v.row_count,
                "doc_number": v.doc_number,
                "reason": v.suspect_reason,
                "created_at": v.created_at.isoformat(timespec="seconds"),
            }
            for v in held_versions(session)
        ]
        partial = [
            {
                "document": p.url,
                "read": p.coverage_read,
                "seen": p.coverage_seen,
                "problem": (p.problems[0]["message"] if p.problems else None),
            }
            for p in latest_parses_read_in_part(session)
        ]
    unread = coverage_at(ctx, ctx.now()).unread
    unhealthy = [
        {
            "source": r.source.id,
            "status": r.status or "never crawled",
            "unread_since": r.unread_since,
            "last_read": r.last_read_at,
            "message": r.message,
        }
        for r in unread
    ]
    code = 1 if suspects or unhealthy else 0
    if ctx.json_output:
        out = {"suspect_versions": suspects, "sources": unhealthy, "documents_read_in_part": partial}
        print(json.dumps(out, ensure_ascii=False, indent=2, default=json_time))
        return code
    if partial:
        print(
            "Documents read in part (rule-like cells and sentences read / seen; their rules may be incomplete):"
        )
        print_table(
            ["read", "document", "first problem"],
            [[f"{x['read']}/{x['seen']}", x["document"], x["problem"] or ""] for x in partial],
        )
        print()
    if not code:
        print("healthy: no suspect versions held, every enabled source read at its last crawl")
        return 0
    if suspects:
        print("Suspect versions held back from subscribers (`policywatch accept VERSION` releases one):")
        print_table(
            ["version", "region", "kind", "rows", "reason"],
            [[s["version"], s["region"], s["kind"], s["rows"], s["reason"]] for s in suspects],
        )
    if unread:
        never = sum(r.last_read_at is None for r in unread)
        print(
            f"\nSources that could not be read ({len(unread)}, {never} never read; times {tz.key}):"
            " their changes are unknown"
        )
        print_table(
            ["source", "status", "since", "last read", "message"],
            [
                [
                    r.source.id,
                    r.status or "never crawled",
                    local_time(r.unread_since, tz) if r.unread_since else "-",
                    local_time(r.last_read_at, tz) if r.last_read_at else "never",
                    r.message or "",
                ]
                for r in unread
            ],
        )
    return code


def version_number(text: str) -> int:
    """A version id the database can hold (a 20-digit number is a typo, not a lookup)."""
    if not text.isdigit() or not 0 < int(text) < 2**31:
        raise argparse.ArgumentTypeError(f"expected a version number like 12, got {text!r}")
    return int(text)


def accept_version(ctx: AppContext, args: argparse.Namespace) -> int:
    with ctx.database().begin() as session:
        version = session.get(RuleSetVersion, args.version)
        if version is None:
            raise OperationalError(f"no version #{args.version}")
        if not is_held(session, version):
            raise OperationalError(f"version #{args.version} is not held (nothing to accept)")
        released = release_version(session, version, "accepted", "operator")
    print(f"version #{args.version} accepted: {released} changes released to subscribers")
    return 0
