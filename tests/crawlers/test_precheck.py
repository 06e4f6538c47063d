"""The conditional pre-check: an unchanged source is answered by 304s alone, anything else is crawled."""

from __future__ import annotations

import datetime as dt
import http.client
from pathlib import Path

import pytest
from sqlalchemy import select

from crawlers.crawl_config import CrawlSettings
from crawlers.freshness import RecheckPolicy
from crawlers.precheck import plan_source, precheck_sources
from crawlers.registry import SourceDefinition, load_sources
from policywatch.config import load_config
from storage.documents import KnownDocument
from storage.list_pages import KnownListPage
from storage.models import CrawlRun, FetchState
from tests.crawlers.crawl_helpers import HRSS, HRSS_LIST, crawl, source_toml, write_crawl_config

NOW = dt.datetime(2026, 11, 30, 2, 0, tzinfo=dt.UTC)
LIST = "http://127.0.0.1:9/xxgk/tzgg/"


def _source(**kw: object) -> SourceDefinition:
    defaults: dict[str, object] = {
        "id": "t-unit",
        "name": "测试",
        "authority": "hrss",
        "region": "xiamen",
        "family": "trs",
        "start_urls": (LIST,),
        "allowed_domains": ("127.0.0.1",),
    }
    return SourceDefinition(**{**defaults, **kw})  # type: ignore[arg-type]


def _doc(n: int, url: str, **kw: object) -> KnownDocument:
    defaults: dict[str, object] = {
        "id": n,
        "url": url,
        "role": "page",
        "parent_id": None,
        "list_title": f"通知{n}",
        "list_date": dt.date(2025, 1, n),
        "last_checked_at": NOW - dt.timedelta(days=1),
        "etag": f'"e{n}"',
        "last_modified": None,
        "relevant": False,
        "published_at": dt.date(2025, 1, n),
    }
    return KnownDocument(**{**defaults, **kw})  # type: ignore[arg-type]


def _policy(in_force: frozenset[int] = frozenset()) -> RecheckPolicy:
    return RecheckPolicy.from_settings(CrawlSettings(recheck_days=30, current_window_days=30), NOW, in_force)


def _list(entries: list[KnownDocument], etag: str | None = '"list"') -> dict[str, KnownListPage]:
    from parsers.list_entry import ListEntry

    rows = tuple(ListEntry(d.url, d.list_title or "", d.list_date, False) for d in entries)
    return {LIST: KnownListPage(LIST, etag, None, rows, ())}


def test_an_unchanged_source_is_planned_as_its_list_page_and_the_documents_due() -> None:
    page = _doc(1, LIST + "a.htm", relevant=True)
    attachment = _doc(2, LIST + "a.pdf", role="attachment", parent_id=1, etag='"pdf"')
    other = _doc(3, LIST + "b.htm")
    known = {d.url: d for d in (page, attachment, other)}
    plan = plan_source(_source(), _list([page, other]), known, _policy(frozenset({1})), list_pages=3)
    assert plan.needs_crawl is None
    assert [(p.url, p.etag, p.document_id) for p in plan.probes] == [
        (LIST, '"list"', None),
        (page.url, '"e1"', 1),  # in force: rechecked on every poll, with its attachment
        (attachment.url, '"pdf"', 2),
    ]
    assert plan.tracker is not None and plan.tracker.items_seen == 2


@pytest.mark.parametrize(
    ("case", "reason"),
    [
        ("browser", "read through the browser"),
        ("no list validators", "sent no validators"),
        ("list never read", "not read before"),
        ("entry retitled", "retitled"),
        ("due without validators", "no validators"),
        ("two hosts", "more than one host"),
    ],
)
def test_what_only_a_crawl_can_answer(case: str, reason: str) -> None:
    page = _doc(1, LIST + "a.htm")
    known = {page.url: page}
    lists = _list([page])
    source = _source()
    in_force: frozenset[int] = frozenset()
    if case == "browser":
        source = _source(fetch="browser")
    elif case == "no list validators":
        lists = _list([page], etag=None)
    elif case == "list never read":
        lists = {}
    elif case == "entry retitled":
        known = {page.url: _doc(1, page.url, list_title="改过的标题")}
    elif case == "due without validators":
        known = {page.url: _doc(1, page.url, etag=None, relevant=True)}
        in_force = frozenset({1})
    elif case == "two hosts":  # robots.txt and pacing are per host: the crawl handles it
        other = _doc(2, "http://127.0.0.2:9/xxgk/b.htm", last_checked_at=None)  # to fetch, on host 2
        source = _source(allowed_domains=("127.0.0.1", "127.0.0.2"))
        lists, known = _list([page, other]), {page.url: page, other.url: other}
    plan = plan_source(source, lists, known, _policy(in_force), list_pages=3)
    assert plan.needs_crawl is not None and reason in plan.needs_crawl


