"""The spider family for the province's TRS-based site platform: list → detail → attachments.

One class reads every TRS source; ``crawlers.spiders.sources`` makes a named subclass per
source id. Incremental: list pages are asked conditionally (a 304 means the same entries);
a list entry whose title and date are unchanged is not fetched again from the list. Once
the lists are done, the stored announcements that crawlers/freshness.py finds due are
rechecked with their attachments. Every refetch is a conditional request with the
validators stored in FetchState.
"""

from __future__ import annotations

import asyncio
import logging
import random
import unicodedata
from collections.abc import AsyncIterator, Iterator
from typing import Any
from urllib.parse import urlsplit

import scrapy
from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import DontCloseSpider, IgnoreRequest
from scrapy.http import Response
from scrapy.settings import BaseSettings
from twisted.python.failure import Failure

from crawlers.browser_fetch import (
    VISIT_META,
    browser_request,
    browser_settings,
    browser_unavailable,
    cookie_header,
    visit_of,
)
from crawlers.crawl_config import CrawlConfig, CrawlSettings
from crawlers.freshness import RecheckPolicy
from crawlers.health import HealthTracker, SourceHealth, printable
from crawlers.items import AttachmentItem, ListEntriesItem, ListPageItem, ListRow, NotModifiedItem, PageItem
from crawlers.network_errors import describe_network_error
from crawlers.offsite import OffsiteRefused
from crawlers.registry import SourceDefinition, load_sources, on_domains
from crawlers.settings import settings_from_config
from crawlers.store import CrawlStore
from parsers.blocking import detect_block, is_near_empty
from parsers.decoding import decode_html
from parsers.list_entry import ListEntry
from parsers.sniff import sniff_format
from parsers.trs_page import DetailPage, extract_detail_page, extract_list_page
from storage.documents import KnownDocument
from storage.list_pages import KnownListPage
from storage.tables import utcnow

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


def conditional_headers(etag: str | None, last_modified: str | None) -> dict[str, str]:
    """If-None-Match / If-Modified-Since for the validators a server sent last time."""
    headers: dict[str, str] = {}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    return headers


