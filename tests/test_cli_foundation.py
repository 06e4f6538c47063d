import json
import sqlite3
from pathlib import Path

from policywatch import __version__
from tests.harness import run_cli


def test_help_and_version(workdir: Path) -> None:
    result = run_cli("--help", cwd=workdir)
    assert result.code == 0
    for command in ("init", "config"):
        assert command in result.stdout
    version = run_cli("--version", cwd=workdir)
    assert version.stdout.strip() == f"policywatch {__version__}"


def test_unknown_command_is_usage_error(workdir: Path) -> None:
    assert run_cli("frobnicate", cwd=workdir).code == 2


def test_init_then_config_show_with_no_config_file(workdir: Path) -> None:
    first = run_cli("init", cwd=workdir)
    assert first.code == 0, first.stderr
    assert "created" in first.stdout
    assert (workdir / "policywatch.db").exists()
    again = run_cli("init", cwd=workdir)
    assert "up to date" in again.stdout
    shown = run_cli("config", "show", cwd=workdir)
    assert shown.code == 0
    assert 'url = "sqlite:///policywatch.db"' in shown.stdout
    as_json = json.loads(run_cli("--json", "config", "show", cwd=workdir).stdout)
    assert as_json["origin"] == "built-in defaults"


def test_database_at_older_schema_is_not_upgraded_implicitly(workdir: Path) -> None:
    assert run_cli("init", cwd=workdir).code == 0
    with sqlite3.connect(workdir / "policywatch.db") as conn:
        conn.execute("UPDATE alembic_version SET version_num = '0000'")
    result = run_cli("sources", cwd=workdir)
    assert result.code == 1
    assert "run `policywatch init`" in result.stderr
    with sqlite3.connect(workdir / "policywatch.db") as conn:
        assert conn.execute("SELECT version_num FROM alembic_version").fetchone() == ("0000",)


def test_each_command_is_found_without_importing_the_others() -> None:
    """`policywatch run` imports only its own command module: the map must name every command."""
    import argparse
    import importlib

    from policywatch.cli import COMMAND_MODULES, _command_module

    for module in COMMAND_MODULES:
        sub = argparse.ArgumentParser().add_subparsers()
        importlib.import_module(module).register(sub)
        for command in sub.choices:
            assert _command_module(["--config", "x.toml", "-v", command, "--help"]) == module
    assert _command_module(["--config", "run"]) is None  # an option's value is not a command
    assert _command_module(["--help"]) is None
