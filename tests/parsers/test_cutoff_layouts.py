"""Cut-offs: application windows whose end (or whole range) omits the year, and cut-off
tables laid out vertically (项目 | 内容) next to the usual horizontal ones."""

from __future__ import annotations

import datetime as dt

import pytest
from pw_parser_builders import docx_bytes, html_page, xlsx_bytes

from parsers import Attachment, DocumentInput, ParseResult, parse_document
from parsers.grid import Grid
from parsers.tables import key_value_cutoff
from rules import CutoffScore, Provenance
from rules.dates import parse_day, parse_window

D = dt.date
MARCH_APRIL = (D(2023, 3, 10), D(2023, 4, 10))


@pytest.mark.parametrize(
    "text",
    [
        "2023年3月10日-4月10日",
        "2023年3月10日至4月10日",
        "2023年3月10日—4月10日",
        "2023年3月10日——4月10日",
        "2023年3月10日～4月10日",
        "2023年3月10日〜4月10日",
        "2023年3月10日－4月10日",
        "3月10日至4月10日",
        "3月10日-4月10日",
        "3月10日 — 4月10日",
        "申报时间为3月10日9:00至4月10日17:00",
        "三月十日至四月十日",
    ],
)
def test_window_with_the_year_printed_once_or_not_at_all(text: str) -> None:
    assert parse_window(text, 2023) == MARCH_APRIL


def test_window_year_from_context_only_when_none_is_printed() -> None:
    assert parse_window("3月10日至4月10日") == (None, None)  # no context: no guess
    assert parse_window("2024年3月10日至4月10日", 2023) == (D(2024, 3, 10), D(2024, 4, 10))
    assert parse_window("12月20日至1月10日", 2023) == (D(2023, 12, 20), D(2024, 1, 10))
    assert parse_day("3月10日", 2024) == D(2024, 3, 10)
    assert parse_day("3月10日") is None


def _parse(name: str | None, data: bytes | None, page: bytes | None = None, title: str = "") -> ParseResult:
    attachments = (Attachment(f"http://127.0.0.1/{name}", name, data),) if name and data else ()
    return parse_document(
        DocumentInput(url="http://127.0.0.1/d.htm", title=title, page=page, attachments=attachments)
    )


def _cutoffs(result: ParseResult) -> list[tuple[int, float | None, int | None, D | None, D | None]]:
    return [
        (r.year, r.score, r.quota, r.window_start, r.window_end)
        for r in result.rows
        if isinstance(r, CutoffScore)
    ]


@pytest.mark.parametrize(
    "window", ["2023年3月10日-4月10日", "3月10日至4月10日", "3月10日—4月10日", "3月10日～4月10日"]
)
def test_window_cells_in_xlsx_and_docx_tables(window: str) -> None:
    rows = [["年度", "积分落户分数线", "落户指标", "申报时间"], ["2023年", "105分", "1500个", window]]
    want = [(2023, 105.0, 1500, *MARCH_APRIL)]
    assert _cutoffs(_parse("a.xlsx", xlsx_bytes({"分数线": rows}))) == want
    assert _cutoffs(_parse("a.docx", docx_bytes([], rows, []))) == want


def test_window_cell_year_is_the_row_year_and_start_end_columns_complete_it() -> None:
    rows = [
        ["年度", "分数线", "指标", "开始日期", "截止日期"],
        ["2023年", "100分", "1200个", "3月10日", "4月10日"],
    ]
    assert _cutoffs(_parse("a.xlsx", xlsx_bytes({"s": rows}), title="2024年积分落户公告")) == [
        (2023, 100.0, 1200, *MARCH_APRIL)
    ]


@pytest.mark.parametrize("window", ["3月10日至4月10日", "2023年3月10日—4月10日", "3月10日～\n4月10日"])
def test_window_in_text_takes_the_cutoff_year(window: str) -> None:
    body = f"<p>2023年积分落户分数线为105分，落户指标1500个。</p><p>申报时间：{window}。</p>"
    page = html_page(body, title="关于积分落户工作的公告").encode()
    assert _cutoffs(_parse(None, None, page)) == [(2023, 105.0, 1500, *MARCH_APRIL)]


