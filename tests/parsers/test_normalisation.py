"""Normalisation: text, levels, occupations, codes, numerals, points cells, dates, 文号."""

from __future__ import annotations

import datetime as dt

import pytest

from parsers import normalise_doc_number
from rules import (
    LEVELS,
    cn_to_int,
    normalise_code,
    normalise_level,
    normalise_name,
    normalise_occupation,
    normalise_text,
    parse_number,
    parse_points,
    split_code,
)
from rules.dates import parse_date, parse_window
from rules.kinds.points import canonical_category, normalise_item
from rules.levels import is_level_only


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("  电　工 ", "电工"),
        ("职业（工种）名称", "职业(工种)名称"),
        ("ＡＢＣ１２３", "ABC123"),
        ("高级工。", "高级工"),
        ("", None),
        ("  ；", None),
    ],
)
def test_normalise_name(raw: str, expected: str | None) -> None:
    assert normalise_name(raw) == expected


def test_normalise_text_collapses_whitespace_and_drops_it_between_cjk() -> None:
    assert normalise_text("每满1年积2分，\n  最高20分。") == "每满1年积2分,最高20分"
    assert normalise_text("see  note   A") == "see note A"
    assert normalise_text("\u3000\xa0") is None


@pytest.mark.parametrize(
    ("raw", "level"),
    [
        ("初级", "五级/初级工"),
        ("初级工", "五级/初级工"),
        ("五级", "五级/初级工"),
        ("国家职业资格五级", "五级/初级工"),
        ("初级技能", "五级/初级工"),
        ("中级工(四级)", "四级/中级工"),
        ("四级／中级工", "四级/中级工"),
        ("高级", "三级/高级工"),
        ("三级及以上", "三级/高级工"),
        ("高级工及以上", "三级/高级工"),
        ("技师", "二级/技师"),
        ("二级（技师）", "二级/技师"),
        ("高级技师", "一级/高级技师"),
        ("一级", "一级/高级技师"),
        ("特级技师", "特级技师"),
        ("首席技师", "首席技师"),
        ("取得高级工职业资格证书的", "三级/高级工"),
        ("不限", None),
        ("高级职称", None),
        ("一级建造师", None),
        ("高级工程师", None),
        ("技师学院毕业", None),
        ("三级甲等医院", None),
    ],
)
def test_level_aliases(raw: str, level: str | None) -> None:
    assert normalise_level(raw) == level


def test_every_canonical_level_maps_to_itself() -> None:
    for level in LEVELS:
        assert normalise_level(level) == level


def test_level_only_detection() -> None:
    assert is_level_only("取得技师证书")
    assert is_level_only("高级工(三级)")
    assert not is_level_only("持有高压电工作业操作证")
    assert not is_level_only("初级工、中级工")


@pytest.mark.parametrize(
    ("raw", "name"),
    [
        ("维修电工", "电工"),
        ("电工（维修电工）", "电工"),
        ("电 工", "电工"),
        ("1.电工", "电工"),
        ("电工(6-31-01-03)", "电工"),
        ("变电站值班员", "变配电运行值班员"),
        ("焊工", "焊工"),
        ("电工*", "电工"),
        ("▲继电保护员", "继电保护员"),
    ],
)
def test_normalise_occupation(raw: str, name: str) -> None:
    assert normalise_occupation(raw) == name


@pytest.mark.parametrize(
    ("raw", "code", "suffix"),
    [
        ("6-31-01-03", "6-31-01-03", None),
        ("6310103", "6-31-01-03", None),
        ("6—31—01—03", "6-31-01-03", None),
        ("６－３１－０１－０３", "6-31-01-03", None),
        ("6-31-01-03-01", "6-31-01-03", "01"),
        ("631010302", "6-31-01-03", "02"),
        ("编码：6-28-01-14", "6-28-01-14", None),
        ("2025", None, None),
        ("20250101", None, None),
        ("", None, None),
    ],
)
def test_codes(raw: str, code: str | None, suffix: str | None) -> None:
    assert split_code(raw) == (code, suffix)
    assert normalise_code(raw) == code


