"""The eligibility engine (rules/eligibility.py), from cases computed by hand.

The schedules below are invented; each expected figure is worked out in the comment above it.
"""

from __future__ import annotations

from rules.changes import Change, ChangeProvenance
from rules.eligibility import (
    DocRef,
    RegionRules,
    Sourced,
    change_effect,
    evaluate,
    evaluate_region,
)
from rules.kinds.cutoff import CutoffScore
from rules.kinds.points import PointsItem
from rules.kinds.shortage import ShortageEntry
from rules.kinds.talent import TalentCondition
from rules.profile import Certificate, CityFacts, Profile

SCHEDULE = DocRef("https://hrss.example.gov.cn/jf.htm", "积分计分标准", "厦人社规〔2025〕5号")
LIST = DocRef("https://hrss.example.gov.cn/jq.htm", "紧缺工种目录", "厦人社〔2025〕9号")
TALENT = DocRef("https://hrss.example.gov.cn/rc.htm", "技能人才落户办法", "厦人社〔2025〕3号")
CUTOFF = DocRef("https://hrss.example.gov.cn/fsx.htm", "分数线公告", None)


def s(row, doc=SCHEDULE):  # type: ignore[no-untyped-def]
    return Sourced(row, doc)


LEVELS = (
    s(PointsItem("技能水平", "五级/初级工", 10)),
    s(PointsItem("技能水平", "四级/中级工", 20)),
    s(PointsItem("技能水平", "三级/高级工", 35)),
)
INSURANCE = s(PointsItem("社保缴纳", "在本市缴纳社会保险", 3, per="年", cap=30))
SHORTAGE_BONUS = s(PointsItem("紧缺工种", "从事本市紧缺急需职业(工种)", 10))
ELECTRICIAN_ON_LIST = s(ShortageEntry("电工", "电工", "6-31-01-03", level="三级/高级工", degree="紧缺"), LIST)


def xiamen(**extra: object) -> RegionRules:
    base: dict[str, object] = {
        "region": "xiamen",
        "points": (*LEVELS, INSURANCE, SHORTAGE_BONUS),
        "shortage": (ELECTRICIAN_ON_LIST,),
    }
    base.update(extra)
    return RegionRules(**base)  # type: ignore[arg-type]


def worker(level: str = "四级/中级工", months: int | None = 60, **facts: object) -> Profile:
    cities = {} if months is None else {"xiamen": CityFacts(social_insurance_months=months, housing="rented")}
    person: dict[str, object] = {"age": 32, "sex": "male", "education": "高中"}
    person.update(facts)
    return Profile(
        certificates=(Certificate("电工", level), Certificate("焊工", "五级/初级工")),
        cities=cities,
        **person,  # type: ignore[arg-type]
    )


def items(estimate) -> dict[str, float]:  # type: ignore[no-untyped-def]
    return {p.item: p.points for p in estimate.points_items}


def test_best_certificate_counted_once_rate_per_full_year_and_shortage_level_required() -> None:
    r = evaluate_region(worker(), xiamen())
    # 中级工 20 (the 初级 焊工 certificate is not added); 60 months = 5 full years × 3 = 15;
    # 电工 is on the list but at 三级/高级工 and above: no bonus. 20 + 15 = 35, nothing unknown.
    assert items(r) == {"四级/中级工": 20, "在本市缴纳社会保险": 15}
    assert (r.points_min, r.points_max, r.points_total) == (35, 35, 35)
    assert r.unknown_items == ()
    assert r.points_items[0].doc.url == SCHEDULE.url
    assert "只计最高一项" in r.points_items[0].how


def test_cap_applies_and_shortage_bonus_at_the_required_level() -> None:
    # 高级工 35; 131 months = 10 full years × 3 = 30 (exactly the cap); 电工 高级 on list: +10 → 75
    r = evaluate_region(worker("三级/高级工", months=131), xiamen())
    assert items(r) == {"三级/高级工": 35, "在本市缴纳社会保险": 30, "从事本市紧缺急需职业(工种)": 10}
    assert r.points_total == 75
    # 15 years would be 45: capped at 30
    r = evaluate_region(worker("三级/高级工", months=180), xiamen())
    assert items(r)["在本市缴纳社会保险"] == 30
    assert "按上限 30 分" in next(p.how for p in r.points_items if p.category == "社保缴纳")


def test_certificates_add_up_only_where_the_schedule_says_so() -> None:
    summed = tuple(
        s(PointsItem("技能水平", lv.row.item, lv.row.points, conditions="不同工种证书可累计计分"))
        for lv in LEVELS
    )
    r = evaluate_region(worker(), xiamen(points=summed))
    # 中级工 20 + 初级工 10 (the 焊工 certificate)
    assert r.points_total == 30


