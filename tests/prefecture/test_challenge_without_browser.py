"""Where no browser can be started, a challenge site is ``blocked`` and the message says why."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.harness import run_cli
from tests.prefecture.prefecture_site import SECTION, prefecture_config, write_prefecture_site

pytestmark = pytest.mark.slow


def test_a_challenge_without_chromium_is_blocked_and_names_the_missing_browser(
    site_factory, database_url: str, workdir: Path
) -> None:
    site = site_factory(write_prefecture_site(workdir.parent / "site", city="莆田市"))
    site.add_challenge(r"^/zwgk/")
    missing = workdir / "no-chromium"
    cfg = prefecture_config(
        workdir / "pw.toml", database_url, "putian-hrss", site.url(SECTION), workdir / "outbox",
        f'browser_executable = "{missing}"',
    )  # fmt: skip
    result = run_cli("--config", str(cfg), "crawl", cwd=workdir)
    assert result.code == 1, result.stdout + result.stderr
    listed = json.loads(run_cli("--config", str(cfg), "--json", "sources", cwd=workdir).stdout)
    (source,) = [s for s in listed if s["id"] == "putian-hrss"]
    assert source["status"] == "blocked" and source["shown_status"] == "blocked"
    assert f"(no browser fallback: no browser at {missing}" in source["message"]
    assert [r.status for r in site.requested()] == [200, 412]  # robots.txt, then the list page once
