"""`policywatch reparse`: run the current parser over stored documents (after a parser upgrade)."""

from __future__ import annotations

import argparse
import datetime as dt
import json

from parsers import PARSER_VERSION
from policywatch.commands.diff_report import parse_date
from policywatch.context import AppContext
from policywatch.pipeline import process_new_versions
from policywatch.process_lock import exclusive


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser("reparse", help="parse stored documents again with this parser version")
    parser.add_argument("--since", type=parse_date, metavar="DATE", help="only documents fetched since DATE")
    parser.set_defaults(handler=run)


def run(ctx: AppContext, args: argparse.Namespace) -> int:
    since = dt.datetime.combine(args.since, dt.time(), dt.UTC) if args.since else None
    with exclusive(ctx):
        report = process_new_versions(ctx.database(), since=since, limits=ctx.config.parse_limits())
    summary = {
        "parser_version": PARSER_VERSION,
        "documents": report.documents,
        "versions": report.versions,
        "changes_released": report.changes_released,
        "changes_held": report.changes_held,
        "suspect_versions": report.suspect_versions,
        "failures": report.failures,
    }
    if ctx.json_output:
        print(json.dumps(summary, ensure_ascii=False))
    else:
        print(
            f"parser {PARSER_VERSION}: {report.documents} documents parsed, {report.versions} new versions, "
            f"{report.changes_released} changes released, {report.changes_held} held or marked parser-upgrade"
        )
    return 1 if report.failures else 0
