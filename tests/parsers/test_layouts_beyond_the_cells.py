"""Issue 18 mechanisms, each on invented documents: meaning outside the cells (stacked headers,
headings, sheet names, sub-tables), sentences packing several rules, conditions the rows now
hold, documents that only look like rules, and never reading anything silently."""

from __future__ import annotations

from pw_parser_builders import html_page, xlsx_bytes

from parsers import Attachment, DocumentInput, ParseResult, parse_document
from rules import PointsItem, ShortageEntry, TalentCondition


def _page(body: str, title: str) -> ParseResult:
    return parse_document(
        DocumentInput(
            url="http://rsj.example.gov.cn/a.htm", title=title, page=html_page(body, title).encode()
        )
    )


def _sheet(sheets: dict[str, list[list[object]]], title: str, merges: dict[str, list[str]] | None = None):
    data = xlsx_bytes(sheets, merges)  # type: ignore[arg-type]
    return parse_document(
        DocumentInput(
            url="http://rsj.example.gov.cn/a.htm",
            title=title,
            attachments=(Attachment("http://rsj.example.gov.cn/P1.xlsx", "附件.xlsx", data),),
        )
    )


def _codes(result: ParseResult) -> list[str]:
    return [p.code for p in result.problems]


# ---------------------------------------------------------------- tables: meaning outside the cells


def test_three_row_header_gives_category_item_points_and_cap() -> None:
    """一级 / 二级 / 三级 label columns: category is the 二级 label by meaning, item the most
    specific label; 分值 and 上限 under a merged 积分标准 give points and cap."""
    sheet = [
        ["莆田市积分落户积分标准"] * 6,
        ["指标体系", "指标体系", "指标体系", "积分标准", "积分标准", "备注"],
        ["一级指标", "二级指标", "三级指标", "分值", "上限", "备注"],
        ["核心指标", "技能等级", "技师", 42, None, "取最高项"],
        ["核心指标", "参加社会保险", "城镇职工养老保险", "每满1年积3分", 27, None],
        ["附加指标", "志愿服务", "注册志愿者服务", "每满100小时积2分", 6, None],
        ["扣分指标", "扣分指标", "被判处刑罚", "扣60分", None, None],
    ]
    result = _sheet({"积分标准": sheet}, "关于印发莆田市积分落户积分标准的通知")
    rows = {(r.category, r.item): r for r in result.rows if isinstance(r, PointsItem)}
    assert set(rows) == {
        ("技能水平", "二级/技师"),
        ("社保缴纳", "城镇职工养老保险"),
        ("社会服务", "注册志愿者服务"),
        ("减分", "被判处刑罚"),
    }
    assert rows[("社保缴纳", "城镇职工养老保险")].cap == 27
    assert rows[("社会服务", "注册志愿者服务")].per == "100小时"
    assert rows[("减分", "被判处刑罚")].sign == -1
    assert rows[("技能水平", "二级/技师")].conditions == "取最高项"
    assert result.problems == []


def test_heading_above_a_table_gives_the_degree_of_every_row() -> None:
    body = (
        "<p>（一）急需紧缺职业</p>"
        "<table><tr><td>职业名称</td><td>职业代码</td></tr><tr><td>电工</td><td>6-31-01-03</td></tr></table>"
        "<p>（二）一般紧缺职业</p>"
        "<table><tr><td>职业名称</td><td>职业代码</td></tr><tr><td>砌筑工</td><td>6-29-01-01</td></tr></table>"
    )
    result = _page(body, "关于发布2027年紧缺职业目录的通知")
    degrees = {r.occupation: r.degree for r in result.rows if isinstance(r, ShortageEntry)}
    assert degrees == {"电工": "急需紧缺", "砌筑工": "一般紧缺"}


def test_sheet_name_gives_the_degree_and_a_catalogue_title_does_not() -> None:
    head = ["序号", "职业名称", "职业编码"]
    result = _sheet(
        {
            "特别紧缺职业": [head, [1, "焊工", "6-18-02-04"]],
            "2027年紧缺职业目录": [head, [1, "电工", "6-31-01-03"]],
        },
        "关于发布紧缺职业目录的通知",
    )
    degrees = {r.occupation: r.degree for r in result.rows if isinstance(r, ShortageEntry)}
    assert degrees == {"焊工": "特别紧缺", "电工": None}


