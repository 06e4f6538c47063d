"""`policywatch rules show --at DATE` over the real CLI: what applied on a date, repeals included."""

from __future__ import annotations

import json
from pathlib import Path

from harness import run_cli, write_config
from sqlalchemy.orm import Session, sessionmaker
from test_versioning import store_schedule_and_its_repealing_revision


def test_rules_show_at_a_date_between_a_schedule_and_the_revision_that_repeals_it(
    sessions: sessionmaker[Session], database_url: str, tmp_path: Path
) -> None:
    store_schedule_and_its_repealing_revision(sessions)
    config = write_config(tmp_path / "policywatch.toml", database_url)

    def shown(at: str) -> dict[str, object]:
        result = run_cli(
            "--config", str(config), "rules", "show", "--region", "quanzhou", "--kind", "points_schedule",
            "--at", at, "--format", "json", cwd=tmp_path,
        )  # fmt: skip
        assert result.code == 0, result.stderr
        return {row["key"]: row["points"] for row in json.loads(result.stdout)}

    assert shown("2026-01-15")["技能水平|三级/高级工"] == 40
    assert shown("2026-03-02")["技能水平|三级/高级工"] == 45
    assert shown("2025-11-01") == {}
