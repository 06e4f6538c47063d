"""Structure of the TRS-platform pages (list and detail) that the crawlers read.

Pure functions over decoded HTML: no Scrapy, no database. Real markup differs a little
from site to site, so every field is looked for in several places, in the order of
``/work/shared/reference/fujian-sites.md``; the list rows are recognised by shape (a link
and a date in one ``<li>``), not by class names that the sites rename.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import unicodedata
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit

import lxml.html
from lxml import etree

from parsers.blocking import is_near_empty
from parsers.list_entry import ListEntry

DATE_RE = re.compile(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})")
URL_DATE_RE = re.compile(r"/t(\d{4})(\d{2})(\d{2})_\d+")
CREATE_PAGE_RE = re.compile(
    r"createPageHTML\(\s*['\"]?(\d+)['\"]?\s*,\s*['\"]?(\d+)['\"]?\s*,\s*['\"](\w+)['\"]\s*,\s*['\"](\w+)['\"]"
)
RECORD_COUNT_RE = re.compile(r"recordCount\s*:\s*['\"]?(\d+)")
PREPAGE_RE = re.compile(r"prepage\s*:\s*['\"]?(\d+)")
MAX_STATIC_RE = re.compile(r"maxStaticIndex\s*:\s*['\"]?(\d+)")
ATTACHMENT_EXTS = ("pdf", "doc", "docx", "xls", "xlsx", "wps", "et", "zip", "rar", "ofd")
BODY_SELECTORS = (
    "//*[contains(concat(' ', normalize-space(@class), ' '), ' TRS_Editor ')]",
    "//*[contains(concat(' ', normalize-space(@class), ' '), ' Custom_UnionStyle ')]",
    "//*[@id='trsContent']",
    "//*[contains(concat(' ', normalize-space(@class), ' '), ' TRS_UEDITOR ')]",
    "//*[@id='fontzoom']",
    "//*[@id='zoom']",
)
NOISE = (
    "扫一扫在手机上查看当前页面",
    "打印本页",
    "关闭窗口",
    "网站标识码",
    "版权所有",
    "主办：",
    "【打印】",
    "【关闭】",
)
INFO_LABELS = {
    "索引号": "index_number",
    "发文机关": "issuer",
    "发布机构": "issuer",
    "发文字号": "doc_number",
    "文号": "doc_number",
    "成文日期": "written_date",
    "发布日期": "published_date",
    "主题分类": "topic",
}


@dataclass(frozen=True)
class ListPage:
    entries: list[ListEntry]
    page_count: int | None  # pages the pagination announces (None: no pagination found)
    static_pages: int | None  # listModel's maxStaticIndex: pages beyond it are dynamic
    pagination: str | None  # "listModel" | "createPageHTML" | None
    structure_matched: bool  # rows found, or the list's pagination script (an empty list)
    near_empty: bool  # almost no visible text: a challenge or a JavaScript shell

    def page_urls(self, base_url: str, limit: int) -> list[str]:
        """URLs of pages 1 .. limit-1 that exist (``index_N.htm`` next to page 0)."""
        count = self.page_count or 1
        if self.static_pages is not None:
            count = min(count, self.static_pages + 1)
        return [urljoin(base_url, f"index_{i}.htm") for i in range(1, min(count, limit))]


@dataclass(frozen=True)
class Attachment:
    url: str
    name: str
    offsite: bool


@dataclass
class DetailPage:
    title: str | None
    published_at: dt.date | None
    content_source: str | None
    doc_number: str | None
    issuer: str | None
    info: dict[str, str] = field(default_factory=dict)  # the 信息公开 table, by field name
    body_text: str = ""
    attachments: list[Attachment] = field(default_factory=list)
    structure_matched: bool = False  # a title and body text were found
    near_empty: bool = False


def _parse(html: str) -> lxml.html.HtmlElement | None:
    if not html.strip():
        return None
    try:
        return lxml.html.document_fromstring(html)
    except (etree.ParserError, ValueError):
        return None


def _text(el: lxml.html.HtmlElement) -> str:
    return re.sub(r"\s+", " ", el.text_content()).strip()


def _date(text: str | None) -> dt.date | None:
    if not text:
        return None
    m = DATE_RE.search(unicodedata.normalize("NFKC", text))
    if not m:
        return None
    try:
        return dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    except ValueError:
        return None


def url_date(url: str) -> dt.date | None:
    """The date TRS writes into detail URLs (``t20251103_123456.htm``)."""
    m = URL_DATE_RE.search(url)
    if not m:
        return None
    try:
        return dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    except ValueError:
        return None


def _host(url: str) -> str:
    return (urlsplit(url).hostname or "").lower()


def _is_link(href: str | None) -> bool:
    return bool(href) and not href.strip().lower().startswith(("javascript:", "#", "mailto:"))  # type: ignore[union-attr]


def extract_list_page(html: str, url: str) -> ListPage:
    """Rows (a link plus a date in one ``<li>``), pagination, and whether it looks like a list."""
    root = _parse(html)
    near_empty = is_near_empty(html)
    entries: list[ListEntry] = []
    if root is not None:
        page_host = _host(url)
        seen: set[str] = set()
        for li in root.iter("li"):
            links = [a for a in li.iter("a") if _is_link(a.get("href"))]
            if not links:
                continue
            link = links[0]
            href = urljoin(url, link.get("href", "").strip())
            date = None
            for span in li.iter("span", "em", "i", "font"):
                date = _date(span.text_content())
                if date:
                    break
            date = date or _date(_text(li).replace(_text(link), "")) or None
            if date is None:
                continue  # navigation, not a row
            title = (link.get("title") or "").strip() or _text(link)
            if not title or href in seen:
                continue
            seen.add(href)
            entries.append(ListEntry(href, title, date, _host(href) != page_host))
    page_count: int | None = None
    static_pages: int | None = None
    pagination: str | None = None
    if m := CREATE_PAGE_RE.search(html):
        pagination, page_count = "createPageHTML", int(m.group(1))
    elif (rc := RECORD_COUNT_RE.search(html)) and "listModel" in html:
        per_page = int(m2.group(1)) if (m2 := PREPAGE_RE.search(html)) else 20
        pagination = "listModel"
        page_count = max(1, math.ceil(int(rc.group(1)) / max(per_page, 1)))
        if ms := MAX_STATIC_RE.search(html):
            static_pages = int(ms.group(1))
    return ListPage(
        entries=entries,
        page_count=page_count,
        static_pages=static_pages,
        pagination=pagination,
        structure_matched=bool(entries) or pagination is not None,
        near_empty=near_empty,
    )


def _meta(root: lxml.html.HtmlElement, name: str) -> str | None:
    for el in root.iter("meta"):
        if (el.get("name") or "").lower() == name.lower():
            value = (el.get("content") or "").strip()
            if value:
                return value
    return None


def _first_xpath(root: lxml.html.HtmlElement, paths: tuple[str, ...]) -> lxml.html.HtmlElement | None:
    for path in paths:
        found = root.xpath(path)
        if found:
            return found[0]  # type: ignore[no-any-return]
    return None


def _body_text(el: lxml.html.HtmlElement) -> str:
    lines: list[str] = []
    for raw in el.itertext():
        line = re.sub(r"[ \t\r\f\v\u3000\xa0]+", " ", raw).strip()
        if line and not any(n in line for n in NOISE):
            lines.append(line)
    return "\n".join(lines)


def _largest_text_block(root: lxml.html.HtmlElement) -> lxml.html.HtmlElement | None:
    best, best_len = None, 0
    for el in root.iter("div", "td", "article", "section"):
        length = sum(len(_text(p)) for p in el.findall("p"))
        if length > best_len:
            best, best_len = el, length
    return best


def _info_table(root: lxml.html.HtmlElement) -> dict[str, str]:
    """The 信息公开 label/value cells: ``<td>发文字号：</td><td>闽人社文〔2025〕12号</td>``."""
    info: dict[str, str] = {}
    for cell in root.iter("td", "th", "li", "span", "div", "dt"):
        label = re.sub(r"[\s\u3000:：]", "", _text(cell) if len(cell) == 0 else (cell.text or ""))
        key = INFO_LABELS.get(label)
        if key is None or key in info:
            continue
        value_el = cell.getnext()
        value = _text(value_el) if value_el is not None else ""
        if not value and cell.tail:
            value = cell.tail.strip()
        if value:
            info[key] = value
    return info


def _may_name_a_file(href: str) -> bool:
    """False when the link itself shows it is no attachment (a page's dozens of navigation
    links), so that only the others are resolved. Resolving a reference keeps its last path
    segment; a reference whose path ends in a directory ("/", ".", "..") resolves to one; only
    a reference without a path (a query) takes the page's own."""
    path = urlsplit(href).path
    if not path:
        return True
    name = path.rsplit("/", 1)[-1]
    return name not in ("", ".", "..") and name.rsplit(".", 1)[-1].lower() in ATTACHMENT_EXTS


