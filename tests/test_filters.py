"""Regions, kinds and periods as people type them (policywatch.filters), and over the real CLI."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from harness import run_cli, write_config

from policywatch.config import parse_config
from policywatch.filters import UsageError, kinds, known_regions, period, regions, validate_choices

JINJIANG = """
[sources.jinjiang-hrss]
name = "晋江市人社局"
authority = "hrss"
region = "jinjiang"
family = "trs"
start_urls = ["https://rsj.jinjiang.gov.cn/zwgk/tzgg/"]
"""  # a region that is in no registry: a configured source adds it


def test_ids_labels_and_case_are_accepted_once() -> None:
    known = {"xiamen": "厦门", "quanzhou": "泉州"}
    assert validate_choices(["Xiamen", "厦门", " quanzhou "], known, "region") == ["xiamen", "quanzhou"]


def test_a_typo_is_an_error_with_the_closest_name() -> None:
    with pytest.raises(UsageError, match=r"unknown region 'xiamn' \(did you mean xiamen\?\)"):
        regions(["xiamn"], parse_config("", "test"))
    with pytest.raises(UsageError, match=r"did you mean points_schedule"):
        kinds(["points_schedul"])
    with pytest.raises(UsageError, match=r"unknown kind 'weather'; known: shortage_occupations"):
        kinds(["weather"])


def test_regions_are_data_a_configured_source_adds_one() -> None:
    assert "jinjiang" not in known_regions(parse_config("", "test"))
    config = parse_config(JINJIANG, "test")
    assert regions(["jinjiang"], config) == ["jinjiang"]
    assert list(known_regions(config))[:4] == ["fujian", "fuzhou", "xiamen", "quanzhou"]
    assert list(known_regions(config))[-1] == "jinjiang"  # after the registry's regions, by its id


def test_a_period_must_not_end_before_it_starts() -> None:
    period(dt.date(2026, 1, 1), dt.date(2026, 1, 1))
    with pytest.raises(UsageError, match="--since 2026-02-01 is after --until 2026-01-01"):
        period(dt.date(2026, 2, 1), dt.date(2026, 1, 1))


@pytest.mark.parametrize(
    "args",
    [
        ("subscribe", "a@example.org", "--region", "xiamn"),
        ("diff-report", "--region", "xiamn"),
        ("rules", "show", "--region", "xiamn", "--kind", "points_schedule"),
    ],
)
def test_the_cli_refuses_an_unknown_region_and_suggests_one(
    tmp_path: Path, database_url: str, args: tuple[str, ...]
) -> None:
    config = write_config(tmp_path / "pw.toml", database_url)
    result = run_cli("--config", str(config), *args, cwd=tmp_path)
    assert result.code == 2, result.stdout + result.stderr
    assert result.stderr.strip() == (
        "policywatch: unknown region 'xiamn' (did you mean xiamen?); known: fujian, fuzhou, xiamen, quanzhou, "
        "zhangzhou, putian, sanming, nanping, longyan, ningde, pingtan"
    )
    listed = run_cli("--config", str(config), "--json", "subscribers", cwd=tmp_path)
    assert json.loads(listed.stdout) == []  # nothing was stored


def test_the_cli_refuses_a_backwards_period_and_accepts_new_regions(
    tmp_path: Path, database_url: str
) -> None:
    config = write_config(tmp_path / "pw.toml", database_url, JINJIANG)
    backwards = run_cli(
        "--config", str(config), "diff-report", "--since", "2026-03-01", "--until", "2026-02-01", cwd=tmp_path
    )
    assert backwards.code == 2 and "is after --until" in backwards.stderr
    by_id = run_cli(
        "--config", str(config), "subscribe", "b@example.org", "--region", "jinjiang", cwd=tmp_path
    )
    assert by_id.code == 0, by_id.stderr
