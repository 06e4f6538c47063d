"""`policywatch feed [--region R …] [--kind K …] [--all] [--output FILE]`: the Atom feed.

The same feed `unsubscribe-server` serves at ``channels.feed_path``: one entry per released
change in scope (electrician-related unless --all), newest first, for a feed reader or a
static web server.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

from notifier.feed import FeedFilter, feed_entries, render_atom
from policywatch import filters
from policywatch.context import AppContext, OperationalError
from rules.regions import REGIONS
from rules.registry import RULE_KINDS


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("feed", help="write the Atom feed of released changes (per region / kind)")
    p.add_argument(
        "--region", action="append", default=[], metavar="R", help=f"one of {', '.join(REGIONS)} (repeatable)"
    )
    p.add_argument(
        "--kind",
        action="append",
        default=[],
        metavar="K",
        help=f"one of {', '.join(RULE_KINDS)} (repeatable)",
    )
    p.add_argument("--all", action="store_true", help="every change, not only electrician-related ones")
    p.add_argument("--output", metavar="FILE", help="write to FILE (atomically) instead of standard output")
    p.set_defaults(handler=run)


def _write(path: Path, data: bytes) -> None:
    """Readers polling the file never see half a feed: write beside it, then rename."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".atom")
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
    os.chmod(tmp, 0o644)
    os.replace(tmp, path)


def run(ctx: AppContext, args: argparse.Namespace) -> int:
    feed_filter = FeedFilter(
        tuple(sorted(filters.regions(args.region, ctx.config))),
        tuple(sorted(filters.kinds(args.kind))),
        args.all,
    )
    with ctx.database().begin() as session:
        entries = feed_entries(session, feed_filter)
    self_url = ctx.config.feed_url or None
    if self_url and feed_filter.query():
        self_url += "?" + feed_filter.query()
    data = render_atom(entries, feed_filter=feed_filter, generated_at=ctx.now(), self_url=self_url)
    if not args.output:
        sys.stdout.buffer.write(data)
        return 0
    path = Path(args.output)
    try:
        _write(path, data)
    except OSError as exc:
        raise OperationalError(f"cannot write {path}: {exc}") from None
    print(f"feed: {len(entries)} entries written to {path}", file=sys.stderr)
    return 0
