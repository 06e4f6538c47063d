"""Coverage: which sources were read (decided from the crawl records), and how every report
and digest words it. A source that could not be read is never counted among "no changes"."""

from __future__ import annotations

import datetime as dt
import html as htmllib
import json
import re
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.orm import Session, sessionmaker

from notifier.coverage import CoverageNote, describe_coverage
from notifier.digest import render_digest
from notifier.report import NO_CHANGES, render_report
from storage.coverage import Coverage, SourceReading, read_coverage
from storage.documents import SourceRecord, sync_sources
from storage.models import CrawlRun
from tests.notifier.notify_helpers import plain_and_html, points_change
from tests.notifier.test_digest import recipient, settings

UTC = dt.UTC
SHANGHAI = ZoneInfo("Asia/Shanghai")
FUZHOU = SourceRecord("fuzhou-hrss", "福州市人力资源和社会保障局", "hrss", "fuzhou", "trs")
XIAMEN = SourceRecord("xiamen-hrss", "厦门市人力资源和社会保障局", "hrss", "xiamen", "trs")
QUANZHOU = SourceRecord("quanzhou-hrss", "泉州市人力资源和社会保障局", "hrss", "quanzhou", "trs")
SOURCES = [FUZHOU, XIAMEN, QUANZHOU]


def at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=UTC)


def crawl(session: Session, source: SourceRecord, status: str, started: str, message: str = "") -> None:
    start = at(started)
    session.add(
        CrawlRun(
            source_id=source.id,
            started_at=start,
            finished_at=start + dt.timedelta(minutes=2),
            status=status,
            message=message or None,
        )
    )


@pytest.fixture
def history(sessions: sessionmaker[Session]) -> sessionmaker[Session]:
    """Fuzhou read, then failing twice from 2026-11-20 00:30 UTC; Xiamen read; Quanzhou never crawled."""
    with sessions.begin() as s:
        sync_sources(s, SOURCES)
        crawl(s, FUZHOU, "ok", "2026-11-19T23:00:00")
        crawl(s, XIAMEN, "failing", "2026-11-19T23:00:00")  # an old failure, since recovered
        crawl(s, XIAMEN, "ok", "2026-11-20T00:00:00")
        crawl(s, FUZHOU, "failing", "2026-11-20T00:30:00")
        crawl(s, FUZHOU, "blocked", "2026-11-20T06:30:00", "blocked: 412 with $_ts")
    return sessions


def coverage(sessions: sessionmaker[Session], when: str) -> Coverage:
    with sessions.begin() as s:
        return read_coverage(s, SOURCES, at(when))


def test_a_source_counts_as_read_when_its_latest_crawl_succeeded(history: sessionmaker[Session]) -> None:
    now = coverage(history, "2026-11-21T00:00:00")
    fuzhou, xiamen, quanzhou = now.readings
    assert [r.source for r in now.unread] == [FUZHOU, QUANZHOU] and not now.complete
    assert not fuzhou.read and fuzhou.status == "blocked" and fuzhou.failures == 2
    assert fuzhou.unread_since == at("2026-11-20T00:30:00")  # the first failure, not the latest
    assert fuzhou.last_read_at == at("2026-11-19T23:02:00")
    assert fuzhou.last_attempt_at == at("2026-11-20T06:32:00")
    assert fuzhou.message == "blocked: 412 with $_ts"
    assert xiamen.read and xiamen.failures == 0 and xiamen.unread_since is None  # recovered: read
    assert quanzhou.status is None and quanzhou.last_read_at is None and quanzhou.failures == 0

    # As of an earlier moment only the crawls finished by then count.
    before = coverage(history, "2026-11-20T00:31:00")
    assert [r.source for r in before.unread] == [QUANZHOU]
    nothing_yet = coverage(history, "2026-11-19T22:00:00")
    assert [r.status for r in nothing_yet.readings] == [None, None, None]

    assert [r.source for r in now.within(["xiamen"]).readings] == [XIAMEN]
    assert now.within(["xiamen"]).complete and now.within([]) == now


def test_the_note_names_unread_sources_and_since_when_in_local_time(history: sessionmaker[Session]) -> None:
    note = describe_coverage(coverage(history, "2026-11-21T00:00:00"), SHANGHAI)
    assert (note.total, note.read) == (3, 1)
    assert note.summary() == "3 个来源中 1 个读取成功"
    assert note.unread_heading() == "2 个来源未能读取，其变化未知："
    assert [u.describe() for u in note.unread] == [
        "福州市人力资源和社会保障局（自 2026-11-20 08:30 起被网站拦截）",  # 00:30 UTC = 08:30 in Shanghai
        "泉州市人力资源和社会保障局（尚未抓取）",
    ]
    assert note.no_changes() == "已读取的 1 个来源本期无政策变化（3 个来源中 1 个读取成功）。"
    assert "2026-11-20T00:30" not in note.sentence() and "福州" in note.sentence()

    complete = describe_coverage(coverage(history, "2026-11-21T00:00:00").within(["xiamen"]), SHANGHAI)
    assert complete.no_changes() == "本期无政策变化（1 个来源中 1 个读取成功）。"
    with history.begin() as s:
        crawl(s, QUANZHOU, "failing", "2026-11-20T01:00:00")
    nothing = describe_coverage(coverage(history, "2026-11-21T00:00:00").within(["quanzhou"]), SHANGHAI)
    assert nothing.no_changes() == "没有一个来源读取成功（1 个来源中 0 个读取成功），本期变化未知。"
    assert nothing.unread[0].detail == "自 2026-11-20 09:00 起无法访问，从未读取成功"


