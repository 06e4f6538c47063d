"""A section behind a 瑞数-style challenge, served on 127.0.0.1: every page and attachment
answers 412 with an inline ``$_ts`` script that sets a cookie and reloads, and the real page
once the cookie is there. Without a browser the source is ``blocked`` and nothing is stored;
with the browser fallback (headless Chromium) the rules in its attachment reach the database
and the digest, and the attachment was downloaded with the cookie the browser obtained."""

from __future__ import annotations

import email
import email.policy
import json
import shutil
from pathlib import Path

import pytest

from policywatch.site_server import SiteServer
from tests.harness import run_cli
from tests.prefecture.prefecture_site import (
    ATTACHMENT,
    PAGE,
    SECTION,
    prefecture_config,
    write_prefecture_site,
)

CHROMIUM = "/usr/bin/chromium"
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        shutil.which(CHROMIUM) is None,
        reason=f"no Chromium at {CHROMIUM}: apt-get install chromium (.ci/run installs it)",
    ),
]
JUNIOR = "技能水平|五级/初级工"
COOKIE = "pw_ts_passed=1"


def _config(workdir: Path, name: str, database_url: str, site: SiteServer, crawl: str) -> str:
    path = prefecture_config(
        workdir / name, database_url, "ningde-hrss", site.url(SECTION), workdir / "outbox", crawl
    )
    return str(path)


def _source(cfg: str, workdir: Path) -> dict[str, object]:
    listed = json.loads(run_cli("--config", cfg, "--json", "sources", cwd=workdir).stdout)
    (source,) = [s for s in listed if s["id"] == "ningde-hrss"]
    return source  # type: ignore[no-any-return]


def test_a_challenge_site_is_blocked_without_the_browser_and_read_with_it(
    site_factory, database_url: str, workdir: Path
) -> None:
    site = site_factory(write_prefecture_site(workdir.parent / "site", city="宁德市"))
    site.add_challenge(r"^/zwgk/", cookie=COOKIE)  # list, details and attachments; robots.txt open
    no_browser = _config(workdir, "off.toml", database_url, site, 'browser = "off"')
    browser = _config(workdir, "on.toml", database_url, site, "browser_wait_seconds = 10")

    blocked = run_cli("--config", no_browser, "crawl", cwd=workdir)
    assert blocked.code == 1, blocked.stdout + blocked.stderr
    source = _source(no_browser, workdir)
    assert source["status"] == "blocked"
    assert "HTTP 412 with a $_ts challenge" in str(source["message"])
    assert not site.requested("xlsx")

    assert (
        run_cli("--config", browser, "subscribe", "w@example.org", "--region", "宁德", cwd=workdir).code == 0
    )
    site.clear_requests()
    read = run_cli("--config", browser, "crawl", cwd=workdir)
    assert read.code == 0, read.stdout + read.stderr
    assert "ok (browser)" in read.stdout
    source = _source(browser, workdir)
    assert source["status"] == "ok" and source["shown_status"] == "ok (browser)"
    assert str(source["message"]).startswith("read through the browser")
    listed = run_cli("--config", browser, "sources", cwd=workdir)
    assert "ok (browser)" in listed.stdout
    # the list page: a plain 412 first, then the browser's 412 and its reload with the cookie
    statuses = [(r.status, COOKIE in r.headers.get("Cookie", "")) for r in site.requested(f"^{SECTION}$")]
    assert statuses[0] == (412, False) and (200, True) in statuses
    # the attachment: plain HTTP (our User-Agent), with the browser's cookie, answered 200
    (download,) = site.requested("xlsx$")
    assert download.status == 200 and COOKIE in download.headers["Cookie"]
    assert download.headers["User-Agent"].startswith("policywatch/")
    shown = run_cli(
        "--config", browser, "rules", "show", "--region", "ningde", "--kind", "points_schedule",
        "--format", "json", cwd=workdir,
    )  # fmt: skip
    assert {r["key"]: r["points"] for r in json.loads(shown.stdout)}[JUNIOR] == 10

    site.set_state("later")  # the attachment is replaced under the same URL
    again = run_cli("--config", browser, "crawl", cwd=workdir)
    assert again.code == 0, again.stdout + again.stderr
    report = json.loads(run_cli("--config", browser, "diff-report", "--format", "json", cwd=workdir).stdout)
    assert [(c["region"], c["key"], c["after"]["points"]) for c in report] == [("ningde", JUNIOR, 15)]
    assert report[0]["source_url"] == site.url(PAGE)
    assert run_cli("--config", browser, "notify", "--flush", cwd=workdir).code == 0
    (path,) = (workdir / "outbox").glob("*.eml")
    msg = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    body = msg.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert "宁德" in body and "15" in body


def test_a_challenge_the_browser_cannot_pass_is_blocked_and_says_so(
    site_factory, database_url: str, workdir: Path
) -> None:
    site = site_factory(write_prefecture_site(workdir.parent / "site", city="宁德市"))
    site.add_challenge(r"^/zwgk/", cookie=COOKIE, solvable=False)
    cfg = _config(workdir, "pw.toml", database_url, site, "browser_wait_seconds = 2")
    result = run_cli("--config", cfg, "crawl", cwd=workdir)
    assert result.code == 1, result.stdout + result.stderr
    source = _source(cfg, workdir)
    assert source["status"] == "blocked"
    assert "the browser did not pass the challenge in 2 s" in str(source["message"])
    assert not site.requested(ATTACHMENT)
