"""`policywatch eligibility` over the real CLI: the demo database, `--at` across a schedule
change, profile errors, and the HTML at phone width in headless Chromium."""

from __future__ import annotations

import html as htmllib
import json
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest
from harness import run_cli, write_config
from sqlalchemy.orm import Session, sessionmaker
from test_versioning import store_schedule_and_its_repealing_revision

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "electrician.toml"
CHROMIUM = Path("/usr/bin/chromium")
CONTRACT = {
    "region",
    "points_total",
    "points_min",
    "points_max",
    "points_items",
    "unknown_items",
    "cutoff_year",
    "cutoff_score",
    "margin",
    "talent",
}

SENIOR = """
[person]
age = 40
sex = "female"
[[certificates]]
occupation = "维修电工"
level = "国家职业资格三级"
[cities."泉州"]
social_insurance_months = 30
"""


def test_at_a_date_uses_the_schedule_in_force_then(
    sessions: sessionmaker[Session], database_url: str, tmp_path: Path
) -> None:
    store_schedule_and_its_repealing_revision(sessions)  # 三级/高级工 40, then 45 from 2026-03-01
    config = write_config(tmp_path / "policywatch.toml", database_url)
    profile = tmp_path / "p.toml"
    profile.write_text(SENIOR, encoding="utf-8")

    def quanzhou(at: str) -> dict[str, object]:
        result = run_cli(
            "--config", str(config), "eligibility", "--profile", str(profile), "--at", at, "--format", "json",
            cwd=tmp_path,
        )  # fmt: skip
        assert result.code == 0, result.stderr
        (obj,) = [o for o in json.loads(result.stdout) if o["region"] == "quanzhou"]
        return obj

    before, after = quanzhou("2026-01-15"), quanzhou("2026-03-02")
    # 维修电工 is 电工, 国家职业资格三级 is 三级/高级工 (40, then 45); 30 months of insurance are
    # 2 full years × 2 = 4; nothing in this schedule is unknown
    assert [(i["item"], i["points"]) for i in before["points_items"]] == [
        ("三级/高级工", 40),
        ("社保缴纳年限", 4),
    ]
    assert [(i["item"], i["points"]) for i in after["points_items"]] == [
        ("三级/高级工", 45),
        ("社保缴纳年限", 4),
    ]
    assert before["points_total"] == 44 and after["points_total"] == 49
    assert after["points_items"][0]["source_url"] == "http://x/2026.htm"


def test_profile_mistakes_are_one_line_and_exit_2(tmp_path: Path) -> None:
    config = write_config(tmp_path / "policywatch.toml", f"sqlite:///{tmp_path / 'pw.db'}")
    cases = {
        "[person]\nage = 30\nshoe_size = 42\n": "person.shoe_size",
        '[[certificates]]\noccupation = "电工"\nlevel = "宗师"\n': "certificates[0].level",
        "[cities.shanghai]\nsocial_insurance_months = 3\n": "cities.shanghai",
        '[cities.xiamen]\nhousing = "castle"\n': "cities.xiamen.housing",
        "[hobbies]\nx = 1\n": "hobbies",
    }
    for text, key in cases.items():
        profile = tmp_path / "bad.toml"
        profile.write_text(text, encoding="utf-8")
        result = run_cli("--config", str(config), "eligibility", "--profile", str(profile), cwd=tmp_path)
        assert result.code == 2, (text, result.stderr)
        lines = [line for line in result.stderr.splitlines() if line.strip()]
        assert len(lines) == 1 and key in lines[0] and "Traceback" not in result.stderr, result.stderr


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    keep = tmp_path_factory.mktemp("demo") / "demo"
    result = run_cli("demo", "--keep", str(keep), cwd=keep.parent)
    assert result.code == 0, result.stderr[-2000:]
    return keep