def test_sub_tables_stacked_in_one_sheet_are_read_under_their_own_titles() -> None:
    sheet = [
        ["一、职业技能等级"] * 4,
        ["等级", "中级工", "高级工", "技师"],
        ["分值", 12, 24, 36],
        ["二、紧缺急需职业"] * 4,
        ["紧缺类别", "急需", "紧缺", None],
        ["分值", 9, 6, None],
        ["三、居住"] * 4,
        ["项目", "积分标准", "备注", None],
        ["持居住证居住", "每满1年积1分，最高8分", None, None],
    ]
    result = _sheet({"标准": sheet}, "关于公布积分落户计分标准的通知")
    got = {(r.category, r.item, r.points, r.cap) for r in result.rows if isinstance(r, PointsItem)}
    assert got == {
        ("技能水平", "四级/中级工", 12, None),
        ("技能水平", "三级/高级工", 24, None),
        ("技能水平", "二级/技师", 36, None),
        ("紧缺工种", "急需", 9, None),
        ("紧缺工种", "紧缺", 6, None),
        ("居住年限", "持居住证居住", 1, 8),
    }


def test_talent_table_reads_sex_specific_ages_catalogue_and_housing_columns() -> None:
    sheet = [
        ["人才类别", "条件", "年龄条件", "参保时间", "住房条件", "其他条件"],
        ["技能人才落户", "高级工", "男不超过50周岁、女不超过45周岁", "满9个月", "—", "—"],
        [
            "技能人才落户",
            "中级工",
            "40周岁以下",
            "满18个月",
            "在鼓楼区、台江区落户的须有自有住房",
            "职业须列入《福州市急需紧缺职业目录》（榕人社〔2027〕4号）",
        ],
    ]
    result = _sheet({"技能人才": sheet}, "关于技能人才落户的通知")
    rows = {r.requirement: r for r in result.rows if isinstance(r, TalentCondition)}
    high, mid = rows["三级/高级工"], rows["四级/中级工"]
    assert (high.age_limit, high.age_limit_male, high.age_limit_female) == (None, 50, 45)
    assert high.social_insurance_months == 9
    assert (mid.age_limit, mid.social_insurance_months) == (40, 18)
    assert (mid.housing, mid.housing_districts) == ("自有住房", ("鼓楼区", "台江区"))
    assert (mid.catalogue, mid.catalogue_doc_number) == ("福州市急需紧缺职业目录", "榕人社〔2027〕4号")
    assert result.problems == []


# ---------------------------------------------------------------- narrative packing several rules


def test_one_sentence_gives_each_level_its_months_and_a_later_age_clause_applies_to_all() -> None:
    body = (
        "<p>一、技能人才落户</p>"
        "<p>在本市就业的技能人才，持初级工证书的，须连续缴纳职工养老保险满4年；持中级工证书的，满30个月；"
        "持高级工、技师证书的，满半年以上的按满6个月计。上述人员年龄均须在48周岁以下。</p>"
    )
    result = _page(body, "关于技能人才落户有关事项的通知")
    got = {
        (r.requirement, r.social_insurance_months, r.age_limit)
        for r in result.rows
        if isinstance(r, TalentCondition)
    }
    assert got == {
        ("五级/初级工", 48, 48),
        ("四级/中级工", 30, 48),
        ("三级/高级工", 6, 48),
        ("二级/技师", 6, 48),
    }


def test_each_age_pairs_with_its_own_requirement() -> None:
    body = (
        "<p>50周岁以下具有高级技师职业资格，或者40周岁以下具有高级工职业资格的，可申请技能人才落户，"
        "不受社保缴纳年限限制。</p>"
    )
    result = _page(body, "关于技能人才落户的通知")
    got = {(r.requirement, r.age_limit, r.social_insurance_months) for r in result.rows}
    assert got == {("一级/高级技师", 50, None), ("三级/高级工", 40, None)}


