"""crawl, reparse and notify take the same database lease as run and the daemon: beside a
process that holds it they exit 1 with one line instead of racing it (UniqueViolation,
"database is locked", two cycles at once)."""

from __future__ import annotations

from pathlib import Path

import pytest
from harness import run_cli, write_config
from sqlalchemy.orm import Session, sessionmaker

from policywatch.process_lock import Lease


@pytest.mark.parametrize(
    "command", [("crawl", "--source", "xiamen-hrss"), ("reparse",), ("notify",), ("run",)]
)
def test_a_command_beside_a_lease_holder_exits_1_with_one_line(
    sessions: sessionmaker[Session], database_url: str, tmp_path: Path, command: tuple[str, ...]
) -> None:
    config = write_config(tmp_path / "pw.toml", database_url)
    assert run_cli("--config", str(config), "init", cwd=tmp_path).code == 0
    with Lease(sessions, 60):
        result = run_cli("--config", str(config), *command, cwd=tmp_path)
    assert result.code == 1, result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert lines[-1].startswith("policywatch: ") and "already working on this database" in lines[-1]
    assert "Traceback" not in result.stderr
