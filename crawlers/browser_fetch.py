"""Fetching a page through headless Chromium, for sites behind a JavaScript challenge.

瑞数 answers 412 with an inline ``$_ts`` script that computes cookies and reloads the page;
加速乐 answers 521 and sets ``__jsluid``. Only a browser passes them. scrapy-playwright
(a maintained Scrapy download handler driving Playwright) does the fetching, with Debian's
Chromium (``crawl.browser_executable``: Playwright's own browser download cannot be used
here). A request goes through the browser only when it carries ``browser_request``'s meta;
everything else keeps Scrapy's plain HTTP handler.

- The handler (``LazyPlaywrightHandler``) starts Playwright and Chromium at the first browser
  request of a crawl, not at engine start, and Scrapy closes both when the crawl ends.
- One context and one page at a time; images, media and fonts are not loaded; the browser
  may fetch nothing outside the source's allowed domains (``PLAYWRIGHT_ABORT_REQUEST``).
- ``BrowserVisit`` records the status of each main-frame navigation and waits, up to
  ``crawl.browser_wait_seconds``, until the page is no longer a challenge (positive evidence:
  a status below 400 and real text), then keeps the context's cookies so that the source's
  attachments can be downloaded over plain HTTP with them.
"""

from __future__ import annotations

import asyncio
import os
import shutil
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from scrapy import Request
from scrapy.http import Response

from crawlers.crawl_config import CrawlSettings
from crawlers.registry import on_domains
from parsers.blocking import detect_block, is_near_empty

if TYPE_CHECKING:
    from playwright.async_api import Page
    from playwright.async_api import Request as BrowserRequest

VISIT_META = "browser_visit"  # the BrowserVisit of a request sent through the browser
CONTEXT = "challenge"  # the one browser context of a crawl: cookies persist between pages
SKIPPED_RESOURCES = frozenset({"image", "media", "font"})
CONDITIONAL = (b"If-None-Match", b"If-Modified-Since")
# what Scrapy wrote into a request's meta while downloading it: not carried to the browser retry
DOWNLOAD_STATE = frozenset(
    {"download_latency", "download_slot", "cache_timestamp", "retry_times", "depth"}
    | {"redirect_times", "redirect_ttl", "redirect_urls", "redirect_reasons"}
)


def browser_unavailable(crawl: CrawlSettings) -> str | None:
    """Why no browser can be used in this crawl, or None when one can."""
    if crawl.browser == "off":
        return "crawl.browser is off"
    if not shutil.which(crawl.browser_executable):
        return f"no browser at {crawl.browser_executable} (install Debian's chromium package)"
    try:
        import scrapy_playwright  # noqa: F401
    except ImportError:
        return "scrapy-playwright is not installed"
    return None


def browser_settings(crawl: CrawlSettings, domains: Iterable[str]) -> dict[str, Any]:
    """Scrapy settings that route browser requests of one source through Chromium."""
    allowed = tuple(domains)
    args = [  # memory: one renderer, no GPU process, no background services
        "--disable-dev-shm-usage",
        "--disable-gpu",
        "--disable-extensions",
        "--mute-audio",
        "--renderer-process-limit=1",
        "--disable-features=site-per-process,Translate,OptimizationHints,MediaRouter",
        "--disable-background-networking",
        "--disable-component-update",
        "--js-flags=--max-old-space-size=256",
    ]
    if os.geteuid() == 0:
        args.append("--no-sandbox")  # Chromium refuses to run its sandbox as root
    handler = "crawlers.browser_fetch.LazyPlaywrightHandler"
    return {
        "DOWNLOAD_HANDLERS": {"http": handler, "https": handler},
        "PLAYWRIGHT_BROWSER_TYPE": "chromium",
        "PLAYWRIGHT_LAUNCH_OPTIONS": {
            "executable_path": crawl.browser_executable,
            "headless": True,
            "args": args,
        },
        "PLAYWRIGHT_MAX_CONTEXTS": 1,
        "PLAYWRIGHT_MAX_PAGES_PER_CONTEXT": 1,
        # a navigation may include the challenge's own requests and, on a busy machine, a slow
        # first page of a freshly started Chromium: the request timeout plus the challenge's wait
        "PLAYWRIGHT_DEFAULT_NAVIGATION_TIMEOUT": (crawl.timeout_seconds + crawl.browser_wait_seconds) * 1000,
        "PLAYWRIGHT_ABORT_REQUEST": off_limits(allowed),
        "PLAYWRIGHT_PROCESS_REQUEST_HEADERS": "crawlers.browser_fetch.browser_headers",
    }


def off_limits(domains: tuple[str, ...]) -> Callable[[BrowserRequest], bool]:
    """What the browser must not load: anything off the allowed domains, and heavy resources."""

    def abort(request: BrowserRequest) -> bool:
        return request.resource_type in SKIPPED_RESOURCES or not on_domains(request.url, domains)

    return abort


