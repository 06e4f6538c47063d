"""The crawlers get their settings handed over: no config file read, no import of the application."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from crawlers.crawl_config import CrawlConfig
from crawlers.runner import crawl_sources
from policywatch.config import load_config
from tests.crawlers.crawl_helpers import GOV, GOV_LIST, last_run, source_toml, stored, write_crawl_config

ROOT = Path(__file__).resolve().parents[2]
IMPORT_EVERY_CRAWLERS_MODULE = """
import importlib, pkgutil, sys
import crawlers
for module in pkgutil.walk_packages(crawlers.__path__, "crawlers."):
    importlib.import_module(module.name)
print(" ".join(sorted(m for m in sys.modules if m.split(".")[0] in ("policywatch", "notifier"))))
"""


def test_crawlers_import_nothing_from_the_application() -> None:
    result = subprocess.run(
        [sys.executable, "-c", IMPORT_EVERY_CRAWLERS_MODULE],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == ""


def test_the_crawl_config_survives_the_hand_over(tmp_path: Path) -> None:
    path = write_crawl_config(
        tmp_path / "pw.toml", "sqlite:///x.db", source_toml("t-json", ["http://127.0.0.1:9/a/"]), list_pages=2
    )
    config = load_config(str(path)).crawl_config()
    assert CrawlConfig.from_json(config.to_json()) == config
    assert config.sources["t-json"].start_urls == ("http://127.0.0.1:9/a/",)
    with pytest.raises(ValueError, match="not a crawl config"):
        CrawlConfig.from_json('{"origin": "x"}')


@pytest.mark.slow
def test_the_crawl_child_reads_no_config_file(
    site_factory, database_url, sessions, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    gov = site_factory(GOV)
    path = write_crawl_config(
        tmp_path / "pw.toml", database_url, source_toml("t-handover", [gov.url(GOV_LIST)])
    )
    config = load_config(str(path)).crawl_config()
    # every config file the child could find is gone or broken: it must not look
    path.unlink()
    monkeypatch.setenv("POLICYWATCH_CONFIG", str(tmp_path / "missing.toml"))
    workdir = tmp_path / "work"
    workdir.mkdir()
    (workdir / "policywatch.toml").write_text("[not toml", encoding="utf-8")

    (health,) = crawl_sources(config, ["t-handover"], timeout=120, cwd=workdir)

    assert health.status == "ok", health
    assert stored(sessions, "t-handover")["/zwgk/zxwj/szfwj/202511/t20251110_200001.htm"].versions
    assert last_run(sessions, "t-handover").status == "ok"


@pytest.mark.slow
def test_a_config_too_large_for_an_environment_variable_is_handed_over(
    site_factory, database_url, sessions, tmp_path: Path
) -> None:
    """1,500 sources make a JSON config over Linux's 128 kB limit for one environment string."""
    gov = site_factory(GOV)
    others = "".join(
        source_toml(f"t-many-{n}", [f"http://127.0.{1 + n // 250}.{1 + n % 250}:9/a/"], enabled=False)
        for n in range(1500)
    )
    path = write_crawl_config(
        tmp_path / "pw.toml", database_url, source_toml("t-handover", [gov.url(GOV_LIST)]) + others
    )
    config = load_config(str(path)).crawl_config()
    assert len(config.to_json().encode()) > 131072

    (health,) = crawl_sources(config, ["t-handover"], timeout=120)

    assert health.status == "ok", health
    assert last_run(sessions, "t-handover").status == "ok"
