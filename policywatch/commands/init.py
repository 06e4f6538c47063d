"""`policywatch init`: create or upgrade the database (the only command that migrates)."""

from __future__ import annotations

import argparse
import json
import logging

from policywatch.context import AppContext
from storage.database import safe_url
from storage.schema import upgrade

log = logging.getLogger(__name__)


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser("init", help="create or upgrade the database")
    parser.set_defaults(handler=run)


def run(ctx: AppContext, args: argparse.Namespace) -> int:
    before, after = upgrade(ctx.engine)
    url = safe_url(ctx.config.database_url)
    if ctx.json_output:
        print(json.dumps({"database": url, "before": before, "after": after}))
    elif before == after:
        print(f"database {url} is up to date (schema {after})")
    elif before is None:
        print(f"database {url} created (schema {after})")
    else:
        print(f"database {url} upgraded from schema {before} to {after}")
    log.info("schema %s -> %s on %s", before, after, url)
    return 0
