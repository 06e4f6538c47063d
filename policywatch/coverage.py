"""The sources in scope of an answer, handed to storage.coverage (which decides what was read).

The notifier and storage know nothing of the registry; the application turns its enabled
sources into plain records for them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from zoneinfo import ZoneInfo

from crawlers.registry import load_sources
from notifier.coverage import CoverageNote, describe_coverage
from policywatch.context import AppContext
from storage.coverage import Coverage, read_coverage
from storage.documents import SourceRecord


def monitored_sources(ctx: AppContext) -> list[SourceRecord]:
    """The enabled sources, as storage and the notifier take them."""
    return [
        SourceRecord(s.id, s.name, s.authority, s.region, s.family)
        for s in load_sources(ctx.config.crawl_config())
    ]


def coverage_at(ctx: AppContext, at: dt.datetime, regions: Collection[str] = ()) -> Coverage:
    """Which enabled sources (of ``regions``; none given: all) were read as of ``at``."""
    with ctx.database().begin() as session:
        return read_coverage(session, monitored_sources(ctx), at).within(regions)


def coverage_note(ctx: AppContext, coverage: Coverage) -> CoverageNote:
    """``coverage`` in words, times in schedule.timezone."""
    return describe_coverage(coverage, ZoneInfo(ctx.config.schedule.timezone))