def test_deductions_in_prose_are_points_with_sign() -> None:
    body = (
        "<p>（四）减分项目。有下列情形的，予以减分：近三年内受过治安拘留的，每次扣除8分；"
        "提供虚假证明材料的，减30分。</p>"
    )
    result = _page(body, "关于积分落户计分办法的通知")
    got = {(r.category, r.points, r.per, r.sign) for r in result.rows if isinstance(r, PointsItem)}
    assert got == {("减分", 8, "次", -1), ("减分", 30, None, -1)}


# ---------------------------------------------------------------- documents that only look like rules


def test_school_admission_points_feed_nothing() -> None:
    body = (
        "<table><tr><td>项目</td><td>积分标准</td></tr><tr><td>父母持有高级工证书</td><td>6分</td></tr>"
        "<tr><td>父母在本区缴纳社保</td><td>每满1年积2分</td></tr></table>"
    )
    result = _page(body, "鼓楼区2027年随迁子女积分入学办法")
    assert result.rows == [] and result.not_about and "入学" in result.not_about
    assert result.problems == []


def test_a_reply_quoting_a_schedule_feeds_nothing() -> None:
    body = (
        "<p>来信内容：请问技师证书积多少分？</p>"
        "<p>回复内容：根据现行积分落户计分标准，取得技师证书的，积45分。</p>"
    )
    result = _page(body, "关于积分落户计分的咨询")
    assert result.rows == [] and result.not_about


def test_a_subsidy_list_with_trades_and_codes_is_no_catalogue() -> None:
    body = (
        "<table><tr><td>职业名称</td><td>职业代码</td><td>补贴标准(元)</td></tr>"
        "<tr><td>电工</td><td>6-31-01-03</td><td>1500</td></tr></table>"
    )
    result = _page(body, "关于公布2027年职业技能培训补贴标准的通知")
    assert result.rows == [] and result.not_about


def test_a_settlement_title_keeps_its_rules_whatever_else_it_names() -> None:
    body = "<p>取得技师证书的，积40分。</p>"
    result = _page(body, "关于调整积分落户计分标准及落户补贴的通知")
    assert result.not_about is None and len(result.rows) == 1


def test_rules_in_a_document_that_never_names_settlement_are_held_not_dropped() -> None:
    body = "<table><tr><td>项目</td><td>分值</td></tr><tr><td>取得技师证书</td><td>40</td></tr></table>"
    result = _page(body, "关于流动人口服务积分的通知")
    assert len(result.rows) == 1
    assert "scope_unclear" in _codes(result)


# ---------------------------------------------------------------- never silent


def test_a_row_whose_points_cannot_be_read_is_reported_with_its_row() -> None:
    body = (
        "<table><tr><td>项目</td><td>分值</td></tr>"
        "<tr><td>取得技师证书</td><td>40</td></tr>"
        "<tr><td>取得高级工证书</td><td>按有关规定计分(见附件3)</td></tr></table>"
    )
    result = _page(body, "关于积分落户计分标准的通知")
    assert len(result.rows) == 1
    unread = [p for p in result.problems if p.code == "unread_rows"]
    assert unread and "高级工" in unread[0].message
    assert result.coverage.seen > result.coverage.read > 0


def test_a_cell_that_cannot_be_read_is_a_partial_row_not_a_guess() -> None:
    sheet = [
        ["落户类别", "技能等级", "年龄", "社保缴纳"],
        ["技能人才落户", "技师", "视情况放宽", "满6个月"],
    ]
    result = _sheet({"条件": sheet}, "关于技能人才落户的通知")
    (row,) = result.rows
    assert isinstance(row, TalentCondition) and row.age_limit is None
    partial = [p for p in result.problems if p.code == "partial_row"]
    assert partial and "视情况放宽" in partial[0].message


def test_a_rule_like_sentence_that_gives_nothing_is_reported() -> None:
    body = "<p>取得技师证书的，积40分。</p><p>2027年积分落户分数线由市政府另行公布，原则上不低于100分。</p>"
    result = _page(body, "关于积分落户计分的通知")
    assert (result.coverage.seen, result.coverage.read) == (2, 1)
    (unread,) = [p for p in result.problems if p.code == "unread_text"]
    assert "分数线" in unread.message


