"""Region and kind filters as people type them: checked against what exists, with a suggestion.

A typo in a filter must never read as "no changes" or a subscription that matches nothing:
``--region xiamn`` is an error that says "did you mean xiamen?". Regions are data: every
region a configured source names (built-in or added in the config) is known.
"""

from __future__ import annotations

import datetime as dt
import difflib
from collections.abc import Mapping, Sequence

from crawlers.registry import load_sources
from policywatch.config import Config
from rules.regions import REGIONS, region_label, region_names


class UsageError(ValueError):
    """A mistake in what the user typed; the CLI prints it as one line and exits 2."""


def validate_choices(
    values: Sequence[str],
    known: Mapping[str, str],
    what: str,
    aliases: Mapping[str, Sequence[str]] | None = None,
) -> list[str]:
    """De-duplicated ids for ``values`` (ids, their labels or ``aliases``, any case), or
    UsageError naming the first unknown one with the closest known id."""
    names = {rid: (rid, known[rid], *(aliases or {}).get(rid, ())) for rid in known}
    by_name = {name.lower(): rid for rid in known for name in names[rid]}
    out: list[str] = []
    for raw in values:
        value = raw.strip()
        if not value:
            continue
        rid = by_name.get(value.lower())
        if rid is None:
            close = difflib.get_close_matches(value.lower(), list(by_name), n=1, cutoff=0.6)
            hint = f" (did you mean {by_name[close[0]]}?)" if close else ""
            raise UsageError(f"unknown {what} {value!r}{hint}; known: {', '.join(known)}")
        if rid not in out:
            out.append(rid)
    return out


def known_regions(config: Config) -> dict[str, str]:
    """Region id → name, for every region a configured source names (the province first)."""
    ids = {s.region for s in load_sources(config.crawl_config(), include_disabled=True)}
    ordered = [r for r in REGIONS if r in ids] + sorted(ids - set(REGIONS))
    return {rid: region_label(rid) for rid in ordered}


def regions(values: Sequence[str], config: Config) -> list[str]:
    """Region ids for what was typed: ids, short labels (漳州) or full names (漳州市)."""
    known = known_regions(config)
    return validate_choices(values, known, "region", {rid: region_names(rid) for rid in known})


def kinds(values: Sequence[str]) -> list[str]:
    from rules.registry import RULE_KINDS  # here: most commands never name a kind
    from rules.summary import KIND_LABELS

    return validate_choices(values, {k: KIND_LABELS.get(k, k) for k in RULE_KINDS}, "kind")


def period(since: dt.date | None, until: dt.date | None) -> None:
    """A date range that can contain something."""
    if since and until and since > until:
        raise UsageError(f"--since {since.isoformat()} is after --until {until.isoformat()}")
