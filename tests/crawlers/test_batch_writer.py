"""The crawl's batched writer: several items per transaction; a failure replays the batch
one item per transaction.

The writer is held busy on a first job until the items under test are queued, so that they
land in one transaction (counted with an engine event) and the tests show what a batch does:
a bad item fails alone, nothing is acknowledged before its commit, order is kept.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Future, wait
from typing import Any

import pytest
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from crawlers.batch_writer import BatchWriter
from crawlers.items import AttachmentItem, PageItem
from crawlers.registry import SourceDefinition
from crawlers.store import CrawlStore, Outcome
from storage.models import Document, DocumentVersion

SOURCE = SourceDefinition(
    "batch-test", "测试来源", "hrss", "xiamen", "trs", ("http://127.0.0.1/",), ("127.0.0.1",)
)
TIMEOUT = 30  # seconds a future may take before the test fails (a hung writer, not a speed check)


def page(n: int, **changes: Any) -> PageItem:
    item = PageItem(
        source_id=SOURCE.id,
        url=f"http://127.0.0.1/tzgg/t{n}.htm",
        body=f"<html><body>通知 {n}</body></html>".encode(),
        content_type="text/html; charset=utf-8",
        encoding="utf-8",
        etag=None,
        last_modified=None,
        list_title=f"通知 {n}",
        list_date=None,
        title=f"通知 {n}",
        published_at=None,
        doc_number=None,
        issuer=None,
        meta={"relevant": True},
    )
    for name, value in changes.items():
        setattr(item, name, value)
    return item


def attachment(n: int, parent: PageItem) -> AttachmentItem:
    return AttachmentItem(
        source_id=SOURCE.id,
        url=f"http://127.0.0.1/tzgg/P{n}.pdf",
        parent_url=parent.url,
        name=f"附件{n}.pdf",
        body=b"%PDF-1.4\n" + bytes([n]) * 100 + b"\n%%EOF\n",
        content_type="application/pdf",
        file_format="pdf",
        etag=None,
        last_modified=None,
    )


class Held:
    """A first job that keeps the writer busy (inside its transaction) until released."""

    def __init__(self) -> None:
        self.running = threading.Event()
        self.release = threading.Event()

    def __call__(self, session: Session) -> None:
        self.running.set()
        assert self.release.wait(TIMEOUT)


@pytest.fixture
def writer() -> BatchWriter:
    return BatchWriter(max_jobs=50, max_seconds=0.2, clock=lambda: 0.0)  # the clock never runs out


@pytest.fixture
def store(database_url: str, writer: BatchWriter) -> Iterator[CrawlStore]:
    crawl_store = CrawlStore(database_url, writer=writer)
    crawl_store.register(SOURCE)
    yield crawl_store


@pytest.fixture
def commits(store: CrawlStore) -> list[int]:
    """One entry per committed transaction of the store's engine."""
    seen: list[int] = []
    engine = store.sessions.kw["bind"]
    listener: Callable[[Any], None] = lambda conn: seen.append(1)  # noqa: E731
    event.listen(engine, "commit", listener)
    yield seen
    event.remove(engine, "commit", listener)


def queued_behind_held(store: CrawlStore, items: list[object]) -> list[Future[Outcome]]:
    """Submit ``items`` while the writer is busy, so that they are written as one batch."""
    held = Held()
    first = store.writer.submit(store.sessions, held)
    assert held.running.wait(TIMEOUT)
    futures = [store.save(item) for item in items]
    held.release.set()
    wait([first], TIMEOUT)  # its outcome is the batch's: the tests look at the items'
    return futures


def documents(store: CrawlStore) -> dict[str, Document]:
    with store.sessions() as session:
        return {d.url: d for d in session.scalars(select(Document).order_by(Document.id))}


def versions_of(store: CrawlStore, url: str) -> int:
    with store.sessions() as session:
        return len(session.scalars(select(DocumentVersion).join(Document).where(Document.url == url)).all())


