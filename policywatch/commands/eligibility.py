"""`policywatch eligibility --profile FILE`: can this worker settle here? An estimate from
the rules in force at a date, region by region, citing its documents."""

from __future__ import annotations

import argparse
import datetime as dt
from collections.abc import Sequence
from pathlib import Path
from zoneinfo import ZoneInfo

from notifier.eligibility_report import FORMATS, render_estimate
from policywatch import filters
from policywatch.commands.diff_report import parse_date
from policywatch.config import Config
from policywatch.context import AppContext, OperationalError
from policywatch.profile_file import load_profile
from rules.eligibility import Estimate, RegionRules, evaluate
from rules.profile import Profile
from storage.eligibility_rules import region_rules, regions_with_rules


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        "eligibility",
        help="estimate a worker's points and talent-channel conditions from the rules in force",
    )
    parser.add_argument("--profile", required=True, metavar="FILE", help="the worker's profile (TOML)")
    parser.add_argument("--region", action="append", default=[], metavar="R", help="only these regions")
    parser.add_argument(
        "--at", type=parse_date, metavar="DATE", help="rules in force on DATE (default: today)"
    )
    parser.add_argument("--format", choices=FORMATS, default="text")
    parser.add_argument("--output", metavar="FILE", help="write to FILE instead of standard output")
    parser.set_defaults(handler=eligibility)


def estimate_for(
    ctx: AppContext, profile: Profile, at: dt.date, regions: Sequence[str] = ()
) -> tuple[Estimate, list[RegionRules]]:
    """The estimate for the chosen regions (every known region with rules in force when none)."""
    known = filters.known_regions(ctx.config)
    with ctx.database().begin() as session:
        stored = regions_with_rules(session)
        chosen = list(regions) or [r for r in known if r in stored] + [r for r in stored if r not in known]
        # a region's rules may name the catalogues of the regions without settlement rules (the province)
        rules = [region_rules(session, r, at, catalogue_regions=stored) for r in chosen]
    return evaluate(profile, rules), rules


def _today(ctx: AppContext, config: Config) -> dt.date:
    return ctx.now().astimezone(ZoneInfo(config.schedule.timezone)).date()


def eligibility(ctx: AppContext, args: argparse.Namespace) -> int:
    regions = filters.regions(args.region, ctx.config)
    profile = load_profile(args.profile, filters.known_regions(ctx.config))
    at = args.at or _today(ctx, ctx.config)
    estimate, _ = estimate_for(ctx, profile, at, regions)
    fmt = "json" if ctx.json_output else args.format
    text = render_estimate(estimate, fmt, at)
    if args.output:
        try:
            Path(args.output).write_text(text, encoding="utf-8")
        except OSError as exc:
            raise OperationalError(f"cannot write {args.output}: {exc}") from None
        print(f"wrote the estimate for {len(estimate.regions)} region(s) to {args.output}")
    else:
        print(text, end="" if text.endswith("\n") else "\n")
    return 0
