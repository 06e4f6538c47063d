"""A failure never reads as "no changes": diff-report, status, health and the digest, as a user
runs them, name the sources that could not be read and since when (issue "Failure reads as no
news"). Unreachable sources are real: their start URLs point at a closed port on 127.0.0.1."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from harness import run_cli, write_config
from pw_daemon_helpers import SITE, SOURCE_ID, daemon_config
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from crawlers.registry import builtin_sources
from storage.models import CrawlRun
from tests.conftest import SmtpSink
from tests.notifier.notify_helpers import closed_port, plain_and_html

pytestmark = pytest.mark.slow

SHANGHAI = ZoneInfo("Asia/Shanghai")
DEAD = """
[sources.dead-xiamen]
name = "厦门市失联栏目"
authority = "hrss"
region = "xiamen"
family = "trs"
start_urls = ["http://127.0.0.1:{port}/zwgk/tzgg/"]
"""


def first_failure(sessions: sessionmaker[Session], source_id: str) -> str:
    """When the source's first failed crawl started, as people are shown it (Asia/Shanghai)."""
    with sessions.begin() as s:
        start = s.scalar(
            select(CrawlRun.started_at).where(CrawlRun.source_id == source_id).order_by(CrawlRun.id).limit(1)
        )
    assert start is not None
    return start.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M")


def test_every_source_failing_is_reported_as_unknown_not_as_no_changes(
    workdir: Path, database_url: str, sessions: sessionmaker[Session]
) -> None:
    port = closed_port()
    cfg = str(
        daemon_config(
            workdir / "pw.toml",
            database_url,
            f"http://127.0.0.1:{port}/",
            crawl="0 0 30 2 *",
            extra=DEAD.format(port=port),
        )
    )
    crawl = run_cli("--config", cfg, "run", cwd=workdir, timeout=120)
    assert crawl.code == 1 and "sources 0/2 ok" in crawl.stdout, crawl.stdout + crawl.stderr
    since = {sid: first_failure(sessions, sid) for sid in (SOURCE_ID, "dead-xiamen")}
    unread = [
        f"海滨市人力资源和社会保障局（自 {since[SOURCE_ID]} 起无法访问，从未读取成功）",
        f"厦门市失联栏目（自 {since['dead-xiamen']} 起无法访问，从未读取成功）",
    ]

    text = run_cli("--config", cfg, "diff-report", cwd=workdir)
    assert text.code == 1, "incomplete coverage must be visible to cron"
    assert "本期无政策变化" not in text.stdout
    assert "没有一个来源读取成功（2 个来源中 0 个读取成功），本期变化未知。" in text.stdout
    assert "2 个来源未能读取，其变化未知：" in text.stdout
    for line in unread:
        assert f"  - {line}" in text.stdout
        assert line in text.stderr  # the same note for the cron log
    assert "incomplete coverage" in text.stderr

    for fmt in ("markdown", "html"):
        out = run_cli("--config", cfg, "diff-report", "--format", fmt, cwd=workdir)
        assert out.code == 1 and "本期无政策变化" not in out.stdout
        assert all(line in out.stdout for line in unread), out.stdout

    as_json = run_cli("--config", cfg, "diff-report", "--format", "json", cwd=workdir)
    assert as_json.code == 1
    assert json.loads(as_json.stdout) == []  # still the plain list of changes scripts rely on
    assert all(line in as_json.stderr for line in unread)

    written = run_cli("--config", cfg, "diff-report", "--output", str(workdir / "r.txt"), cwd=workdir)
    assert written.code == 1 and "厦门市失联栏目" in written.stderr
    assert unread[1] in (workdir / "r.txt").read_text(encoding="utf-8")

    one_region = run_cli("--config", cfg, "diff-report", "--region", "xiamen", cwd=workdir)
    assert one_region.code == 1 and unread[1] in one_region.stdout and "海滨市" not in one_region.stdout

    status = run_cli("--config", cfg, "status", cwd=workdir)
    assert status.code == 0, status.stderr
    assert "coverage: 2 个来源中 0 个读取成功" in status.stdout
    assert f"  dead-xiamen: {unread[1]}" in status.stdout
    as_data = json.loads(run_cli("--config", cfg, "--json", "status", cwd=workdir).stdout)
    assert [u["source"] for u in as_data["coverage"]["unread"]] == [SOURCE_ID, "dead-xiamen"]
    dead = {s["source"]: s for s in as_data["sources"]}["dead-xiamen"]
    assert dead["read"] is False and dead["last_read"] is None and dead["unread_since"].endswith("+00:00")

    health = run_cli("--config", cfg, "health", cwd=workdir)
    assert health.code == 1 and not health.stdout.startswith("healthy")
    assert "Sources that could not be read (2, 2 never read" in health.stdout
    assert since["dead-xiamen"] in health.stdout