def test_coverage_counts_every_rule_like_cell_of_a_fully_read_table() -> None:
    body = (
        "<table><tr><td>职业名称</td><td>职业代码</td><td>等级要求</td></tr>"
        "<tr><td>电工</td><td>6-31-01-03</td><td>三级</td></tr>"
        "<tr><td>焊工</td><td>6-18-02-04</td><td>四级</td></tr></table>"
    )
    result = _page(body, "关于发布紧缺职业目录的通知")
    assert len(result.rows) == 2
    assert result.coverage.seen == result.coverage.read >= 4


def test_a_condition_stated_once_after_a_table_applies_to_its_rows() -> None:
    body = (
        "<table><tr><td>落户类别</td><td>技能等级</td><td>社保缴纳</td></tr>"
        "<tr><td>技能人才落户</td><td>高级工</td><td>满6个月</td></tr>"
        "<tr><td>技能人才落户</td><td>技师</td><td>不限</td></tr></table>"
        "<p>申请在集美区、海沧区落户的，还须在落户地拥有自有产权住房。</p>"
    )
    result = _page(body, "关于技能人才落户的通知")
    assert {(r.requirement, r.housing, r.housing_districts) for r in result.rows} == {
        ("三级/高级工", "自有住房", ("集美区", "海沧区")),
        ("二级/技师", "自有住房", ("集美区", "海沧区")),
    }


def test_sex_specific_limits_in_one_clause_stay_with_its_level() -> None:
    body = (
        "<p>取得技师、高级技师证书的，年龄放宽至55周岁；取得高级工证书的，"
        "男性不超过50周岁、女性不超过45周岁，可申请技能人才落户。</p>"
    )
    result = _page(body, "关于技能人才落户的通知")
    got = {(r.requirement, r.age_limit, r.age_limit_male, r.age_limit_female) for r in result.rows}
    assert got == {
        ("二级/技师", 55, None, None),
        ("一级/高级技师", 55, None, None),
        ("三级/高级工", None, 50, 45),
    }


def test_a_column_headed_by_its_unit_holds_a_rate() -> None:
    sheet = [
        ["类别", "项目", "分值", "每满1年", "最高分值"],
        ["技能水平", "高级工", 30, None, None],
        ["社会保险", "缴纳职工养老保险", None, 2, 20],
    ]
    result = _sheet({"标准": sheet}, "关于积分落户计分标准的通知")
    got = {(r.item, r.points, r.per, r.cap) for r in result.rows if isinstance(r, PointsItem)}
    assert got == {("三级/高级工", 30, None, None), ("缴纳职工养老保险", 2, "年", 20)}
    assert result.problems == []


def test_a_sheet_named_after_a_kind_of_applicant_gives_the_channel() -> None:
    head = ["技能等级", "年龄", "参保时间"]
    result = _sheet(
        {
            "高技能人才": [head, ["技师", "55周岁以下", "不限"]],
            "青年技能人才": [head, ["中级工", "35周岁以下", "满1年"]],
        },
        "关于印发技能人才落户条件的通知",
    )
    got = {(r.channel, r.requirement, r.age_limit, r.social_insurance_months) for r in result.rows}
    assert got == {("高技能人才", "二级/技师", 55, None), ("青年技能人才", "四级/中级工", 35, 12)}


def test_circled_ordinals_never_enter_an_item() -> None:
    body = "<p>（五）扣分项目：①近三年内有失信记录的，扣除15分；②弄虚作假骗取积分的，减40分。</p>"
    result = _page(body, "关于积分落户计分办法的通知")
    assert {(r.item, r.points) for r in result.rows} == {("近三年内有失信记录", 15), ("弄虚作假骗取积分", 40)}


