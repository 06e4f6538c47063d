"""HTML pages and HTML tables (also .xls files that are really HTML exports)."""

from __future__ import annotations

import re

from bs4 import BeautifulSoup, CData, NavigableString, PageElement, Tag

from rules.provenance import Provenance
from rules.text import nfkc

from ..grid import (
    MAX_TABLE_CELLS,
    MAX_TABLE_COLUMNS,
    Extracted,
    ReadFailure,
    TextBlock,
    make_grid,
    too_complex,
)
from ..rows import ParseProblem

_BODY_SELECTORS = (
    ".TRS_Editor",
    ".Custom_UnionStyle",
    "#trsContent",
    ".TRS_UEDITOR",
    "#fontzoom",
    "#zoom",
    ".article_content",
    ".article-content",
    "article",
)
_BLOCKS = {
    "p", "div", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "section", "article", "blockquote",
    "tr", "table", "dd", "dt", "pre", "center", "header", "footer", "form",
}  # fmt: skip
_NOISE = re.compile(r"扫一扫在手机上查看|打印本页|关闭窗口|网站标识码|版权所有|主办[:：]|ICP备|分享到")
_MAX_SPAN = 200


def _cell_text(cell: Tag) -> str:
    for br in cell.find_all("br"):
        br.replace_with("\n")
    for block in cell.find_all(["p", "div", "li"]):
        block.insert_after("\n")
    return nfkc(cell.get_text("")).strip()


def _span(cell: Tag, attr: str) -> int:
    raw = str(cell.get(attr) or "1")
    m = re.match(r"\s*(\d+)", raw)
    return max(1, min(int(m.group(1)), _MAX_SPAN)) if m else 1


def table_to_rows(table: Tag) -> list[list[str]]:
    """Expand rowspan/colspan so every merged area repeats its value."""
    rows: list[list[str]] = []
    pending: dict[tuple[int, int], str] = {}
    trs = [tr for tr in table.find_all("tr") if tr.find_parent("table") is table]
    cells = 0
    for r, tr in enumerate(trs):
        row: list[str] = []
        c = 0
        for cell in tr.find_all(["td", "th"], recursive=False):
            while (r, c) in pending:
                row.append(pending.pop((r, c)))
                c += 1
            text = _cell_text(cell)
            rs, cs = _span(cell, "rowspan"), _span(cell, "colspan")
            cells += rs * cs
            if cells > MAX_TABLE_CELLS or c + cs > MAX_TABLE_COLUMNS:
                raise too_complex("a table whose merged cells expand too far")
            for dc in range(cs):
                row.append(text)
                for dr in range(1, rs):
                    pending[(r + dr, c + dc)] = text
            c += cs
        while (r, c) in pending:
            row.append(pending.pop((r, c)))
            c += 1
        rows.append(row)
    return rows


def _find_body(soup: BeautifulSoup) -> Tag:
    for sel in _BODY_SELECTORS:
        found = soup.select_one(sel)
        if isinstance(found, Tag) and found.get_text(strip=True):
            return found
    return soup.body if isinstance(soup.body, Tag) else soup


def _meta(soup: BeautifulSoup, name: str) -> str | None:
    tag = soup.find("meta", attrs={"name": name})
    if isinstance(tag, Tag):
        content = tag.get("content")
        if isinstance(content, str) and content.strip():
            return nfkc(content).strip()
    return None


def _title(soup: BeautifulSoup) -> str | None:
    title = _meta(soup, "ArticleTitle")
    if title:
        return title
    for sel in (".article_title", ".article-title", "h1"):
        tag = soup.select_one(sel)
        if isinstance(tag, Tag) and tag.get_text(strip=True):
            return nfkc(tag.get_text("")).strip()
    if soup.title and soup.title.string:
        return nfkc(soup.title.string).split("-")[0].split("_")[0].strip() or None
    return None


def _caption(table: Tag) -> str:
    """Text just above the table: its <caption> or the nearest preceding non-empty block."""
    cap = table.find("caption")
    if isinstance(cap, Tag) and cap.get_text(strip=True):
        return nfkc(cap.get_text("")).strip()
    for prev in table.find_all_previous(string=True, limit=40):
        if prev.find_parent(["table", "script", "style", "head"]) is not None:
            continue
        text = nfkc(str(prev)).strip()
        if text:
            return text
    return ""


