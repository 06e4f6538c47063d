"""Freshness: every poll rechecks current relevant documents and their attachments, cheaply
where the server sends validators (304s) and by content hash where it sends none.

The configs set ``current_window_days`` to a century, so every fixture document is current
whatever today's date (tests/crawlers/test_freshness.py covers the window itself).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.crawlers.crawl_helpers import crawl, source_toml, stored, write_crawl_config
from tests.crawlers.edited_site import (
    LIST_PATH,
    OLD_SHORTAGE_PAGE,
    SHORTAGE_PAGE,
    SHORTAGE_XLSX,
    TALENT_PAGE,
    TALENT_PDF,
    UNRELATED_PAGE,
    write_edited_site,
)

pytestmark = pytest.mark.slow
CENTURY = 36500
OLD_SHORTAGE_XLSX = "/xiamen-hrss/tzgg/202403/P020240301810000000003.xlsx"
RELEVANT = {SHORTAGE_PAGE, SHORTAGE_XLSX, TALENT_PAGE, TALENT_PDF, OLD_SHORTAGE_PAGE, OLD_SHORTAGE_XLSX}


def setup(site_factory: Any, tmp_path: Path, database_url: str, **server: object) -> tuple[Any, Path]:
    site = site_factory(write_edited_site(tmp_path / "site"), **server)
    config = write_crawl_config(
        tmp_path / "pw.toml",
        database_url,
        source_toml("t-fresh", [site.url(LIST_PATH)]),
        current_window_days=CENTURY,
    )
    return site, config


def version_counts(sessions: Any) -> dict[str, int]:
    return {path: len(s.versions) for path, s in stored(sessions, "t-fresh").items()}


def test_an_unchanged_poll_is_answered_304_for_lists_and_documents(
    site_factory: Any, tmp_path: Path, database_url: str, sessions: Any
) -> None:
    site, config = setup(site_factory, tmp_path, database_url)
    first = crawl(config, "t-fresh")["t-fresh"]
    assert first.status == "ok" and first.new_documents == 7

    site.clear()
    second = crawl(config, "t-fresh")["t-fresh"]
    answered = {r.path: r for r in site.requested() if r.path != "/robots.txt"}
    assert set(answered) == {LIST_PATH} | RELEVANT, "the unrelated notice is never rechecked"
    assert all(r.status == 304 and r.size == 0 for r in answered.values())
    assert all("If-None-Match" in r.headers for r in answered.values())
    assert second.status == "ok" and second.items_seen == first.items_seen  # a 304 list is not empty
    assert second.new_documents == second.changed_documents == 0
    assert second.bytes_downloaded < 300 * second.requests  # status lines and headers, no bodies


def test_a_list_page_read_without_entries_is_never_asked_conditionally(
    site_factory: Any, tmp_path: Path, database_url: str
) -> None:
    site, config = setup(site_factory, tmp_path, database_url)
    crawl(config, "t-fresh")
    site.add_fault(
        f"^{LIST_PATH}$", status=200, body=b"<html><body><div id='app'></div></body></html>", times=1
    )
    assert crawl(config, "t-fresh")["t-fresh"].status != "ok"

    site.clear()
    again = crawl(config, "t-fresh")["t-fresh"]
    [listed] = site.requested(f"^{LIST_PATH}$")
    assert "If-None-Match" not in listed.headers and listed.status == 200  # a 304 must not hide it
    assert again.status == "ok"


def test_a_304_list_page_still_leads_to_its_entries_not_fetched_yet(
    site_factory: Any, tmp_path: Path, database_url: str, sessions: Any
) -> None:
    """E.g. a crawl killed after reading the list: the rows stored with the list stand in for it."""
    site, config = setup(site_factory, tmp_path, database_url)
    site.add_fault(f"^{TALENT_PAGE}$", status=404, times=1)
    crawl(config, "t-fresh")
    assert version_counts(sessions)[TALENT_PAGE] == 0

    site.clear()
    crawl(config, "t-fresh")
    assert [r.status for r in site.requested(f"^{LIST_PATH}$")] == [304]
    assert [r.status for r in site.requested(f"^{TALENT_PAGE}$")] == [200]
    assert version_counts(sessions)[TALENT_PAGE] == 1


def test_without_validators_the_content_hash_catches_in_place_edits(
    site_factory: Any, tmp_path: Path, database_url: str, sessions: Any
) -> None:
    site, config = setup(site_factory, tmp_path, database_url, validators=False)
    crawl(config, "t-fresh")
    before = version_counts(sessions)
    assert set(before.values()) == {1}

    site.set_state("edited")
    site.clear()
    second = crawl(config, "t-fresh")["t-fresh"]
    assert not any("If-None-Match" in r.headers or "If-Modified-Since" in r.headers for r in site.requested())
    assert version_counts(sessions) == dict(before, **{SHORTAGE_XLSX: 2, TALENT_PAGE: 2, TALENT_PDF: 2})
    assert second.status == "ok" and second.changed_documents == 3 and second.new_documents == 0
    assert UNRELATED_PAGE not in {r.path for r in site.requested()}
