"""The storage pipeline: items into the database, and the source's health at the end.

Each item is stored in a batched transaction (crawlers/batch_writer.py; a failing item fails alone)
and ``process_item`` returns only once that transaction committed, so an error in one item
or later in the crawl never loses what was acknowledged before it.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from scrapy.crawler import Crawler

from crawlers.health import SourceHealth, printable
from crawlers.items import AttachmentItem, PageItem

log = logging.getLogger("crawlers")


class StoragePipeline:
    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.new = 0
        self.changed = 0
        self.failures = 0

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> StoragePipeline:
        return cls(crawler)

    @property
    def spider(self) -> Any:
        return self.crawler.spider

    async def process_item(self, item: Any) -> Any:
        try:
            outcome = await asyncio.wrap_future(self.spider.store.save(item))
        except Exception as exc:  # one bad item must not stop the crawl
            self.failures += 1
            url = getattr(item, "url", None) or getattr(item, "page_url", type(item).__name__)
            log.error("%s: could not store %s: %s", self.spider.name, url, printable(str(exc)))
            return item
        self.new += outcome.new
        self.changed += outcome.changed
        if isinstance(item, PageItem | AttachmentItem) and (outcome.new or outcome.changed):
            kind = "new" if outcome.new else "changed"
            log.info("%s: %s %s %s", self.spider.name, kind, type(item).__name__[:-4].lower(), item.url)
        return item

    async def close_spider(self) -> None:
        spider = self.spider
        stats = self.crawler.stats
        assert stats is not None
        exceptions = sum(v for k, v in stats.get_stats().items() if k.startswith("spider_exceptions/"))
        health: SourceHealth = spider.tracker.result(
            new=self.new,
            changed=self.changed,
            requests=int(stats.get_value("downloader/request_count", 0)),
            bytes_downloaded=int(stats.get_value("downloader/response_bytes", 0)),
            extra_errors=self.failures + exceptions,
        )
        if (self.failures or exceptions) and health.status == "ok":
            health.status = "failing"
            health.message = (
                f"{self.failures} items not stored, {exceptions} spider errors; " + health.message
            )
        spider.final_health = health
        try:  # through the writer thread: after this crawl's items, never blocking the reactor
            await asyncio.wrap_future(spider.store.record_run(health, spider.started_at))
        except Exception as exc:
            log.error("%s: could not record the crawl run: %s", spider.name, exc)
        log.info(
            "%s: done: %s, %d items, %d new, %d changed, %d requests, %d bytes, %d errors%s",
            spider.name,
            health.status,
            health.items_seen,
            health.new_documents,
            health.changed_documents,
            health.requests,
            health.bytes_downloaded,
            health.errors,
            f" ({health.message})" if health.message else "",
        )