def _hrss_source(site_factory, database_url: str, tmp_path: Path, **crawl: object):  # type: ignore[no-untyped-def]
    """The HRSS fixture site served, a config with one source ``t-pre`` on it, and that source."""
    site = site_factory(HRSS)
    config_path = write_crawl_config(
        tmp_path / "pw.toml", database_url, source_toml("t-pre", [site.url(HRSS_LIST)]), **crawl
    )
    config = load_config(str(config_path)).crawl_config()
    return site, config_path, config, [s for s in load_sources(config) if s.id == "t-pre"]


@pytest.mark.slow
def test_unchanged_site_is_recorded_as_crawled_from_304s_alone(
    site_factory, database_url, sessions, tmp_path: Path
) -> None:
    site, config_path, config, sources = _hrss_source(site_factory, database_url, tmp_path, recheck_days=0)
    assert crawl(config_path, "t-pre")["t-pre"].new_documents > 0
    site.clear()
    crawled = crawl(config_path, "t-pre")["t-pre"]  # what a crawl of the unchanged site reports
    assert crawled.status == "ok" and crawled.new_documents == crawled.changed_documents == 0
    by_crawl = [(r.path, r.status) for r in site.requested()]
    with sessions() as session:
        checked_before = dict(
            session.execute(select(FetchState.document_id, FetchState.last_checked_at)).all()
        )

    site.clear()
    result = precheck_sources(config, sources)
    assert result.to_crawl == []
    [health] = result.unchanged
    assert (health.source_id, health.status, health.new_documents) == ("t-pre", "ok", 0)
    assert (health.items_seen, health.message) == (crawled.items_seen, crawled.message)
    assert "Forbidden by robots.txt" in health.message  # a listed page robots.txt keeps us from
    answered = site.requested()
    assert sorted((r.path, r.status) for r in answered) == sorted(by_crawl)  # the same requests
    assert answered and {r.status for r in answered if not r.path.endswith("robots.txt")} == {304}
    rechecked = site.requested(r"/t\d{8}_\d+\.htm|/P0\d+\.\w+$")  # announcements, attachments
    assert rechecked, "recheck_days = 0: the relevant announcements are due"
    assert all("If-None-Match" in r.headers or "If-Modified-Since" in r.headers for r in answered[1:])
    with sessions() as session:
        runs = session.scalars(
            select(CrawlRun).where(CrawlRun.source_id == "t-pre").order_by(CrawlRun.id)
        ).all()
        checked_after = dict(
            session.execute(select(FetchState.document_id, FetchState.last_checked_at)).all()
        )
    assert [r.status for r in runs] == ["ok"] * 3 and runs[-1].requests == crawled.requests == len(answered)
    assert sum(checked_after[d] > checked_before[d] for d in checked_before) == len(rechecked)


@pytest.mark.slow
def test_a_changed_page_or_an_error_hands_the_source_to_the_crawl(
    site_factory, database_url, sessions, tmp_path: Path
) -> None:
    site, config_path, config, sources = _hrss_source(site_factory, database_url, tmp_path, retries=0)
    site.add_fault(r"t20251020_100002\.htm$", status=404)  # listed, not read this time
    crawl(config_path, "t-pre")
    site.clear()
    assert precheck_sources(config, sources).to_crawl == ["t-pre"]  # the crawl asks for it again
    assert crawl(config_path, "t-pre")["t-pre"].status == "ok"
    with sessions() as session:
        runs_before = len(session.scalars(select(CrawlRun)).all())

    site.add_fault(r"/xxgk/tzgg/$", status=500)
    assert precheck_sources(config, sources).to_crawl == ["t-pre"]

    def bad_status_line(_request: object, _timeout: float) -> int:
        raise http.client.BadStatusLine("HTTP/9 nonsense")  # not an OSError: must not escape

    site.clear()
    assert precheck_sources(config, sources, fetch=bad_status_line).to_crawl == ["t-pre"]
    site.clear()
    site.set_state("changed")
    result = precheck_sources(config, sources)
    assert result.to_crawl == ["t-pre"] and result.unchanged == []
    with sessions() as session:  # nothing recorded for a source handed to the crawl
        assert len(session.scalars(select(CrawlRun)).all()) == runs_before