def _leaf_tables(root: Tag) -> list[Tag]:
    """Data tables: tables holding no other table (outer tables are page layout)."""
    return [t for t in root.find_all("table") if t.find("table") is None]


_BREAK = "\ue000"  # a private-use char marks the line breaks that <br> and block tags make


def _text_with_breaks(root: Tag) -> str:
    """The text under ``root`` with _BREAK where <br> and block elements break lines.

    One pass with an explicit stack: inserting markers into the tree is quadratic in the
    number of siblings (8,000 paragraphs took 6 s) and recursion fails on deep nesting."""
    out: list[str] = []
    stack: list[tuple[PageElement, bool]] = [(root, False)]
    while stack:
        node, closing = stack.pop()
        if closing:
            out.append(_BREAK)
        elif isinstance(node, NavigableString):
            if type(node) in (NavigableString, CData):  # not comments, doctypes, processing instructions
                out.append(str(node))
        elif isinstance(node, Tag) and node.name not in _SKIPPED:
            if node.name == "br":
                out.append(_BREAK)
                continue
            if node.name in _BLOCKS:
                out.append(_BREAK)
                stack.append((node, True))
            stack.extend((child, False) for child in reversed(node.contents))
    return "".join(out)


_SKIPPED = frozenset({"script", "style", "noscript"})


def _text_blocks(root: Tag, source: Provenance) -> list[TextBlock]:
    # a line break in the HTML source is a space (the editor wrapped a long line), only
    # <br> and block elements break lines: "申报时间为2026年3月1日\n至3月31日" is one line
    blocks = []
    for line in _text_with_breaks(root).split(_BREAK):
        text = nfkc(re.sub(r"\s*[\r\n]+\s*", " ", line)).strip()
        if text and not _NOISE.search(text):
            blocks.append(TextBlock(text=text, source=source))
    return blocks


def read_html(text: str, attachment: str | None = None) -> Extracted:
    """Tables (merged cells expanded) and narrative paragraphs of a page body."""
    soup = BeautifulSoup(text, "lxml")
    out = Extracted(
        title=_title(soup),
        published=_meta(soup, "PubDate") or _meta(soup, "pubdate") or _meta(soup, "firstpublishedtime"),
        issuer=_meta(soup, "ContentSource"),
    )
    _read_info_table(soup, out)
    body = _find_body(soup)
    data_tables: list[Tag] = []
    for table in _leaf_tables(body):
        try:
            rows = table_to_rows(table)
        except ReadFailure as failure:  # one hostile table; the rest of the page is still read
            out.problems.append(
                ParseProblem(failure.code, failure.message, Provenance(attachment=attachment))
            )
            continue
        grid = make_grid(rows, Provenance(attachment=attachment), caption=_caption(table))
        if grid is not None and grid.width >= 2:  # one column is a text box, not a table
            grid.source = Provenance(attachment=attachment, table=len(data_tables) + 1)
            out.grids.append(grid)
            data_tables.append(table)
    for table in data_tables:
        table.decompose()
    out.texts = _text_blocks(body, Provenance(attachment=attachment))
    return out


_INFO_LABELS = {"发文字号": "doc_number", "文号": "doc_number", "发布日期": "published", "发文机关": "issuer"}


def _read_info_table(soup: BeautifulSoup, out: Extracted) -> None:
    """The 信息公开 label/value block (发文字号, 发布日期, 发文机关) of TRS pages."""
    for node in soup.find_all(string=re.compile(r"发文字号|文\s*号|发布日期|发文机关")):
        label = re.sub(r"[\s:：]", "", nfkc(str(node)))
        for key, attr in _INFO_LABELS.items():
            if not label.startswith(key):
                continue
            value = label[len(key) :]
            if not value:
                parent = node.parent
                sibling = parent.find_next_sibling() if isinstance(parent, Tag) else None
                value = nfkc(sibling.get_text("")).strip() if isinstance(sibling, Tag) else ""
            if value and getattr(out, attr) is None:
                setattr(out, attr, value)