async def browser_headers(
    *, browser_type_name: str, playwright_request: BrowserRequest, scrapy_request_data: dict[str, Any]
) -> dict[str, str]:
    """The browser's own headers (its cookies included: the challenge's reload needs them),
    with the crawl's User-Agent, so that site operators see who is asking."""
    headers = await playwright_request.all_headers()
    agent = scrapy_request_data["headers"].get(b"User-Agent")
    if agent:
        headers["user-agent"] = agent.decode("latin-1")
    return headers


@dataclass
class BrowserVisit:
    """One page fetched through the browser: the challenge's outcome and the cookies it left."""

    wait_seconds: float
    statuses: list[int] = field(default_factory=list)  # main-frame navigations, in order
    passed: bool = False
    status: int = 0  # of the last navigation
    seconds: float = 0.0
    cookies: list[dict[str, Any]] = field(default_factory=list)

    async def attach(self, page: Page, request: Request) -> None:
        """Before navigation (scrapy-playwright's page init callback): record navigations."""

        def record(response: Any) -> None:
            if response.frame == page.main_frame and response.request.is_navigation_request():
                self.statuses.append(response.status)

        page.on("response", record)

    async def settle(self, page: Page) -> None:
        """After the first answer (a page method): let the challenge run and reload, bounded."""
        from playwright.async_api import Error as PlaywrightError

        loop = asyncio.get_running_loop()
        start = loop.time()
        while True:
            html: str | None = None
            try:
                html = await page.content()
            except PlaywrightError:  # the page is navigating (the challenge's reload)
                pass
            self.status = self.statuses[-1] if self.statuses else 0
            if html is not None and 0 < self.status < 400:
                if detect_block(self.status, {}, html) is None and not is_near_empty(html):
                    self.passed = True
                    break
            if loop.time() - start >= self.wait_seconds:
                break
            await asyncio.sleep(0.2)
        self.seconds = loop.time() - start
        if self.passed:
            self.cookies = [dict(c) for c in await page.context.cookies()]


def browser_request(request: Request, wait_seconds: float) -> Request:
    """The same request, sent through the browser (no validators: the browser's cache is empty)."""
    from scrapy_playwright.page import PageMethod

    visit = BrowserVisit(wait_seconds)
    headers = {k: v for k, v in request.headers.items() if k not in CONDITIONAL}
    meta = {
        **{k: v for k, v in request.meta.items() if k not in DOWNLOAD_STATE and not k.startswith("_")},
        "playwright": True,
        "playwright_context": CONTEXT,
        "playwright_page_init_callback": visit.attach,
        "playwright_page_methods": [PageMethod(visit.settle)],
        VISIT_META: visit,
    }
    return request.replace(headers=headers, meta=meta, dont_filter=True)


def visit_of(response: Response) -> BrowserVisit | None:
    """The browser visit that produced ``response``, or None for a plain HTTP response."""
    visit = response.meta.get(VISIT_META) if "playwright" in response.flags else None
    return visit if isinstance(visit, BrowserVisit) else None


def cookie_header(cookies: Iterable[dict[str, Any]], url: str) -> str | None:
    """A Cookie header with the browser's cookies that apply to ``url``'s host."""
    pairs = [
        f"{c['name']}={c['value']}"
        for c in cookies
        if on_domains(url, [str(c.get("domain", "")).lstrip(".")])
    ]
    return "; ".join(pairs) or None


def _handler_base() -> type:
    from scrapy_playwright.handler import ScrapyPlaywrightDownloadHandler

    return ScrapyPlaywrightDownloadHandler


try:
    _Base: type = _handler_base()
except ImportError:  # without scrapy-playwright the handler is never configured
    _Base = object


class LazyPlaywrightHandler(_Base):  # type: ignore[misc,valid-type]
    """scrapy-playwright's handler, but Playwright and Chromium start at the first browser
    request of the crawl instead of at engine start: a crawl that meets no challenge starts
    no browser. Plain requests go through Scrapy's HTTP/1.1 handler as before."""

    def __init__(self, crawler: Any) -> None:
        super().__init__(crawler)
        self._started = False
        self._start_lock = asyncio.Lock()

    async def _maybe_launch_in_thread(self) -> None:  # engine start: nothing yet
        return None

    def _engine_started(self) -> Any:  # the same, on Scrapy versions without the async API
        from twisted.internet.defer import succeed

        return succeed(None)

    async def _download_request(self, request: Request, spider: Any = None) -> Response:
        async with self._start_lock:
            if not self._started:
                await self._launch()
                self._started = True
        response: Response = await super()._download_request(request, spider)
        return response
