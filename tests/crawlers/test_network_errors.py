"""Network failures are one log line per source with a hint, never a traceback."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
from harness import run_cli, write_config
from scrapy.exceptions import CannotResolveHostError, DownloadConnectionRefusedError, DownloadTimeoutError
from twisted.internet.error import ConnectionLost, DNSLookupError

from crawlers.network_errors import describe_network_error


@pytest.mark.parametrize(
    ("exc", "hint"),
    [
        (DNSLookupError("no results for hostname lookup: x.invalid"), "does not resolve"),
        (CannotResolveHostError("x.invalid"), "does not resolve"),
        (DownloadConnectionRefusedError("111: Connection refused"), "connection refused"),
        (DownloadTimeoutError("took longer than 30 s"), "no answer within crawl.timeout_seconds"),
        (ConnectionLost("gone"), "connection broke off"),
    ],
)
def test_known_failures_say_what_they_mean(exc: BaseException, hint: str) -> None:
    text = describe_network_error(exc)
    assert hint in text.split(":")[0] and str(exc) in text


def test_anything_else_is_named_as_it_is() -> None:
    assert describe_network_error(ValueError("odd")) == "ValueError: odd"


def test_a_refused_source_is_one_warning_with_a_hint_and_no_traceback(
    tmp_path: Path, database_url: str
) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    config = write_config(
        tmp_path / "pw.toml",
        database_url,
        "[crawl]\ndownload_delay = 0.0\nretries = 1\nretry_backoff_seconds = 0.1\n"
        f'[sources.xiamen-hrss]\nstart_urls = ["http://127.0.0.1:{port}/xxgk/tzgg/"]\n',
    )
    result = run_cli("--config", str(config), "crawl", "--source", "xiamen-hrss", cwd=tmp_path)
    assert result.code == 1
    assert "Traceback" not in result.stderr
    warnings = [line for line in result.stderr.splitlines() if " WARNING " in line or " ERROR " in line]
    assert len(warnings) == 1 and "xiamen-hrss" in warnings[0] and "connection refused" in warnings[0]
