"""`policywatch run` (one cycle for system cron) and `policywatch status`, as a user runs them."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from harness import run_cli
from pw_daemon_helpers import SITE, SOURCE_ID, daemon_config
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from storage.database import safe_url
from storage.models import RuleSetVersion

pytestmark = pytest.mark.slow

BROKEN = """
[sources.daemon-broken]
name = "失效的栏目"
authority = "hrss"
region = "quanzhou"
family = "trs"
start_urls = ["{base}/missing/"]
"""


def test_run_does_the_rest_when_a_source_fails_exits_1_then_skips_what_is_not_due(
    workdir: Path, database_url: str, sessions: sessionmaker[Session], site_factory: Any
) -> None:
    site = site_factory(SITE)
    cfg = daemon_config(
        workdir / "pw.toml",
        database_url,
        site.base_url,
        crawl="0 7 * * *",
        extra=BROKEN.format(base=site.base_url),
    )
    first = run_cli("--config", str(cfg), "run", cwd=workdir, timeout=120)
    assert first.code == 1, first.stderr
    assert "daemon-broken=failing" in first.stdout
    with sessions.begin() as s:  # the healthy source was crawled, parsed and versioned
        assert s.scalar(select(func.count()).select_from(RuleSetVersion)) == 1

    again = run_cli("--config", str(cfg), "run", cwd=workdir, timeout=120)
    assert again.code == 0, again.stderr
    # 07:00 has not come round again; the failed source waits for its retry backoff (5 minutes)
    assert "daemon-broken (failing, 1 failed crawl(s) in a row): retried from" in again.stdout

    status = run_cli("--config", str(cfg), "--json", "status", cwd=workdir, timeout=60)
    assert status.code == 0, status.stderr
    data = json.loads(status.stdout)
    assert data["database"] == safe_url(database_url)
    assert data["smtp"].startswith("none: digests are written as .eml files")
    assert data["daemon_lock"] is None
    jobs = {j["job"]: j for j in data["jobs"]}
    assert jobs[f"crawl:{SOURCE_ID}"]["last_status"] == "ok"
    assert jobs["crawl:daemon-broken"]["last_status"] == "failed"
    assert jobs["notify"]["last_status"] == "ok"
    assert jobs[f"crawl:{SOURCE_ID}"]["cron"] == "0 7 * * *"
    assert jobs[f"crawl:{SOURCE_ID}"]["next_run"].endswith("23:00:00+00:00")  # 07:00 Asia/Shanghai
    sources = {s["source"]: s for s in data["sources"]}
    assert sources[SOURCE_ID]["status"] == "ok"
    assert sources["daemon-broken"]["status"] == "failing"
    assert data["deliveries"] == {"pending": 0, "sent": 0, "failed": 0}

    text = run_cli("--config", str(cfg), "status", cwd=workdir, timeout=60)
    assert text.code == 0 and "lock:     free" in text.stdout and "daemon-broken" in text.stdout


def test_status_masks_the_database_password_and_names_the_smtp_server(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from policywatch.commands.status import connection_info
    from policywatch.config import parse_config
    from policywatch.context import AppContext

    monkeypatch.setenv("PW_DB_PASSWORD", "s3cret-pw")
    cfg = parse_config(
        '[database]\nurl = "postgresql+psycopg://watch@db.example/pw"\npassword_env = "PW_DB_PASSWORD"\n'
        '[smtp]\nhost = "mail.example"\nport = 465\nsecurity = "tls"\nusername = "bot"\n',
        "t.toml",
    )
    assert "s3cret-pw" in cfg.database_url
    info = connection_info(AppContext(cfg))
    assert info["database"] == "postgresql+psycopg://watch:***@db.example/pw"
    assert info["smtp"] == "mail.example:465 (tls) as bot"
    assert "s3cret-pw" not in json.dumps(info)


# Runs the console script's code in a child that reports which heavy packages it loaded.
LOADED_PROBE = """
import runpy, sys
sys.argv = ["policywatch", *sys.argv[1:]]
try:
    runpy.run_module("policywatch", run_name="__main__")
    code = 0
except SystemExit as stop:
    code = stop.code
heavy = ("storage.models", "scrapy", "twisted", "jinja2", "apscheduler.schedulers")
print("loaded:", *[m for m in heavy if m in sys.modules], file=sys.stderr)
sys.exit(code)
"""


def test_an_unchanged_run_is_answered_by_304s_without_the_orm_or_scrapy(
    workdir: Path, database_url: str, site_factory: Any
) -> None:
    site = site_factory(SITE)
    cfg = str(daemon_config(workdir / "pw.toml", database_url, site.base_url))
    first = subprocess.run(
        [sys.executable, "-c", LOADED_PROBE, "--config", cfg, "run", "--all"],
        cwd=workdir, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert first.returncode == 0, first.stderr
    assert "storage.models" in first.stderr and "scrapy" in first.stderr  # it crawled and parsed
    site.clear_requests()
    again = subprocess.run(
        [sys.executable, "-c", LOADED_PROBE, "--config", cfg, "run", "--all"],
        cwd=workdir, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert again.returncode == 0, again.stderr
    assert "sources 1/1 ok" in again.stdout
    assert again.stderr.strip().splitlines()[-1] == "loaded:"  # the idle path needs none of them
    answered = site.requested()
    assert answered and {r.status for r in answered} == {304}
