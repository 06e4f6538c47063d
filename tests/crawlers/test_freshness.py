"""RecheckPolicy: which stored announcements a poll rechecks (times injected, never read)."""

from __future__ import annotations

import dataclasses
import datetime as dt

from crawlers.crawl_config import CrawlSettings
from crawlers.freshness import RecheckPolicy
from storage.documents import KnownDocument

NOW = dt.datetime(2026, 11, 24, 2, 0, tzinfo=dt.UTC)
YESTERDAY = NOW - dt.timedelta(days=1)


def doc(published: dt.date | None, checked: dt.datetime | None = YESTERDAY, **kw: object) -> KnownDocument:
    fields: dict[str, object] = dict(
        id=1,
        url="http://127.0.0.1/a.htm",
        role="page",
        parent_id=None,
        list_title="关于积分落户的通知",
        list_date=published,
        last_checked_at=checked,
        etag='"abc"',
        last_modified=None,
        relevant=True,
        published_at=published,
    )
    fields.update(kw)
    return KnownDocument(**fields)  # type: ignore[arg-type]


def policy(in_force: frozenset[int] = frozenset(), **crawl: int) -> RecheckPolicy:
    settings = dataclasses.replace(CrawlSettings(), **crawl)
    return RecheckPolicy.from_settings(settings, NOW, in_force)


def test_relevant_documents_published_within_the_window_are_due_on_every_poll() -> None:
    window = policy(current_window_days=730, recheck_days=7)
    assert window.due(doc(dt.date(2024, 11, 25)))
    assert not window.due(doc(dt.date(2024, 11, 24))), "730 days old: outside the window"


def test_older_ones_follow_the_recheck_cadence() -> None:
    cadence = policy(current_window_days=730, recheck_days=7)
    old = dt.date(2020, 1, 1)
    assert not cadence.due(doc(old, checked=NOW - dt.timedelta(days=6, hours=23)))
    assert cadence.due(doc(old, checked=NOW - dt.timedelta(days=7)))
    assert not cadence.due(doc(None)), "no date: not current, so the cadence decides"


def test_a_document_in_force_is_current_however_old() -> None:
    assert policy(frozenset({1}), current_window_days=0).due(doc(dt.date(2015, 3, 1)))
    assert not policy(frozenset({2}), current_window_days=0).due(doc(dt.date(2026, 11, 23)))


def test_only_relevant_announcements_fetched_before_are_rechecked() -> None:
    every_poll = policy(current_window_days=730, recheck_days=0)
    recent = dt.date(2026, 11, 1)
    assert not every_poll.due(doc(recent, relevant=False))
    assert not every_poll.due(doc(recent, checked=None)), "never fetched: the list decides"
    assert not every_poll.due(doc(recent, role="attachment")), "attachments follow their announcement"
