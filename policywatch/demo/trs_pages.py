"""The HTML of the province's TRS site platform: list pages, detail pages, attachment links.

The one writer of this markup, for the demo site (sample_site.py) and for the committed test
fixtures (tests/fixtures/sites/build_sites.py, tests/fixtures/corpus/build_corpus.py), so
the crawler and parser are tested on the same page shape the demo shows. The shape is the
one the crawlers expect (see parsers/trs_page.py): list rows ``<li><a href title>`` with a
truncated link text and a date, ``createPageHTML`` or ``listModel`` pagination, detail pages
with ArticleTitle/PubDate/ContentSource metas, a 信息公开 table, the body in ``.TRS_Editor``
(some sites: ``.Custom_UnionStyle``), 附件 links, all inside header and footer noise.

Functions return text; the caller encodes it (older pages are GB18030 bytes that declare
another charset, which is why ``charset`` is only what the page says).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from html import escape

LINK_TEXT_CHARS = 16  # list rows show this much of a title, then "…"
COLUMN_MENU = (("tzgg", "通知公告"), ("zcwj", "政策文件"), ("zcjd", "政策解读"), ("bsfw", "办事服务"))


@dataclass(frozen=True)
class ListRow:
    href: str  # as written in the page, usually relative: "./202511/t20251103_100001.htm"
    title: str  # the full title (the ``title`` attribute); the link text is cut short
    date: str  # "2025-11-03"


@dataclass(frozen=True)
class CreatePageHTML:
    """Classic pagination: pages ``index.htm``, ``index_1.htm`` … ``index_{count-1}.htm``."""

    count: int
    current: int = 0

    def script(self) -> str:
        return (
            '<div class="page"><script type="text/javascript">\n'
            f"var currentPage = {self.current};var countPage = {self.count};\n"
            f'createPageHTML({self.count}, {self.current}, "index", "htm");\n'
            "</script></div>"
        )


@dataclass(frozen=True)
class ListModel:
    """``list2.trsapi`` pagination: static pages up to ``max_static_index``, older ones dynamic."""

    max_static_index: int
    per_page: int
    record_count: int

    def script(self) -> str:
        return (
            '<div id="page"></div>\n<script>\n'
            "require(['list2.trsapi'], function (listModel) {\n"
            f"  listModel({{ maxStaticIndex: {self.max_static_index}, pagebar: {{ prepage: {self.per_page}, "
            f"recordCount: '{self.record_count}' }},\n"
            "    url: '/was5/web/search?channelid=204756', container: '#page' });\n"
            "});\n</script>"
        )


@dataclass(frozen=True)
class AttachmentLink:
    href: str  # "./P020251103512345678901.xlsx", or an absolute URL (another site's file)
    label: str  # the link text, usually the file name


@dataclass(frozen=True)
class Announcement:
    """What a detail page shows."""

    site: str  # the site's name, in the title and the footer
    title: str
    pubdate: str  # "2025-11-03 09:30"
    source: str  # the issuing office (ContentSource, "来源：")
    body_html: str  # inner HTML of the body container
    info: Mapping[str, str] = field(default_factory=dict)  # 信息公开 table: label -> value
    attachments: Sequence[AttachmentLink] = ()
    body_class: str = "TRS_Editor"
    column: str = "通知公告"
    charset: str = "utf-8"  # what the page declares


def _page(site: str, column: str, title: str, charset: str, metas: Mapping[str, str], content: str) -> str:
    """A page of ``site``: head, header with the column's breadcrumb, ``content``, footer."""
    meta_lines = "".join(
        f'<meta name="{name}" content="{escape(value)}" />\n'
        for name, value in {"SiteName": site, "ColumnName": column, **metas}.items()
    )
    return f"""<!DOCTYPE html>
<html>
<head>
<meta http-equiv="Content-Type" content="text/html; charset={charset}" />
<meta http-equiv="X-UA-Compatible" content="IE=edge" />
<title>{escape(title)}_{escape(site)}</title>
{meta_lines}<link rel="stylesheet" href="/images/trt-base.css" />
<script src="/images/jquery.min.js"></script>
</head>
<body>
<div class="trt-header"><a href="/">首页</a> &gt; <a href="../">政务公开</a> &gt; <span>{escape(column)}</span>
<div class="search"><input type="text" value="请输入关键字" /></div></div>
<div class="trt-row">
{content}
</div>
<div class="trt-footer">
<div class="qrcode"><img src="/images/qrcode.png" alt="" /><p>扫一扫在手机上查看当前页面</p></div>
<p>主办：{escape(site)}&nbsp;&nbsp;版权所有：{escape(site)}</p>
<p>网站标识码：3500000012&nbsp;&nbsp;闽ICP备05012345号-1&nbsp;&nbsp;闽公网安备 35010202000123号</p>
<p>联系电话：0591-12345678&nbsp;&nbsp;最佳分辨率1920×1080</p>
</div>
</body>
</html>
"""


