"""Helpers the tests import: run the CLI as a user would, write configs."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path


@dataclass
class CliResult:
    code: int
    stdout: str
    stderr: str


def run_cli(*args: str, cwd: Path, env: dict[str, str] | None = None, timeout: float = 300) -> CliResult:
    """Run the installed console script as a user would, in a subprocess."""
    full_env = {k: v for k, v in os.environ.items() if k != "POLICYWATCH_CONFIG"}
    full_env.update(env or {})
    exe = Path(sys.executable).with_name("policywatch")
    cmd = [str(exe)] if exe.exists() else [sys.executable, "-m", "policywatch"]
    proc = subprocess.run(
        [*cmd, *args], cwd=cwd, env=full_env, capture_output=True, text=True, timeout=timeout
    )
    return CliResult(proc.returncode, proc.stdout, proc.stderr)


def write_config(path: Path, database_url: str, extra: str = "") -> Path:
    path.write_text(f'[database]\nurl = "{database_url}"\n{extra}', encoding="utf-8")
    return path


# The diff-report JSON contract (DESIGN.md, plus the fields the README promises).
CONTRACT_KEYS = frozenset(
    {
        "region",
        "kind",
        "change",
        "key",
        "before",
        "after",
        "electrician_related",
        "source_url",
        "published_at",
        "detected_at",
        "summary",
        "substantive",
        "fields_changed",
        "renamed_from",
        "document_title",
        "doc_number",
        "effective_at",
        "parser_upgrade",
    }
)
