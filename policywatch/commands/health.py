"""`policywatch health` and `policywatch accept VERSION`: what the health guard is holding."""

from __future__ import annotations

import argparse
import json

from crawlers.registry import load_sources
from policywatch.context import AppContext, OperationalError
from policywatch.terminal import print_table
from storage.database import session_scope
from storage.documents import last_crawl_runs
from storage.models import RuleSetVersion
from storage.rulesets import held_versions, is_held, release_version


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    health = sub.add_parser("health", help="suspect versions held back and sources that are not ok")
    health.set_defaults(handler=show_health)
    accept = sub.add_parser("accept", help="release a suspect version's changes to subscribers")
    accept.add_argument(
        "version", type=int, metavar="VERSION", help="version number shown by `policywatch health`"
    )
    accept.set_defaults(handler=accept_version)


def show_health(ctx: AppContext, args: argparse.Namespace) -> int:
    sources = load_sources(ctx.config.crawl_config())
    with session_scope(ctx.database()) as session:
        runs = last_crawl_runs(session)
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
        unhealthy = [
            {"source": s.id, "status": runs[s.id].status, "message": runs[s.id].message}
            for s in sources
            if s.id in runs and runs[s.id].status != "ok"
        ]
    if ctx.json_output:
        print(json.dumps({"suspect_versions": suspects, "sources": unhealthy}, ensure_ascii=False, indent=2))
        return 0
    if not suspects and not unhealthy:
        print("healthy: no suspect versions held, every crawled source ok")
        return 0
    if suspects:
        print("Suspect versions held back from subscribers (`policywatch accept VERSION` releases one):")
        print_table(
            ["version", "region", "kind", "rows", "reason"],
            [[s["version"], s["region"], s["kind"], s["rows"], s["reason"]] for s in suspects],
        )
    if unhealthy:
        print("\nSources not ok at their last crawl:")
        print_table(
            ["source", "status", "message"],
            [[u["source"], u["status"], u["message"] or ""] for u in unhealthy],
        )
    return 0


def accept_version(ctx: AppContext, args: argparse.Namespace) -> int:
    with session_scope(ctx.database()) as session:
        version = session.get(RuleSetVersion, args.version)
        if version is None:
            raise OperationalError(f"no version #{args.version}")
        if not is_held(session, version):
            raise OperationalError(f"version #{args.version} is not held (nothing to accept)")
        released = release_version(session, version, "accepted", "operator")
    print(f"version #{args.version} accepted: {released} changes released to subscribers")
    return 0
