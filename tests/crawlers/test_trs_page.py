"""The pure page-structure functions the spiders rely on (no network, no Scrapy)."""

from __future__ import annotations

import datetime as dt
from urllib.parse import urljoin, urlsplit

from hypothesis import given
from hypothesis import strategies as st

from parsers.blocking import detect_block
from parsers.decoding import decode_html
from parsers.trs_page import (
    ATTACHMENT_EXTS,
    _may_name_a_file,
    extract_detail_page,
    extract_list_page,
    url_date,
)
from tests.crawlers.crawl_helpers import GOV, HRSS

BASE = "http://rst.example.gov.cn/xxgk/tzgg/"


def test_list_rows_use_the_title_attribute_and_flag_offsite_links() -> None:
    page = extract_list_page((HRSS / "base/xxgk/tzgg/index.htm").read_text(encoding="utf-8"), BASE)
    titles = [e.title for e in page.entries]
    assert titles[0] == "关于公布2026年厦门市急需紧缺职业(工种)目录的通知"
    assert not any(t.endswith("…") for t in titles)
    assert page.entries[0].url == BASE + "202511/t20251103_100001.htm"
    assert page.entries[0].date == dt.date(2025, 11, 3)
    assert [e.offsite for e in page.entries] == [False, False, True, False]
    assert page.structure_matched and page.pagination == "listModel"


def test_list_model_pagination_stops_at_the_static_pages() -> None:
    page = extract_list_page((HRSS / "base/xxgk/tzgg/index.htm").read_text(encoding="utf-8"), BASE)
    assert (page.page_count, page.static_pages) == (2, 1)
    assert page.page_urls(BASE, 10) == [BASE + "index_1.htm"]
    assert page.page_urls(BASE, 1) == []


def test_create_page_html_pagination() -> None:
    url = "http://www.example.gov.cn/zwgk/zxwj/szfwj/index.htm"
    page = extract_list_page((GOV / "base/zwgk/zxwj/szfwj/index.htm").read_text(encoding="utf-8"), url)
    assert page.pagination == "createPageHTML" and page.page_count == 3
    assert page.page_urls(url, 3) == [
        url.replace("index.htm", "index_1.htm"),
        url.replace("index.htm", "index_2.htm"),
    ]
    assert page.page_urls(url, 2) == [url.replace("index.htm", "index_1.htm")]


def test_redesigned_and_empty_lists() -> None:
    redesign = extract_list_page((HRSS / "redesign/xxgk/tzgg/index.htm").read_text(encoding="utf-8"), BASE)
    assert not redesign.entries and not redesign.structure_matched and not redesign.near_empty
    empty = extract_list_page((HRSS / "empty/xxgk/tzgg/index.htm").read_text(encoding="utf-8"), BASE)
    assert not empty.entries and empty.structure_matched


def test_detail_page_fields() -> None:
    url = BASE + "202511/t20251103_100001.htm"
    html = (HRSS / "base/xxgk/tzgg/202511/t20251103_100001.htm").read_text(encoding="utf-8")
    page = extract_detail_page(html, url)
    assert page.title == "关于公布2026年厦门市急需紧缺职业(工种)目录的通知"
    assert page.published_at == dt.date(2025, 11, 3)
    assert page.doc_number == "厦人社〔2025〕112号"
    assert page.issuer == "厦门市人力资源和社会保障局"
    assert page.info["written_date"] == "2025-10-30"
    assert "电工（6-31-01-03）列为特别紧缺" in page.body_text
    assert "扫一扫" not in page.body_text and "打印本页" not in page.body_text
    assert [a.url for a in page.attachments] == [BASE + "202511/P020251103512345678901.xlsx"]
    assert page.structure_matched


def test_detail_page_fallbacks() -> None:
    html = """<html><head><title>关于某事的通知-某局</title></head><body>
    <div id="zoom"><p>发布时间：2024-05-06</p><p>正文内容，关于居住证的规定。</p></div>
    <p>附件：<a href="/files/P020240506000001.xls">表</a><a href="http://other.example/x.pdf">外站</a></p></body></html>"""
    page = extract_detail_page(html, "http://a.example/zw/202405/t20240506_1.htm")
    assert page.title == "关于某事的通知"
    assert page.published_at == dt.date(2024, 5, 6)
    assert "居住证" in page.body_text
    assert [(a.url, a.offsite) for a in page.attachments] == [
        ("http://a.example/files/P020240506000001.xls", False),
        ("http://other.example/x.pdf", True),
    ]
    assert url_date("http://a.example/zw/202405/t20240506_1.htm") == dt.date(2024, 5, 6)


def test_gb18030_page_with_a_wrong_charset_header() -> None:
    data = (HRSS / "base/xxgk/tzgg/202508/t20250801_100004.htm").read_bytes()
    html = decode_html(data, "utf-8")
    assert extract_detail_page(html, BASE + "202508/t20250801_100004.htm").title == (
        "关于开展2025年下半年职业技能等级认定工作的通知"
    )


def test_block_detection() -> None:
    assert "$_ts" in (detect_block(412, {}, "<script>$_ts=window['$_ts'];</script>") or "")
    assert "__jsluid" in (detect_block(521, {"set-cookie": "__jsluid_h=abc"}, "<script></script>") or "")
    assert detect_block(200, {}, "<html><body><p>" + "正文" * 200 + "</p></body></html>") is None
    assert detect_block(404, {}, "<html><body>404 Not Found</body></html>") is None

    # 加速乐 also sets __jsluid on the pages it lets through: content with the cookie is content
    page = "<html><body><p>" + "正文" * 200 + "</p></body></html>"
    assert detect_block(200, {"set-cookie": "__jsluid_s=abc; path=/"}, page) is None
    shell = "<html><body><script>document.cookie='__jsl_clearance=1'</script></body></html>"
    assert "__jsluid" in (detect_block(200, {"set-cookie": "__jsluid_s=abc"}, shell) or "")


SEGMENTS = st.sampled_from(
    ["", ".", "..", "a", "b.htm", "P02025.pdf", "x.DOCX", "dir.pdf", "f.xls", "list", "pdf", "t_1.html"]
)
HREFS = st.builds(
    lambda lead, parts, tail: lead + "/".join(parts) + tail,
    st.sampled_from(["", "/", "./", "../", "http://127.0.0.1/", "//other.example/", "?"]),
    st.lists(SEGMENTS, max_size=4),
    st.sampled_from(["", "?id=1", "#top", ";v=2", "/"]),
)


@given(
    HREFS,
    st.sampled_from(
        ["http://h.example/s/tzgg/t2025_1.htm", "http://h.example/a.pdf/", "http://h.example/d.pdf"]
    ),
)
def test_links_skipped_unresolved_are_never_attachments(href: str, page_url: str) -> None:
    """Only links whose own name may be a file are resolved: the rest never resolve to one."""
    if not _may_name_a_file(href):
        path = urlsplit(urljoin(page_url, href)).path.lower()
        assert path.rsplit(".", 1)[-1] not in ATTACHMENT_EXTS
