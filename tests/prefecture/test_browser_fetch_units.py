"""The browser fetch's pure pieces: what the browser may load, which cookies go where, how
health reads, and when no browser can be used."""

from __future__ import annotations

from dataclasses import replace
from types import SimpleNamespace

from crawlers.browser_fetch import browser_settings, browser_unavailable, cookie_header, off_limits
from crawlers.crawl_config import CrawlSettings
from crawlers.health import HealthTracker, status_label


def test_the_browser_loads_nothing_off_the_allowed_domains_and_no_images() -> None:
    abort = off_limits(("rsj.ningde.gov.cn",))

    def req(url: str, kind: str = "document") -> object:
        return SimpleNamespace(url=url, resource_type=kind)

    assert abort(req("https://rsj.ningde.gov.cn/zwgk/tzgg/")) is False  # type: ignore[arg-type]
    assert abort(req("https://rsj.ningde.gov.cn/ts.js", "script")) is False  # type: ignore[arg-type]
    assert abort(req("https://rsj.ningde.gov.cn/logo.png", "image")) is True  # type: ignore[arg-type]
    assert abort(req("https://evil.example.net/x.js", "script")) is True  # type: ignore[arg-type]
    assert abort(req("https://rsj.ningde.gov.cn.evil.net/", "document")) is True  # type: ignore[arg-type]


def test_cookies_go_only_to_their_hosts() -> None:
    cookies = [
        {"name": "FSSBBIl1UgzbN7N80S", "value": "a1", "domain": "rsj.ningde.gov.cn"},
        {"name": "__jsluid_s", "value": "b2", "domain": ".ningde.gov.cn"},
        {"name": "other", "value": "c3", "domain": "www.fujian.gov.cn"},
    ]
    assert (
        cookie_header(cookies, "https://rsj.ningde.gov.cn/zwgk/P0.xlsx")
        == "FSSBBIl1UgzbN7N80S=a1; __jsluid_s=b2"
    )
    assert cookie_header(cookies, "https://www.xm.gov.cn/a.pdf") is None


def test_health_says_ok_browser_or_blocked() -> None:
    tracker = HealthTracker("ningde-hrss")
    tracker.read_by_browser(1.26)
    tracker.read_by_browser(0.4)
    health = tracker.result(new=1, changed=0, requests=5, bytes_downloaded=10)
    assert health.status == "ok"
    assert health.message.startswith("read through the browser (2 pages; the challenge took up to 1.3 s)")
    assert status_label(health.status, health.message) == "ok (browser)"
    assert status_label("ok", "") == "ok"
    tracker.problem("blocked", "x: HTTP 412: the browser did not pass the challenge in 15 s")
    assert status_label(tracker.status(), tracker.message()) == "blocked"


def test_no_browser_is_said_and_settings_name_the_executable(tmp_path) -> None:
    off = replace(CrawlSettings(), browser="off")
    assert browser_unavailable(off) == "crawl.browser is off"
    missing = replace(CrawlSettings(), browser_executable=str(tmp_path / "chromium"))
    assert "no browser at" in (browser_unavailable(missing) or "")
    settings = browser_settings(CrawlSettings(), ["rsj.ningde.gov.cn"])
    assert settings["PLAYWRIGHT_LAUNCH_OPTIONS"]["executable_path"] == "/usr/bin/chromium"
    assert settings["PLAYWRIGHT_MAX_PAGES_PER_CONTEXT"] == 1
