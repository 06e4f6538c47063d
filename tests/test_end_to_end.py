"""The whole pipeline as a user runs it: crawl the sample site (real spiders, real HTTP on
127.0.0.1), parse, version, and read the changes back through `diff-report`."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from policywatch.demo.sample_site import sample_config, write_sample_site
from policywatch.site_server import SiteServer
from tests.harness import CONTRACT_KEYS, run_cli


@pytest.fixture
def sample(
    tmp_path: Path, site_factory: Callable[..., SiteServer], database_url: str
) -> tuple[SiteServer, Path]:
    site = site_factory(write_sample_site(tmp_path / "site"))
    config = tmp_path / "policywatch.toml"
    config.write_text(sample_config(site.base_url, database_url, tmp_path / "outbox"), encoding="utf-8")
    return site, config


def changes(config: Path, cwd: Path, *extra: str) -> list[dict[str, object]]:
    result = run_cli("--config", str(config), "diff-report", "--format", "json", *extra, cwd=cwd)
    assert result.code == 0, result.stderr
    return json.loads(result.stdout)  # type: ignore[no-any-return]


def crawl(config: Path, cwd: Path) -> None:
    result = run_cli("--config", str(config), "crawl", cwd=cwd)
    assert result.code == 0, result.stdout + result.stderr


def test_changes_between_two_states_then_a_redesign_is_held(
    sample: tuple[SiteServer, Path], tmp_path: Path
) -> None:
    site, config = sample
    crawl(config, tmp_path)
    assert changes(config, tmp_path, "--all") == [], "first versions are baselines, not news"

    site.set_state("later")
    crawl(config, tmp_path)
    every = changes(config, tmp_path, "--all")
    got = {(c["region"], c["kind"], c["change"], c["key"]): c for c in every}
    assert set(got) == {
        ("fujian", "shortage_occupations", "added", "6-31-01-03"),
        ("fujian", "shortage_occupations", "removed", "4-03-02-01"),
        ("quanzhou", "points_schedule", "modified", "技能水平|五级/初级工"),
    }, "formatting-only re-publication (厦门) and the late 2023 document must add nothing"
    for change in every:
        assert CONTRACT_KEYS <= set(change)
    points = got[("quanzhou", "points_schedule", "modified", "技能水平|五级/初级工")]
    assert points["before"]["points"] == 10 and points["after"]["points"] == 15  # type: ignore[index]
    assert points["electrician_related"] is True and points["substantive"] is True
    assert str(points["source_url"]).endswith("/quanzhou-hrss/tzgg/202503/t20250310_700101.htm")
    assert points["published_at"] == "2025-03-10"
    added = got[("fujian", "shortage_occupations", "added", "6-31-01-03")]
    assert added["after"]["occupation"] == "电工" and added["electrician_related"] is True  # type: ignore[index]
    assert got[("fujian", "shortage_occupations", "removed", "4-03-02-01")]["electrician_related"] is False

    default = changes(config, tmp_path)
    assert {c["key"] for c in default} == {"6-31-01-03", "技能水平|五级/初级工"}
    only_quanzhou = changes(config, tmp_path, "--region", "quanzhou", "--kind", "points_schedule")
    assert [c["key"] for c in only_quanzhou] == ["技能水平|五级/初级工"]

    rules = run_cli(
        "--config",
        str(config),
        "rules",
        "show",
        "--region",
        "quanzhou",
        "--kind",
        "points_schedule",
        "--format",
        "json",
        cwd=tmp_path,
    )
    in_force = {r["key"]: r["points"] for r in json.loads(rules.stdout)}
    assert in_force["技能水平|五级/初级工"] == 15, "the 2023 document crawled late must not be in force"

    site.set_state("broken")
    crawl(config, tmp_path)
    after_redesign = changes(config, tmp_path, "--all")
    assert [c for c in after_redesign if c["change"] == "removed" and c["region"] == "xiamen"] == []
    assert len(after_redesign) == len(every)
    health = run_cli("--config", str(config), "--json", "health", cwd=tmp_path)
    suspects = json.loads(health.stdout)["suspect_versions"]
    assert [(s["region"], s["kind"], s["rows"]) for s in suspects] == [("xiamen", "points_schedule", 0)]
    listed = json.loads(run_cli("--config", str(config), "--json", "sources", cwd=tmp_path).stdout)
    held_by_source = {s["id"]: s["suspect_versions"] for s in listed}
    assert held_by_source["xiamen-hrss"] == [suspects[0]["version"]]
    assert held_by_source["quanzhou-hrss"] == []
