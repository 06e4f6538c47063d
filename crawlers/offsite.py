"""The one off-site rule, enforced where requests are made: no request, redirect hop or
refresh leaves the source's allowed domains, and each refusal reaches the spider's errback.

Scrapy's OffsiteMiddleware lets ``dont_filter`` requests (list page 0, and whatever they are
redirected to) through and drops the others silently at scheduling; the source would report
``ok`` with nothing stored. These middlewares take its place and raise ``OffsiteRefused``.
They sit at three points of the downloader chain, because Scrapy acts at three:

* requests, before RobotsTxtMiddleware (100) fetches robots.txt from their host (50);
* Location headers, before RedirectMiddleware (600) follows them; an allowed target is
  written back normalised, so the hop Scrapy makes is the one that was checked;
* refreshes (the Refresh header and ``<meta http-equiv="refresh">``), once
  HttpCompressionMiddleware (590) has decompressed the body and before MetaRefreshMiddleware
  (580) follows them. Any delay counts: a browser would go there too.
"""

from __future__ import annotations

import logging
import re
from typing import Self

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest
from scrapy.http import HtmlResponse, Response

from crawlers.health import printable
from crawlers.redirect_target import redirect_target, refresh_target
from crawlers.registry import on_domains

log = logging.getLogger("crawlers")
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})  # the ones RedirectMiddleware follows
_REFRESH_WORD = re.compile(rb"refresh", re.I)


class OffsiteRefused(IgnoreRequest):
    """A request, redirect or refresh to a host outside the source's allowed domains (not made)."""

    def __init__(self, via: str, target: str) -> None:
        super().__init__(f"{via} to another domain refused: {printable(target)}")


class _OffsiteGuard:
    """Knows the crawler, hence the spider's allowed domains (none allowed: everything refused)."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(crawler)

    def refuse_offsite(self, request: Request, via: str, target: str) -> None:
        """Raise OffsiteRefused for a target off the allowed domains, logged here in one line
        (robots.txt requests have no errback: their refusal shows only in the log)."""
        spider = self.crawler.spider
        if not on_domains(target, getattr(spider, "allowed_domains", None) or ()):
            refused = OffsiteRefused(via, target)
            log.warning("%s: %s (from %s)", getattr(spider, "name", "-"), refused, request.url)
            raise refused


class OffsiteRequestMiddleware(_OffsiteGuard):
    """Every request, ``dont_filter`` ones included, before anything is fetched for it."""

    def process_request(self, request: Request) -> None:
        self.refuse_offsite(request, "request", request.url)


class OffsiteRedirectMiddleware(_OffsiteGuard):
    """Every Location a redirect would follow, read as a browser reads it."""

    def process_response(self, request: Request, response: Response) -> Response:
        location = response.headers.get(b"Location")
        if response.status in REDIRECT_STATUSES and location:
            target = redirect_target(request.url, location.decode("latin-1"))
            self.refuse_offsite(request, "redirect", target)
            response.headers[b"Location"] = target.encode("latin-1")
        return response


class OffsiteRefreshMiddleware(_OffsiteGuard):
    """Every refresh a page asks for, in its headers or its HTML."""

    def process_response(self, request: Request, response: Response) -> Response:
        header = response.headers.get(b"Refresh")
        if header and (target := refresh_target(response.url, header.decode("latin-1"))):
            self.refuse_offsite(request, "Refresh header", target)
        for target in meta_refresh_targets(response):
            self.refuse_offsite(request, "meta refresh", target)
        return response


def meta_refresh_targets(response: Response) -> list[str]:
    """Where each ``<meta http-equiv="refresh">`` outside ``<noscript>`` goes, against the
    page's ``<base href>`` as a browser resolves it (a reload of the page itself is no target)."""
    if not isinstance(response, HtmlResponse) or not _REFRESH_WORD.search(response.body):
        return []
    href = response.xpath("//base/@href").get()
    base = redirect_target(response.url, href) if href else response.url
    contents = [
        meta.attrib.get("content", "")
        for meta in response.xpath("//meta[@http-equiv][not(ancestor::noscript)]")
        if meta.attrib["http-equiv"].strip().lower() == "refresh"
    ]
    return [target for content in contents if (target := refresh_target(base, content))]