def _eligibility(demo: Path, *args: str) -> str:
    result = run_cli(
        "--config", str(demo / "policywatch.toml"), "eligibility", "--profile", str(EXAMPLE), "--at", "2026-11-30",
        *args, cwd=demo,
    )  # fmt: skip
    assert result.code == 0, result.stderr[-2000:]
    return result.stdout


def test_the_example_profile_on_the_demo_database(demo: Path) -> None:
    data = json.loads(_eligibility(demo, "--format", "json"))
    by_region = {o["region"]: o for o in data}
    assert set(by_region) == {"fuzhou", "xiamen", "quanzhou"}  # fujian has only a shortage list
    for obj in data:
        assert CONTRACT <= set(obj)
        assert all({"category", "item", "points", "source_url"} <= set(i) for i in obj["points_items"])
    qz = by_region["quanzhou"]
    # the demo's 泉州 schedule: 中级工 20, 居住证 1/年 (1 year: 1), 社保 2/年 (24 months: 4) = 25
    assert {i["item"]: i["points"] for i in qz["points_items"]} == {
        "四级/中级工": 20,
        "持有本市居住证": 1,
        "在本市参加城镇职工社会保险": 4,
    }
    assert (qz["points_total"], qz["cutoff_year"], qz["cutoff_score"], qz["margin"]) == (25, 2025, 100, -75)
    xm = by_region["xiamen"]
    # 中级工 20 + 社保 60 months (5 × 3) = 35 known; 紧缺工种 10 unknown (no 厦门 list stored): 35–45
    assert (xm["points_total"], xm["points_min"], xm["points_max"]) == (None, 35, 45)
    assert any("紧缺工种" in u for u in xm["unknown_items"])
    assert xm["margin"] is None and xm["cutoff_score"] is None
    text = _eligibility(demo)
    assert "估计" in text and "泉州：积分估计 25 分" in text and "还差 75 分" in text
    markdown = _eligibility(demo, "--format", "markdown")
    assert markdown.startswith("# 落户条件估计") and "| 20 | 四级/中级工 |" in markdown
    html = _eligibility(demo, "--format", "html")
    assert "<h2>泉州</h2>" in html and "积分估计 25 分" in html


@pytest.mark.skipif(not CHROMIUM.exists(), reason="/usr/bin/chromium is not installed (CI installs it)")
def test_html_at_phone_width_in_headless_chromium(demo: Path, tmp_path: Path) -> None:
    html = _eligibility(demo, "--format", "html")
    probe = (
        "<script>parent.document.body.setAttribute('data-width',"
        " String(document.documentElement.scrollWidth));</script>"
    )
    page = html.replace("</body>", probe + "</body>")
    wrapper = tmp_path / "phone.html"  # an iframe exactly 390 px wide: a phone
    wrapper.write_text(
        '<!DOCTYPE html><html><head><meta charset="utf-8"></head><body style="margin:0">'
        f'<iframe width="390" height="2400" style="border:0" srcdoc="{htmllib.escape(page, quote=True)}"></iframe>'
        "</body></html>",
        encoding="utf-8",
    )
    profile = tempfile.mkdtemp(dir=tmp_path)
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
             "--disable-component-update", "--disable-sync", f"--user-data-dir={profile}", "--window-size=390,2400"]  # fmt: skip
    dom = subprocess.run(
        [str(CHROMIUM), *flags, "--dump-dom", wrapper.as_uri()], capture_output=True, text=True, timeout=120
    ).stdout
    width = re.search(r'data-width="(\d+)"', dom)
    assert width, dom[:500]
    assert int(width.group(1)) <= 390, "the page scrolls sideways on a phone"
    shot = tmp_path / "eligibility-390.png"
    subprocess.run(
        [str(CHROMIUM), *flags, f"--screenshot={shot}", wrapper.as_uri()], capture_output=True, timeout=120
    )
    shutil.rmtree(profile, ignore_errors=True)
    assert shot.exists() and shot.stat().st_size > 5000, "chromium wrote no (or a blank) screenshot"
