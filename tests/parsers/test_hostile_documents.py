"""Small hostile documents (generated here, never committed) must not stall or exhaust the
machine: each is read within the bounded worker's limits or reported as a parse problem,
and the rest of the document is still read."""

from __future__ import annotations

import io
import re
import zipfile

import pytest
from pw_parser_builders import POINTS_ROWS, SHORTAGE_ROWS, docx_bytes, xlsx_bytes

from parsers import Attachment, DocumentInput, ParseResult, parse_document
from policywatch.parse_worker import BoundedParser, ParseLimits

SHORTAGE_TABLE = (
    "<table><tr><td>职业名称</td><td>职业编码</td><td>紧缺程度</td></tr>"
    "<tr><td>电工</td><td>6-31-01-03</td><td>特别紧缺</td></tr></table>"
)


@pytest.fixture(scope="module")
def bounded() -> BoundedParser:
    """Tight limits: what used to take gigabytes or minutes now fails these if it regresses."""
    with BoundedParser(ParseLimits(seconds=10, memory_bytes=1024**3)) as parser:
        yield parser  # type: ignore[misc]


def codes(result: ParseResult) -> set[str]:
    return {p.code for p in result.problems}


def test_html_spans_that_expand_to_gigabytes_are_one_problem_and_the_page_is_still_read(
    bounded: BoundedParser,
) -> None:
    bomb = "<table>" + "<tr>" + '<td rowspan="200" colspan="200">x</td>' * 200 + "</tr>" * 5 + "</table>"
    page = f"<html><body>{bomb}{SHORTAGE_TABLE}</body></html>".encode()
    assert len(page) < 20_000
    result = bounded(DocumentInput(url="u", page=page))
    assert "too_complex" in codes(result) and not codes(result) & {"timeout", "too_large", "parser_error"}
    assert [r.key() for r in result.rows] == ["6-31-01-03"]


def _patched(data: bytes, member: str, pattern: str, replacement: str) -> bytes:
    """An office file with one regex substitution in one XML member (hostile input, made here)."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            content = src.read(info)
            if info.filename == member:
                content, n = re.subn(pattern.encode(), lambda _: replacement.encode(), content, count=1)
                assert n == 1
            dst.writestr(info, content)
    return out.getvalue()


@pytest.mark.parametrize(
    "replacement",
    [
        '<w:tr><w:trPr><w:gridBefore w:val="100000000"/></w:trPr>',
        '<w:tr><w:tc><w:tcPr><w:gridSpan w:val="1000000"/></w:tcPr><w:p/></w:tc>',
    ],
)
def test_docx_rows_claiming_millions_of_columns_are_too_complex(
    bounded: BoundedParser, replacement: str
) -> None:
    docx = docx_bytes(["关于发布紧缺职业目录的通知"], SHORTAGE_ROWS, [])
    data = _patched(docx, "word/document.xml", r"<w:tr(?: [^>]*)?>", replacement)
    result = bounded(DocumentInput(url="u", attachments=(Attachment("u/a.docx", "a.docx", data),)))
    assert "too_complex" in codes(result) and not codes(result) & {"timeout", "too_large", "parser_error"}


def test_an_xlsx_merge_over_the_whole_sheet_stays_small(bounded: BoundedParser) -> None:
    sized = _patched(
        xlsx_bytes({"积分标准": POINTS_ROWS}), "xl/worksheets/sheet1.xml", r'ref="A1:D6"', 'ref="A1:D20000"'
    )
    data = _patched(
        sized,
        "xl/worksheets/sheet1.xml",
        r"</sheetData>",
        '<row r="20000"><c r="A20000" t="inlineStr"><is><t>注：本表自发布之日起施行</t></is></c></row>'
        '</sheetData><mergeCells count="1"><mergeCell ref="D8:XFD20000"/></mergeCells>',
    )
    result = bounded(DocumentInput(url="u", attachments=(Attachment("u/a.xlsx", "a.xlsx", data),)))
    assert not codes(result) & {"timeout", "too_large", "parser_error"}
    assert {r.key() for r in result.rows} >= {"技能水平|五级/初级工", "减分|有违法犯罪记录"}


@pytest.mark.parametrize(
    "text", ["年龄" + "1" * 16_000, "1" * 16_000 + "周岁", "社保" + "9" * 16_000 + "个月"]
)
def test_long_runs_of_digits_parse_in_linear_time(bounded: BoundedParser, text: str) -> None:
    result = bounded(DocumentInput(url="u", title="人才落户", page=f"<p>{text}</p>".encode()))
    assert not codes(result) & {"timeout", "too_large", "parser_error"}


def test_a_number_too_long_to_be_a_rule_value_is_not_read_as_infinity() -> None:
    result = parse_document(DocumentInput(url="u", page=("<p>年龄" + "9" * 400 + "周岁以下</p>").encode()))
    assert "parser_error" not in codes(result)


def test_a_corrupt_member_in_an_office_zip_is_corrupt_file() -> None:
    data = bytearray(xlsx_bytes({"s": SHORTAGE_ROWS}))
    with zipfile.ZipFile(io.BytesIO(bytes(data))) as zf:
        info = zf.getinfo("xl/worksheets/sheet1.xml")
    start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)
    data[start : start + 8] = b"\xff" * 8  # damage the deflate stream, keep the container intact
    result = parse_document(
        DocumentInput(url="u", attachments=(Attachment("u/a.xlsx", "a.xlsx", bytes(data)),))
    )
    assert "corrupt_file" in codes(result) and "parser_error" not in codes(result)


@pytest.mark.parametrize(
    "page",
    [
        "<html><body>" + "<p>第一条 持有高级工证书的，积10分。</p>" * 8000 + "</body></html>",
        "<html><body>" + "<div>" * 20000 + "电工积分" + "</div>" * 20000 + "</body></html>",
    ],
    ids=["8000 paragraphs", "20000 nested divs"],
)
def test_many_paragraphs_or_deep_nesting_read_in_linear_time(bounded: BoundedParser, page: str) -> None:
    result = bounded(DocumentInput(url="u", title="积分落户", page=page.encode()))
    assert not codes(result) & {"timeout", "too_large", "too_complex", "parser_error"}
