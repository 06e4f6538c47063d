"""`policywatch daemon`: run the scheduler until SIGTERM/SIGINT (see policywatch/daemon.py)."""

from __future__ import annotations

import argparse
import logging
import os

from policywatch.context import AppContext
from policywatch.daemon import Daemon


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        "daemon", help="crawl and send digests on the configured cron schedules until stopped"
    )
    parser.add_argument(
        "--standby",
        action="store_true",
        help="if another daemon holds this database's lock, wait and take over when it is gone "
        "(instead of exiting 1)",
    )
    parser.set_defaults(handler=run)


def _flush_logs() -> None:
    for handler in logging.getLogger().handlers:
        handler.flush()


def run(ctx: AppContext, args: argparse.Namespace) -> int:
    code = Daemon(ctx).serve(standby=args.standby)
    _flush_logs()
    if code < 0:
        # A job thread is stuck past the grace (e.g. an SMTP timeout). Its transaction is
        # uncommitted, so the database rolls it back; leave without joining the thread.
        logging.shutdown()
        os._exit(0)
    return code
