"""The spider family for the province's TRS-based site platform: list → detail → attachments.

One class reads every TRS source; ``crawlers.spiders.sources`` makes a named subclass per
source id. Incremental: a list entry whose title and date are unchanged is not fetched
again, except relevant ones on the slower recheck cadence, and every refetch is a
conditional request with the validators stored in FetchState.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import random
import unicodedata
from collections.abc import AsyncIterator, Iterator
from typing import Any

import scrapy
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response
from scrapy.settings import BaseSettings
from twisted.python.failure import Failure

from crawlers.crawl_config import CrawlConfig
from crawlers.health import HealthTracker, SourceHealth, printable
from crawlers.items import AttachmentItem, ListEntriesItem, ListRow, NotModifiedItem, PageItem
from crawlers.middlewares import OffsiteRedirect, on_domains
from crawlers.network_errors import describe_network_error
from crawlers.registry import SourceDefinition, load_sources
from crawlers.settings import settings_from_config
from crawlers.store import CrawlStore
from parsers.blocking import detect_block, is_near_empty
from parsers.decoding import decode_html
from parsers.sniff import sniff_format
from parsers.trs_page import DetailPage, ListEntry, extract_detail_page, extract_list_page
from storage.documents import KnownDocument
from storage.models import utcnow

log = logging.getLogger("crawlers")

# Answered by the callbacks, not dropped by HttpErrorMiddleware; 3xx other than 304 still redirect.
HANDLED_STATUSES = [304, *range(400, 600)]
CRAWL_CONFIG_SETTING = "POLICYWATCH_CRAWL_CONFIG"  # the CrawlConfig crawlers.run passes down
FORMAT_TYPES = {
    "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "doc": "application/msword",
    "xls": "application/vnd.ms-excel",
    "wps_et": "application/vnd.ms-excel",
    "zip": "application/zip",
    "html": "text/html",
    "rtf": "application/rtf",
}


def _config_from(settings: BaseSettings) -> CrawlConfig:
    """The config crawlers.run passed down; under ``scrapy crawl``, the handed-over or built-in one."""
    config: CrawlConfig | None = settings.get(CRAWL_CONFIG_SETTING)
    return config or CrawlConfig.from_environment()


def _norm(text: str) -> str:
    return unicodedata.normalize("NFKC", text).replace(" ", "")


class TrsSpider(scrapy.Spider):
    """Reads one source of the TRS family; subclasses only set ``name`` (the source id)."""

    family = "trs"
    tracker: HealthTracker
    store: CrawlStore
    final_health: SourceHealth | None = None

    @classmethod
    def update_settings(cls, settings: BaseSettings) -> None:
        super().update_settings(settings)
        settings.setdict(settings_from_config(_config_from(settings)), priority="spider")

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> TrsSpider:
        spider: TrsSpider = super().from_crawler(crawler, *args, **kwargs)
        config = _config_from(crawler.settings)
        sources = {s.id: s for s in load_sources(config, include_disabled=True)}
        spider.configure(config, sources[spider.name])
        return spider

    def configure(self, config: CrawlConfig, source: SourceDefinition) -> None:
        crawl = config.crawl
        self.source = source
        self.allowed_domains = list(source.allowed_domains)
        self.list_pages = source.list_pages or crawl.list_pages
        self.recheck_after = dt.timedelta(days=crawl.recheck_days)
        self.jitter = crawl.start_jitter_seconds
        self.keywords = [_norm(k) for k in crawl.keywords]
        self.tracker = HealthTracker(source.id)
        self.store = CrawlStore(config.database_url)
        self.store.register(source)
        self.known: dict[str, KnownDocument] = {}
        self.children: dict[int, list[KnownDocument]] = {}
        self.started_at = utcnow()

    # -- start --
    async def start(self) -> AsyncIterator[Any]:
        if self.jitter > 0:
            await asyncio.sleep(random.uniform(0, self.jitter))
        self.started_at = utcnow()
        self.known = self.store.known(self.source.id)
        for doc in self.known.values():
            if doc.parent_id is not None:
                self.children.setdefault(doc.parent_id, []).append(doc)
        self.tracker.had_documents = any(d.role == "page" for d in self.known.values())
        log.info(
            "%s: crawling %d sections (%d known documents)",
            self.name,
            len(self.source.start_urls),
            len(self.known),
        )
        for url in self.source.start_urls:
            yield self._list_request(url, page=0)

    def _list_request(self, url: str, page: int) -> scrapy.Request:
        return scrapy.Request(
            url,
            callback=self.parse_list,
            errback=self.on_error,
            meta={"handle_httpstatus_list": HANDLED_STATUSES, "kind": "list", "page": page},
            dont_filter=page == 0,
        )

    def _conditional(self, known: KnownDocument | None) -> dict[str, str]:
        headers: dict[str, str] = {}
        if known is not None and known.last_checked_at is not None:
            if known.etag:
                headers["If-None-Match"] = known.etag
            if known.last_modified:
                headers["If-Modified-Since"] = known.last_modified
        return headers

    # -- helpers --
    def on_site(self, url: str) -> bool:
        return on_domains(url, self.allowed_domains)

    def _decode(self, response: Response) -> str:
        ctype = (response.headers.get(b"Content-Type") or b"").decode("latin-1")
        declared = ctype.split("charset=", 1)[1].strip() if "charset=" in ctype else None
        return decode_html(response.body, declared)

    def _blocked(self, response: Response, html: str) -> str | None:
        headers = {
            "set-cookie": b"; ".join(response.headers.getlist(b"Set-Cookie")).decode("latin-1"),
        }
        return detect_block(response.status, headers, html)

    def _blocked_at(self, url: str, reason: str) -> None:
        self.tracker.problem("blocked", f"{url}: {reason}")
        log.warning("%s: blocked at %s: %s", self.name, url, reason)

    def _http_problem(self, response: Response) -> None:
        """A final HTTP error (retries exhausted): list page 0 or 5xx make the source failing."""
        kind = response.meta.get("kind")
        failing = response.status >= 500 or (kind == "list" and response.meta.get("page") == 0)
        self.tracker.error(f"{response.url}: HTTP {response.status}", failing=failing)
        log.warning("%s: HTTP %d for %s %s", self.name, response.status, kind, response.url)

    def _validators(self, response: Response) -> tuple[str | None, str | None]:
        etag = response.headers.get(b"ETag")
        modified = response.headers.get(b"Last-Modified")
        return (etag.decode("latin-1") if etag else None, modified.decode("latin-1") if modified else None)

    def relevant(self, *texts: str | None) -> bool:
        joined = _norm(" ".join(t for t in texts if t))
        return any(k in joined for k in self.keywords)

    def should_fetch(self, entry: ListEntry, known: KnownDocument | None) -> bool:
        """New, never fetched, retitled/redated, or relevant and due for a recheck."""
        if known is None or known.last_checked_at is None:
            return True
        if known.list_title != entry.title or known.list_date != entry.date:
            return True
        return known.relevant and utcnow() - known.last_checked_at >= self.recheck_after

    # -- list pages --
    def parse_list(self, response: Response) -> Iterator[Any]:
        page = int(response.meta.get("page", 0))
        html = self._decode(response)  # (list requests carry no validators: never a 304)
        if reason := self._blocked(response, html):
            self._blocked_at(response.url, reason)
            return
        if response.status >= 400:
            self._http_problem(response)
            return
        listing = extract_list_page(html, response.url)
        if not listing.entries:
            if page == 0:
                self._judge_empty_list(response.url, listing.structure_matched, listing.near_empty)
            return
        if page == 0:
            for i, url in enumerate(listing.page_urls(response.url, self.list_pages), start=1):
                yield self._list_request(url, page=i)
        log.info("%s: list %s: %d entries", self.name, response.url, len(listing.entries))
        entries = []  # on the source's allowed domains (other hosts among them included)
        for entry in listing.entries:
            if self.on_site(entry.url):
                entries.append(entry)
            else:
                self.tracker.offsite_links += 1
                log.debug("%s: off-site link recorded, not followed: %s", self.name, printable(entry.url))
        unknown = [ListRow(e.url, e.title, e.date) for e in entries if e.url not in self.known]
        if unknown:
            yield ListEntriesItem(self.source.id, response.url, unknown)
        for entry in entries:
            self.tracker.items_seen += 1
            known = self.known.get(entry.url)
            if self.should_fetch(entry, known):
                yield scrapy.Request(
                    entry.url,
                    callback=self.parse_detail,
                    errback=self.on_error,
                    headers=self._conditional(known),
                    meta={
                        "handle_httpstatus_list": HANDLED_STATUSES,
                        "kind": "detail",
                        "entry": entry,
                        "section": response.url,
                    },
                )

    def _judge_empty_list(self, url: str, matched: bool, near_empty: bool) -> None:
        if near_empty and not matched:
            self._blocked_at(url, "near-empty page without list rows")
        elif not matched:
            self.tracker.problem("structure-changed", f"{url}: no list rows or pagination found")
            log.warning("%s: structure changed at %s: list selectors matched nothing", self.name, url)
        elif self.tracker.had_documents:
            self.tracker.problem("empty", f"{url}: list has no entries (it had some before)")
            log.warning("%s: empty list at %s", self.name, url)
        else:
            self.tracker.notes.append(f"{url}: list has no entries yet")

    # -- detail pages --
    def parse_detail(self, response: Response) -> Iterator[Any]:
        entry: ListEntry = response.meta["entry"]
        known = self.known.get(response.url) or self.known.get(entry.url)
        if response.status == 304:
            yield NotModifiedItem(self.source.id, entry.url, entry.title, entry.date)
            if known is not None and known.relevant:
                for child in self.children.get(known.id, []):
                    yield self._attachment_request(child.url, entry.url, child.list_title or "", child)
            return
        html = self._decode(response)
        if reason := self._blocked(response, html):
            self._blocked_at(response.url, reason)
            return
        if response.status >= 400:
            self._http_problem(response)
            return
        detail = extract_detail_page(html, response.url)
        if not detail.structure_matched and detail.near_empty:
            self._blocked_at(response.url, "near-empty detail page")
            return
        if not detail.structure_matched:
            self.tracker.error(f"{response.url}: detail page not recognised (stored as is)")
        relevant = self.relevant(entry.title, detail.title, detail.body_text)
        yield self._page_item(response, entry, detail, relevant)
        if not relevant:
            return
        for att in detail.attachments:
            if not self.on_site(att.url):
                self.tracker.offsite_links += 1
                log.debug("%s: off-site attachment recorded, not followed: %s", self.name, printable(att.url))
                continue
            yield self._attachment_request(att.url, entry.url, att.name, self.known.get(att.url))

    def _page_item(
        self, response: Response, entry: ListEntry, detail: DetailPage, relevant: bool
    ) -> PageItem:
        etag, modified = self._validators(response)
        offsite = [a.url for a in detail.attachments if not self.on_site(a.url)]
        meta: dict[str, Any] = {
            "relevant": relevant,
            "region": self.source.region,
            "authority": self.source.authority,
            "content_source": detail.content_source,
            "info": detail.info,
            "section": response.meta.get("section"),
            "attachments": [{"url": a.url, "name": a.name} for a in detail.attachments],
        }
        if offsite:
            meta["offsite_links"] = offsite
        return PageItem(
            source_id=self.source.id,
            url=entry.url,
            body=response.body,
            content_type=(response.headers.get(b"Content-Type") or b"").decode("latin-1") or None,
            encoding=self._encoding_of(response),
            etag=etag,
            last_modified=modified,
            list_title=entry.title,
            list_date=entry.date,
            title=detail.title or entry.title,
            published_at=detail.published_at or entry.date,
            doc_number=detail.doc_number,
            issuer=detail.issuer or detail.content_source,
            meta=meta,
        )

    @staticmethod
    def _encoding_of(response: Response) -> str:
        try:
            response.body.decode("utf-8")
            return "utf-8"
        except UnicodeDecodeError:
            return "gb18030"

    # -- attachments --
    def _attachment_request(
        self, url: str, parent_url: str, name: str, known: KnownDocument | None
    ) -> scrapy.Request:
        return scrapy.Request(
            url,
            callback=self.parse_attachment,
            errback=self.on_error,
            headers=self._conditional(known),
            meta={
                "handle_httpstatus_list": HANDLED_STATUSES,
                "kind": "attachment",
                "url": url,  # the document is the linked URL, wherever an on-site redirect ends
                "parent_url": parent_url,
                "name": name,
            },
        )

    def parse_attachment(self, response: Response) -> Iterator[Any]:
        if response.status == 304:
            yield NotModifiedItem(self.source.id, response.meta.get("url", response.url))
            return
        fmt = sniff_format(response.body, response.url)
        if response.status >= 400 or fmt == "html":
            # an error page, or a challenge answered 200 in place of the file: never a new version
            html = self._decode(response)
            reason = self._blocked(response, html)
            if reason is None and response.status < 400 and is_near_empty(html):
                reason = "near-empty page instead of the file"
            if reason:
                self._blocked_at(response.url, reason)
                return
            if response.status >= 400:
                self._http_problem(response)
                return
        if fmt == "empty":
            self.tracker.error(f"{response.url}: empty attachment (not stored)")
            log.warning("%s: empty attachment not stored: %s", self.name, response.url)
            return
        etag, modified = self._validators(response)
        yield AttachmentItem(
            source_id=self.source.id,
            url=response.meta.get("url", response.url),
            parent_url=response.meta["parent_url"],
            name=response.meta.get("name") or "",
            body=response.body,
            content_type=FORMAT_TYPES.get(fmt, "application/octet-stream"),
            file_format=fmt,
            etag=etag,
            last_modified=modified,
        )

    # -- errors --
    def on_error(self, failure: Failure) -> None:
        request = failure.request  # type: ignore[attr-defined]
        kind = request.meta.get("kind")
        exc = failure.value
        # without the first list page the source yields nothing: never "ok", whatever the cause
        page0 = kind == "list" and request.meta.get("page") == 0
        if isinstance(exc, OffsiteRedirect):
            self.tracker.offsite_links += 1
            self.tracker.error(f"{request.url}: {exc}", failing=page0)
            log.warning("%s: %s (from %s)", self.name, exc, request.url)
            return
        if isinstance(exc, IgnoreRequest):  # robots.txt and the like: not the site's fault
            if page0:
                self.tracker.error(f"{request.url}: {exc}", failing=True)
            else:
                self.tracker.notes.append(f"{request.url}: {exc}")
            log.info("%s: skipped %s: %s", self.name, request.url, exc)
            return
        if "DownloadCancelledError" in type(exc).__name__ or "max size" in str(exc).lower():
            self.tracker.error(f"{request.url}: skipped, larger than crawl.max_download_bytes", failing=page0)
            log.warning("%s: skipped oversized %s %s", self.name, kind, request.url)
            return
        what = describe_network_error(exc)
        self.tracker.error(f"{request.url}: {what}", failing=True)
        log.warning("%s: %s failed: %s", self.name, request.url, what)
