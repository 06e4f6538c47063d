"""The Atom feed: from the demo's database through `policywatch feed`, and over HTTP from the
unsubscribe server; parsed with a real feed parser (feedparser)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import urllib.request
from pathlib import Path

import feedparser
from sqlalchemy.orm import Session, sessionmaker

from notifier.feed import FeedFilter, FeedService, render_atom
from notifier.unsubscribe_server import UnsubscribeServer
from rules.changes import Change
from tests.harness import run_cli
from tests.notifier.notify_helpers import PROV, points_change, shortage_change, store_changes

NOW = dt.datetime(2030, 1, 2, 3, 4, 5, tzinfo=dt.UTC)


def test_the_demos_changes_as_an_atom_feed(tmp_path: Path) -> None:
    keep = tmp_path / "demo"
    demo = run_cli("demo", "--keep", str(keep), cwd=tmp_path)
    assert demo.code == 0, demo.stderr
    cfg = str(keep / "policywatch.toml")
    report = run_cli(
        "--config", cfg, "diff-report", "--all", "--format", "json", "--since", "2000-01-01", cwd=tmp_path
    )
    changes = json.loads(report.stdout)
    assert changes, report.stderr
    out = tmp_path / "all.atom"
    written = run_cli("--config", cfg, "feed", "--all", "--output", str(out), cwd=tmp_path)
    assert written.code == 0, written.stderr
    feed = feedparser.parse(out.read_bytes())
    assert not feed.bozo, feed.get("bozo_exception")
    assert feed.version == "atom10" and feed.feed.title.startswith("policywatch")
    assert len(feed.entries) == len(changes)
    ids = [e.id for e in feed.entries]
    assert len(set(ids)) == len(ids) and all(i.startswith("tag:policywatch,2026:change/") for i in ids)
    # the demo's headline change: 泉州 初级工 points 10 → 15, with its source link
    (points,) = [e for e in feed.entries if "泉州" in e.title and "初级工" in e.title]
    assert "10 → 15" in points.content[0].value
    source_urls = {
        c["source_url"] for c in changes if c["region"] == "quanzhou" and c["kind"] == "points_schedule"
    }
    assert points.link in source_urls
    # the same ids on a second run (stable), and a narrower filter is a subset
    again = run_cli("--config", cfg, "feed", "--all", cwd=tmp_path)
    assert [e.id for e in feedparser.parse(again.stdout.encode()).entries] == ids
    narrow = run_cli("--config", cfg, "feed", "--region", "泉州", "--kind", "points_schedule", cwd=tmp_path)
    assert narrow.code == 0, narrow.stderr
    narrow_ids = [e.id for e in feedparser.parse(narrow.stdout.encode()).entries]
    assert narrow_ids and set(narrow_ids) < set(ids)
    assert run_cli("--config", cfg, "feed", "--region", "nowhere", cwd=tmp_path).code == 2


def test_feed_served_over_http_filters_by_query(sessions: sessionmaker[Session]) -> None:
    store_changes(
        sessions,
        points_change("xiamen", "四级/中级工", 20, 30),
        shortage_change("quanzhou"),
        shortage_change("quanzhou", "焊工", "6-18-02-04", related=False),
    )
    server = UnsubscribeServer(None, "", feed=FeedService(sessions, "/feed.atom")).start()
    try:

        def get(query: str) -> feedparser.FeedParserDict:
            with urllib.request.urlopen(f"http://127.0.0.1:{server.port}/feed.atom{query}", timeout=10) as r:
                assert r.headers["Content-Type"].startswith("application/atom+xml")
                return feedparser.parse(r.read())

        everything = get("?all=1")
        assert not everything.bozo and len(everything.entries) == 3
        related = get("")
        assert len(related.entries) == 2 and not any("焊工" in e.title for e in related.entries)
        xiamen = get("?region=xiamen")
        (entry,) = xiamen.entries
        assert (
            "中级工" in entry.title and "20 → 30" in entry.content[0].value and entry.link == PROV.source_url
        )
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{server.port}/unsubscribe?token=1.x", timeout=10)
        except urllib.error.HTTPError as exc:
            assert exc.code == 404  # no unsubscribe service configured: nothing else is answered
        else:
            raise AssertionError("expected 404")
    finally:
        server.stop()


def test_hostile_text_stays_text_and_the_feed_still_parses() -> None:
    evil = dataclasses.replace(
        PROV, document_title='<script>alert(1)</script>\x01\x0b"&', source_url="javascript:alert(1)"
    )
    change: Change = dataclasses.replace(points_change(prov=evil), summary="<b>粗体</b> & \x00 控制字符")
    data = render_atom([(7, change, NOW)], feed_filter=FeedFilter(("quanzhou",)), generated_at=NOW)
    feed = feedparser.parse(data)
    assert not feed.bozo, feed.get("bozo_exception")
    (entry,) = feed.entries
    assert "<script" not in entry.content[0].value and "javascript:" not in data.decode()
    assert entry.summary.startswith("<b>粗体</b>") or "粗体" in entry.summary
    assert "link" not in entry or entry.link != "javascript:alert(1)"
    assert feed.feed.updated.startswith("2030-01-02")
