"""`policywatch crawl [--source ID ...]`: crawl now, then print a health table per source.

The crawl itself runs in a child process (policywatch.cycle.crawl); progress lines stream
to stderr. Exit 1 when any source is not ok (the others still complete and are stored),
2 for an unknown source id.
"""

from __future__ import annotations

import argparse
import json
import sys

from crawlers.health import status_label
from policywatch.context import AppContext
from policywatch.cycle import crawl, process
from policywatch.process_lock import exclusive
from policywatch.terminal import print_table


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser("crawl", help="crawl the sources now and print each source's health")
    parser.add_argument("--source", action="append", metavar="ID", help="crawl only this source (repeatable)")
    parser.add_argument("--json", dest="crawl_json", action="store_true", help="print the health as JSON")
    parser.set_defaults(handler=run)


def run(ctx: AppContext, args: argparse.Namespace) -> int:
    with exclusive(ctx):
        results = crawl(ctx, args.source)
        try:  # what was stored is parsed and versioned right away (the daemon does the same)
            versioning, versioning_ok = process(ctx), True
        except RuntimeError as exc:
            versioning, versioning_ok = str(exc), False
    print(f"parse and version: {versioning}", file=sys.stderr)
    if ctx.json_output or args.crawl_json:
        print(json.dumps([h.to_json() for h in results], ensure_ascii=False, indent=2))
    else:
        print_table(
            ["source", "status", "items", "new", "changed", "requests", "bytes", "errors"],
            [
                [
                    h.source_id,
                    status_label(h.status, h.message),
                    h.items_seen,
                    h.new_documents,
                    h.changed_documents,
                    h.requests,
                    h.bytes_downloaded,
                    h.errors,
                ]
                for h in results
            ],
        )
        for h in results:
            if h.failed and h.message:
                print(f"{h.source_id}: {h.message}", file=sys.stderr)
    return 1 if any(h.failed for h in results) or not versioning_ok else 0
