"""`InProcessCrawler`: crawls inside a long-running process, on a reactor installed once.

The daemon crawls every few hours for as long as it runs. A child process per crawl costs
~2 CPU s of interpreter and Scrapy start-up each time; here the asyncio reactor runs in
one background thread for the life of the process, and each crawl is one
``AsyncCrawlerRunner`` run of all the sources asked for, submitted from any thread
(Scrapy's reactor cannot be restarted, so it is never stopped between crawls).
bench/daemon_memory.py checks that memory stays flat over hundreds of crawls.

Everything Scrapy-related is imported in the reactor thread, on first use.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import threading
import time
from typing import Any

from crawlers.crawl_config import CrawlConfig
from crawlers.health import SourceHealth
from crawlers.registry import SourceDefinition, select_sources

log = logging.getLogger("crawlers")

REACTOR = "twisted.internet.asyncioreactor.AsyncioSelectorReactor"


class InProcessCrawler:
    """One reactor thread; ``crawl`` blocks the calling thread until the crawl is done."""

    def __init__(self) -> None:
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self._startup_error: BaseException | None = None
        self._lock = threading.Lock()  # one crawl at a time: one runner, one set of spiders
        self._closed = threading.Event()  # the reactor was stopped: no more crawls in this process
        self._refusing = threading.Event()  # shutting down: crawls not yet started are refused
        self._runner: Any = None
        self._spider_classes: dict[SourceDefinition, type] = {}

    # -- the reactor thread --
    def start(self) -> InProcessCrawler:
        if self._startup_error is not None:
            raise RuntimeError(f"cannot start the crawl reactor: {self._startup_error}")
        if self._thread is None:
            self._thread = threading.Thread(target=self._serve, name="policywatch-reactor", daemon=True)
            self._thread.start()
            self._ready.wait()
            if self._startup_error is not None:
                raise RuntimeError(f"cannot start the crawl reactor: {self._startup_error}")
        return self

    def _serve(self) -> None:
        try:
            from scrapy.utils.reactor import install_reactor

            install_reactor(REACTOR)
            from twisted.internet import reactor

            self._loop = asyncio.get_event_loop()
        except BaseException as exc:  # noqa: BLE001 - reported to start()
            self._startup_error = exc
            self._ready.set()
            return
        running: Any = reactor  # the installed reactor; its interfaces are not all typed
        running.callWhenRunning(self._ready.set)
        running.run(installSignalHandlers=False)

    def close(self, timeout: float = 10.0) -> None:
        """Stop the reactor (the process is ending: it cannot be started again)."""
        self._closed.set()
        if self._thread is None or self._loop is None or not self._thread.is_alive():
            return
        from twisted.internet import reactor

        running: Any = reactor
        running.callFromThread(running.stop)
        self._thread.join(timeout)

    # -- crawls --
    def crawl(
        self, config: CrawlConfig, source_ids: list[str], timeout: float | None = None
    ) -> list[SourceHealth]:
        """Crawl the sources in one run; every source gets a health, failing if its crawl broke."""
        sources = select_sources(config, source_ids)
        with self._lock:
            if self._closed.is_set() or self._refusing.is_set():
                return self._failed(sources, "not crawled: shutdown")
            self.start()
            assert self._loop is not None
            future = asyncio.run_coroutine_threadsafe(self._crawl(config, sources), self._loop)
            deadline = None if timeout is None else time.monotonic() + timeout
            while not self._closed.is_set():
                try:
                    return future.result(1.0)
                except concurrent.futures.TimeoutError:
                    if deadline is not None and time.monotonic() > deadline:
                        self.cancel()  # the spiders close and record their runs
                        deadline = None
            # stopped mid-crawl: what the spiders stored stays stored; the next run redoes the rest
            return self._failed(sources, "crawl cancelled at shutdown")

    @staticmethod
    def _failed(sources: list[SourceDefinition], message: str) -> list[SourceHealth]:
        return [SourceHealth(s.id, "failing", errors=1, message=message) for s in sources]

    @property
    def busy(self) -> bool:
        return self._runner is not None

    def abort(self) -> None:
        """Stop the reactor under a crawl that did not stop when asked (the process is ending)."""
        self._closed.set()
        self.close(timeout=2.0)

    def refuse_new(self) -> None:
        """Shutting down: a crawl that has not started yet returns at once, as not crawled."""
        self._refusing.set()

    def cancel(self) -> int:
        """Ask a running crawl to stop (spiders close and record their runs); returns 1 if one ran."""
        runner, loop = self._runner, self._loop
        if runner is None or loop is None:
            return 0
        log.info("cancelling the running crawl")
        asyncio.run_coroutine_threadsafe(runner.stop(), loop)
        return 1

    def _spider(self, source: SourceDefinition) -> type:
        """One class per source for the life of the process (a new class per crawl would pile up)."""
        from crawlers.spiders.sources import spider_class

        if source not in self._spider_classes:
            self._spider_classes[source] = spider_class(source)
        return self._spider_classes[source]

    async def _crawl(self, config: CrawlConfig, sources: list[SourceDefinition]) -> list[SourceHealth]:
        from scrapy.crawler import AsyncCrawlerRunner

        from crawlers.run import crawl_settings, final_health, quiet_scrapy_loggers

        quiet_scrapy_loggers(config.log)
        runner = AsyncCrawlerRunner(crawl_settings(config))
        crawlers = [(s.id, runner.create_crawler(self._spider(s))) for s in sources]
        self._runner = runner
        try:
            outcomes = await asyncio.gather(*(runner.crawl(c) for _, c in crawlers), return_exceptions=True)
        finally:
            self._runner = None
        results = []
        for (source_id, crawler), outcome in zip(crawlers, outcomes, strict=True):
            failure = None
            if isinstance(outcome, BaseException):
                failure = f"{type(outcome).__name__}: {outcome}"
                log.error("%s: crawl failed: %s", source_id, failure)
            results.append(final_health(source_id, crawler, failure))
        return results
