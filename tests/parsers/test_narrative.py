"""Rules written as sentences: points clauses, cut-offs, talent conditions, windows."""

from __future__ import annotations

import datetime as dt

from parsers.grid import TextBlock
from parsers.narrative import NarrativeReader
from rules import CutoffScore, PointsItem, Provenance, RuleRow, TalentCondition


def read(text: str, year: int | None = 2026, context: str = "") -> list[RuleRow]:
    blocks = [TextBlock(line, Provenance(attachment="a.docx")) for line in text.strip().splitlines()]
    return NarrativeReader(year_hint=year, context=context).read(blocks)


def points(rows: list[RuleRow]) -> list[tuple[str, str, float | None, str | None, float | None, int]]:
    return [(r.category, r.item, r.points, r.per, r.cap, r.sign) for r in rows if isinstance(r, PointsItem)]


def test_level_clause_rate_clause_and_chinese_numerals() -> None:
    rows = read(
        """
        取得高级工职业资格证书的，积40分。
        社保每满1年积2分，最高不超过20分。
        取得技师证书的，积六十分。
        """
    )
    assert points(rows) == [
        ("技能水平", "三级/高级工", 40, None, None, 1),
        ("社保缴纳", "社保", 2, "年", 20, 1),
        ("技能水平", "二级/技师", 60, None, None, 1),
    ]


def test_headings_give_categories_and_lead_ins_are_not_items() -> None:
    rows = read(
        """
        （一）年龄。18周岁至35周岁的，积20分；36周岁至45周岁的，积10分。
        （二）特种作业。取得特种作业操作证的，积5分。
        第八条　减分指标
        有下列情形之一的，予以减分：（一）提供虚假材料的，减50分；（二）受到刑事处罚的，每次扣100分。
        """
    )
    assert points(rows) == [
        ("年龄", "18周岁至35周岁", 20, None, None, 1),
        ("年龄", "36周岁至45周岁", 10, None, None, 1),
        ("技能水平", "取得特种作业操作证", 5, None, None, 1),
        ("减分", "提供虚假材料", 50, None, None, -1),
        ("减分", "受到刑事处罚", 100, "次", None, -1),
    ]
    assert all(r.conditions is None for r in rows if isinstance(r, PointsItem))


def test_several_levels_in_one_sentence() -> None:
    rows = read(
        """
        取得初级工、中级工、高级工证书的，分别积10分、20分、40分。
        技能等级：五级积5分、四级积15分、三级积三十分。
        """
    )
    assert [(r[1], r[2]) for r in points(rows)] == [
        ("五级/初级工", 10),
        ("四级/中级工", 20),
        ("三级/高级工", 40),
        ("五级/初级工", 5),
        ("四级/中级工", 15),
        ("三级/高级工", 30),
    ]


def test_cutoff_with_quota_and_window_in_separate_sentences() -> None:
    rows = read(
        """
        一、2026年度积分落户分数线为一百二十分。
        二、2026年度落户指标1,500个。
        三、申报时间
        2026年4月1日至2026年4月30日（节假日除外）。
        """
    )
    assert rows == [CutoffScore(2026, 120, 1500, dt.date(2026, 4, 1), dt.date(2026, 4, 30))]


def test_cutoffs_of_several_years_in_one_sentence() -> None:
    rows = read("2025年积分落户分值线为120分，2026年分值线为125分，落户指标2000个。")
    assert [(r.year, r.score, r.quota) for r in rows if isinstance(r, CutoffScore)] == [
        (2025, 120, None),
        (2026, 125, 2000),
    ]


def test_cutoff_year_falls_back_to_document_year() -> None:
    rows = read("本年度积分落户分数线为98分。", year=2024)
    assert rows == [CutoffScore(2024, 98)]


def test_talent_conditions_channel_months_age() -> None:
    rows = read(
        """
        一、技能人才在我市城区落户，按以下条件执行：
        （一）取得高级工（三级）及以上证书，在本市连续缴纳社会保险满6个月，年龄不超过45周岁的，可申请技能人才落户。
        （二）取得技师（二级）及以上证书，年龄不超过五十周岁的，可申请技能人才落户，不受社会保险缴纳期限限制。
        二、人才引进落户
        具有全日制本科或硕士研究生及以上学历、中级及以上职称，在本市缴纳社保满1年的，可落户。
        """
    )
    got = [(r.channel, r.requirement, r.level, r.social_insurance_months, r.age_limit, r.conditions) for r in rows
           if isinstance(r, TalentCondition)]  # fmt: skip
    assert got == [
        ("技能人才落户", "三级/高级工", "三级/高级工", 6, 45, None),
        ("技能人才落户", "二级/技师", "二级/技师", None, 50, None),
        ("人才引进落户", "全日制本科", None, 12, None, None),
        ("人才引进落户", "硕士研究生", None, 12, None, None),
        ("人才引进落户", "中级职称", None, 12, None, None),
    ], "rows in printed order"


def test_points_settlement_eligibility_is_not_a_talent_channel() -> None:
    assert read("申请积分落户的，应当具有高中及以上学历，在本市缴纳社保满1年。") == []


def test_general_sentences_give_no_rows() -> None:
    assert read("同一申请人持有多个证书的，按最高等级计分，不累计。各地要简化落户办理流程。") == []


def test_respectively_over_five_levels_and_rates_with_a_verb_after_每() -> None:
    rows = read(
        """
        第一条　技能水平
        取得证书的，初级工、中级工、高级工、技师、高级技师分别积10分、20分、40分、60分、80分。
        第二条　社会服务
        在本市无偿献血的，每献血一次积1分，最高5分。
        """
    )
    assert points(rows) == [
        ("技能水平", "五级/初级工", 10, None, None, 1),
        ("技能水平", "四级/中级工", 20, None, None, 1),
        ("技能水平", "三级/高级工", 40, None, None, 1),
        ("技能水平", "二级/技师", 60, None, None, 1),
        ("技能水平", "一级/高级技师", 80, None, None, 1),
        ("社会服务", "在本市无偿献血", 1, "次", 5, 1),
    ]
