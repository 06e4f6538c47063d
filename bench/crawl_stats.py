"""Scrapy settings plus an extension that dump each crawler's download stats, for the crawl bench.

The crawl benchmark must see connection errors and retries on *both* sides (a throttling
test server once made two crawlers look equally fast). The full pipeline's child process
reads its Scrapy settings from ``$SCRAPY_SETTINGS_MODULE``, so the bench points that at this
module: the project's settings plus ``StatsDump``, which appends one JSON line of
``downloader/*`` and ``retry/*`` counters per crawler to the file named in
``$POLICYWATCH_BENCH_STATS`` when the spider closes. The bare spider adds the same extension.
"""

from __future__ import annotations

import json
import os
from typing import Any

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured

import crawlers.settings as _project

STATS_FILE_ENV = "POLICYWATCH_BENCH_STATS"
EXTENSION = "bench.crawl_stats.StatsDump"

globals().update({name: value for name, value in vars(_project).items() if name.isupper()})
EXTENSIONS = {**_project.EXTENSIONS, EXTENSION: 900}


class StatsDump:
    def __init__(self, crawler: Crawler, path: str) -> None:
        self.crawler = crawler
        self.path = path
        crawler.signals.connect(self.closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> StatsDump:
        path = os.environ.get(STATS_FILE_ENV)
        if not path:
            raise NotConfigured(f"${STATS_FILE_ENV} is not set")
        return cls(crawler, path)

    def closed(self, spider: Any, reason: str) -> None:
        assert self.crawler.stats is not None
        counters = {
            key: value
            for key, value in self.crawler.stats.get_stats().items()
            if key.startswith(("downloader/", "retry/")) and isinstance(value, int)
        }
        with open(self.path, "a", encoding="utf-8") as out:
            out.write(json.dumps(counters) + "\n")


def read_stats(path: str) -> dict[str, int]:
    """The counters of every crawler that wrote to ``path``, summed."""
    total: dict[str, int] = {}
    if not os.path.exists(path):
        return total
    with open(path, encoding="utf-8") as lines:
        for line in lines:
            for key, value in json.loads(line).items():
                total[key] = total.get(key, 0) + value
    return total