@pytest.mark.parametrize(
    ("raw", "value"),
    [
        ("十五", 15),
        ("二十", 20),
        ("一百二十", 120),
        ("一千五百", 1500),
        ("两万", 20000),
        ("二〇二六", 2026),
        ("十", 10),
    ],
)
def test_chinese_integers(raw: str, value: int) -> None:
    assert cn_to_int(raw) == value


def test_parse_number_forms() -> None:
    assert parse_number("1,500") == 1500
    assert parse_number("０.５") == 0.5
    assert parse_number("三点五") == 3.5
    assert parse_number("abc") is None


@pytest.mark.parametrize(
    ("raw", "points", "per", "cap", "sign"),
    [
        ("40分", 40, None, None, 1),
        ("40", 40, None, None, 1),
        ("十五分", 15, None, None, 1),
        ("-10", 10, None, None, -1),
        ("扣5分", 5, None, None, -1),
        ("每满1年积2分，最高不超过20分", 2, "年", 20, 1),
        ("每满一年积2分,最高20分", 2, "年", 20, 1),
        ("每月0.5分", 0.5, "月", None, 1),
        ("2分/年，上限20分", 2, "年", 20, 1),
        ("每次积1分，累计不超过5分", 1, "次", 5, 1),
        ("每满50小时积1分", 1, "50小时", None, 1),
    ],
)
def test_points_cells(raw: str, points: float, per: str | None, cap: float | None, sign: int) -> None:
    value = parse_points(raw)
    assert value is not None
    assert (value.points, value.per, value.cap, value.sign) == (points, per, cap, sign)


@pytest.mark.parametrize("raw", ["", "不计分", "10-20分", "详见说明"])
def test_points_cells_without_a_value(raw: str) -> None:
    assert parse_points(raw) is None


@pytest.mark.parametrize(
    ("raw", "category"),
    [
        ("一、技能水平", "技能水平"),
        ("职业资格", "技能水平"),
        ("特种作业操作证", "技能水平"),
        ("社会保险", "社保缴纳"),
        ("（三）居住年限", "居住年限"),
        ("合法稳定住所", "住房"),
        ("紧缺职业(工种)加分", "紧缺工种"),
        ("献血", "社会服务"),
        ("违法犯罪", "减分"),
        ("其他加分", "其他加分"),
    ],
)
def test_categories(raw: str, category: str) -> None:
    assert canonical_category(raw) == category


def test_items_become_canonical_levels_only_when_they_are_levels() -> None:
    assert normalise_item("1.高级工（三级）") == "三级/高级工"
    assert normalise_item("持有低压电工作业操作证的") == "持有低压电工作业操作证"


def test_dates_and_windows() -> None:
    assert parse_date("二〇二五年三月十二日") == dt.date(2025, 3, 12)
    assert parse_date("2025/3/2") == dt.date(2025, 3, 2)
    assert parse_window("申报时间为2026年3月1日至3月31日") == (dt.date(2026, 3, 1), dt.date(2026, 3, 31))
    assert parse_window("2026-04-01至2026-04-30") == (dt.date(2026, 4, 1), dt.date(2026, 4, 30))


@pytest.mark.parametrize(
    "raw",
    [
        "闽人社文〔2025〕12号",
        "闽人社文[2025]12号",
        "闽人社文（2025）12号",
        "闽人社文【2025】第12号",
        "闽人社文 〔2025〕 12 号",
    ],
)
def test_doc_numbers(raw: str) -> None:
    assert normalise_doc_number(raw) == "闽人社文〔2025〕12号"


@pytest.mark.parametrize("raw", ["–10", "−10", "‐10", "—10", "－10"])
def test_points_read_every_dash_as_a_minus(raw: str) -> None:
    # only "－" and "—" were mapped: an en dash or minus sign gave no value at all
    value = parse_points(raw)
    assert value is not None and (value.points, value.sign) == (10, -1)


def test_a_range_with_an_en_dash_is_not_one_value() -> None:
    assert parse_points("10–20分") is None  # was read as 20
