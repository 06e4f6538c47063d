"""`policywatch subscribe | unsubscribe | subscribers`: who gets which digests.

Subscribing twice updates the subscription (options not given fall back to the defaults:
every region, every kind, the electrician family, daily). `unsubscribe` of an address that
was never subscribed exits 1 (most likely a typo the operator should see); of one already
unsubscribed it succeeds again (idempotent).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from typing import Any

from notifier.subscriptions import FREQUENCIES, InvalidEmail, normalise_email
from policywatch import filters
from policywatch.context import AppContext
from policywatch.terminal import print_table
from rules.regions import REGIONS
from rules.registry import RULE_KINDS
from storage.models import Subscriber
from storage.subscribers import (
    SubscriptionRequest,
    deactivate_subscriber,
    last_sent,
    list_subscribers,
    pending_counts,
    upsert_subscriber,
)


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "subscribe",
        help="add or update a subscriber",
        description="Add a subscriber, or update one (subscribing twice never duplicates).",
    )
    p.add_argument("email", help="the subscriber's email address")
    for flag, metavar, what in (
        ("--region", "R", f"only this region (repeatable; default all): {', '.join(REGIONS)} or 泉州 …"),
        ("--kind", "K", f"only this rule kind (repeatable; default all): {', '.join(RULE_KINDS)}"),
        (
            "--occupation",
            "NAME",
            "also changes about this occupation, besides the electrician family (repeatable)",
        ),
    ):
        p.add_argument(flag, action="append", default=[], metavar=metavar, help=what)
    p.add_argument("--all-changes", action="store_true", help="every change, not only the electrician family")
    p.add_argument("--frequency", choices=FREQUENCIES, default="daily", help="how often digests go out")
    p.add_argument("--name", help="how to greet the subscriber")
    p.set_defaults(handler=subscribe)

    u = sub.add_parser("unsubscribe", help="stop sending to an address (exit 1 if it was never subscribed)")
    u.add_argument("email")
    u.set_defaults(handler=unsubscribe)

    s = sub.add_parser("subscribers", help="list subscribers and their subscriptions")
    s.add_argument("--json", dest="subscribers_json", action="store_true", help="machine-readable output")
    s.set_defaults(handler=subscribers)


def _usage_error(message: str) -> int:
    print(f"policywatch: {message}", file=sys.stderr)
    return 2


def subscribe(ctx: AppContext, args: argparse.Namespace) -> int:
    try:
        email = normalise_email(args.email)
    except InvalidEmail as exc:
        return _usage_error(str(exc))
    kinds = filters.kinds(args.kind)
    regions = filters.regions(args.region, ctx.config)
    occupations = list(dict.fromkeys(o.strip() for o in args.occupation if o.strip()))
    name = args.name.strip() if args.name and args.name.strip() else None
    request = SubscriptionRequest(
        email=email,
        name=name,
        regions=regions,
        kinds=kinds,
        occupations=occupations,
        all_changes=args.all_changes,
        frequency=args.frequency,
    )
    with ctx.database().begin() as session:
        subscriber, outcome = upsert_subscriber(session, request)
        row = _row(subscriber, 0, None)
    if ctx.json_output:
        print(json.dumps({"outcome": outcome, **row}, ensure_ascii=False))
    else:
        print(f"{outcome}: {email} ({_describe(row)})")
    return 0


def unsubscribe(ctx: AppContext, args: argparse.Namespace) -> int:
    try:
        email = normalise_email(args.email)
    except InvalidEmail as exc:
        return _usage_error(str(exc))
    with ctx.database().begin() as session:
        subscriber = deactivate_subscriber(session, email)
    if subscriber is None:
        print(f"policywatch: {email} is not subscribed", file=sys.stderr)
        return 1
    print(f"unsubscribed: {email}")
    return 0


def _row(subscriber: Subscriber, pending: int, last: dt.datetime | None) -> dict[str, Any]:
    sub = subscriber.subscription
    return {
        "email": subscriber.email,
        "name": subscriber.name,
        "active": subscriber.active,
        "regions": list(sub.regions) if sub else [],
        "kinds": list(sub.kinds) if sub else [],
        "occupations": list(sub.occupations) if sub else [],
        "all_changes": bool(sub.all_changes) if sub else False,
        "frequency": sub.frequency if sub else "daily",
        "subscribed_at": subscriber.subscribed_at.isoformat(timespec="seconds"),
        "pending": pending,
        "last_sent_at": last.isoformat(timespec="seconds") if last else None,
    }


def _describe(row: dict[str, Any]) -> str:
    regions = ",".join(row["regions"]) or "all regions"
    kinds = ",".join(row["kinds"]) or "all kinds"
    if row["all_changes"]:
        what = "all changes"
    else:
        what = "electrician family" + (" + " + ",".join(row["occupations"]) if row["occupations"] else "")
    return f"{regions}; {kinds}; {what}; {row['frequency']}"


def subscribers(ctx: AppContext, args: argparse.Namespace) -> int:
    with ctx.database().begin() as session:
        pending = pending_counts(session)
        sent = last_sent(session)
        rows = [_row(s, pending.get(s.id, 0), sent.get(s.id)) for s in list_subscribers(session)]
    if ctx.json_output or args.subscribers_json:
        print(json.dumps(rows, ensure_ascii=False, indent=2))
        return 0
    if not rows:
        print("no subscribers (add one with: policywatch subscribe EMAIL)")
        return 0
    print_table(
        ["email", "name", "active", "subscription", "pending", "last sent (UTC)"],
        [
            [
                r["email"],
                r["name"] or "",
                "yes" if r["active"] else "no",
                _describe(r),
                r["pending"],
                r["last_sent_at"] or "-",
            ]
            for r in rows
        ],
    )
    return 0
