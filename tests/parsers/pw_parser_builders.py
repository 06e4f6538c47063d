"""Builders for parser test fixtures: small invented announcements in every format.

The contents are invented (no real document is copied); they imitate how offices lay
out such tables: title rows, merged category cells, footnotes, numbered sections.
"""

from __future__ import annotations

import io
from collections.abc import Sequence

from openpyxl import Workbook

Cell = str | int | float | None

SHORTAGE_ROWS: list[list[Cell]] = [
    ["序号", "职业名称", "职业编码", "紧缺程度", "技能等级要求", "备注"],
    [1, "电工", "6-31-01-03", "特别紧缺", "三级及以上", None],
    [2, "维修电工", "6310103", "紧缺", "高级工", "原维修电工"],
    [3, "焊工", "6-18-02-04", "一般紧缺", "不限", None],
]

POINTS_ROWS: list[list[Cell]] = [
    ["类别", "项目", "分值", "备注"],
    ["技能水平", "初级工(五级)", "10分", None],
    ["技能水平", "中级工(四级)", "20分", None],
    ["技能水平", "高级工(三级)", "四十分", "须在有效期内"],
    ["社会保险", "连续缴纳社会保险", "每满1年积2分，最高不超过20分", None],
    ["减分", "有违法犯罪记录", "-10", None],
]


def xlsx_bytes(
    sheets: dict[str, Sequence[Sequence[Cell]]],
    merges: dict[str, list[str]] | None = None,
    leading_blank: int = 0,
) -> bytes:
    """A workbook with one sheet per entry; ``merges`` lists ranges (A1:B2) per sheet."""
    wb = Workbook()
    wb.remove(wb.active)
    for name, rows in sheets.items():
        ws = wb.create_sheet(name)
        for _ in range(leading_blank):
            ws.append([])
        for row in rows:
            ws.append(list(row))
        for ref in (merges or {}).get(name, []):
            ws.merge_cells(ref)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def docx_bytes(paragraphs_before: list[str], rows: Sequence[Sequence[Cell]], paragraphs_after: list[str],
               merges: list[tuple[int, int, int, int]] | None = None) -> bytes:  # fmt: skip
    """A Word document: paragraphs, one table (merges as (r1, c1, r2, c2)), paragraphs."""
    import docx

    document = docx.Document()
    for text in paragraphs_before:
        document.add_paragraph(text)
    if rows:
        table = document.add_table(rows=len(rows), cols=len(rows[0]))
        for r, row in enumerate(rows):
            for c, value in enumerate(row):
                if value is not None:
                    table.cell(r, c).text = str(value)
        for r1, c1, r2, c2 in merges or []:
            top = table.cell(r1, c1).text
            merged = table.cell(r1, c1).merge(table.cell(r2, c2))
            merged.text = top
    for text in paragraphs_after:
        document.add_paragraph(text)
    buf = io.BytesIO()
    document.save(buf)
    return buf.getvalue()


def pdf_bytes(before: list[str], rows: Sequence[Sequence[Cell]] | None, after: list[str],
              spans: list[tuple[tuple[int, int], tuple[int, int]]] | None = None) -> bytes:  # fmt: skip
    """A PDF with a ruled table (reportlab, CID font STSong-Light so text is extractable)."""
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Table, TableStyle

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    style = ParagraphStyle("cn", fontName="STSong-Light", fontSize=10, leading=14)
    story: list[object] = [Paragraph(t, style) for t in before]
    if rows:
        data = [["" if v is None else str(v) for v in row] for row in rows]
        table = Table(data)
        commands = [
            ("FONTNAME", (0, 0), (-1, -1), "STSong-Light"),
            ("GRID", (0, 0), (-1, -1), 0.5, colors.black),
        ]
        for start, end in spans or []:
            commands.append(("SPAN", start, end))
        table.setStyle(TableStyle(commands))
        story.append(table)
    story.extend(Paragraph(t, style) for t in after)
    buf = io.BytesIO()
    SimpleDocTemplate(buf, pagesize=A4).build(story)
    return buf.getvalue()


def image_only_pdf() -> bytes:
    """A 'scanned' PDF: one page with a drawn image and no text objects."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=A4)
    c.rect(50, 50, 300, 400, fill=1)
    from reportlab.lib.utils import ImageReader

    png = _tiny_png()
    c.drawImage(ImageReader(io.BytesIO(png)), 100, 100, width=200, height=200)
    c.showPage()
    c.save()
    return buf.getvalue()


def _tiny_png() -> bytes:
    import struct
    import zlib

    def chunk(tag: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data) & 0xFFFFFFFF)
        )

    raw = b"".join(b"\x00" + b"\x80\x80\x80" * 4 for _ in range(4))
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", 4, 4, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


def html_page(
    body: str, title: str = "关于公布2026年紧缺职业目录的通知", meta: str = "", charset: str = "utf-8"
) -> str:
    return (
        f'<!DOCTYPE html><html><head><meta charset="{charset}"><title>{title}-福州市人力资源和社会保障局</title>'
        f'<meta name="ArticleTitle" content="{title}">{meta}</head><body>'
        f'<div class="header">扫一扫在手机上查看当前页面</div><div class="TRS_Editor">{body}</div>'
        f"<div>版权所有：福州市人力资源和社会保障局</div></body></html>"
    )
