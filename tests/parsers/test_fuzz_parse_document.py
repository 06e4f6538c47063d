"""A fuzz target over the document entry point (hypothesis, derandomized so CI is repeatable):
whatever bytes arrive, parse_document returns a ParseResult, raises nothing, never reports a
parser bug (parser_error) and finishes each input within the deadline."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from parsers import Attachment, DocumentInput, ParseResult, parse_document

FUZZ = settings(
    max_examples=150, deadline=20_000, derandomize=True, suppress_health_check=[HealthCheck.too_slow]
)

WORDS = ["职业名称", "职业编码", "紧缺程度", "积分", "分值", "分", "年龄", "周岁", "社保", "个月", "年度",
         "分数线", "指标", "初级工", "高级工", "技师", "电工", "6-31-01-03", "每满1年积2分", "最高", "落户",
         "减分", "扣", "续表", "一、", "（二）", "第三章", "废止", "〔2026〕", "号", "十五", "半"]  # fmt: skip
TEXT = st.lists(
    st.one_of(st.sampled_from(WORDS), st.text(max_size=12), st.integers(-(10**30), 10**30).map(str))
)


@st.composite
def html_pages(draw: st.DrawFn) -> bytes:
    """Pages shaped like announcements: tables with spans, nested blocks, rule words and numbers."""
    parts = []
    for _ in range(draw(st.integers(0, 6))):
        if draw(st.booleans()):
            rows = []
            for _ in range(draw(st.integers(0, 8))):
                cells = []
                for _ in range(draw(st.integers(0, 6))):
                    span = draw(
                        st.sampled_from(
                            ["", ' rowspan="3"', ' colspan="2"', ' rowspan="x"', ' colspan="999"']
                        )
                    )
                    cells.append(f"<td{span}>{''.join(draw(TEXT))}</td>")
                rows.append(f"<tr>{''.join(cells)}</tr>")
            parts.append(f"<table>{''.join(rows)}</table>")
        else:
            depth = draw(st.integers(0, 40))
            parts.append("<div>" * depth + "".join(draw(TEXT)) + "</div>" * depth)
    return f"<html><body><div class='TRS_Editor'>{''.join(parts)}</div></body></html>".encode()


def check(result: ParseResult) -> None:
    assert isinstance(result, ParseResult)
    assert "parser_error" not in {p.code for p in result.problems}, result.problems


@FUZZ
@given(html_pages())
def test_announcement_shaped_pages(page: bytes) -> None:
    check(parse_document(DocumentInput(url="http://x/p.htm", title="积分落户", page=page)))


@FUZZ
@given(
    st.binary(max_size=4096),
    st.sampled_from(["a.xlsx", "a.xls", "a.docx", "a.pdf", "a.zip", "a.doc", "a.htm"]),
)
def test_arbitrary_bytes_under_any_name(data: bytes, name: str) -> None:
    check(parse_document(DocumentInput(url="u", attachments=(Attachment(f"http://x/{name}", name, data),))))


@FUZZ
@given(
    st.sampled_from([b"PK\x03\x04", b"%PDF-1.4\n", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", b"<html>"]),
    st.binary(max_size=2048),
)
def test_broken_files_behind_real_magic_bytes(magic: bytes, rest: bytes) -> None:
    for name in ("a.xlsx", "a.pdf", "a.xls"):
        check(
            parse_document(
                DocumentInput(url="u", attachments=(Attachment(f"http://x/{name}", name, magic + rest),))
            )
        )
