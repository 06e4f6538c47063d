"""Downloader middleware for retry backoff (the off-site rule is crawlers/offsite.py).

Scrapy's RetryMiddleware retries at once; the sites' firewalls punish that, so a retried
request waits ``base * 2**(n-1)`` seconds first.
"""

from __future__ import annotations

import asyncio

from scrapy import Request
from scrapy.crawler import Crawler


class RetryBackoffMiddleware:
    """Wait before a retried request goes out (exponential, capped)."""

    def __init__(self, base: float, cap: float) -> None:
        self.base, self.cap = base, cap

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RetryBackoffMiddleware:
        return cls(
            crawler.settings.getfloat("RETRY_BACKOFF_BASE", 2.0),
            crawler.settings.getfloat("RETRY_BACKOFF_MAX", 60.0),
        )

    async def process_request(self, request: Request) -> None:
        retries = int(request.meta.get("retry_times", 0))
        if retries and self.base > 0:
            await asyncio.sleep(min(self.cap, self.base * 2 ** (retries - 1)))
