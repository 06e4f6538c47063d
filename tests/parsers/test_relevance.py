"""Electrician relevance; the family is a data file."""

from __future__ import annotations

from pathlib import Path

import pytest

from rules import (
    CutoffScore,
    PointsItem,
    ShortageEntry,
    TalentCondition,
    default_family,
    is_electrician_related,
    load_family,
)


@pytest.mark.parametrize(
    ("row", "related"),
    [
        (ShortageEntry("电工", "电工", code="6-31-01-03"), True),
        (ShortageEntry("电工", "维修电工"), True),
        (ShortageEntry("某职业", "某职业", code="6310103"), True),
        (ShortageEntry("变配电运行值班员", "变配电运行值班员"), True),
        (ShortageEntry("继电保护员", "继电保护员", code="6-28-01-15"), True),
        (ShortageEntry("电力电气设备安装工", "电力电气设备安装工", work_type="变电设备安装工"), True),
        (ShortageEntry("电力电缆安装运维工", "电力电缆安装运维工"), True),
        (ShortageEntry("变电设备检修工", "变电设备检修工", code="6-31-01-08"), True),
        (ShortageEntry("焊工", "焊工", code="6-18-02-04"), False),
        (ShortageEntry("育婴员", "育婴员"), False),
        (PointsItem("技能水平", "三级/高级工", 40), True),
        (PointsItem("技能水平", "低压电工作业", 5), True),
        (PointsItem("技能水平", "取得特种作业操作证", 5), True),
        (PointsItem("紧缺工种", "从事紧缺工种", 10), True),
        (PointsItem("技能水平", "中级职称", 20), False),
        (PointsItem("社保缴纳", "社会保险", 2, per="年", cap=20), False),
        (PointsItem("年龄", "18至35周岁", 20), False),
        (TalentCondition("技能人才落户", "三级/高级工", level="三级/高级工"), True),
        (TalentCondition("人才引进落户", "全日制本科"), False),
        (CutoffScore(2026, 120, 1500), True),
    ],
)
def test_default_family(row: object, related: bool) -> None:
    assert is_electrician_related(row, None) is related  # type: ignore[arg-type]


def test_default_family_is_loaded_from_data() -> None:
    family = default_family()
    assert {
        "6-31-01-03",
        "6-28-01-14",
        "6-28-01-15",
        "6-29-03-08",
        "6-29-02-11",
        "6-31-01-08",
    } <= family.codes
    assert "维修电工" in family.names
    assert "低压电工作业" in family.licences


def test_another_family_is_just_another_file(tmp_path: Path) -> None:
    path = tmp_path / "welder.toml"
    path.write_text(
        'name = "焊工"\n[[occupations]]\nname = "焊工"\ncode = "6-18-02-04"\nold_names = ["电焊工"]\n'
        '[licences]\nnames = ["熔化焊接与热切割作业"]\nkeywords = ["焊接"]\n',
        encoding="utf-8",
    )
    welder = load_family(path)
    assert is_electrician_related(ShortageEntry("焊工", "电焊工"), welder)
    assert is_electrician_related(ShortageEntry("x", "x", code="6180204"), welder)
    assert not is_electrician_related(ShortageEntry("电工", "电工", code="6-31-01-03"), welder)
    assert is_electrician_related(PointsItem("技能水平", "熔化焊接与热切割作业", 5), welder)
