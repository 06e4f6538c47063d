"""HTML detail pages: merged cells, header not first, title/footnote rows, split tables, meta."""

from __future__ import annotations

import datetime as dt

from pw_parser_builders import html_page

from parsers import DocumentInput, parse_document
from parsers.formats.html import read_html, table_to_rows
from rules import PointsItem, ShortageEntry

POINTS_BODY = """
<table class="info"><tr><td>索引号：</td><td>FJ0012-0200-2026-00012</td><td>发文字号：</td><td>闽人社文〔2026〕3号</td></tr>
<tr><td>发布日期：</td><td>2026-01-15</td><td>发文机关：</td><td>福建省人力资源和社会保障厅</td></tr></table>
<p>各设区市人社局：</p>
<p>现将计分标准印发给你们，请遵照执行。本标准自2026年3月1日起施行，《关于印发积分落户计分标准的通知》（闽人社文〔2023〕7号）同时废止。</p>
<table>
<tr><td colspan="4">附表 积分计分标准</td></tr>
<tr><th>类别</th><th>项目</th><th>分值</th><th>备注</th></tr>
<tr><td rowspan="3">职业资格</td><td>初级工</td><td>10分</td><td></td></tr>
<tr><td>中级工</td><td>20分</td><td></td></tr>
<tr><td>高级工</td><td>40分</td><td>含职业技能等级证书</td></tr>
</table>
<table>
<tr><td rowspan="2">特种作业</td><td>低压电工作业</td><td>5分</td><td></td></tr>
<tr><td>高压电工作业</td><td>8分</td><td></td></tr>
<tr><td colspan="4">一、减分项目</td></tr>
<tr><td>违法犯罪</td><td>受到刑事处罚</td><td>扣50分</td><td></td></tr>
<tr><td colspan="4">注：同一项目按最高分计算。</td></tr>
</table>
<p>2026年积分落户分数线为110分，落户指标2000个。申报时间为2026年4月1日至4月30日。</p>
<p style="text-align:right">福建省人力资源和社会保障厅</p><p>2026年1月15日</p>
"""


def _parse(body: str, title: str = "关于印发2026年积分落户计分标准的通知", encoding: str = "utf-8") -> object:
    page = html_page(body, title=title, charset=encoding).encode(encoding)
    return parse_document(DocumentInput(url="http://127.0.0.1/t.htm", region="fujian", page=page))


def test_rowspan_colspan_expand_to_a_full_grid() -> None:
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(
        "<table><tr><td rowspan=2 colspan=2>A</td><td>B</td></tr><tr><td>C</td></tr>"
        "<tr><td>D</td><td colspan=2>E</td></tr></table>",
        "lxml",
    )
    assert table_to_rows(soup.table) == [["A", "A", "B"], ["A", "A", "C"], ["D", "E", "E"]]


def test_points_page_with_title_row_split_table_sections_and_footnote() -> None:
    result = _parse(POINTS_BODY)
    points = [r for r in result.rows if isinstance(r, PointsItem)]
    got = {(p.category, p.item): (p.points, p.sign) for p in points}
    assert got == {
        ("技能水平", "五级/初级工"): (10, 1),
        ("技能水平", "四级/中级工"): (20, 1),
        ("技能水平", "三级/高级工"): (40, 1),
        ("技能水平", "低压电工作业"): (5, 1),  # continued in a second <table>
        ("技能水平", "高压电工作业"): (8, 1),
        ("减分", "受到刑事处罚"): (50, -1),  # section row "一、减分项目"
    }
    high = next(p for p in points if p.item == "三级/高级工")
    assert high.conditions == "含职业技能等级证书"
    assert high.source.table == 2 and high.source.row == 5 and high.source.attachment is None
    cutoff = result.rows_of("points_cutoff")
    assert len(cutoff) == 1
    assert cutoff[0].fields() == {
        "year": 2026, "score": 110.0, "quota": 2000, "window_start": "2026-04-01", "window_end": "2026-04-30",
    }  # fmt: skip
    assert result.problems == []


