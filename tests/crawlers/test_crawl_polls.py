"""Incremental polling: unchanged sites cost list pages only; changes give exactly the new versions."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.crawlers.crawl_helpers import (
    HRSS,
    HRSS_LIST,
    crawl,
    paths,
    source_toml,
    stored,
    write_crawl_config,
)

pytestmark = pytest.mark.slow

P1 = "/xxgk/tzgg/202511/t20251103_100001.htm"
P2 = "/xxgk/tzgg/202510/t20251020_100002.htm"
P5 = "/xxgk/tzgg/202511/t20251118_100005.htm"
PDF = "/xxgk/tzgg/202509/P020250915398765432101.pdf"
NEW_XLSX = "/xxgk/tzgg/202511/P020251118600000000001.xlsx"
DETAILS_AND_FILES = r"/t\d{8}_\d+\.htm|/P0\d+\.\w+$"


def version_counts(sessions) -> dict[str, int]:
    return {path: len(s.versions) for path, s in stored(sessions, "t-poll").items()}


def test_polls_are_incremental_and_conditional(site_factory, database_url, sessions, tmp_path: Path) -> None:
    site = site_factory(HRSS)
    sources = source_toml("t-poll", [site.url(HRSS_LIST)])
    # slow: only the 7-day cadence (no publish-date window), so the 2nd poll rechecks nothing
    slow = write_crawl_config(
        tmp_path / "slow.toml", database_url, sources, recheck_days=7, current_window_days=0
    )
    eager = write_crawl_config(tmp_path / "eager.toml", database_url, sources, recheck_days=0)

    first = crawl(slow, "t-poll")["t-poll"]
    assert first.status == "ok" and first.new_documents == 7
    before = version_counts(sessions)

    # 2nd poll, unchanged site, recheck not due: list pages only, answered 304
    site.clear()
    second = crawl(slow, "t-poll")["t-poll"]
    assert second.status == "ok" and second.new_documents == 0 and second.changed_documents == 0
    assert paths(site, DETAILS_AND_FILES) == []
    assert second.requests <= 3  # robots.txt + two list pages
    assert [r.status for r in site.requested(r"/index(_\d+)?\.htm$|/$")] == [304, 304]
    assert second.bytes_downloaded < first.bytes_downloaded * 0.15

    # 3rd poll, recheck due for relevant documents: conditional requests, all answered 304
    site.clear()
    third = crawl(eager, "t-poll")["t-poll"]
    rechecked = site.requested(DETAILS_AND_FILES)
    assert rechecked, "relevant documents were not rechecked"
    assert all("If-None-Match" in r.headers for r in rechecked)
    assert all(r.status == 304 and r.size == 0 for r in rechecked)
    assert not paths(site, P2)  # not relevant: only refetched when its list entry changes
    assert version_counts(sessions) == before
    assert third.new_documents == 0 and third.changed_documents == 0

    # the site changes: a new entry, an edited page, an attachment replaced under the same URL
    site.set_state("changed")
    fourth = crawl(eager, "t-poll")["t-poll"]
    after = version_counts(sessions)
    expected = dict(before, **{P1: 2, PDF: 2, P5: 1, NEW_XLSX: 1})
    assert after == expected
    assert fourth.new_documents == 2 and fourth.changed_documents == 2
    assert fourth.status == "ok"

    # the list empties where it had entries: "empty", not "no news"
    site.set_state("empty")
    fifth = crawl(eager, "t-poll")["t-poll"]
    assert fifth.status == "empty"
    assert version_counts(sessions) == expected  # nothing stored is lost
