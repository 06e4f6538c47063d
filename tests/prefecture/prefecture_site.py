"""A small fixture site of one prefecture's 人社 bureau in the TRS platform's markup.

Two states (see policywatch.site_server): ``base`` publishes a points schedule (积分落户计分
标准) whose 初级工 row is worth 10 points, in an xlsx attachment; ``later`` replaces that
attachment under the same URL with 15 points. An unrelated announcement sits beside it.
Everything is invented text.
"""

from __future__ import annotations

import io
from pathlib import Path

import openpyxl

from crawlers.registry import builtin_sources
from policywatch.demo.trs_pages import (
    Announcement,
    AttachmentLink,
    CreatePageHTML,
    ListRow,
    detail_page,
    list_page,
)

SECTION = "/zwgk/tzgg/"
PAGE = SECTION + "202503/t20250312_810001.htm"
OTHER = SECTION + "202502/t20250220_810002.htm"
ATTACHMENT = SECTION + "202503/P020250312810000000001.xlsx"
STATES = {"base": 10, "later": 15}  # state -> points for 初级工


def points_xlsx(city: str, junior_points: int) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append([f"{city}积分落户计分标准"])
    sheet.append(["类别", "项目", "分值", "备注"])
    for row in (
        ["技能水平", "初级工（五级）", f"{junior_points}分", "取得职业技能等级证书"],
        ["技能水平", "中级工（四级）", "25分", None],
        ["技能水平", "高级工（三级）", "45分", None],
        ["社保缴纳", "在本市参加城镇职工社会保险", "每满1年积2分，最高不超过20分", None],
    ):
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def write_prefecture_site(root: Path, city: str = "漳州市") -> Path:
    """Write both states of ``city``'s 人社 site under ``root``."""
    site = f"{city}人力资源和社会保障局"
    title = f"{site}关于公布{city}积分落户计分标准的通知"
    other = f"{site}关于举办2025年春季招聘会的通知"
    for state, points in STATES.items():
        base = root / state
        rows = [
            ListRow("./202503/t20250312_810001.htm", title, "2025-03-12"),
            ListRow("./202502/t20250220_810002.htm", other, "2025-02-20"),
        ]
        pages = {
            SECTION + "index.htm": list_page(site, "通知公告", rows, CreatePageHTML(1)),
            PAGE: detail_page(
                Announcement(
                    site=site,
                    title=title,
                    pubdate="2025-03-12 10:00",
                    source=site,
                    body_html="<p>　　现将《积分落户计分标准》印发给你们，自2025年4月1日起施行，详见附件。</p>",
                    info={"索引号": "ZZ00123-0300-2025-00012", "发文机关": site, "发布日期": "2025-03-12"},
                    attachments=[
                        AttachmentLink("./P020250312810000000001.xlsx", "附件：积分落户计分标准.xlsx")
                    ],
                )
            ),
            OTHER: detail_page(
                Announcement(
                    site=site,
                    title=other,
                    pubdate="2025-02-20 09:00",
                    source=site,
                    body_html="<p>　　定于2025年3月1日在市人才市场举办春季招聘会，欢迎用人单位和求职者参加。</p>",
                )
            ),
        }
        for path, html in pages.items():
            target = base / path.lstrip("/")
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(html, encoding="utf-8")
        (base / ATTACHMENT.lstrip("/")).write_bytes(points_xlsx(city, points))
        (base / "robots.txt").write_text("User-agent: *\nAllow: /\n", encoding="utf-8")
    return root


def prefecture_config(
    path: Path, database_url: str, source_id: str, start_url: str, outbox: Path, crawl: str = ""
) -> Path:
    """A config that points the built-in ``source_id`` at ``start_url`` and disables the others."""
    lines = [
        "[database]",
        f'url = "{database_url}"',
        "[crawl]",
        "download_delay = 0.0",
        "start_jitter_seconds = 0.0",
        "retry_backoff_seconds = 0.0",
        "retries = 1",
        "timeout_seconds = 10",
        "recheck_days = 0",
        crawl,
        "[notify]",
        f'outbox_dir = "{outbox.as_posix()}"',
    ]
    for sid in builtin_sources():
        lines.append(f"[sources.{sid}]")
        lines.append(f'start_urls = ["{start_url}"]' if sid == source_id else "enabled = false")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path
