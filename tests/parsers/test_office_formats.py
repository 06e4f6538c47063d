"""xlsx, xls, docx and pdf attachments: merged cells, sheets, blank rows, body order."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from pw_parser_builders import POINTS_ROWS, SHORTAGE_ROWS, docx_bytes, pdf_bytes, xlsx_bytes

from parsers import Attachment, DocumentInput, ParseResult, parse_document
from parsers.formats.docx import read_docx
from parsers.formats.xlsx import read_xlsx
from rules import PointsItem, ShortageEntry

FIXTURES = Path(__file__).parent / "fixtures"


def parse_attachment(name: str, data: bytes, **kwargs: object) -> ParseResult:
    return parse_document(
        DocumentInput(
            url="http://127.0.0.1/d.htm",
            attachments=(Attachment(f"http://127.0.0.1/{name}", name, data),),
            **kwargs,
        )  # type: ignore[arg-type]
    )


def shortage(result: ParseResult) -> list[tuple[str, str | None, str | None, str | None]]:
    return [(r.occupation, r.code, r.degree, r.level) for r in result.rows if isinstance(r, ShortageEntry)]


EXPECTED_SHORTAGE = [
    ("电工", "6-31-01-03", "特别紧缺", "三级/高级工"),
    ("电工", "6-31-01-03", "紧缺", "三级/高级工"),
    ("焊工", "6-18-02-04", "一般紧缺", None),
]


def test_xlsx_several_sheets_blank_leading_rows_and_merged_title() -> None:
    title = [["2026年福州市紧缺职业目录", None, None, None, None, None]]
    data = xlsx_bytes(
        {"目录": title + SHORTAGE_ROWS, "计分标准": POINTS_ROWS},
        merges={"目录": ["A1:F1"]},
        leading_blank=2,
    )
    result = parse_attachment("附件1.xlsx", data)
    assert shortage(result)[0] == EXPECTED_SHORTAGE[0]
    assert shortage(result)[2] == EXPECTED_SHORTAGE[2]
    points = [r for r in result.rows if isinstance(r, PointsItem)]
    assert len(points) == 5
    first = result.rows[0]
    assert first.source.attachment == "附件1.xlsx" and first.source.sheet == "目录" and first.source.row == 5
    assert points[0].source.sheet == "计分标准"
    assert result.problems == []


def test_xlsx_vertically_merged_category_cells_are_filled() -> None:
    rows = [
        ["类别", "项目", "分值"],
        ["职业资格", "初级工", 10],
        [None, "中级工", 20],
        [None, "高级工", 40.0],
        ["紧缺工种", "在紧缺工种岗位工作满1年", 5],
    ]
    extracted = read_xlsx(xlsx_bytes({"S": rows}, merges={"S": ["A2:A4"]}))
    assert [r[0] for r in extracted.grids[0].cells] == [
        "类别",
        "职业资格",
        "职业资格",
        "职业资格",
        "紧缺工种",
    ]
    result = parse_attachment("b.xlsx", xlsx_bytes({"S": rows}, merges={"S": ["A2:A4"]}))
    assert [(r.category, r.item, r.points) for r in result.rows] == [
        ("技能水平", "五级/初级工", 10), ("技能水平", "四级/中级工", 20), ("技能水平", "三级/高级工", 40),
        ("紧缺工种", "在紧缺工种岗位工作满1年", 5),
    ]  # fmt: skip


def test_xls_fixture_with_merged_cells_and_footnote() -> None:
    result = parse_attachment("P020250301.xls", (FIXTURES / "points_quanzhou_2025.xls").read_bytes())
    got = [(r.category, r.item, r.points, r.per, r.cap) for r in result.rows]
    assert got == [
        ("技能水平", "五级/初级工", 10, None, None),
        ("技能水平", "四级/中级工", 20, None, None),
        ("技能水平", "三级/高级工", 40, None, None),
        ("技能水平", "二级/技师", 60, None, None),
        ("社保缴纳", "社会保险缴费年限", 3, "年", 30),
    ]
    assert result.rows[0].source.sheet == "计分标准" and result.rows[0].source.row == 3
    assert result.problems == []


def test_docx_tables_with_merged_cells_and_paragraphs_in_body_order() -> None:
    rows = [
        ["类别", "项目", "分值", "备注"],
        ["技能水平", "高级工", "40", ""],
        ["", "技师", "60", ""],
        ["社会服务", "无偿献血", "每次2分，最高10分", ""],
    ]
    data = docx_bytes(
        ["关于印发《厦门市积分落户计分标准》的通知", "厦人社〔2026〕5号", "一、计分标准如下："],
        rows,
        ["二、本标准自2026年5月1日起施行。", "三、持有高压电工作业特种作业操作证的，加5分。"],
        merges=[(1, 0, 2, 0)],
    )
    extracted = read_docx(data)
    assert extracted.grids[0].cells[2][0] == "技能水平"
    assert extracted.grids[0].caption == "一、计分标准如下:"
    result = parse_attachment("a.docx", data, region="xiamen")
    got = [(r.category, r.item, r.points, r.per, r.cap) for r in result.rows]
    assert got == [
        ("技能水平", "三级/高级工", 40, None, None),
        ("技能水平", "二级/技师", 60, None, None),
        ("社会服务", "无偿献血", 2, "次", 10),
        ("技能水平", "持有高压电工作业特种作业操作证", 5, None, None),
    ]
    assert result.meta.doc_number == "厦人社〔2026〕5号"
    assert result.meta.effective_at == dt.date(2026, 5, 1)


def test_pdf_table_and_text_outside_it() -> None:
    data = pdf_bytes(
        ["2026年福州市紧缺职业目录"],
        SHORTAGE_ROWS,
        ["本目录自2026年1月1日起施行。", "福州市人力资源和社会保障局"],
    )
    result = parse_attachment("list.pdf", data)
    assert shortage(result) == EXPECTED_SHORTAGE
    assert result.rows[0].source.page == 1 and result.rows[0].source.table == 1
    assert result.meta.effective_at == dt.date(2026, 1, 1)
    assert result.problems == []


def test_pdf_spanned_category_cells() -> None:
    rows = [
        ["类别", "项目", "分值"],
        ["技能水平", "中级工", "20分"],
        ["", "高级工", "40分"],
        ["居住年限", "连续居住", "每满1年积1分，最高10分"],
    ]
    data = pdf_bytes(["积分计分标准"], rows, [], spans=[((0, 1), (0, 2))])
    result = parse_attachment("p.pdf", data)
    assert [(r.category, r.item, r.points) for r in result.rows] == [
        ("技能水平", "四级/中级工", 20), ("技能水平", "三级/高级工", 40), ("居住年限", "连续居住", 1),
    ]  # fmt: skip


def test_pdf_narrative_only() -> None:
    data = pdf_bytes(
        ["2026年泉州市积分落户分数线为一百二十分，落户指标1500个。", "申报时间为2026年3月1日至3月31日。"],
        None,
        [],
    )
    result = parse_attachment("c.pdf", data)
    assert [r.fields() for r in result.rows] == [
        {
            "year": 2026,
            "score": 120.0,
            "quota": 1500,
            "window_start": "2026-03-01",
            "window_end": "2026-03-31",
        }
    ]


def test_html_file_misnamed_as_xls_is_read_as_html() -> None:
    html = (
        "<html><head><meta charset='gbk'></head><body><table><tr><td>职业名称</td><td>职业编码</td></tr>"
        "<tr><td>电工</td><td>6-31-01-03</td></tr></table></body></html>"
    ).encode("gbk")
    result = parse_attachment("export.xls", html)
    assert shortage(result) == [("电工", "6-31-01-03", None, None)]


def test_pdf_table_without_ruling_lines_is_found_from_text_alignment() -> None:
    import io

    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Table, TableStyle

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    style = ParagraphStyle("cn", fontName="STSong-Light", fontSize=10)
    table = Table([[str(c) for c in row] for row in SHORTAGE_ROWS[:3]])
    table.setStyle(TableStyle([("FONTNAME", (0, 0), (-1, -1), "STSong-Light")]))
    buf = io.BytesIO()
    SimpleDocTemplate(buf, pagesize=A4).build([Paragraph("2026年紧缺职业目录", style), table])
    result = parse_attachment("borderless.pdf", buf.getvalue())
    assert shortage(result) == EXPECTED_SHORTAGE[:2]


def test_pdf_wrapped_lines_are_joined_into_sentences() -> None:
    from parsers.formats.pdf import join_wrapped_lines

    lines = [
        "第八条 本标准自2027年4月1日起施行,《福州市积分落户计分标准》(榕",
        "人社规〔2026〕1号)同时废止。",
        "第九条 短句。",
    ]
    assert join_wrapped_lines(lines) == [
        "第八条 本标准自2027年4月1日起施行,《福州市积分落户计分标准》(榕人社规〔2026〕1号)同时废止。",
        "第九条 短句。",
    ]


def test_xlsx_text_rows_carry_the_document_meta() -> None:
    data = xlsx_bytes(
        {
            "说明": [
                ["泉州市积分落户计分标准"],
                ["文号：泉人社〔2027〕2号"],
                ["本标准自2027年3月1日起施行，泉人社〔2025〕8号同时废止。"],
            ],
            "计分表": POINTS_ROWS,
        }
    )
    result = parse_attachment("a.xlsx", data)
    assert result.meta.doc_number == "泉人社〔2027〕2号"
    assert result.meta.effective_at == dt.date(2027, 3, 1)
    assert result.meta.replaces == ("泉人社〔2025〕8号",)
    assert len(result.rows) == 5