def test_missing_city_facts_make_a_range_and_are_listed() -> None:
    r = evaluate_region(worker(months=None), xiamen())
    # known: 中级工 20; unknown: insurance, at most its cap 30 → 20–50
    assert (r.points_min, r.points_max, r.points_total) == (20, 50, None)
    assert len(r.unknown_items) == 1 and "社保" in r.unknown_items[0].label()
    assert any("档案中没有厦门" in n for n in r.notes)


def test_shortage_bonus_unknown_without_the_city_list() -> None:
    r = evaluate_region(worker("三级/高级工"), xiamen(shortage=()))
    # 35 + 15 known; the bonus (10) cannot be checked: 50–60
    assert (r.points_min, r.points_max) == (50, 60)
    assert "紧缺工种目录不在库中" in r.unknown_items[0].label()


def test_deductions_count_only_when_known() -> None:
    offence = s(PointsItem("减分", "有违法犯罪记录", 20, sign=-1))
    rules = xiamen(points=(*LEVELS, INSURANCE, offence))
    unknown = evaluate_region(worker(), rules)
    assert unknown.points_total == 35 and "criminal_record" in unknown.unknown_items[0].label()
    assert evaluate_region(worker(criminal_record=True), rules).points_total == 15
    clean = evaluate_region(worker(criminal_record=False), rules)
    assert clean.points_total == 35 and clean.unknown_items == ()


def test_exclusive_bands_age_education_housing_and_capped_blood_donation() -> None:
    rules = RegionRules(
        "quanzhou",
        points=(
            s(PointsItem("年龄", "18-35周岁", 20)),
            s(PointsItem("年龄", "36-45周岁", 10)),
            s(PointsItem("学历", "高中、中专、技工院校", 10)),
            s(PointsItem("学历", "大专", 20)),
            s(PointsItem("住房", "自有住房", 20)),
            s(PointsItem("住房", "租赁住房", 5)),
            s(PointsItem("社会服务", "无偿献血", 1, per="次", cap=5)),
        ),
    )
    person = Profile(
        age=32,
        sex="male",
        education="中专",
        blood_donations=7,
        cities={"quanzhou": CityFacts(housing="rented")},
    )
    r = evaluate_region(person, rules)
    # age 32 → 20; 中专 → 10; rented → 5; 7 donations → 7, capped 5: 40
    assert r.points_total == 40
    # without age, education and donations: known 5 (rented); at most 20 + 20 + 5 more → 5–50
    r = evaluate_region(Profile(cities={"quanzhou": CityFacts(housing="rented")}), rules)
    assert (r.points_min, r.points_max) == (5, 50)


TALENT_ROWS = (
    s(
        TalentCondition(
            "技能人才落户",
            "三级/高级工",
            level="三级/高级工",
            social_insurance_months=12,
            age_limit_male=50,
            age_limit_female=40,
        ),
        TALENT,
    ),
    s(TalentCondition("技能人才落户", "二级/技师", level="二级/技师", age_limit=55), TALENT),
)


def test_talent_level_or_higher_months_and_sex_specific_ages() -> None:
    rules = xiamen(talent=TALENT_ROWS)
    r = evaluate_region(worker(months=6), rules)
    first = r.talent[0]
    assert first.met is False
    assert first.missing == ("需三级/高级工及以上；你：四级/中级工", "社保还差 6 个月（需 12，你：6）")
    assert r.channels() == {"技能人才落户": False}
    # a 技师 certificate is above 高级工: both rows met by level; the first row has months now
    r = evaluate_region(worker("二级/技师", months=12, age=45), rules)
    assert [t.met for t in r.talent] == [True, True]
    # a woman of 45 with 高级工: over the women's limit of 40
    r = evaluate_region(worker("三级/高级工", months=12, age=45, sex="female"), rules)
    assert r.talent[0].met is False and r.talent[0].missing == ("年龄需不超过 40 周岁（女）；你：45 周岁",)
    # sex not given: unknown, never guessed
    r = evaluate_region(worker("三级/高级工", months=12, age=45, sex=None), rules)
    assert r.talent[0].met is None and "性别" in r.talent[0].unknown[0]
    assert r.channels()["技能人才落户"] is None


def test_housing_conditions_and_districts() -> None:
    owned = s(TalentCondition("技能人才落户", "三级/高级工", level="三级/高级工", housing="自有住房"))
    lawful = s(TalentCondition("技能人才落户", "二级/技师", level="二级/技师", housing="合法稳定住所"))
    district = s(
        TalentCondition(
            "人才引进落户",
            "三级/高级工",
            level="三级/高级工",
            housing="自有住房",
            housing_districts=("思明区",),
        )
    )
    rules = xiamen(talent=(owned, lawful, district))
    r = evaluate_region(worker("二级/技师"), rules)  # rented, no district
    assert [t.met for t in r.talent] == [False, True, None]
    assert r.talent[0].missing == ("需自有住房；你：租房",)
    r = evaluate_region(worker("二级/技师").with_city("xiamen", district="集美区"), rules)
    assert r.talent[2].met is True  # the housing condition does not apply in 集美区