def test_page_meta_from_info_table_and_text() -> None:
    meta = _parse(POINTS_BODY, encoding="gbk").meta
    assert meta.title == "关于印发2026年积分落户计分标准的通知"
    assert meta.region == "fujian"
    assert meta.doc_number == "闽人社文〔2026〕3号"
    assert meta.published_at == dt.date(2026, 1, 15)
    assert meta.effective_at == dt.date(2026, 3, 1)
    assert meta.replaces == ("闽人社文〔2023〕7号",)
    assert meta.issuer == "福建省人力资源和社会保障厅"


def test_shortage_table_with_header_below_titles_and_side_by_side_groups() -> None:
    body = """
    <p>2026年福州市急需紧缺职业（工种）目录</p>
    <table>
      <tr><td colspan="6">福州市急需紧缺职业（工种）目录</td></tr>
      <tr><td colspan="6">（2026年版）</td></tr>
      <tr><td>序号</td><td>职业名称</td><td>职业编码</td><td>序号</td><td>职业名称</td><td>职业编码</td></tr>
      <tr><td colspan="6">一、电力、热力生产和供应业</td></tr>
      <tr><td>1</td><td>电　工</td><td>6-31-01-03</td><td>2</td><td>继电保护员</td><td>6-28-01-15</td></tr>
      <tr><td>3</td><td>变配电运行值班员</td><td>6280114</td><td>4</td><td>电力电缆安装工</td><td>6—29—02—11</td></tr>
      <tr><td colspan="6">备注：目录每两年更新一次。</td></tr>
    </table>
    """
    result = _parse(body, title="关于发布2026年福州市急需紧缺职业目录的通知")
    entries = [r for r in result.rows if isinstance(r, ShortageEntry)]
    assert [(e.occupation, e.code) for e in entries] == [
        ("电工", "6-31-01-03"),
        ("继电保护员", "6-28-01-15"),
        ("变配电运行值班员", "6-28-01-14"),
        ("电力电缆安装运维工", "6-29-02-11"),
    ]
    assert {e.category for e in entries} == {"电力、热力生产和供应业"}
    assert entries[3].occupation_printed == "电力电缆安装工"


def test_layout_tables_are_not_data_tables_and_noise_is_dropped() -> None:
    html = (
        "<html><body><table><tr><td><table><tr><th>职业名称</th><th>紧缺程度</th></tr>"
        "<tr><td>电工</td><td>紧缺</td></tr></table></td></tr></table>"
        "<p>扫一扫在手机上查看当前页面</p><p>正文内容</p></body></html>"
    )
    extracted = read_html(html)
    assert len(extracted.grids) == 1
    assert [t.text for t in extracted.texts] == ["正文内容"]


def test_table_with_rule_content_and_unknown_columns_is_reported() -> None:
    body = """
    <table><tr><td>甲</td><td>乙</td><td>丙</td></tr>
    <tr><td>高级工</td><td>40分</td><td>落户</td></tr>
    <tr><td>技师</td><td>60分</td><td>落户</td></tr></table>
    """
    result = _parse(body, title="通知")
    assert [p.code for p in result.problems] == ["unrecognised_columns"]
    assert result.problems[0].where.table == 1


def test_level_matrix_table() -> None:
    body = """
    <table><tr><td>项目</td><td>初级工</td><td>中级工</td><td>高级工</td><td>技师</td><td>高级技师</td></tr>
    <tr><td>职业资格</td><td>10</td><td>20</td><td>40</td><td>60</td><td>80</td></tr></table>
    """
    result = _parse(body)
    assert [(r.item, r.points) for r in result.rows] == [
        ("五级/初级工", 10), ("四级/中级工", 20), ("三级/高级工", 40), ("二级/技师", 60), ("一级/高级技师", 80),
    ]  # fmt: skip
    assert {r.category for r in result.rows} == {"技能水平"}