def test_a_bad_item_in_a_batch_is_rolled_back_alone(store: CrawlStore, commits: list[int]) -> None:
    bad = page(2, meta={"relevant": True, "not json": {1, 2}})  # fails when its version is written
    items = [page(1), bad, page(3)]
    before = len(commits)

    futures = queued_behind_held(store, items)

    assert futures[0].result(TIMEOUT) == Outcome(new=True)
    with pytest.raises(Exception, match="(?i)json|serializ"):
        futures[1].result(TIMEOUT)
    assert futures[2].result(TIMEOUT) == Outcome(new=True)
    # the batch (the held job, items 1 and 2) was rolled back at item 2 and each of its jobs
    # ran again alone: item 1 committed, item 2 failed; item 3 went into the next batch and
    # committed (the held job writes nothing, so its transaction never reached the database)
    assert len(commits) - before == 2
    stored = documents(store)
    assert versions_of(store, items[0].url) == 1
    assert versions_of(store, items[2].url) == 1
    assert bad.url not in stored  # its document was created in its own transaction: gone too


def test_a_batch_without_failures_is_one_transaction(store: CrawlStore, commits: list[int]) -> None:
    before = len(commits)
    futures = queued_behind_held(store, [page(1), page(2), page(3)])
    assert [f.result(TIMEOUT) for f in futures] == [Outcome(new=True)] * 3
    assert len(commits) - before == 1


def test_nothing_is_acknowledged_before_its_transaction_commits(store: CrawlStore) -> None:
    acknowledged = [store.save(page(1)), store.save(page(2))]
    for future in acknowledged:
        future.result(TIMEOUT)
    engine = store.sessions.kw["bind"]

    def refuse(conn: Any) -> None:
        raise RuntimeError("simulated failure: the disk is full")

    event.listen(engine, "commit", refuse)
    try:
        failed = queued_behind_held(store, [page(3), page(4)])
        for future in failed:  # the items were written fine; no commit went through, alone or not
            with pytest.raises(RuntimeError, match="disk is full"):
                future.result(TIMEOUT)
    finally:
        event.remove(engine, "commit", refuse)

    stored = documents(store)
    assert page(1).url in stored and page(2).url in stored
    assert page(3).url not in stored and page(4).url not in stored
    assert store.save(page(5)).result(TIMEOUT) == Outcome(new=True)  # the writer goes on


def test_order_is_kept_within_and_across_batches(database_url: str) -> None:
    writer = BatchWriter(max_jobs=3, max_seconds=0.2, clock=lambda: 0.0)
    store = CrawlStore(database_url, writer=writer)
    store.register(SOURCE)
    pages = [page(n) for n in range(1, 6)]
    items: list[object] = []
    for n, item in enumerate(pages, start=1):
        items += [item, attachment(n, item)]  # a page, then its attachment

    futures = queued_behind_held(store, items)

    assert all(f.result(TIMEOUT) == Outcome(new=True) for f in futures)
    stored = documents(store)
    assert list(stored) == [i.url for i in items]  # ids follow the order the items came in
    for n, item in enumerate(pages, start=1):
        assert stored[attachment(n, item).url].parent_id == stored[item.url].id


def test_a_batch_closes_when_its_time_is_up(database_url: str) -> None:
    ticks = iter(range(1000))
    writer = BatchWriter(max_jobs=50, max_seconds=2, clock=lambda: float(next(ticks)))
    store = CrawlStore(database_url, writer=writer)
    store.register(SOURCE)
    engine = store.sessions.kw["bind"]
    seen: list[int] = []
    event.listen(engine, "commit", lambda conn: seen.append(1))

    futures = queued_behind_held(store, [page(n) for n in range(1, 5)])

    assert all(f.result(TIMEOUT) == Outcome(new=True) for f in futures)
    # each clock reading is a second later: a batch takes its first job and one more
    assert len(seen) == 3


def test_a_cancelled_item_is_not_written(store: CrawlStore) -> None:
    held = Held()
    first = store.writer.submit(store.sessions, held)
    assert held.running.wait(TIMEOUT)
    cancelled = store.save(page(1))
    kept = store.save(page(2))
    assert cancelled.cancel()
    held.release.set()
    first.result(TIMEOUT)

    assert kept.result(TIMEOUT) == Outcome(new=True)
    assert page(1).url not in documents(store)