def column_page(site: str, column: str, content: str) -> str:
    """A column (section) page with any ``content``: a list, or what a redesign puts there.

    The sibling columns menu beside it is made of ``<li>`` links without a date, which a
    list reader must not take for rows.
    """
    menu = "".join(f'<li><a href="../{path}/">{name}</a></li>' for path, name in COLUMN_MENU)
    return _page(site, column, column, "utf-8", {}, f'<div class="side-nav"><ul>{menu}</ul></div>\n{content}')


def _list_row(row: ListRow) -> str:
    title = row.title
    text = title if len(title) <= LINK_TEXT_CHARS else title[:LINK_TEXT_CHARS] + "…"
    return (
        f'<li><a href="{escape(row.href)}" title="{escape(title)}" target="_blank">{escape(text)}</a>'
        f"<span>{row.date}</span></li>"
    )


def list_page(
    site: str, column: str, rows: Sequence[ListRow], pagination: CreatePageHTML | ListModel | None
) -> str:
    """One page of a column's list, newest first as given, with its pagination script."""
    items = "".join(f"{_list_row(row)}\n" for row in rows)
    pager = f"\n{pagination.script()}" if pagination else ""
    return column_page(site, column, f'<div class="list_box"><ul class="list">\n{items}</ul>{pager}</div>')


def _attachment_links(links: Sequence[AttachmentLink]) -> str:
    """The 附件 block under the body (empty without attachments)."""
    if not links:
        return ""
    items = "".join(
        f'<li><a href="{escape(link.href)}" target="_blank">{escape(link.label)}</a></li>' for link in links
    )
    return f'<div class="article-attach"><p>附件：</p><ul>{items}</ul></div>'


def detail_page(page: Announcement) -> str:
    """An announcement's page: metas, 信息公开 table, title, date line, body, attachments."""
    info = ""
    if page.info:
        cells = "".join(f"<tr><th>{escape(k)}：</th><td>{escape(v)}</td></tr>" for k, v in page.info.items())
        info = f'<table class="xxgk_table">{cells}</table>'
    metas = {"ArticleTitle": page.title, "PubDate": page.pubdate, "ContentSource": page.source}
    content = f"""{info}
<div class="article_title"><h1>{escape(page.title)}</h1></div>
<div class="article_attr">发布时间：{page.pubdate}&nbsp;&nbsp;来源：{escape(page.source)}&nbsp;&nbsp;浏览量：<span id="hits"></span>
&nbsp;&nbsp;【字体：<a href="#">大</a> <a href="#">中</a> <a href="#">小</a>】</div>
<div class="article_content"><div class="{page.body_class}">
{page.body_html}
</div></div>
{_attachment_links(page.attachments)}
<div class="article_tools"><a href="javascript:window.print()">打印本页</a> <a href="javascript:window.close()">关闭窗口</a></div>"""
    return _page(page.site, page.column, page.title, page.charset, metas, content)
