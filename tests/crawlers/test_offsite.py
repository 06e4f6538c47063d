"""The off-site rule without a crawl: where a browser goes, and what the middlewares refuse."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from scrapy import Request
from scrapy.http import HtmlResponse, Response
from scrapy.settings import Settings
from scrapy.utils.conf import build_component_list

from crawlers import settings as project_settings
from crawlers.offsite import (
    OffsiteRedirectMiddleware,
    OffsiteRefreshMiddleware,
    OffsiteRefused,
    OffsiteRequestMiddleware,
    meta_refresh_targets,
)
from crawlers.redirect_target import redirect_target, refresh_target

PAGE = "http://rsj.xm.gov.cn/xxgk/tzgg/index.htm"


@pytest.mark.parametrize(
    ("location", "target"),
    [
        ("///evil.example/x", "http://evil.example/x"),
        ("//evil.example/x", "http://evil.example/x"),
        ("http:\\\\evil.example\\x", "http://evil.example/x"),
        ("\\\\evil.example\\x", "http://evil.example/x"),
        ("/\\evil.example/x", "http://evil.example/x"),
        ("/\t/evil.example/x", "http://evil.example/x"),
        (" \x00//evil.example/x\n", "http://evil.example/x"),
        ("https:evil.example/x", "https://evil.example/x"),
        ("HTTP:///evil.example/x", "http://evil.example/x"),
        ("http:/moved.htm", "http://rsj.xm.gov.cn/moved.htm"),
        ("moved.htm", "http://rsj.xm.gov.cn/xxgk/tzgg/moved.htm"),
        ("\\zwgk\\moved.htm", "http://rsj.xm.gov.cn/zwgk/moved.htm"),
        ("https://rsj.xm.gov.cn/x", "https://rsj.xm.gov.cn/x"),
    ],
)
def test_redirect_targets_are_read_as_browsers_read_them(location: str, target: str) -> None:
    assert redirect_target(PAGE, location) == target


@pytest.mark.parametrize(
    ("content", "target"),
    [
        ("0;url=http://evil.example/x", "http://evil.example/x"),
        ("0; URL='///evil.example/x'", "http://evil.example/x"),
        ('1, url = "moved.htm" ', "http://rsj.xm.gov.cn/xxgk/tzgg/moved.htm"),
        ("0;url=", None),
        ("30", None),
    ],
)
def test_refresh_targets(content: str, target: str | None) -> None:
    assert refresh_target(PAGE, content) == target


def _crawler(*domains: str) -> SimpleNamespace:
    return SimpleNamespace(spider=SimpleNamespace(name="xiamen-hrss", allowed_domains=list(domains)))


def test_every_request_is_checked_dont_filter_included() -> None:
    guard = OffsiteRequestMiddleware(_crawler("xm.gov.cn"))  # type: ignore[arg-type]
    guard.process_request(Request("http://rsj.xm.gov.cn/", dont_filter=True))
    with pytest.raises(OffsiteRefused, match="request to another domain refused: http://evil.example/"):
        guard.process_request(Request("http://evil.example/", dont_filter=True))
    with pytest.raises(OffsiteRefused):  # no allowed domains: nothing is on site
        OffsiteRequestMiddleware(_crawler()).process_request(Request(PAGE))  # type: ignore[arg-type]


def test_an_allowed_location_is_written_back_as_checked() -> None:
    guard = OffsiteRedirectMiddleware(_crawler("rsj.xm.gov.cn"))  # type: ignore[arg-type]
    moved = guard.process_response(
        Request(PAGE), Response(PAGE, status=302, headers={"Location": "\\a\\b.htm"})
    )
    assert moved.headers[b"Location"] == b"http://rsj.xm.gov.cn/a/b.htm"
    hostile = Response(PAGE, status=301, headers={"Location": "http:\\\\evil.example\\x"})
    with pytest.raises(OffsiteRefused, match="redirect to another domain refused: http://evil.example/x"):
        guard.process_response(Request(PAGE), hostile)


def test_refreshes_in_headers_and_html_are_checked() -> None:
    guard = OffsiteRefreshMiddleware(_crawler("rsj.xm.gov.cn"))  # type: ignore[arg-type]
    header = Response(PAGE, headers={"Refresh": "0; url=//evil.example/"})
    with pytest.raises(OffsiteRefused, match="Refresh header"):
        guard.process_response(Request(PAGE), header)
    page = HtmlResponse(
        PAGE,
        body=b'<html><head><base href="\\\\evil.example\\"><META HTTP-EQUIV="Refresh" CONTENT="5;URL=x">'
        b'<noscript><meta http-equiv="refresh" content="0;url=//other.example/"></noscript></head></html>',
    )
    assert meta_refresh_targets(page) == ["http://evil.example/x"]  # against <base>, not <noscript>
    with pytest.raises(OffsiteRefused, match="meta refresh"):
        guard.process_response(Request(PAGE), page)
    onsite = HtmlResponse(PAGE, body=b'<meta http-equiv="refresh" content="0;url=/moved.htm">')
    assert guard.process_response(Request(PAGE), onsite) is onsite


def test_each_check_comes_before_scrapy_acts() -> None:
    """Requests before robots.txt is fetched for their host; Location before RedirectMiddleware
    follows it; meta refresh after HttpCompressionMiddleware decompresses, before MetaRefresh.
    (process_response runs from the highest number down.)"""
    settings = Settings()
    settings.setmodule(project_settings, priority="project")
    chain = build_component_list(settings.getwithbase("DOWNLOADER_MIDDLEWARES"))
    at = {name.rsplit(".", 1)[1]: i for i, name in enumerate(chain)}
    assert "OffsiteMiddleware" not in at  # Scrapy's filter lets dont_filter through, drops silently
    assert at["OffsiteRequestMiddleware"] < at["RobotsTxtMiddleware"]
    assert at["OffsiteRedirectMiddleware"] > at["RedirectMiddleware"]
    assert at["MetaRefreshMiddleware"] < at["OffsiteRefreshMiddleware"] < at["HttpCompressionMiddleware"]