KV = [
    ["项目", "内容"],
    ["年度", "2024年"],
    ["积分落户分数线", "105分"],
    ["落户指标", "1500个"],
    ["申报时间", "2024年3月1日至3月31日"],
]
ONE_2024 = [(2024, 105.0, 1500, D(2024, 3, 1), D(2024, 3, 31))]


def test_vertical_cutoff_table_in_xlsx_docx_and_html() -> None:
    assert _cutoffs(_parse("a.xlsx", xlsx_bytes({"s": [["2024年积分落户分数线"], *KV]}))) == ONE_2024
    assert _cutoffs(_parse("a.docx", docx_bytes(["积分落户分数线公告"], KV, []))) == ONE_2024
    cells = "".join(f"<tr><td>{a}</td><td>{b}</td></tr>" for a, b in KV)
    page = html_page(f"<table>{cells}</table>", title="关于积分落户的公告").encode()
    result = _parse(None, None, page)
    assert _cutoffs(result) == ONE_2024
    assert result.problems == []


@pytest.mark.parametrize(
    "rows",
    [
        [
            ["事项", "内容"],
            ["积分落户分数线", "105分"],
            ["落户指标", "1,500个"],
            ["申报时间", "3月1日至3月31日"],
        ],
        [["指标", "数值"], ["分数线", "105"], ["落户指标", "1500"], ["申报时间", "3月1日-3月31日"]],
        [
            ["序号", "项目", "内容"],
            ["一", "年度", "2024"],
            ["二", "积分入围分数线", "105分"],
            ["三", "落户名额", "1500名"],
            ["四", "受理时间", "2024.3.1-2024.3.31"],
        ],
    ],
)
def test_vertical_cutoff_table_variants(rows: list[list[str]]) -> None:
    assert _cutoffs(_parse("a.docx", docx_bytes([], rows, []), title="2024年积分落户工作公告")) == ONE_2024


def test_vertical_table_with_one_column_per_year() -> None:
    rows = [
        ["项目", "2023年", "2024年"],
        ["积分落户分数线", "100分", "105分"],
        ["落户指标", "1200个", "1500个"],
        ["申报时间", "3月10日至4月10日", "2024年3月1日至3月31日"],
    ]
    assert _cutoffs(_parse("a.xlsx", xlsx_bytes({"s": rows}))) == [
        (2023, 100.0, 1200, *MARCH_APRIL),
        *ONE_2024,
    ]


def test_multi_year_horizontal_table_still_one_row_per_year() -> None:
    rows = [
        ["年度", "分数线", "指标", "申报时间"],
        ["2022年", "98分", "1000个", "2022年3月1日-3月31日"],
        ["2023年", "100分", "1200个", "3月10日至4月10日"],
        ["2024年", "105分", "1500个", "2024年3月1日至3月31日"],
    ]
    assert _cutoffs(_parse("a.xlsx", xlsx_bytes({"s": rows}))) == [
        (2022, 98.0, 1000, D(2022, 3, 1), D(2022, 3, 31)),
        (2023, 100.0, 1200, *MARCH_APRIL),
        *ONE_2024,
    ]


def test_tables_that_are_not_vertical_cutoffs_are_left_alone() -> None:
    def grid(rows: list[list[str]]) -> Grid:
        return Grid(cells=rows, source=Provenance())

    assert key_value_cutoff(grid([["年度", "分数线"], ["2024", "105"], ["2023", "100"]])) is None
    assert key_value_cutoff(grid([["区域", "落户指标"], ["鼓楼区", "300"], ["台江区", "200"]])) is None
    assert key_value_cutoff(grid([["项目", "内容"], ["申报时间", "3月1日至3月31日"]])) is None
