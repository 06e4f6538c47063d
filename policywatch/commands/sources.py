"""`policywatch sources`: the registry with each source's last crawl status."""

from __future__ import annotations

import argparse
import json
from typing import Any
from zoneinfo import ZoneInfo

from crawlers.health import status_label
from crawlers.registry import load_sources
from notifier.localtime import local_time
from policywatch.context import AppContext
from policywatch.terminal import json_time, print_table
from storage.documents import last_crawl_runs
from storage.rulesets import held_versions_by_source


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser("sources", help="list monitored sources and their last crawl status")
    parser.set_defaults(handler=run)


def run(ctx: AppContext, args: argparse.Namespace) -> int:
    sources = load_sources(ctx.config.crawl_config(), include_disabled=True)
    with ctx.database().begin() as session:
        runs = last_crawl_runs(session)
        held = held_versions_by_source(session)
        rows: list[dict[str, Any]] = []
        for src in sources:
            run_ = runs.get(src.id)
            rows.append(
                {
                    "id": src.id,
                    "name": src.name,
                    "region": src.region,
                    "authority": src.authority,
                    "enabled": src.enabled,
                    "verified": src.verified,
                    "start_urls": list(src.start_urls),
                    "status": run_.status if run_ else "never crawled",
                    "shown_status": status_label(run_.status, run_.message) if run_ else "never crawled",
                    "last_crawl": run_.finished_at if run_ else None,
                    "items": run_.items_seen if run_ else None,
                    "message": run_.message if run_ else None,
                    "suspect_versions": held.get(src.id, []),
                }
            )
    if ctx.json_output:
        print(json.dumps(rows, ensure_ascii=False, indent=2, default=json_time))
        return 0
    tz = ZoneInfo(ctx.config.schedule.timezone)
    print_table(
        [
            "id",
            "name",
            "region",
            "enabled",
            "urls",
            "status",
            f"last crawl ({tz.key})",
            "items",
            "held versions",
        ],
        [
            [
                r["id"],
                r["name"],
                r["region"],
                "yes" if r["enabled"] else "no",
                f"{len(r['start_urls'])}{'' if r['verified'] else ' (unverified)'}",
                r["shown_status"],
                local_time(r["last_crawl"], tz) if r["last_crawl"] else "-",
                "-" if r["items"] is None else r["items"],
                ", ".join(f"#{v}" for v in r["suspect_versions"]) or "-",
            ]
            for r in rows
        ],
    )
    return 0
