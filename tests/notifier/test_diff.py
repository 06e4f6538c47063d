"""The diff engine on hand-built rule rows: exact changes, and silence on noise."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence

import pytest

from rules import CutoffScore, PointsItem, Provenance, RuleRow, ShortageEntry, TalentCondition
from rules.canonical import canonical_text, canonical_value
from rules.changes import Change, ChangeProvenance
from rules.diff import diff_rule_sets
from tests.harness import CONTRACT_KEYS


def never(row: RuleRow) -> bool:
    return False


def electric(row: RuleRow) -> bool:
    """Injected relevance: anything whose fields mention 电工."""
    return any(isinstance(v, str) and "电工" in v for v in row.fields().values())


def diff(before: Sequence[RuleRow], after: Sequence[RuleRow], **kw: object) -> list[Change]:
    kw.setdefault("region", "quanzhou")
    kw.setdefault("kind", "points_schedule")
    kw.setdefault("relevant", never)
    return diff_rule_sets(before, after, **kw)  # type: ignore[arg-type]


def brief(changes: list[Change]) -> list[tuple[str, str, tuple[str, ...]]]:
    return [(c.change, c.key, c.fields_changed) for c in changes]


SCHEDULE: list[RuleRow] = [
    PointsItem("技能水平", "五级/初级工", 10.0),
    PointsItem("技能水平", "四级/中级工", 20.0),
    PointsItem("技能水平", "三级/高级工", 40.0),
    PointsItem("社保缴纳", "社保缴纳", 2.0, per="年", cap=20.0, conditions="在本市连续缴纳，每满1年积2分"),
    PointsItem("减分", "违法犯罪", 10.0, sign=-1),
]


# ---------------------------------------------------------------- added / removed / modified


def test_identical_versions_give_nothing() -> None:
    assert diff(SCHEDULE, list(SCHEDULE)) == []
    assert diff([], []) == []


def test_added_removed_modified_exactly() -> None:
    after = [
        PointsItem("技能水平", "五级/初级工", 15.0),  # modified
        PointsItem("技能水平", "四级/中级工", 20.0),
        # 三级/高级工 removed
        PointsItem(
            "社保缴纳", "社保缴纳", 3.0, per="年", cap=24.0, conditions="在本市连续缴纳，每满1年积2分"
        ),
        PointsItem("减分", "违法犯罪", 10.0, sign=-1),
        PointsItem("技能水平", "二级/技师", 60.0),  # added
    ]
    changes = diff(SCHEDULE, after)
    assert brief(changes) == [  # levels in their natural order (五级 → 一级), the rest by key
        ("modified", "技能水平|五级/初级工", ("points",)),
        ("removed", "技能水平|三级/高级工", ()),
        ("added", "技能水平|二级/技师", ()),
        ("modified", "社保缴纳|社保缴纳", ("points", "cap")),
    ]
    modified, removed, added, rate = changes
    assert added.before is None and added.after == after[4].fields()
    assert removed.after is None and removed.before == SCHEDULE[2].fields()
    assert modified.before is not None and modified.before["points"] == 10.0
    assert modified.after is not None and modified.after["points"] == 15.0
    assert all(c.region == "quanzhou" and c.kind == "points_schedule" for c in changes)
    assert modified.summary == "泉州 积分: 五级/初级工 10 → 15 分"
    assert rate.summary == "泉州 积分: 社保缴纳 每年 2 → 3 分 (上限 20 → 24)"
    assert added.summary == "泉州 积分 新增 二级/技师 60 分"
    assert removed.summary == "泉州 积分 删除 三级/高级工 40 分"


def test_shortage_list_changes_and_summaries() -> None:
    before = [
        ShortageEntry("焊工", "焊工", code="6-30-02-02", degree="紧缺"),
        ShortageEntry("电工", "电工", code="6-31-01-03", degree="紧缺", level="四级/中级工"),
    ]
    after = [
        ShortageEntry("电工", "电工", code="6-31-01-03", degree="特别紧缺", level="三级/高级工"),
        ShortageEntry("继电保护员", "继电保护员", code="6-28-01-15", level="三级/高级工"),
    ]
    changes = diff(before, after, region="xiamen", kind="shortage_occupations")
    assert brief(changes) == [
        ("added", "6-28-01-15", ()),
        ("removed", "6-30-02-02", ()),
        ("modified", "6-31-01-03", ("degree", "level")),
    ]
    assert [c.summary for c in changes] == [
        "厦门 紧缺工种目录 新增 继电保护员（三级/高级工）",
        "厦门 紧缺工种目录 删除 焊工（紧缺）",
        "厦门 紧缺工种目录: 电工 紧缺程度 紧缺 → 特别紧缺；等级要求 四级/中级工 → 三级/高级工",
    ]


def test_field_list_follows_row_field_order() -> None:
    before = [
        TalentCondition(
            "人才引进落户", "三级/高级工", level="三级/高级工", social_insurance_months=12, age_limit=45
        )
    ]
    after = [
        TalentCondition(
            "人才引进落户",
            "三级/高级工",
            level="三级/高级工",
            social_insurance_months=6,
            age_limit=50,
            conditions="新增条件",
        )
    ]
    [change] = diff(before, after, kind="talent_settlement")
    assert change.fields_changed == ("social_insurance_months", "age_limit", "conditions")
    assert change.substantive is True
    assert (
        change.summary
        == "泉州 人才引进: 人才引进落户 三级/高级工: 社保 12 → 6 个月；年龄上限 45 → 50 岁；条件修改: 无 → 新增条件"
    )


# ---------------------------------------------------------------- noise


def noisy(row: RuleRow) -> PointsItem:
    """The same rule as a sloppy office would retype it."""
    assert isinstance(row, PointsItem)
    return PointsItem(
        f"  {row.category[0]} {row.category[1:]}\u3000",
        row.item.replace("/", "／") + "。",
        int(row.points) if row.points is not None else None,
        per=row.per,
        cap=row.cap,
        sign=row.sign,
        conditions=(row.conditions or "").replace(",", "，").replace("1", "１") + "；"
        if row.conditions
        else None,
        source=Provenance(attachment="other.xlsx", sheet="Sheet9", row=99),
    )


def test_noise_only_versions_give_no_change() -> None:
    after = [noisy(r) for r in reversed(SCHEDULE)]
    assert diff(SCHEDULE, after) == []


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("电 工", "电工"),
        ("电工\u3000", "电工"),
        ("（三级）", "(三级)"),
        ("每满1年积2分，最高20分。", "每满1年积2分,最高20分"),
        ("条件：本市；", "条件:本市"),
        ("ＡＢＣ１２３", "ABC123"),
        ("闽人社文〔2025〕12号", "闽人社文[2025]12号"),
        ("6—31—01—03", "6-31-01-03"),
        ("\u200b电工\ufeff", "电工"),
    ],
)
def test_canonical_text_folds_noise(a: str, b: str) -> None:
    assert canonical_text(a) == canonical_text(b)


def test_canonical_values() -> None:
    assert canonical_value(40) == canonical_value(40.0) == 40
    assert canonical_value(0.1 + 0.2) == canonical_value(0.3)
    assert canonical_value("") is None and canonical_value("  。") is None
    assert canonical_text("三级") != canonical_text("二级")


def test_shortage_noise_and_table_order() -> None:
    before = [
        ShortageEntry("电工", "电工", code="6-31-01-03", degree="紧缺", notes="持证上岗"),
        ShortageEntry("焊工", "焊工", code="6-30-02-02"),
    ]
    after = [
        ShortageEntry("焊工", "焊 工", code="6-30-02-02", source=Provenance(table=2)),
        ShortageEntry("电工", "电  工", code="6-31-01-03", degree=" 紧缺 ", notes="持证上岗。"),
    ]
    assert diff(before, after, kind="shortage_occupations") == []


def test_key_noise_matches_rows() -> None:
    """A key that differs only by spacing is the same row, not remove + add."""
    before = [ShortageEntry("电工", "电工", degree="紧缺")]
    after = [ShortageEntry("电 工", "电工", degree="特别紧缺")]
    changes = diff(before, after, kind="shortage_occupations")
    assert brief(changes) == [("modified", "电 工", ("degree",))]
    assert changes[0].renamed_from is None


# ---------------------------------------------------------------- renames


def test_rename_same_code_is_modification() -> None:
    before = [ShortageEntry("维修电工", "维修电工", code="6-31-01-03", degree="紧缺")]
    after = [ShortageEntry("电工", "电工", code="6-31-01-03", degree="紧缺")]
    [change] = diff(before, after, region="fuzhou", kind="shortage_occupations")
    assert (change.change, change.key, change.fields_changed) == ("modified", "6-31-01-03", ("occupation",))
    assert change.renamed_from is None  # same key: nothing was re-keyed
    assert change.substantive is False
    assert change.summary == "福州 紧缺工种目录: 维修电工 更名为 电工"


def test_rename_by_code_when_work_type_appears() -> None:
    before = [ShortageEntry("维修电工", "维修电工", code="6-31-01-03")]
    after = [ShortageEntry("电工", "电工", code="6-31-01-03", work_type="低压电工")]
    [change] = diff(before, after, kind="shortage_occupations")
    assert change.change == "modified"
    assert change.key == "6-31-01-03/低压电工"
    assert change.renamed_from == "6-31-01-03"
    assert change.fields_changed == ("occupation", "work_type")
    assert change.substantive is True  # a 工种 restriction changes who qualifies


def test_rename_by_normalised_name_without_code() -> None:
    before = [ShortageEntry("维修电工", "维修电工", degree="紧缺")]
    after = [ShortageEntry("电工", "电工", degree="紧缺")]
    [change] = diff(before, after, kind="shortage_occupations")
    assert (change.change, change.key, change.renamed_from) == ("modified", "电工", "维修电工")
    assert change.fields_changed == ("occupation",)
    assert change.substantive is False


def test_rename_name_match_gains_code() -> None:
    before = [ShortageEntry("维修电工", "维修电工")]
    after = [ShortageEntry("电工", "电工", code="6-31-01-03")]
    [change] = diff(before, after, kind="shortage_occupations")
    assert (change.change, change.key, change.renamed_from) == ("modified", "6-31-01-03", "维修电工")
    assert change.fields_changed == ("occupation", "code")
    assert change.substantive is True


def test_injected_normalise_occupation() -> None:
    before = [ShortageEntry("电力电缆安装工", "电力电缆安装工")]
    after = [ShortageEntry("电力电气设备安装工", "电力电气设备安装工")]
    fold = {"电力电缆安装工": "电力电气设备安装工"}
    assert [
        c.change for c in diff(before, after, kind="shortage_occupations", normalise_occupation=lambda n: n)
    ] == [
        "added",
        "removed",
    ]
    [change] = diff(before, after, kind="shortage_occupations", normalise_occupation=lambda n: fold.get(n, n))
    assert change.renamed_from == "电力电缆安装工"


def test_different_codes_are_never_a_rename() -> None:
    before = [ShortageEntry("电工", "电工", code="6-31-01-03")]
    after = [ShortageEntry("电工", "电工", code="6-31-01-99")]
    assert [c.change for c in diff(before, after, kind="shortage_occupations")] == ["removed", "added"]


def test_points_item_reworded_same_values_is_rename() -> None:
    before = [PointsItem("技能水平", "高级工", 40.0), PointsItem("紧缺工种", "维修电工", 5.0)]
    after = [PointsItem("技能水平", "三级/高级工", 40.0), PointsItem("紧缺工种", "电工", 5.0)]
    changes = diff(before, after)
    assert [(c.change, c.key, c.renamed_from, c.fields_changed, c.substantive) for c in changes] == [
        ("modified", "技能水平|三级/高级工", "技能水平|高级工", ("item",), False),
        ("modified", "紧缺工种|电工", "紧缺工种|维修电工", ("item",), False),
    ]
    assert changes[0].summary == "泉州 积分: 高级工 更名为 三级/高级工"


def test_points_reworded_with_new_value_is_remove_and_add() -> None:
    before = [PointsItem("技能水平", "高级工", 40.0)]
    after = [PointsItem("技能水平", "三级/高级工", 50.0)]
    assert [c.change for c in diff(before, after)] == ["added", "removed"]


def test_unrelated_items_same_value_are_not_renames() -> None:
    before = [PointsItem("紧缺工种", "焊工", 5.0)]
    after = [PointsItem("紧缺工种", "电工", 5.0)]
    assert brief(diff(before, after)) == [("removed", "紧缺工种|焊工", ()), ("added", "紧缺工种|电工", ())]


def test_talent_requirement_reworded_is_rename_not_substantive() -> None:
    before = [TalentCondition("人才引进落户", "高级工", level="高级工", social_insurance_months=12)]
    after = [TalentCondition("人才引进落户", "三级/高级工", level="三级/高级工", social_insurance_months=12)]
    [change] = diff(before, after, kind="talent_settlement")
    assert (change.change, change.key, change.renamed_from) == (
        "modified",
        "人才引进落户|三级/高级工",
        "人才引进落户|高级工",
    )
    assert change.fields_changed == ("requirement", "level")
    assert change.substantive is False  # the same level, written the new way


def test_level_change_is_substantive() -> None:
    before = [TalentCondition("人才引进落户", "技能人才", level="四级/中级工")]
    after = [TalentCondition("人才引进落户", "技能人才", level="三级/高级工")]
    [change] = diff(before, after, kind="talent_settlement")
    assert (change.fields_changed, change.substantive) == (("level",), True)


# ---------------------------------------------------------------- cut-offs


def test_cutoff_years_are_never_removed() -> None:
    before = [CutoffScore(2025, 110.0, 1200), CutoffScore(2026, 115.0, 1300)]
    after = [CutoffScore(2027, 120.0, 1500)]
    [change] = diff(before, after, region="fuzhou", kind="points_cutoff")
    assert (change.change, change.key) == ("added", "2027")
    assert change.summary == "福州 积分落户分数线 2027年 新增: 120 分, 指标 1500 个"
    assert diff(before, [], kind="points_cutoff") == []


def test_cutoff_year_corrected_is_modified() -> None:
    before = [CutoffScore(2026, 115.0, 1300, window_start=dt.date(2026, 3, 1))]
    after = [CutoffScore(2026, 118.0, 1300, window_start=dt.date(2026, 3, 1))]
    [change] = diff(before, after, region="fuzhou", kind="points_cutoff")
    assert (change.change, change.fields_changed, change.substantive) == ("modified", ("score",), True)
    assert change.summary == "福州 积分落户分数线: 2026年: 分数线 115 → 118 分"


# ---------------------------------------------------------------- flags


@pytest.mark.parametrize(
    ("after", "fields", "substantive"),
    [
        (
            PointsItem("社保缴纳", "社保缴纳", 2.0, per="年", cap=20.0, conditions="另行规定"),
            ("conditions",),
            False,
        ),
        (PointsItem("社保缴纳", "社保缴纳", 2.0, per="月", cap=20.0, conditions="c"), ("per",), True),
        (PointsItem("社保缴纳", "社保缴纳", 2.0, per="年", cap=None, conditions="c"), ("cap",), True),
        (
            PointsItem("社保缴纳", "社保缴纳", 2.0, per="年", cap=20.0, sign=-1, conditions="c"),
            ("sign",),
            True,
        ),
    ],
)
def test_substantive_flag(after: PointsItem, fields: tuple[str, ...], substantive: bool) -> None:
    before = PointsItem("社保缴纳", "社保缴纳", 2.0, per="年", cap=20.0, conditions="c")
    [change] = diff([before], [after])
    assert change.fields_changed == fields
    assert change.substantive is substantive


def test_notes_only_is_not_substantive() -> None:
    before = [ShortageEntry("电工", "电工", code="6-31-01-03", notes="旧备注", category="制造业")]
    after = [
        ShortageEntry("电工", "电工", code="6-31-01-03", notes="新备注", category="电力、热力生产和供应业")
    ]
    [change] = diff(before, after, kind="shortage_occupations")
    assert change.fields_changed == ("category", "notes")
    assert change.substantive is False


def test_added_and_removed_are_substantive() -> None:
    changes = diff([PointsItem("住房", "自有住房", 20.0)], [PointsItem("住房", "租赁住房", 5.0)])
    assert [(c.change, c.substantive) for c in changes] == [("added", True), ("removed", True)]


def test_relevance_is_injected_and_checks_both_sides() -> None:
    before = [
        ShortageEntry("维修电工", "维修电工", code="6-31-01-03", degree="紧缺"),
        ShortageEntry("焊工", "焊工", code="6-30-02-02", degree="紧缺"),
        ShortageEntry("厨师", "厨师", code="4-03-02-01", degree="紧缺"),
    ]
    after = [
        ShortageEntry(
            "电气设备安装", "电气设备安装", code="6-31-01-03", degree="特别紧缺"
        ),  # only before mentions 电工
        ShortageEntry("焊工", "焊工", code="6-30-02-02", degree="特别紧缺"),
        ShortageEntry("电工", "电工", code="6-31-01-99"),
    ]
    changes = diff(before, after, kind="shortage_occupations", relevant=electric)
    assert [(c.change, c.key, c.electrician_related) for c in changes] == [
        ("removed", "4-03-02-01", False),
        ("modified", "6-30-02-02", False),
        ("modified", "6-31-01-03", True),
        ("added", "6-31-01-99", True),
    ]


def test_default_relevance_comes_from_parsers() -> None:
    """Without an injected function, rules.relevance decides (or a stand-in until it lands)."""
    before = [ShortageEntry("焊工", "焊工", code="6-30-02-02")]
    after = [
        ShortageEntry("焊工", "焊工", code="6-30-02-02"),
        ShortageEntry("电工", "电工", code="6-31-01-03"),
    ]
    [change] = diff_rule_sets(before, after, region="xiamen", kind="shortage_occupations")
    assert change.change == "added" and change.electrician_related is True


# ---------------------------------------------------------------- duplicates, order, mixed kinds


def test_duplicate_keys_are_kept_apart() -> None:
    before = [
        TalentCondition("人才引进落户", "三级/高级工", social_insurance_months=12, conditions="在本市工作"),
        TalentCondition("人才引进落户", "三级/高级工", social_insurance_months=24, conditions="在外市工作"),
    ]
    after = [
        TalentCondition("人才引进落户", "三级/高级工", social_insurance_months=24, conditions="在外市工作"),
        TalentCondition("人才引进落户", "三级/高级工", social_insurance_months=6, conditions="在本市工作"),
        TalentCondition("人才引进落户", "三级/高级工", social_insurance_months=36, conditions="其他"),
    ]
    changes = diff(before, after, kind="talent_settlement")
    # duplicates are numbered in canonical-content order within their version; rows pair by content
    assert [(c.change, c.key, c.fields_changed) for c in changes] == [
        ("added", "人才引进落户|三级/高级工", ()),
        ("modified", "人才引进落户|三级/高级工#3", ("social_insurance_months",)),
    ]
    assert changes[0].after is not None and changes[0].after["social_insurance_months"] == 36
    assert changes[1].before is not None and changes[1].before["social_insurance_months"] == 12
    assert changes[1].after is not None and changes[1].after["social_insurance_months"] == 6
    # the same version twice, in any order, is no change
    assert diff(before, list(reversed(before)), kind="talent_settlement") == []


def test_duplicate_removed_leaves_one() -> None:
    row = ShortageEntry("电工", "电工", code="6-31-01-03")
    [change] = diff([row, row], [row], kind="shortage_occupations")
    assert (change.change, change.key) == ("removed", "6-31-01-03#2")


def test_output_is_deterministic_across_input_orders() -> None:
    before: list[RuleRow] = [
        *SCHEDULE,
        ShortageEntry("焊工", "焊工", code="6-30-02-02"),
        CutoffScore(2026, 100.0),
    ]
    after: list[RuleRow] = [
        PointsItem("技能水平", "五级/初级工", 12.0),
        PointsItem("技能水平", "二级/技师", 60.0),
        ShortageEntry("电工", "电工", code="6-31-01-03"),
        CutoffScore(2027, 101.0),
    ]
    first = diff(before, after)
    assert first == diff(list(reversed(before)), list(reversed(after)))
    assert [(c.kind, c.key, c.change) for c in first] == [
        ("points_cutoff", "2027", "added"),
        ("points_schedule", "减分|违法犯罪", "removed"),
        ("points_schedule", "技能水平|五级/初级工", "modified"),
        ("points_schedule", "技能水平|四级/中级工", "removed"),
        ("points_schedule", "技能水平|三级/高级工", "removed"),
        ("points_schedule", "技能水平|二级/技师", "added"),
        ("points_schedule", "社保缴纳|社保缴纳", "removed"),
        ("shortage_occupations", "6-30-02-02", "removed"),
        ("shortage_occupations", "6-31-01-03", "added"),
    ]


# ---------------------------------------------------------------- provenance and JSON


PROV = ChangeProvenance(
    source_url="http://rsj.xm.gov.cn/zcfg/202603/t20260301_1.htm",
    document_title="厦门市2026年紧缺职业(工种)目录",
    doc_number="厦人社〔2026〕12号",
    published_at=dt.date(2026, 3, 1),
    effective_at=dt.date(2026, 4, 1),
    detected_at=dt.datetime(2026, 3, 2, 8, 30, tzinfo=dt.UTC),
)


def test_provenance_never_matters_and_is_carried() -> None:
    before = [ShortageEntry("电工", "电工", code="6-31-01-03", source=Provenance(attachment="a.xls", row=3))]
    same = [ShortageEntry("电工", "电工", code="6-31-01-03", source=Provenance(attachment="b.pdf", page=2))]
    assert diff(before, same, provenance=PROV) == []
    [change] = diff([], same, region="xiamen", kind="shortage_occupations", provenance=PROV)
    assert change.provenance == PROV


def test_json_contract_and_round_trip() -> None:
    before = [ShortageEntry("维修电工", "维修电工", degree="紧缺")]
    after = [ShortageEntry("电工", "电工", degree="特别紧缺"), ShortageEntry("焊工", "焊工")]
    changes = diff(
        before, after, region="xiamen", kind="shortage_occupations", provenance=PROV, relevant=electric
    )
    assert len(changes) == 2
    for change in changes:
        data = change.to_json()
        assert set(data) == CONTRACT_KEYS
        text = json.dumps(data, ensure_ascii=False)
        assert Change.from_json(json.loads(text)) == change
    data = changes[1].to_json()
    assert data == {
        "region": "xiamen",
        "kind": "shortage_occupations",
        "change": "modified",
        "key": "电工",
        "before": before[0].fields(),
        "after": after[0].fields(),
        "electrician_related": True,
        "source_url": "http://rsj.xm.gov.cn/zcfg/202603/t20260301_1.htm",
        "published_at": "2026-03-01",
        "detected_at": "2026-03-02T08:30:00+00:00",
        "summary": "厦门 紧缺工种目录: 维修电工 更名为 电工；紧缺程度 紧缺 → 特别紧缺",
        "substantive": True,
        "fields_changed": ["occupation", "degree"],
        "renamed_from": "维修电工",
        "document_title": "厦门市2026年紧缺职业(工种)目录",
        "doc_number": "厦人社〔2026〕12号",
        "effective_at": "2026-04-01",
        "parser_upgrade": False,
    }


def test_json_round_trip_without_provenance() -> None:
    [change] = diff(
        [], [CutoffScore(2027, 120.0, 1500, window_end=dt.date(2027, 5, 31))], kind="points_cutoff"
    )
    data = change.to_json()
    assert data["published_at"] is None and data["detected_at"] is None
    assert data["after"]["window_end"] == "2027-05-31"
    assert Change.from_json(data) == change


def test_json_numbers_print_the_same_before_and_after() -> None:
    """A stored 10 and a freshly parsed 15.0 both print as integers in the JSON contract."""
    (change,) = diff(
        [PointsItem("技能水平", "五级/初级工", 10)], [PointsItem("技能水平", "五级/初级工", 15.0)]
    )
    data = change.to_json()
    assert json.dumps(data["before"]["points"]) == "10" and json.dumps(data["after"]["points"]) == "15"
    half = diff(
        [PointsItem("社保缴纳", "社保缴纳", 0.5, per="月")],
        [PointsItem("社保缴纳", "社保缴纳", 1.0, per="月")],
    )
    assert json.dumps(half[0].to_json()["before"]["points"]) == "0.5"


def test_conditions_held_as_fields_diff_as_changes_of_their_own() -> None:
    """Sex-specific ages, a required catalogue and a housing condition are substantive fields:
    a change to one is a change, described in words, and carried in the change's JSON."""
    before = [
        TalentCondition("技能人才落户", "三级/高级工", "三级/高级工", 6, None, None, 50, 40,
                        housing="自有住房", housing_districts=("思明区", "湖里区")),
    ]  # fmt: skip
    after = [
        TalentCondition("技能人才落户", "三级/高级工", "三级/高级工", 6, None, None, 50, 45,
                        catalogue="厦门市紧缺工种目录", housing="自有住房", housing_districts=("思明区",)),
    ]  # fmt: skip
    (change,) = diff(before, after, region="xiamen", kind="talent_settlement", relevant=lambda r: True)
    assert change.change == "modified"
    assert set(change.fields_changed) == {"age_limit_female", "catalogue", "housing_districts"}
    assert "女性年龄上限 40 → 45 岁" in change.summary
    assert "住房要求适用区 思明区、湖里区 → 思明区" in change.summary
    data = json.loads(json.dumps(change.after, ensure_ascii=False))
    assert data["housing_districts"] == ["思明区"] and data["catalogue"] == "厦门市紧缺工种目录"


def test_rows_stored_before_the_new_talent_fields_still_load() -> None:
    from rules.registry import row_from_fields

    stored = {"channel": "技能人才落户", "requirement": "三级/高级工", "level": "三级/高级工",
              "social_insurance_months": 6, "age_limit": 45, "conditions": None}  # fmt: skip
    row = row_from_fields("talent_settlement", dict(stored))
    assert isinstance(row, TalentCondition) and row.age_limit == 45 and row.housing_districts is None
    again = row_from_fields("talent_settlement", json.loads(json.dumps(row.fields())))
    assert again == row
