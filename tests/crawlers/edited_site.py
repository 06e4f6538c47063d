"""A small TRS site whose documents are edited in place between two states (written per test).

``base``: 厦门's 2026 shortage list (an xlsx without 电工), its 技能人才 settlement
conditions (a table in the page body and the same table in a PDF: 高级工 needs 6 months of
social insurance), the superseded 2024 shortage list and an unrelated notice. ``edited``:
the same URLs and the same list page; the xlsx replaced (电工 added) and the conditions
corrected in the page and its PDF (6 → 12 months). Files an edit leaves alone are served
from ``base``, so their bytes, ETag and Last-Modified stay the same.
"""

from __future__ import annotations

import io
from pathlib import Path

from policywatch.demo.sample_site import (
    BASE_SHORTAGE,
    Article,
    Attachment,
    render_detail,
    render_list,
    shortage_xlsx,
)

SECTION = "xiamen-hrss/tzgg"
LIST_PATH = f"/{SECTION}/"
SHORTAGE_PAGE = f"/{SECTION}/202603/t20260310_810001.htm"
SHORTAGE_XLSX = f"/{SECTION}/202603/P020260310810000000001.xlsx"
TALENT_PAGE = f"/{SECTION}/202604/t20260415_810002.htm"
TALENT_PDF = f"/{SECTION}/202604/P020260415810000000002.pdf"
OLD_SHORTAGE_PAGE = f"/{SECTION}/202403/t20240301_810003.htm"
UNRELATED_PAGE = f"/{SECTION}/202602/t20260205_810004.htm"
TALENT_HEADER = ["落户渠道", "技能等级要求", "社保缴纳要求", "年龄要求"]
ELECTRICIAN = ("电工", "6-31-01-03", "特别紧缺", "三级/高级工及以上")


def talent_rows(months: int) -> list[list[str]]:
    return [
        ["技能人才落户", "高级工（三级）及以上", f"在本市连续缴纳社会保险满{months}个月", "45周岁以下"],
        ["技能人才落户", "技师（二级）及以上", "在本市缴纳社会保险", "50周岁以下"],
    ]


def talent_body(months: int) -> str:
    cells = "".join(
        "<tr>" + "".join(f"<td>{cell}</td>" for cell in row) + "</tr>"
        for row in [TALENT_HEADER, *talent_rows(months)]
    )
    return (
        "<p>　　现将我市技能人才落户条件公布如下（附件为可打印版本）。</p>"
        f"<table border='1'>{cells}</table><p>　　本条件自2026年5月1日起施行。</p>"
    )


def talent_pdf(months: int) -> bytes:
    """The conditions table as a text-layer PDF (reportlab's built-in CID font)."""
    from reportlab import rl_config
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.platypus import SimpleDocTemplate, Table, TableStyle

    rl_config.invariant = 1  # the same months give the same bytes
    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    buffer = io.BytesIO()
    table = Table([TALENT_HEADER, *talent_rows(months)])
    table.setStyle(
        TableStyle([("FONT", (0, 0), (-1, -1), "STSong-Light", 9), ("GRID", (0, 0), (-1, -1), 0.5, "black")])
    )
    SimpleDocTemplate(buffer, pagesize=A4).build([table])
    return buffer.getvalue()


def articles(edited: bool) -> list[Article]:
    return [
        Article(
            section=SECTION,
            month="202603",
            doc_id="t20260310_810001",
            title="厦门市人力资源和社会保障局关于发布2026年厦门市紧缺急需职业（工种）目录的通知",
            date="2026-03-10",
            source="厦门市人力资源和社会保障局",
            doc_number="厦人社〔2026〕12号",
            body="<p>　　现将2026年厦门市紧缺急需职业（工种）目录印发给你们，详见附件。</p>",
            attachments=(
                Attachment(
                    "P020260310810000000001.xlsx",
                    "附件：2026年厦门市紧缺急需职业（工种）目录.xlsx",
                    shortage_xlsx(2026, [ELECTRICIAN, *BASE_SHORTAGE] if edited else BASE_SHORTAGE),
                ),
            ),
        ),
        Article(
            section=SECTION,
            month="202604",
            doc_id="t20260415_810002",
            title="厦门市技能人才落户条件",
            date="2026-04-15",
            source="厦门市人力资源和社会保障局",
            body=talent_body(12 if edited else 6),
            attachments=(
                Attachment(
                    "P020260415810000000002.pdf",
                    "附件：厦门市技能人才落户条件.pdf",
                    talent_pdf(12 if edited else 6),
                ),
            ),
        ),
        Article(
            section=SECTION,
            month="202403",
            doc_id="t20240301_810003",
            title="厦门市人力资源和社会保障局关于发布2024年厦门市紧缺急需职业（工种）目录的通知",
            date="2024-03-01",
            source="厦门市人力资源和社会保障局",
            doc_number="厦人社〔2024〕8号",
            body="<p>　　现将2024年厦门市紧缺急需职业（工种）目录印发给你们，详见附件。</p>",
            attachments=(
                Attachment(
                    "P020240301810000000003.xlsx",
                    "附件：2024年厦门市紧缺急需职业（工种）目录.xlsx",
                    shortage_xlsx(2024, BASE_SHORTAGE[:3]),
                ),
            ),
        ),
        Article(
            section=SECTION,
            month="202602",
            doc_id="t20260205_810004",
            title="关于2026年春节期间办事大厅开放时间的通知",
            date="2026-02-05",
            source="厦门市人力资源和社会保障局",
            body="<p>　　春节期间，办事大厅上午9:00至12:00开放。</p>",
        ),
    ]


def write_edited_site(root: Path) -> Path:
    """Write ``base`` and ``edited`` under ``root``; ``edited`` holds only the files that changed."""
    for state in ("base", "edited"):
        items = articles(edited=state == "edited")
        before = {a.doc_id: a for a in articles(edited=False)}
        if state == "base":
            _write(root / state / SECTION / "index.htm", render_list(SECTION, items).encode())
            _write(root / state / "robots.txt", b"User-agent: *\nAllow: /\n")
        for article in items:
            page = render_detail(article).encode()
            if state == "base" or page != render_detail(before[article.doc_id]).encode():
                _write(root / state / article.path, page)
            old = {a.name: a.data for a in before[article.doc_id].attachments}
            for att in article.attachments:
                if state == "base" or att.data != old[att.name]:
                    _write(root / state / SECTION / article.month / att.name, att.data)
    return root


def _write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