def _attachments(root: lxml.html.HtmlElement, url: str) -> list[Attachment]:
    page_host = _host(url)
    found: dict[str, Attachment] = {}
    for a in root.iter("a"):
        href = a.get("href")
        if not _is_link(href) or not _may_name_a_file(href.strip()):  # type: ignore[union-attr]
            continue
        full = urljoin(url, href.strip())  # type: ignore[union-attr]
        path = urlsplit(full).path.lower()
        if path.rsplit(".", 1)[-1] not in ATTACHMENT_EXTS or full in found:
            continue
        name = (a.get("title") or "").strip() or _text(a) or path.rsplit("/", 1)[-1]
        found[full] = Attachment(full, name, _host(full) != page_host)
    return list(found.values())


def extract_detail_page(html: str, url: str) -> DetailPage:
    """Title, dates, 文号, issuer, body text and attachment links of an announcement."""
    root = _parse(html)
    if root is None:
        return DetailPage(None, None, None, None, None, near_empty=True)
    title = _meta(root, "ArticleTitle")
    if not title:
        heading = _first_xpath(root, ("//*[contains(@class,'article_title')]", "//h1"))
        title = _text(heading) if heading is not None else None
    if not title:
        page_title = root.findtext(".//title") or ""
        title = re.split(r"\s*[-_|]\s*", page_title.strip())[0] or None
    info = _info_table(root)
    published = _date(_meta(root, "PubDate")) or _date(info.get("published_date"))
    source = _meta(root, "ContentSource")
    if published is None or not source:  # only then read the page text
        whole = _text(root)
        if published is None and (m := re.search(r"发布(?:时间|日期)\s*[:：]\s*(\S+)", whole)):
            published = _date(m.group(1))
        if not source and (m := re.search(r"来源\s*[:：]\s*([^\s|]+)", whole)):
            source = m.group(1)
    published = published or url_date(url)
    body_el = _first_xpath(root, BODY_SELECTORS)
    if body_el is None:
        body_el = _largest_text_block(root)
    body = _body_text(body_el) if body_el is not None else ""
    return DetailPage(
        title=title,
        published_at=published,
        content_source=source,
        doc_number=info.get("doc_number"),
        issuer=info.get("issuer") or None,
        info=info,
        body_text=body,
        attachments=_attachments(root, url),
        structure_matched=bool(title) and bool(body),
        near_empty=is_near_empty(html),
    )