class TrsSpider(scrapy.Spider):
    """Reads one source of the TRS family; subclasses only set ``name`` (the source id)."""

    family = "trs"
    tracker: HealthTracker
    store: CrawlStore
    policy: RecheckPolicy  # decided at start, with the clock and what is in force then
    final_health: SourceHealth | None = None

    @classmethod
    def update_settings(cls, settings: BaseSettings) -> None:
        super().update_settings(settings)
        config = _config_from(settings)
        settings.setdict(settings_from_config(config), priority="spider")
        source = {s.id: s for s in load_sources(config, include_disabled=True)}.get(cls.name)
        if source is not None and browser_unavailable(config.crawl) is None:
            settings.setdict(browser_settings(config.crawl, source.allowed_domains), priority="spider")

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> TrsSpider:
        spider: TrsSpider = super().from_crawler(crawler, *args, **kwargs)
        config = _config_from(crawler.settings)
        sources = {s.id: s for s in load_sources(config, include_disabled=True)}
        spider.configure(config, sources[spider.name])
        crawler.signals.connect(spider.recheck_when_idle, signal=signals.spider_idle)
        return spider

    def configure(self, config: CrawlConfig, source: SourceDefinition) -> None:
        crawl = config.crawl
        self.crawl_settings: CrawlSettings = crawl
        self.source = source
        self.allowed_domains = list(source.allowed_domains)
        self.list_pages = source.list_pages or crawl.list_pages
        self.jitter = crawl.start_jitter_seconds
        self.keywords = [_norm(k) for k in crawl.keywords]
        self.tracker = HealthTracker(source.id)
        self.store = CrawlStore(config.database_url)
        self.store.register(source)
        self.known: dict[str, KnownDocument] = {}
        self.children: dict[int, list[KnownDocument]] = {}
        self.known_lists: dict[str, KnownListPage] = {}
        self.requested: set[str] = set()  # announcements requested from the lists this crawl
        self.rechecks_sent = False
        self.started_at = utcnow()
        # the browser fetch (crawlers/browser_fetch.py): why it cannot be used, else None
        self.no_browser = browser_unavailable(crawl)
        self.browser_hosts: set[str] = set()  # hosts that challenged us: their pages go via Chromium
        self.browser_cookies: list[dict[str, Any]] = []  # what the browser obtained, for attachments

    # -- start --
    async def start(self) -> AsyncIterator[Any]:
        if self.jitter > 0:
            await asyncio.sleep(random.uniform(0, self.jitter))
        self.started_at = utcnow()
        self.known = self.store.known(self.source.id)
        self.known_lists = self.store.known_list_pages(self.source.id)
        in_force = self.store.in_force(self.started_at.date())
        self.policy = RecheckPolicy.from_settings(self.crawl_settings, self.started_at, in_force)
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
        known = self.known_lists.get(url)
        return self._routed(
            scrapy.Request(
                url,
                callback=self.parse_list,
                errback=self.on_error,
                headers=conditional_headers(known.etag, known.last_modified) if known else {},
                meta={
                    "handle_httpstatus_list": HANDLED_STATUSES,
                    "kind": "list",
                    "page": page,
                    "url": url,  # the list page is the asked URL, wherever a redirect ends
                },
                dont_filter=page == 0,
            )
        )

    # -- the browser, for challenge sites --
    def _host(self, url: str) -> str:
        return (urlsplit(url).hostname or "").lower()

    def _routed(self, request: scrapy.Request) -> scrapy.Request:
        """A page request through the browser when its source is configured so or its host
        challenged us earlier in this crawl (and a browser can be used); else as it is."""
        wanted = self.source.fetch == "browser" or self._host(request.url) in self.browser_hosts
        if wanted and self.no_browser is None:
            return browser_request(request, self.crawl_settings.browser_wait_seconds)
        return request

    def _browser_retry(self, response: Response, reason: str) -> scrapy.Request | None:
        """The same page through the browser, when a plain request met a challenge."""
        if self.no_browser is not None or visit_of(response) is not None:
            return None
        host = self._host(response.url)
        if host not in self.browser_hosts:
            log.info("%s: %s answers with a challenge (%s): using the browser", self.name, host, reason)
        self.browser_hosts.add(host)
        return browser_request(response.request, self.crawl_settings.browser_wait_seconds)  # type: ignore[arg-type]

    def _settled(self, response: Response) -> Response | None:
        """A browser response with the status of its last navigation, once the challenge passed;
        None (the source blocked) when it did not within the wait."""
        visit = visit_of(response)
        if visit is None:
            return response
        if not self.on_site(response.url):
            self.tracker.error(f"{response.request.url}: the browser ended off-site", failing=True)  # type: ignore[union-attr]
            log.warning("%s: the browser ended off-site at %s", self.name, printable(response.url))
            return None
        if not visit.passed:
            html = self._decode(response)
            reason = self._blocked(response, html) or f"HTTP {visit.status}"
            wait = self.crawl_settings.browser_wait_seconds
            self._blocked_at(response.url, f"{reason}: the browser did not pass the challenge in {wait:g} s")
            return None
        self.tracker.read_by_browser(visit.seconds)
        if visit.cookies:
            self.browser_cookies = visit.cookies
        log.info("%s: read %s through the browser (%.1f s)", self.name, response.url, visit.seconds)
        return response.replace(status=visit.status)

    def _conditional(self, known: KnownDocument | None) -> dict[str, str]:
        if known is None or known.last_checked_at is None:
            return {}
        return conditional_headers(known.etag, known.last_modified)

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

    @staticmethod
    def should_fetch(entry: ListEntry, known: KnownDocument | None) -> bool:
        """New, never fetched, or retitled/redated (rechecks of stored ones come after the lists)."""
        if known is None or known.last_checked_at is None:
            return True
        return known.list_title != entry.title or known.list_date != entry.date

    def _readable_html(self, response: Response) -> str | scrapy.Request | None:
        """The page's text; the same page through the browser for a challenge it can pass;
        or None for a challenge or an HTTP error (recorded in the health)."""
        html = self._decode(response)
        if reason := self._blocked(response, html):
            if retry := self._browser_retry(response, reason):
                return retry
            tried = self.no_browser is None or self.no_browser == "crawl.browser is off"
            why = "" if tried else f" (no browser fallback: {self.no_browser})"
            self._blocked_at(response.url, reason + why)
            return None
        if response.status >= 400:
            self._http_problem(response)
            return None
        return html

    # -- list pages --
    def parse_list(self, response: Response) -> Iterator[Any]:
        page = int(response.meta.get("page", 0))
        url = response.meta.get("url", response.url)
        settled = self._settled(response)
        if settled is None:
            return
        response = settled
        if response.status == 304:
            entries, page_urls = self._last_read(url)
            log.info("%s: list %s: unchanged (304, %d entries)", self.name, url, len(entries))
        else:
            html = self._readable_html(response)
            if isinstance(html, scrapy.Request):
                yield html
                return
            if html is None:
                return
            listing = extract_list_page(html, response.url)
            entries = listing.entries
            page_urls = listing.page_urls(response.url, self.list_pages) if page == 0 else []
            yield self._list_page_item(response, url, entries, page_urls)
            if not entries:
                if page == 0:
                    self._judge_empty_list(response.url, listing.structure_matched, listing.near_empty)
                return
            log.info("%s: list %s: %d entries", self.name, response.url, len(entries))
        for i, page_url in enumerate(page_urls[: self.list_pages - 1], start=1):
            yield self._list_request(page_url, page=i)
        yield from self._follow(entries, response.url)

    def _last_read(self, url: str) -> tuple[list[ListEntry], list[str]]:
        """A 304 list page stands for its rows and further pages as last read."""
        known = self.known_lists.get(url)
        return (list(known.entries), list(known.page_urls)) if known else ([], [])

    def _list_page_item(
        self, response: Response, url: str, entries: list[ListEntry], page_urls: list[str]
    ) -> ListPageItem:
        """Validators are kept only for a page that listed entries: a 304 never hides a broken list."""
        etag, modified = self._validators(response) if entries else (None, None)
        page = KnownListPage(url, etag, modified, tuple(entries), tuple(page_urls))
        return ListPageItem(self.source.id, page)

    def _follow(self, listed: list[ListEntry], section: str) -> Iterator[Any]:
        """New, never fetched and retitled entries of a list page are fetched; off-site ones recorded."""
        entries = []  # on the source's allowed domains (other hosts among them included)
        for entry in listed:
            if self.on_site(entry.url):
                entries.append(entry)
            else:
                self.tracker.offsite_links += 1
                log.debug("%s: off-site link recorded, not followed: %s", self.name, printable(entry.url))
        unknown = [ListRow(e.url, e.title, e.date) for e in entries if e.url not in self.known]
        if unknown:
            yield ListEntriesItem(self.source.id, section, unknown)
        for entry in entries:
            self.tracker.items_seen += 1
            known = self.known.get(entry.url)
            if self.should_fetch(entry, known):
                self.requested.add(entry.url)
                yield self._detail_request(entry, known, section=section)

    def _detail_request(
        self, entry: ListEntry, known: KnownDocument | None, section: str | None
    ) -> scrapy.Request:
        return self._routed(
            scrapy.Request(
                entry.url,
                callback=self.parse_detail,
                errback=self.on_error,
                headers=self._conditional(known),
                meta={
                    "handle_httpstatus_list": HANDLED_STATUSES,
                    "kind": "detail",
                    "entry": entry,
                    "section": section,
                },
            )
        )

    # -- rechecks of stored announcements --
    def recheck_when_idle(self) -> None:
        """Once the lists and what they led to are done, recheck the stored announcements due.

        After the lists, so that an announcement listed under a new title is fetched once,
        with it. Not on a source that is blocking us: more requests would not help."""
        if self.rechecks_sent:
            return
        self.rechecks_sent = True
        if self.tracker.problems["blocked"]:
            log.info("%s: blocked: stored documents not rechecked this time", self.name)
            return
        due = [
            doc
            for doc in self.known.values()
            if doc.url not in self.requested and self.on_site(doc.url) and self.policy.due(doc)
        ]
        if not due:
            return
        log.info("%s: rechecking %d stored documents", self.name, len(due))
        assert self.crawler.engine is not None
        for doc in due:
            entry = ListEntry(doc.url, doc.list_title or "", doc.list_date, offsite=False)
            self.crawler.engine.crawl(self._detail_request(entry, doc, section=None))
        raise DontCloseSpider

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
        settled = self._settled(response)
        if settled is None:
            return
        response = settled
        known = self.known.get(response.url) or self.known.get(entry.url)
        if response.status == 304:
            yield NotModifiedItem(self.source.id, entry.url, entry.title, entry.date)
            if known is not None and known.relevant:
                for child in self.children.get(known.id, []):
                    yield self._attachment_request(child.url, entry.url, child.list_title or "", child)
            return
        html = self._readable_html(response)
        if isinstance(html, scrapy.Request):
            yield html
            return
        if html is None:
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
        """Plain HTTP, with the cookies the browser obtained on a challenge site."""
        headers = self._conditional(known)
        if self.browser_cookies and (cookies := cookie_header(self.browser_cookies, url)):
            headers["Cookie"] = cookies
        return scrapy.Request(
            url,
            callback=self.parse_attachment,
            errback=self.on_error,
            headers=headers,
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
        if VISIT_META in request.meta and self._host(request.url) in self.browser_hosts:
            # the site challenged us and the browser could not get past it (timeout, crash)
            first_line = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
            self._blocked_at(request.url, f"the browser did not pass the challenge: {first_line}")
            return
        if isinstance(exc, OffsiteRefused):  # a list page or a document not read: never "ok"
            self.tracker.error(f"{request.url}: {exc}", failing=True)  # (logged where refused)
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