def test_latest_cutoff_and_margin() -> None:
    cutoffs = (
        s(CutoffScore(2024, 90), CUTOFF),
        s(CutoffScore(2025, 100), CUTOFF),
        s(CutoffScore(2026), CUTOFF),
    )
    r = evaluate_region(worker(), xiamen(cutoffs=cutoffs))
    assert (r.cutoff_year, r.cutoff_score, r.margin) == (2025, 100, 35 - 100)
    assert r.above_cutoff() is False


def test_a_schedule_that_changed_between_two_dates() -> None:
    before = xiamen()
    after = xiamen(points=(*LEVELS[:1], s(PointsItem("技能水平", "四级/中级工", 28)), *LEVELS[2:], INSURANCE))
    assert evaluate_region(worker(), before).points_total == 35
    assert evaluate_region(worker(), after).points_total == 43  # 28 + 15


def test_change_effect_points_and_crossing_the_cutoff() -> None:
    rules = xiamen(
        points=(*LEVELS[:1], s(PointsItem("技能水平", "四级/中级工", 28)), *LEVELS[2:], INSURANCE),
        cutoffs=(s(CutoffScore(2025, 40), CUTOFF),),
    )
    change = Change(
        region="xiamen",
        kind="points_schedule",
        change="modified",
        key="技能水平|四级/中级工",
        before=PointsItem("技能水平", "四级/中级工", 20).fields(),
        after=PointsItem("技能水平", "四级/中级工", 28).fields(),
        fields_changed=("points",),
        substantive=True,
        electrician_related=True,
        summary="",
        provenance=ChangeProvenance(source_url=SCHEDULE.url),
    )
    effect = change_effect(worker(), rules, change)
    assert effect is not None
    # 20 + 15 = 35 before, 28 + 15 = 43 after; 43 ≥ 40
    assert effect.lines == ("你在厦门的积分估计由 35 变为 43；2025 年分数线 40",)
    assert effect.alerts == ("按你的档案，你在厦门的积分估计（43）达到了2025 年分数线 40",)
    # someone holding no certificate at that level: the change does nothing for them
    assert change_effect(worker("三级/高级工"), rules, change) is None


def test_change_effect_newly_meeting_a_talent_channel() -> None:
    row = TalentCondition("技能人才落户", "四级/中级工", level="四级/中级工", social_insurance_months=24)
    change = Change(
        region="xiamen",
        kind="talent_settlement",
        change="added",
        key=row.key(),
        before=None,
        after=row.fields(),
        fields_changed=(),
        substantive=True,
        electrician_related=True,
        summary="",
    )
    effect = change_effect(worker(), xiamen(talent=(s(row, TALENT),)), change)
    assert effect is not None and effect.alerts == ("按你的档案，你现在符合厦门技能人才落户的条件",)


def test_what_would_help_most() -> None:
    rules = xiamen(talent=TALENT_ROWS, cutoffs=(s(CutoffScore(2025, 60), CUTOFF),))
    estimate = evaluate(worker(months=6), [rules])
    texts = {sg.change: sg.effects for sg in estimate.suggestions}
    # 高级工: 35 instead of 20, +10 shortage bonus (电工 listed at 高级): 6 months → 0 points, 45 total
    assert texts["取得 电工 三级/高级工 证书（你：四级/中级工）"] == ("厦门：积分 20 → 45",)
    # 12 months: one full year, 3 points; the 高级工 row's months are met but not its level
    assert texts["在厦门再缴 6 个月社保（到 12 个月）"] == ("厦门：积分 20 → 23",)


def test_json_contract_and_profile_round_trip() -> None:
    person = worker(months=None, awards=(), blood_donations=2)
    assert Profile.from_dict(person.to_dict()) == person
    est = evaluate(person, [xiamen(cutoffs=(s(CutoffScore(2025, 100), CUTOFF),)), RegionRules("fujian")])
    (obj,) = est.to_json()  # fujian has no settlement rules: no object
    assert obj["region"] == "xiamen" and obj["points_total"] is None
    assert (obj["points_min"], obj["points_max"], obj["margin"]) == (20, 50, -80)
    assert obj["points_items"] == [
        {
            "category": "技能水平",
            "item": "四级/中级工",
            "points": 20,
            "how": "电工 四级/中级工；多本证书只计最高一项",
            "source_url": SCHEDULE.url,
            "doc_number": SCHEDULE.doc_number,
        }
    ]
    assert obj["cutoff_year"] == 2025 and obj["cutoff_score"] == 100 and obj["talent"] == []
