"""`policywatch rules show`: the rules in force for a region and kind at a date."""

from __future__ import annotations

import argparse
import datetime as dt
import json

from policywatch import filters
from policywatch.commands.diff_report import parse_date
from policywatch.context import AppContext
from policywatch.terminal import print_table
from rules.regions import REGIONS, region_label
from rules.registry import RULE_KINDS
from rules.summary import describe_row, kind_label
from storage.rulesets import rules_in_force


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser("rules", help="show the rules in force")
    rules_sub = parser.add_subparsers(dest="rules_command", metavar="ACTION", required=True)
    show = rules_sub.add_parser("show", help="the rules in force for a region and kind")
    show.add_argument("--region", required=True, metavar="R", help=f"e.g. {', '.join(REGIONS)}")
    show.add_argument("--kind", required=True, metavar="K", help=", ".join(RULE_KINDS))
    show.add_argument("--at", type=parse_date, metavar="DATE", help="in force on DATE (default: today)")
    show.add_argument("--format", choices=("text", "json"), default="text")
    show.set_defaults(handler=show_rules)


def show_rules(ctx: AppContext, args: argparse.Namespace) -> int:
    regions, kinds = filters.regions([args.region], ctx.config), filters.kinds([args.kind])
    if not regions or not kinds:
        raise filters.UsageError("rules show needs a --region and a --kind")
    region, kind = regions[0], kinds[0]
    at = args.at or dt.date.today()
    with ctx.database().begin() as session:
        version, rows = rules_in_force(session, region, kind, at)
    if args.format == "json" or ctx.json_output:
        print(json.dumps(rows, ensure_ascii=False, indent=2))
        return 0
    label = f"{region_label(region)} {kind_label(kind)}"
    if version is None:
        print(f"{label}: no rules recorded in force on {at.isoformat()}")
        return 0
    print(
        f"{label}: {len(rows)} rules in force on {at.isoformat()} (version #{version.id}, {version.doc_number or 'no 文号'})"
    )
    print_table(
        ["rule", "electrician", "source"],
        [
            [
                describe_row(kind, row),
                "yes" if row["electrician_related"] else "",
                row["provenance"].get("source_url") or "",  # type: ignore[attr-defined]
            ]
            for row in rows
        ],
    )
    return 0
