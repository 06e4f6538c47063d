"""PDF cells whose text spills out of the cell box (overflow past the right edge, or a
wrapped second line pushed below a fixed-height row) keep all of their text."""

from __future__ import annotations

import io
from pathlib import Path

from parsers import Attachment, DocumentInput, ParseResult, parse_document
from rules import PointsItem

DEMO_PDF = Path(__file__).resolve().parents[2] / "policywatch" / "demo" / "files" / "fuzhou_points_2025.pdf"
COLS = [50.0, 120.0, 300.0, 420.0, 520.0]  # x of the vertical rules
ROW_H = 18.0


def _ruled_pdf(rows: list[list[list[str]]], after: str = "", row_h: float = ROW_H) -> bytes:
    """A ruled table drawn on a canvas: each cell is a list of lines drawn 13pt apart from
    3.7pt under the cell's top, whatever the row height (so long text leaves its cell)."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=A4)
    height = A4[1]
    top = 120.0
    bottom = top + row_h * len(rows)
    for x in COLS:
        c.line(x, height - top, x, height - bottom)
    for r in range(len(rows) + 1):
        c.line(COLS[0], height - (top + r * row_h), COLS[-1], height - (top + r * row_h))
    c.setFont("STSong-Light", 10)
    c.drawString(COLS[0], height - 80, "福州市积分落户计分标准")
    for r, row in enumerate(rows):
        for col, lines in enumerate(row):
            for i, line in enumerate(lines):
                c.drawString(COLS[col] + 6, height - (top + r * row_h + 3.7 + 13 * i + 8.8), line)
    if after:
        c.drawString(COLS[0], height - (bottom + 40), after)
    c.showPage()
    c.save()
    return buf.getvalue()


def _parse(data: bytes) -> ParseResult:
    return parse_document(
        DocumentInput(
            url="http://127.0.0.1/d.htm", attachments=(Attachment("http://127.0.0.1/a.pdf", "a.pdf", data),)
        )
    )


def _points(result: ParseResult) -> dict[str, PointsItem]:
    return {r.item: r for r in result.rows if isinstance(r, PointsItem)}


def test_demo_pdf_cell_overflowing_the_right_edge_keeps_its_last_char() -> None:
    points = _points(_parse(DEMO_PDF.read_bytes()))
    assert points["三级/高级工"].conditions == "含职业技能等级证书"
    assert points["二级/技师"].conditions is None


def test_text_running_past_the_table_edge_is_rejoined_not_read_as_a_paragraph() -> None:
    rows = [
        [["类别"], ["项目"], ["分值"], ["备注"]],
        [["技能水平"], ["高级工"], ["40分"], ["须取得职业技能等级证书"]],  # 10 chars in a 100pt cell
        [["技能水平"], ["技师"], ["60分"], []],
    ]
    result = _parse(_ruled_pdf(rows))
    points = _points(result)
    assert points["三级/高级工"].conditions == "须取得职业技能等级证书"
    assert points["二级/技师"].conditions is None
    assert result.problems == []


def test_wrapped_second_line_pushed_into_the_next_row_goes_back_to_its_cell() -> None:
    rows = [
        [["类别"], ["项目"], ["分值"], ["备注"]],
        [["技能水平"], ["高级工"], ["40分"], ["以当年度紧缺目录", "为准"]],
        [["技能水平"], ["技师"], ["60分"], []],
        [["技能水平"], ["高级技师"], ["80分"], ["按最高等级计分"]],
        [["社保缴纳"], ["缴纳城镇职工社会保险"], ["每满1年积2分,最高20分"], ["不含补缴的社会保", "险"]],
    ]
    result = _parse(_ruled_pdf(rows, after="本标准自2025年3月1日起施行。"))
    points = _points(result)
    assert points["三级/高级工"].conditions == "以当年度紧缺目录为准"
    assert points["二级/技师"].conditions is None
    assert points["一级/高级技师"].conditions == "按最高等级计分"
    # the last row's wrapped line falls under the table: still its cell, not a paragraph
    assert points["缴纳城镇职工社会保险"].conditions == "不含补缴的社会保险"
    assert (points["缴纳城镇职工社会保险"].points, points["缴纳城镇职工社会保险"].cap) == (2.0, 20.0)
    assert result.meta.effective_at is not None and result.meta.effective_at.isoformat() == "2025-03-01"


def test_short_cells_in_tight_rows_are_not_merged() -> None:
    rows = [
        [["类别"], ["项目"], ["分值"], ["备注"]],
        [["技能水平"], ["初级工"], ["10分"], ["初级"]],
        [["技能水平"], ["中级工"], ["20分"], ["中级"]],
    ]
    points = _points(_parse(_ruled_pdf(rows)))
    assert points["五级/初级工"].conditions == "初级"
    assert points["四级/中级工"].conditions == "中级"


def test_full_cells_in_rows_one_line_high_stay_in_their_rows() -> None:
    # rows only 14pt apart and every 备注 filled to the edge: still each row's own text,
    # because it sits level with the other cells of its row
    rows = [
        [["类别"], ["项目"], ["分值"], ["备注"]],
        [["技能水平"], ["初级工"], ["10分"], ["须在有效期内的证书"]],
        [["技能水平"], ["中级工"], ["20分"], ["按最高等级计一次分"]],
    ]
    points = _points(_parse(_ruled_pdf(rows, row_h=14.0)))
    assert points["五级/初级工"].conditions == "须在有效期内的证书"
    assert points["四级/中级工"].conditions == "按最高等级计一次分"
