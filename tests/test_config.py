from pathlib import Path

import pytest

from policywatch.config import SCHEMA, ConfigError, load_config, masked_view, parse_config, reference_markdown
from tests.harness import run_cli


def test_defaults_work_with_no_file(workdir: Path) -> None:
    config = load_config()
    assert config.origin == "built-in defaults"
    assert config.database_url == "sqlite:///policywatch.db"
    assert config.schedule.timezone == "Asia/Shanghai"


def test_precedence_explicit_then_env_then_local(workdir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (workdir / "policywatch.toml").write_text('[log]\nlevel = "DEBUG"\n', encoding="utf-8")
    env_file = workdir / "env.toml"
    env_file.write_text('[log]\nlevel = "ERROR"\n', encoding="utf-8")
    explicit = workdir / "explicit.toml"
    explicit.write_text('[log]\nlevel = "WARNING"\n', encoding="utf-8")
    assert load_config().log.level == "DEBUG"
    monkeypatch.setenv("POLICYWATCH_CONFIG", str(env_file))
    assert load_config().log.level == "ERROR"
    assert load_config(str(explicit)).log.level == "WARNING"


@pytest.mark.parametrize(
    ("text", "key", "expected"),
    [
        ("[smtp]\nprot = 25\n", "smtp.prot", "one of host, port"),
        ('[smtp]\nport = "25"\n', "smtp.port", "an integer"),
        ('[schedule]\ncrawl = "every day"\n', "schedule.crawl", "cron expression"),
        (
            '[sources.xiamen-hrss]\nstart_urls = ["ftp://x"]\n',
            "sources.xiamen-hrss.start_urls[0]",
            "http:// or https:// URL",
        ),
        ('[crawl]\nobey_robots_txt = "no"\n', "crawl.obey_robots_txt", "true or false"),
        ('[smtp]\npassword_env = "hunter2 secret"\n', "smtp.password_env", "NAME of an environment variable"),
        ("[nosuch]\nx = 1\n", "nosuch", "a section among"),
        ("[smtp\n", "(file)", "valid TOML"),
    ],
)
def test_bad_config_names_the_key(text: str, key: str, expected: str) -> None:
    with pytest.raises(ConfigError) as info:
        parse_config(text, "/etc/pw.toml")
    message = str(info.value)
    assert message.startswith(f"/etc/pw.toml: {key}: expected")
    assert expected in message


def test_secrets_come_from_environment_and_are_masked(monkeypatch: pytest.MonkeyPatch) -> None:
    config = parse_config(
        '[database]\nurl = "postgresql+psycopg://pw@db.example/pw"\npassword_env = "PW_DB_PASS"\n', "x.toml"
    )
    monkeypatch.setenv("PW_DB_PASS", "s3cret!")
    monkeypatch.setenv("POLICYWATCH_SMTP_PASSWORD", "smtp-s3cret")
    assert "s3cret" in config.database_url
    shown = repr(masked_view(config))
    assert "s3cret" not in shown
    assert "PW_DB_PASS (set)" in shown
    assert "POLICYWATCH_SMTP_PASSWORD (set)" in shown


def test_reference_lists_every_key() -> None:
    ref = reference_markdown()
    for section, keys in SCHEMA.items():
        for key in keys:
            assert f"`{section}.{key}`" in ref


def test_readme_configuration_reference_matches_schema() -> None:
    readme = (Path(__file__).parents[1] / "README.md").read_text(encoding="utf-8")
    assert reference_markdown() in readme, (
        "README's configuration reference is stale: paste `policywatch config reference`"
    )


def test_cli_bad_config_exits_2_naming_key(workdir: Path) -> None:
    (workdir / "policywatch.toml").write_text('[notify]\ndaily_hour = "eight"\n', encoding="utf-8")
    result = run_cli("config", "show", cwd=workdir)
    assert result.code == 2
    assert "notify.daily_hour" in result.stderr and "expected an integer" in result.stderr
    assert result.stderr.count("\n") == 1


@pytest.mark.parametrize("action", ["show", "check"])
def test_cli_rejects_an_impossible_daily_hour_on_load(workdir: Path, action: str) -> None:
    (workdir / "policywatch.toml").write_text("[notify]\ndaily_hour = 30\n", encoding="utf-8")
    result = run_cli("config", action, cwd=workdir)
    assert result.code == 2
    assert result.stderr.startswith("policywatch: config error: ")
    assert result.stderr.endswith(
        "policywatch.toml: notify.daily_hour: expected a number from 0 to 23, got 30\n"
    )
    assert result.stderr.count("\n") == 1 and result.stdout == ""


def test_cli_config_check_accepts_a_valid_file(workdir: Path) -> None:
    (workdir / "policywatch.toml").write_text("[notify]\ndaily_hour = 23\n", encoding="utf-8")
    result = run_cli("config", "check", cwd=workdir)
    assert result.code == 0, result.stderr
    assert result.stdout.endswith("policywatch.toml: valid\n")


def test_cli_missing_explicit_config_exits_2(workdir: Path) -> None:
    result = run_cli("--config", "nope.toml", "config", "show", cwd=workdir)
    assert result.code == 2
    assert "nope.toml" in result.stderr
