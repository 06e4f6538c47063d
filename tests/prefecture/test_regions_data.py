"""Regions are data (rules/data/regions.toml): ids, full names and labels, in report order."""

from __future__ import annotations

from pathlib import Path

import pytest

from crawlers.registry import builtin_sources
from rules.regions import KNOWN_REGIONS, REGIONS, load_regions, region_label, region_names

PREFECTURES = {
    "fuzhou": "福州市", "xiamen": "厦门市", "quanzhou": "泉州市", "zhangzhou": "漳州市", "putian": "莆田市",
    "sanming": "三明市", "nanping": "南平市", "longyan": "龙岩市", "ningde": "宁德市",
    "pingtan": "平潭综合实验区",
}  # fmt: skip


def test_the_province_and_all_ten_regions() -> None:
    assert REGIONS[0] == "fujian"
    assert {rid: KNOWN_REGIONS[rid].name for rid in REGIONS[1:]} == PREFECTURES
    assert region_label("zhangzhou") == "漳州" and region_label("pingtan") == "平潭"
    assert region_label("jinjiang") == "jinjiang"  # a region only a config source names
    assert region_names("ningde") == ("ningde", "宁德", "宁德市")


def test_every_region_has_hrss_psb_and_gov_sources() -> None:
    by_region: dict[str, set[str]] = {}
    for source in builtin_sources().values():
        assert source.region in KNOWN_REGIONS, source.id
        by_region.setdefault(source.region, set()).add(source.authority)
    assert set(by_region) == set(REGIONS)
    assert all(authorities == {"hrss", "psb", "gov"} for authorities in by_region.values()), by_region


def test_a_malformed_region_file_is_named(tmp_path: Path) -> None:
    bad = tmp_path / "regions.toml"
    bad.write_text('[zhangzhou]\nname = "漳州市"\n', encoding="utf-8")
    with pytest.raises(ValueError, match=r"regions.toml: \[zhangzhou\]: expected string keys name and label"):
        load_regions(bad)


def test_the_readme_lists_every_built_in_source() -> None:
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    for source in builtin_sources().values():
        assert f"| `{source.id}` | {source.name} |" in readme, source.id
        for url in source.start_urls:
            assert f"`{url}`" in readme, url
