"""`policywatch subscribe | unsubscribe | subscribers`: who gets which digests, and where.

A subscriber is reached by email and/or group robots (WeCom, DingTalk, Feishu) and JSON
webhooks. Subscribing twice (any of its destinations names the subscriber) updates the
subscription (options not given fall back to the defaults: every region, every kind, the
electrician family, daily) and adds the destinations given. `unsubscribe` of an address or
URL that was never subscribed exits 1 (most likely a typo the operator should see); of one
already unsubscribed it succeeds again (idempotent). Robot URLs are credentials: listings
show them masked.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import re
import sys
from typing import Any

from notifier.channels import (
    SIGNED_CHANNELS,
    URL_CHANNELS,
    InvalidDestination,
    describe,
    parse_channel_option,
    validate_url,
)
from notifier.subscriptions import FREQUENCIES, InvalidEmail, normalise_email
from policywatch import filters
from policywatch.context import AppContext
from policywatch.profile_file import load_profile
from policywatch.terminal import print_table
from rules.profile import Profile
from rules.regions import REGIONS
from rules.registry import RULE_KINDS
from storage.models import Subscriber
from storage.subscribers import (
    DestinationRequest,
    SubscriberConflict,
    SubscriptionRequest,
    deactivate_destination,
    deactivate_subscriber,
    find_destination,
    last_sent,
    list_subscribers,
    pending_counts,
    upsert_subscriber,
)

_ENV_NAME = re.compile(r"^[A-Z_][A-Z0-9_]*$")


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "subscribe",
        help="add or update a subscriber",
        description="Add a subscriber, or update one (subscribing twice never duplicates).",
    )
    p.add_argument(
        "email", nargs="?", help="the subscriber's email address (optional with a robot or webhook)"
    )
    for channel, what in (
        ("wecom", "a 企业微信 (WeCom) group robot's webhook URL"),
        ("dingtalk", "a 钉钉 (DingTalk) custom robot's webhook URL"),
        ("feishu", "a 飞书/Lark custom bot's webhook URL"),
        ("webhook", "any https URL that receives the digest as JSON (POST)"),
    ):
        p.add_argument(
            f"--{channel}", action="append", default=[], metavar="URL", help=f"{what} (repeatable)"
        )
    p.add_argument(
        "--channel",
        action="append",
        default=[],
        metavar="KIND:URL",
        help=f"the same as --KIND URL, KIND one of {', '.join(URL_CHANNELS)}",
    )
    p.add_argument(
        "--secret-env",
        metavar="NAME",
        help="environment variable holding the signing secret of the DingTalk/Feishu robot given "
        "(its name is stored, never the secret)",
    )
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
    p.add_argument(
        "--profile",
        metavar="FILE",
        help="a worker's profile (TOML, see examples/electrician.toml): digests then say what each "
        "change does to that person (kept until replaced)",
    )
    p.set_defaults(handler=subscribe)

    u = sub.add_parser(
        "unsubscribe", help="stop sending to an address or robot URL (exit 1 if it was never subscribed)"
    )
    u.add_argument("email", metavar="EMAIL_OR_URL")
    u.set_defaults(handler=unsubscribe)

    s = sub.add_parser("subscribers", help="list subscribers and their subscriptions")
    s.add_argument("--json", dest="subscribers_json", action="store_true", help="machine-readable output")
    s.set_defaults(handler=subscribers)


def _usage_error(message: str) -> int:
    print(f"policywatch: {message}", file=sys.stderr)
    return 2


def _destinations(args: argparse.Namespace) -> list[DestinationRequest]:
    """The robot and webhook destinations asked for, validated (InvalidDestination otherwise)."""
    pairs = [
        (channel, validate_url(channel, url)) for channel in URL_CHANNELS for url in getattr(args, channel)
    ]
    pairs += [parse_channel_option(value) for value in args.channel]
    secret_env = args.secret_env.strip() if args.secret_env else None
    if secret_env is not None:
        if not _ENV_NAME.match(secret_env):
            raise InvalidDestination(
                "--secret-env: the NAME of an environment variable (A-Z, 0-9, _), not the secret itself"
            )
        if not any(channel in SIGNED_CHANNELS for channel, _ in pairs):
            raise InvalidDestination("--secret-env signs a --dingtalk or --feishu robot: give one")
    return [
        DestinationRequest(channel, url, secret_env if channel in SIGNED_CHANNELS else None)
        for channel, url in dict.fromkeys(pairs)
    ]


def subscribe(ctx: AppContext, args: argparse.Namespace) -> int:
    try:
        email = normalise_email(args.email) if args.email else None
        destinations = _destinations(args)
    except (InvalidEmail, InvalidDestination) as exc:
        return _usage_error(str(exc))
    if email is None and not destinations:
        return _usage_error("give an email address or a --wecom/--dingtalk/--feishu/--webhook URL")
    kinds = filters.kinds(args.kind)
    regions = filters.regions(args.region, ctx.config)
    occupations = list(dict.fromkeys(o.strip() for o in args.occupation if o.strip()))
    name = args.name.strip() if args.name and args.name.strip() else None
    profile = (
        load_profile(args.profile, filters.known_regions(ctx.config)).to_dict() if args.profile else None
    )
    request = SubscriptionRequest(
        profile=profile,
        email=email,
        name=name,
        regions=regions,
        kinds=kinds,
        occupations=occupations,
        all_changes=args.all_changes,
        frequency=args.frequency,
        destinations=destinations,
    )
    try:
        with ctx.database().begin() as session:
            subscriber, outcome = upsert_subscriber(session, request)
            row = _row(subscriber, 0, None)
    except SubscriberConflict as exc:
        return _usage_error(str(exc))
    if args.secret_env and not os.environ.get(args.secret_env.strip()):
        print(
            f"policywatch: warning: {args.secret_env.strip()} is not set here; `notify` needs it in its environment",
            file=sys.stderr,
        )
    if ctx.json_output:
        print(json.dumps({"outcome": outcome, **row}, ensure_ascii=False))
    else:
        print(f"{outcome}: {_who(row)} ({_describe(row)}; {_channels(row)})")
    return 0


def unsubscribe(ctx: AppContext, args: argparse.Namespace) -> int:
    target = args.email.strip()
    with ctx.database().begin() as session:
        if "://" in target:
            found = next((c for c in URL_CHANNELS if find_destination(session, c, target)), None)
            subscriber = deactivate_destination(session, found, target) if found else None
            shown = describe(found, target) if found else describe("webhook", target)
        else:
            try:
                target = normalise_email(target)
            except InvalidEmail as exc:
                return _usage_error(str(exc))
            subscriber = deactivate_subscriber(session, target)
            shown = target
    if subscriber is None:
        print(f"policywatch: {shown} is not subscribed", file=sys.stderr)
        return 1
    print(f"unsubscribed: {shown}")
    return 0


def _row(subscriber: Subscriber, pending: int, last: dt.datetime | None) -> dict[str, Any]:
    sub = subscriber.subscription
    return {
        "id": subscriber.id,
        "email": subscriber.email,
        "name": subscriber.name,
        "channels": [
            {
                "channel": d.channel,
                "address": describe(d.channel, d.address).split(" ", 1)[1],  # masked
                "secret_env": d.secret_env,
                "active": d.active,
            }
            for d in subscriber.destinations
        ],
        "active": subscriber.active,
        "regions": list(sub.regions) if sub else [],
        "kinds": list(sub.kinds) if sub else [],
        "occupations": list(sub.occupations) if sub else [],
        "all_changes": bool(sub.all_changes) if sub else False,
        "frequency": sub.frequency if sub else "daily",
        "profile": _profile_summary(sub.profile if sub else None),
        "subscribed_at": subscriber.subscribed_at.isoformat(timespec="seconds"),
        "pending": pending,
        "last_sent_at": last.isoformat(timespec="seconds") if last else None,
    }


def _profile_summary(data: dict[str, Any] | None) -> str | None:
    """ "电工 四级/中级工; xiamen, quanzhou": who a stored profile describes, in one line."""
    if not data:
        return None
    profile = Profile.from_dict(data)
    certs = ", ".join(f"{c.occupation} {c.level}" for c in profile.certificates) or "no certificate"
    return f"{certs}; {', '.join(profile.cities) or 'no city'}"


def _who(row: dict[str, Any]) -> str:
    return row["email"] or row["name"] or f"subscriber {row['id']}"


def _channels(row: dict[str, Any]) -> str:
    shown = [
        f"{c['channel']} {c['address']}"
        + (f" (signed: ${c['secret_env']})" if c["secret_env"] else "")
        + ("" if c["active"] else " (stopped)")
        for c in row["channels"]
    ]
    return ", ".join(shown) or "no channel"


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
        print("no subscribers (add one with: policywatch subscribe EMAIL or --wecom URL …)")
        return 0
    print_table(
        ["email", "name", "active", "subscription", "profile", "channels", "pending", "last sent (UTC)"],
        [
            [
                r["email"] or "-",
                r["name"] or "",
                "yes" if r["active"] else "no",
                _describe(r),
                r["profile"] or "-",
                _channels(r),
                r["pending"],
                r["last_sent_at"] or "-",
            ]
            for r in rows
        ],
    )
    return 0
