"""Every configuration value is checked on load, with its bounds: one line naming the key."""

from __future__ import annotations

from pathlib import Path

import pytest
from harness import run_cli

from policywatch.config import ConfigError, parse_config

NEW_SOURCE = 'name = "x"\nauthority = "hrss"\nfamily = "trs"\n'


@pytest.mark.parametrize(
    ("text", "key", "expected"),
    [
        ("[crawl]\ndownload_delay = inf", "crawl.download_delay", "a finite number"),
        ("[crawl]\ndownload_delay = nan", "crawl.download_delay", "a finite number"),
        ('[crawl]\nuser_agent = "pw/{versoin}"', "crawl.user_agent", "{version} and {contact}"),
        ("[crawl]\ntimeout_seconds = 99999", "crawl.timeout_seconds", "from 1 to 3600"),
        ("[smtp]\nport = 70000", "smtp.port", "from 1 to 65535"),
        ('[smtp]\nca_file = "/nonexistent/ca.pem"', "smtp.ca_file", "an existing file"),
        ('[notify]\npublic_url = "http://pw.example.org/u"', "notify.public_url", "https://"),
        ('[notify]\ntemplates_dir = "/nonexistent/templates"', "notify.templates_dir", "an existing folder"),
        ('[log]\nfile = "/tmp"', "log.file", "a file, not a folder"),
        ("[sources.xiamen-hrss]\nallowed_domains = []", "sources.xiamen-hrss.allowed_domains", "host names"),
        (
            '[sources.xiamen-hrss]\nallowed_domains = ["example.org"]',
            "sources.xiamen-hrss.allowed_domains",
            "include the host of",
        ),
        (
            '[sources.xiamen-hrss]\nstart_urls = ["http://a b.gov.cn/x/"]',
            "sources.xiamen-hrss.start_urls[0]",
            "no spaces",
        ),
        (
            '[sources.xiamen-hrss]\nstart_urls = ["http://[::1/"]',
            "sources.xiamen-hrss.start_urls[0]",
            "URL with a host",
        ),
        ("[sources.xiamen-hrss]\nstart_urls = []", "sources.xiamen-hrss.start_urls", "at least one URL"),
        (
            f'[sources."../up"]\n{NEW_SOURCE}region = "xiamen"\nstart_urls = ["http://a.gov.cn/"]',
            "sources.../up",
            "lower-case",
        ),
        (
            f'[sources.zz]\n{NEW_SOURCE}region = "../etc"\nstart_urls = ["http://a.gov.cn/"]',
            "sources.zz.region",
            "lower-case",
        ),
        ("a = " + "[" * 5000 + "]" * 5000, "(file)", "nested too deeply"),
    ],
)
def test_bad_values_are_refused_on_load(text: str, key: str, expected: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_config(text, "test.toml")
    assert caught.value.key == key and expected in caught.value.expected, str(caught.value)


def test_good_values_still_load(tmp_path: Path) -> None:
    (tmp_path / "ca.pem").write_text("-----BEGIN CERTIFICATE-----\n", encoding="utf-8")
    config = parse_config(
        f'[smtp]\nport = 465\nca_file = "{tmp_path / "ca.pem"}"\n'
        f'[notify]\npublic_url = "https://pw.example.org/u"\ntemplates_dir = "{tmp_path}"\n'
        '[crawl]\nuser_agent = "pw/{version} ({contact})"\ndownload_delay = 1.5\n'
        '[sources.xiamen-hrss]\nallowed_domains = ["xm.gov.cn"]\n',
        "test.toml",
    )
    assert config.smtp.port == 465 and config.crawl.download_delay == 1.5


def test_an_unwritable_log_file_is_one_line_and_exit_2(tmp_path: Path) -> None:
    (tmp_path / "pw.toml").write_text('[log]\nfile = "/proc/version"\n', encoding="utf-8")
    result = run_cli("--config", str(tmp_path / "pw.toml"), "sources", cwd=tmp_path)
    assert result.code == 2 and len(result.stderr.strip().splitlines()) == 1 and "log.file" in result.stderr


def test_a_version_number_no_database_can_hold_is_a_usage_error(tmp_path: Path) -> None:
    result = run_cli("accept", "99999999999999999999", cwd=tmp_path)
    assert (
        result.code == 2 and "expected a version number" in result.stderr and "Traceback" not in result.stderr
    )