def test_no_changes_is_said_for_what_was_read_and_the_digest_names_the_rest(
    workdir: Path,
    database_url: str,
    sessions: sessionmaker[Session],
    site_factory: Any,
    smtp_server: SmtpSink,
) -> None:
    site = site_factory(SITE)
    cfg = str(
        daemon_config(
            workdir / "pw.toml",
            database_url,
            site.base_url,
            crawl="0 0 30 2 *",
            smtp_port=smtp_server.port,
            extra=DEAD.format(port=closed_port()),
        )
    )
    assert (
        run_cli(
            "--config", cfg, "subscribe", "worker@example.org", "--frequency", "immediate", cwd=workdir
        ).code
        == 0
    )
    first = run_cli("--config", cfg, "run", cwd=workdir, timeout=120)
    assert first.code == 1 and "dead-xiamen=failing" in first.stdout, first.stdout + first.stderr
    dead = f"厦门市失联栏目（自 {first_failure(sessions, 'dead-xiamen')} 起无法访问，从未读取成功）"

    report = run_cli("--config", cfg, "diff-report", cwd=workdir)
    assert report.code == 1
    assert "已读取的 1 个来源本期无政策变化（2 个来源中 1 个读取成功）。" in report.stdout
    assert f"  - {dead}" in report.stdout
    quanzhou = run_cli("--config", cfg, "diff-report", "--region", "quanzhou", cwd=workdir)
    assert quanzhou.code == 0, quanzhou.stderr  # every source in scope was read
    assert "本期无政策变化（1 个来源中 1 个读取成功）。" in quanzhou.stdout and quanzhou.stderr == ""

    site.set_state("later")  # 泉州 初级工 10 → 15: a digest goes out at once
    second = run_cli("--config", cfg, "run", "--all", cwd=workdir, timeout=120)
    assert second.code == 1, second.stdout + second.stderr
    (mail,) = smtp_server.messages
    assert "10→15" in str(mail.message["Subject"])
    text, html = plain_and_html(mail.message)
    for body in (text, html):
        assert "2 个来源中 1 个读取成功" in body
        assert "1 个来源未能读取，其变化未知" in body
        assert dead in body


def test_health_on_a_never_crawled_database_is_not_healthy(workdir: Path, database_url: str) -> None:
    cfg = str(write_config(workdir / "pw.toml", database_url))
    assert run_cli("--config", cfg, "init", cwd=workdir).code == 0
    health = run_cli("--config", cfg, "health", cwd=workdir)
    assert health.code == 1
    assert not health.stdout.startswith("healthy")
    n = len(builtin_sources())  # every built-in source
    assert n == 33  # 人社, 公安 and 政府 of the province and each of the ten regions
    assert f"Sources that could not be read ({n}, {n} never read" in health.stdout
    assert health.stdout.count("never crawled") == n
    data = json.loads(run_cli("--config", cfg, "--json", "health", cwd=workdir).stdout)
    assert len(data["sources"]) == n and {s["status"] for s in data["sources"]} == {"never crawled"}

    report = run_cli("--config", cfg, "diff-report", cwd=workdir)
    assert report.code == 1 and "本期无政策变化" not in report.stdout
    assert "福州市人力资源和社会保障局（尚未抓取）" in report.stdout