def test_a_continued_table_keeps_its_group_row_and_a_subtitle_gives_the_degree() -> None:
    head = "<tr><td>序号</td><td>职业名称</td><td>职业编码</td></tr>"
    body = (
        "<table><tr><td colspan='3'>紧缺程度：急需</td></tr>" + head
        + "<tr><td colspan='3'>一、能源行业</td></tr><tr><td>1</td><td>电工</td><td>6-31-01-03</td></tr></table>"
        "<p>续表</p><table>" + head + "<tr><td>2</td><td>锅炉运行值班员</td><td>6-28-01-05</td></tr></table>"
    )  # fmt: skip
    result = _page(body, "关于发布紧缺职业目录的通知")
    got = {(r.occupation, r.category, r.degree) for r in result.rows if isinstance(r, ShortageEntry)}
    assert got == {("电工", "能源行业", "急需"), ("锅炉运行值班员", "能源行业", "急需")}


def test_several_transposed_item_rows_each_over_their_points() -> None:
    sheet = [
        ["技能等级", "中级工", "高级工", "技师"],
        ["分值", 15, 30, 45],
        ["学历", "大专", "本科", "硕士研究生"],
        ["分值", 20, 40, 60],
    ]
    result = _sheet({"对照": sheet}, "关于积分落户分值的通知")
    got = {(r.category, r.item, r.points) for r in result.rows if isinstance(r, PointsItem)}
    assert got == {
        ("技能水平", "四级/中级工", 15), ("技能水平", "三级/高级工", 30), ("技能水平", "二级/技师", 45),
        ("学历", "大专", 20), ("学历", "本科", 40), ("学历", "硕士研究生", 60),
    }  # fmt: skip


def test_header_group_labels_that_name_no_field_still_stack() -> None:
    sheet = [
        ["积分项目", "积分项目", "积分标准", "积分标准", "积分标准"],
        ["一级指标", "二级指标", "固定分值", "按年累计", "按年累计"],
        ["一级指标", "二级指标", "固定分值", "每满1年", "最高分值"],
        ["技能水平", "高级工", 35, None, None],
        ["社保缴纳", "职工养老保险", None, 3, 30],
    ]
    result = _sheet({"标准": sheet}, "关于居住证积分落户标准的通知")
    got = {(r.category, r.item, r.points, r.per, r.cap) for r in result.rows if isinstance(r, PointsItem)}
    assert got == {("技能水平", "三级/高级工", 35, None, None), ("社保缴纳", "职工养老保险", 3, "年", 30)}


def test_a_note_naming_some_channels_fills_only_theirs() -> None:
    body = (
        "<table><tr><td>落户渠道</td><td>条件</td><td>年龄</td></tr>"
        "<tr><td>技能人才落户</td><td>高级工</td><td>45周岁以下</td></tr>"
        "<tr><td>学历人才落户</td><td>全日制本科</td><td>40周岁以下</td></tr></table>"
        "<p>申请技能人才落户的，所持职业须列入《漳州市紧缺职业目录》（漳人社〔2027〕2号）。</p>"
    )
    result = _page(body, "关于人才落户条件的通知")
    got = {(r.channel, r.catalogue) for r in result.rows}
    assert got == {("技能人才落户", "漳州市紧缺职业目录"), ("学历人才落户", None)}


def test_year_columns_and_a_window_ending_next_year() -> None:
    sheet = [
        ["事项", "2025年度", "2026年度"],
        ["入围分数", "120", "一百二十五"],
        ["受理开始", "2025-11-20", "2026-11-16"],
        ["受理截止", "2026-01-10", "2027-01-08"],
    ]
    result = _sheet({"历年": sheet}, "关于积分落户分数线的通告")
    got = {(r.year, r.score, r.window_start.isoformat(), r.window_end.isoformat()) for r in result.rows}
    assert got == {(2025, 120, "2025-11-20", "2026-01-10"), (2026, 125, "2026-11-16", "2027-01-08")}
    prose = _page("<p>2026年积分落户分数线为130分，受理时间为2026.11.20-1.15。</p>", "关于积分落户的通告")
    (row,) = prose.rows
    assert (row.window_start.isoformat(), row.window_end.isoformat()) == ("2026-11-20", "2027-01-15")
