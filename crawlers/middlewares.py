"""Downloader middlewares: retry backoff, and refusing redirects to another domain.

Scrapy's RetryMiddleware retries at once; the sites' firewalls punish that, so a retried
request waits ``base * 2**(n-1)`` seconds first. Scrapy's offsite filter drops an off-site
redirect silently at scheduling; the source's health must say that it happened.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any
from urllib.parse import urljoin

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response

from crawlers.health import printable
from crawlers.registry import on_domains

log = logging.getLogger("crawlers")


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


class OffsiteRedirect(IgnoreRequest):
    """A redirect to a host outside the source's allowed domains (not followed)."""

    def __init__(self, target: str) -> None:
        super().__init__(f"redirect to another domain not followed: {printable(target)}")
        self.target = target


class OffsiteRedirectMiddleware:
    """Stop redirects that leave the allowed domains, as an error the spider's errback sees."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> OffsiteRedirectMiddleware:
        return cls(crawler)

    def process_response(self, request: Request, response: Response) -> Any:
        location = response.headers.get(b"Location")
        if response.status not in (301, 302, 303, 307, 308) or not location:
            return response
        target = urljoin(request.url, location.decode("latin-1"))
        allowed = getattr(self.crawler.spider, "allowed_domains", None) or []
        if not allowed or on_domains(target, allowed):
            return response
        raise OffsiteRedirect(target)