def test_packed_points_cell_is_split_per_level() -> None:
    body = """
    <table><tr><th>类别</th><th>项目</th><th>积分标准</th></tr>
    <tr><td>技能水平</td><td>职业资格或职业技能等级</td><td>初级工10分；中级工20分；高级工40分</td></tr></table>
    """
    result = _parse(body)
    assert [(r.item, r.points) for r in result.rows] == [
        ("五级/初级工", 10),
        ("四级/中级工", 20),
        ("三级/高级工", 40),
    ]


def test_cutoff_table() -> None:
    body = """
    <table><tr><th>年度</th><th>落户分数线</th><th>落户指标（个）</th><th>申报时间</th></tr>
    <tr><td>2025年</td><td>105分</td><td>1,800</td><td>2025年3月1日至3月31日</td></tr>
    <tr><td>2026年</td><td>110</td><td>2000</td><td>2026年4月1日至4月30日</td></tr></table>
    """
    result = _parse(body, title="历年积分落户分数线")
    rows = result.rows_of("points_cutoff")
    assert [(r.year, r.score, r.quota, r.window_start) for r in rows] == [
        (2025, 105, 1800, dt.date(2025, 3, 1)), (2026, 110, 2000, dt.date(2026, 4, 1)),
    ]  # fmt: skip


def test_talent_table() -> None:
    body = """
    <table><tr><th>人才类别</th><th>学历或技能要求</th><th>社保要求</th><th>年龄</th></tr>
    <tr><td>技能人才</td><td>高级工及以上</td><td>连续缴纳6个月</td><td>45周岁以下</td></tr>
    <tr><td>学历人才</td><td>全日制本科及以上学历</td><td>无</td><td>不限</td></tr></table>
    """
    result = _parse(body, title="人才引进落户实施细则")
    rows = result.rows_of("talent_settlement")
    got = [(r.channel, r.requirement, r.level, r.social_insurance_months, r.age_limit) for r in rows]
    assert got == [
        ("技能人才", "三级/高级工", "三级/高级工", 6, 45),
        ("学历人才", "全日制本科", None, None, None),
    ]


def test_page_without_rules_says_so() -> None:
    result = _parse("<p>我局召开2026年工作会议。</p>", title="工作动态")
    assert [p.code for p in result.problems] == ["no_rules_found"]


def test_two_row_header_placeholders_and_numeric_cells() -> None:
    body = """
    <table>
      <tr><td colspan="6">人才落户条件一览表</td></tr>
      <tr><td rowspan="2">序号</td><td rowspan="2">类别</td><td colspan="3">申请条件</td><td rowspan="2">其他要求</td></tr>
      <tr><td>学历/技能/职称</td><td>社保缴纳（月）</td><td>年龄上限</td></tr>
      <tr><td>1</td><td rowspan="2">技能人才落户</td><td>高级工（三级）及以上</td><td>6</td><td>50</td><td>—</td></tr>
      <tr><td>2</td><td>中级工</td><td>12</td><td>45</td><td>从事紧缺职业</td></tr>
      <tr><td>3</td><td>人才引进落户</td><td>硕士研究生及以上学历</td><td>/</td><td>不限</td><td>无</td></tr>
    </table>
    """
    rows = _parse(body, title="人才落户办法").rows_of("talent_settlement")
    got = [(r.channel, r.requirement, r.social_insurance_months, r.age_limit, r.conditions) for r in rows]
    assert got == [
        ("技能人才落户", "三级/高级工", 6, 50, None),
        ("技能人才落户", "四级/中级工", 12, 45, "从事紧缺职业"),
        ("人才引进落户", "硕士研究生", None, None, None),
    ]


def test_continued_table_may_be_narrower_when_its_last_columns_are_empty() -> None:
    body = """
    <table><tr><td>序号</td><td>职业名称</td><td>职业代码</td><td>紧缺程度</td><td>备注</td></tr>
    <tr><td>1</td><td>电工</td><td>6-31-01-03</td><td>紧缺</td><td>含维修电工</td></tr></table>
    <table><tr><td>2</td><td>焊工</td><td>6-18-02-04</td><td>一般紧缺</td></tr></table>
    """
    rows = _parse(body, title="紧缺职业目录").rows_of("shortage_occupations")
    assert [(r.occupation, r.code, r.notes) for r in rows] == [
        ("电工", "6-31-01-03", "含维修电工"),
        ("焊工", "6-18-02-04", None),
    ]