def test_source_names_stay_on_one_line() -> None:
    odd = SourceRecord("odd", "坏\n名字\u202e", "hrss", "fujian", "trs")
    note = describe_coverage(Coverage(at("2026-11-21T00:00:00"), ()), SHANGHAI)
    assert note.no_changes() == "范围内没有启用的来源，无从得知变化。"
    reading = SourceReading(odd, None, None, None, None, 0, None)
    (unread,) = describe_coverage(Coverage(at("2026-11-21T00:00:00"), (reading,)), SHANGHAI).unread
    assert unread.name == "坏 名字"


@pytest.fixture
def incomplete(history: sessionmaker[Session]) -> CoverageNote:
    return describe_coverage(coverage(history, "2026-11-21T00:00:00"), SHANGHAI)


@pytest.mark.parametrize("fmt", ["text", "markdown", "html"])
def test_an_empty_report_says_no_changes_only_for_what_was_read(fmt: str, incomplete: CoverageNote) -> None:
    out = render_report([], fmt, coverage=incomplete)
    visible = htmllib.unescape(re.sub(r"<[^>]+>", " ", out)) if fmt == "html" else out
    assert NO_CHANGES not in visible
    assert "已读取的 1 个来源本期无政策变化（3 个来源中 1 个读取成功）" in visible
    assert visible.count("本期无政策变化") == 1  # said once, for the one source that was read
    assert "2 个来源未能读取，其变化未知" in visible
    assert "福州市人力资源和社会保障局（自 2026-11-20 08:30 起被网站拦截）" in visible
    assert "泉州市人力资源和社会保障局（尚未抓取）" in visible


@pytest.mark.parametrize("fmt", ["text", "markdown", "html"])
def test_a_report_with_changes_still_names_the_unread_sources(fmt: str, incomplete: CoverageNote) -> None:
    changes = [points_change("quanzhou", "五级/初级工", 10, 15)]
    out = render_report(changes, fmt, coverage=incomplete)
    visible = htmllib.unescape(re.sub(r"<[^>]+>", " ", out)) if fmt == "html" else out
    assert "共 1 项变化" in visible and "3 个来源中 1 个读取成功" in visible
    assert "福州市人力资源和社会保障局（自 2026-11-20 08:30 起被网站拦截）" in visible
    assert "本期无政策变化" not in visible


def test_json_stays_a_plain_list_of_changes(incomplete: CoverageNote) -> None:
    changes = [points_change("quanzhou", "五级/初级工", 10, 15)]
    out = render_report(changes, "json", coverage=incomplete)
    assert json.loads(out) == [c.to_json() for c in changes]
    assert render_report([], "json", coverage=incomplete) == "[]"


def test_source_names_are_escaped_in_html_and_markdown() -> None:
    evil = SourceRecord("evil", "<script>alert(1)</script>*x*|[a](javascript:b)", "hrss", "fujian", "trs")
    note = describe_coverage(
        Coverage(at("2026-11-21T00:00:00"), (SourceReading(evil, None, None, None, None, 0, None),)), SHANGHAI
    )
    html = render_report([], "html", coverage=note)
    assert "<script>" not in html and "&lt;script&gt;" in html
    markdown = render_report([], "markdown", coverage=note)
    assert "<script>" not in markdown and "\\[a\\](javascript" in markdown and "\\*x\\*" in markdown
    digest = render_digest(
        recipient(), [(1, points_change("quanzhou", "五级/初级工", 10, 15))], settings(), now=at("2026-11-21T00:00:00"),
        coverage=note,
    )  # fmt: skip
    _, body = plain_and_html(digest.message)
    assert "<script>" not in body and "&lt;script&gt;" in body


def test_the_digest_lists_the_sources_it_could_not_read(incomplete: CoverageNote) -> None:
    changes = [(1, points_change("quanzhou", "五级/初级工", 10, 15))]
    digest = render_digest(
        recipient(), changes, settings(), now=at("2026-11-21T00:00:00"), coverage=incomplete
    )
    text, html = plain_and_html(digest.message)
    visible = htmllib.unescape(re.sub(r"<[^>]+>", " ", html))
    for body in (text, visible):
        assert "3 个来源中 1 个读取成功" in body
        assert "2 个来源未能读取，其变化未知" in body
        assert "福州市人力资源和社会保障局（自 2026-11-20 08:30 起被网站拦截）" in body
        assert "泉州市人力资源和社会保障局（尚未抓取）" in body
    plain = render_digest(recipient(), changes, settings(), now=at("2026-11-21T00:00:00"))
    assert "读取" not in plain_and_html(plain.message)[0]  # no coverage given: none claimed
