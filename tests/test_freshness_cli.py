"""Edits made in place reach subscribers on the next `policywatch run --all` (real CLI, real
HTTP and SMTP on 127.0.0.1): an xlsx replaced under the same URL, a page and its PDF corrected
under the same URL. The list page does not change, so only the freshness rechecks can see them.

``crawl.current_window_days = 0`` makes "current" mean "feeding a rule set in force", which
does not depend on today's date; ``recheck_days = 7`` is not due between the two runs.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from crawlers.registry import builtin_sources
from tests.crawlers.edited_site import (
    LIST_PATH,
    OLD_SHORTAGE_PAGE,
    SHORTAGE_PAGE,
    SHORTAGE_XLSX,
    TALENT_PAGE,
    TALENT_PDF,
    UNRELATED_PAGE,
    write_edited_site,
)
from tests.harness import run_cli

pytestmark = pytest.mark.slow


def config(path: Path, database_url: str, site_url: str, smtp_port: int) -> Path:
    lines = [
        "[database]",
        f'url = "{database_url}"',
        "[crawl]",
        "download_delay = 0",
        "start_jitter_seconds = 0",
        "retries = 0",
        "timeout_seconds = 10",
        "recheck_days = 7",
        "current_window_days = 0",
        "[smtp]",
        'host = "127.0.0.1"',
        f"port = {smtp_port}",
        'security = "none"',
        "[sources.xiamen-hrss]",
        f'start_urls = ["{site_url}{LIST_PATH}"]',
    ]
    lines += [f"[sources.{sid}]\nenabled = false" for sid in builtin_sources() if sid != "xiamen-hrss"]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_in_place_edits_are_mailed_on_the_next_run(
    tmp_path: Path, workdir: Path, database_url: str, site_factory: Any, smtp_server: Any
) -> None:
    site = site_factory(write_edited_site(tmp_path / "site"))
    cfg = config(workdir / "pw.toml", database_url, site.base_url, smtp_server.port)
    cli = ("--config", str(cfg))
    subscribed = run_cli(*cli, "subscribe", "worker@example.org", "--frequency", "immediate", cwd=workdir)
    assert subscribed.code == 0, subscribed.stderr

    first = run_cli(*cli, "run", "--all", cwd=workdir)
    assert first.code == 0, first.stdout + first.stderr
    assert smtp_server.messages == [], "first versions are baselines, not news"

    site.set_state("edited")
    site.clear()
    second = run_cli(*cli, "run", "--all", cwd=workdir)
    assert second.code == 0, second.stdout + second.stderr

    status = {r.path: r.status for r in site.requested()}
    assert status[LIST_PATH] == 304, "the list page did not change"
    assert status[SHORTAGE_PAGE] == 304 and status[SHORTAGE_XLSX] == 200  # only the attachment changed
    assert status[TALENT_PAGE] == 200 and status[TALENT_PDF] == 200
    assert OLD_SHORTAGE_PAGE not in status, "superseded, not in force: left to the recheck_days cadence"
    assert UNRELATED_PAGE not in status, "not relevant: never rechecked"

    assert len(smtp_server.messages) == 1
    text = smtp_server.messages[0].message.get_body(("plain",)).get_content()
    assert "紧缺工种目录 新增 电工（三级/高级工，特别紧缺）" in text
    assert "技能人才落户 三级/高级工: 社保 6 → 12 个月" in text