def test_two_points_columns_fixed_or_rate() -> None:
    body = """
    <table><tr><td>类别</td><td>项目</td><td>分值</td><td>计分标准</td></tr>
    <tr><td>技能</td><td>高级工</td><td>40</td><td></td></tr>
    <tr><td>居住</td><td>居住年限</td><td></td><td>每满一年积1分，最高10分</td></tr></table>
    """
    rows = _parse(body).rows
    assert [(r.category, r.item, r.points, r.per, r.cap) for r in rows] == [
        ("技能水平", "三级/高级工", 40, None, None),
        ("居住年限", "居住年限", 1, "年", 10),
    ]


def test_talent_conditions_listed_before_the_requirement_and_title_channel() -> None:
    body = """
    <p>一、申请条件</p><p>（一）在本市合法稳定就业并连续缴纳社会保险满6个月；</p>
    <p>（二）具有技师及以上职业资格，年龄在50周岁以下。</p>
    """
    rows = _parse(body, title="关于技能人才落户有关问题的通知").rows
    assert [(r.channel, r.requirement, r.social_insurance_months, r.age_limit) for r in rows] == [
        ("技能人才落户", "二级/技师", 6, 50)
    ]


def test_text_inside_layout_tables_is_kept() -> None:
    html = (
        "<html><body><table><tr><td><p>取得高级工证书的，积40分。</p>"
        "<table><tr><td>职业名称</td><td>紧缺程度</td></tr><tr><td>电工</td><td>紧缺</td></tr></table>"
        "</td></tr></table></body></html>"
    )
    extracted = read_html(html)
    assert [g.cells for g in extracted.grids] == [[["职业名称", "紧缺程度"], ["电工", "紧缺"]]]
    assert [t.text for t in extracted.texts] == ["取得高级工证书的,积40分。"]


def test_a_stage_failure_is_a_problem_not_an_exception(monkeypatch: object) -> None:
    import parsers.tables

    def boom(self: object, grid: object) -> None:
        raise RuntimeError("bug")

    monkeypatch.setattr(parsers.tables.TableReader, "read", boom)  # type: ignore[attr-defined]
    result = _parse(POINTS_BODY)
    assert "parser_error" in [p.code for p in result.problems]
    assert result.rows_of("points_cutoff")  # the text was still read


def test_talent_table_with_symbolic_age_limits() -> None:
    body = """
    <table><tr><th>落户渠道</th><th>人才类型</th><th>社保（月）</th><th>年龄（周岁）</th><th>其他条件</th></tr>
    <tr><td rowspan="2">技能人才落户</td><td>技师</td><td>3</td><td>≤55</td><td></td></tr>
    <tr><td>高级工</td><td>6</td><td>50周岁及以下</td><td>在厦就业</td></tr></table>
    """
    rows = _parse(body, title="人才落户条件").rows_of("talent_settlement")
    got = [(r.channel, r.requirement, r.social_insurance_months, r.age_limit, r.conditions) for r in rows]
    assert got == [
        ("技能人才落户", "二级/技师", 3, 55, None),
        ("技能人才落户", "三级/高级工", 6, 50, "在厦就业"),
    ]


def test_text_restating_a_table_row_adds_no_second_row() -> None:
    body = """
    <p>参加本市社会保险的，每满1年积2分，最高不超过20分。</p>
    <table><tr><th>类别</th><th>项目</th><th>分值</th></tr>
    <tr><td>社会保险</td><td>社会保险缴纳年限</td><td>每满1年积2分，最高20分</td></tr></table>
    <p>2026年积分落户分数线为110分。</p>
    """
    rows = _parse(body).rows
    assert [(r.kind, r.key()) for r in rows] == [
        ("points_schedule", "社保缴纳|社会保险缴纳年限"),
        ("points_cutoff", "2026"),
    ]
