"""Shared bits of the daemon tests: a config for the fixture site, a daemon subprocess, waits."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from crawlers.registry import builtin_sources

SITE = Path(__file__).resolve().parent.parent / "fixtures" / "sites" / "daemon"
SOURCE_ID = "daemon-test"
LIST_PATH = "zwgk/tzgg/"


def daemon_config(
    path: Path,
    database_url: str,
    site_url: str,
    *,
    smtp_port: int | None = None,
    crawl: str = "*/2 * * * * *",
    notify: str = "*/2 * * * * *",
    grace: int = 5,
    lease: int = 4,
    extra: str = "",
) -> Path:
    """A config that crawls only the fixture site (every built-in source is disabled)."""
    lines = [
        "[database]",
        f'url = "{database_url}"',
        "[crawl]",
        "download_delay = 0",
        "retries = 0",
        "timeout_seconds = 10",
        "obey_robots_txt = false",
        "[schedule]",
        'timezone = "Asia/Shanghai"',
        f'crawl = "{crawl}"',
        f'notify = "{notify}"',
        "misfire_grace_seconds = 30",
        "jitter_seconds = 0",
        f"shutdown_grace_seconds = {grace}",
        f"lease_seconds = {lease}",
        "[notify]",
        f'outbox_dir = "{path.parent / "outbox"}"',
    ]
    if smtp_port is not None:
        lines += ["[smtp]", 'host = "127.0.0.1"', f"port = {smtp_port}", 'security = "none"']
    lines += [
        f"[sources.{SOURCE_ID}]",
        'name = "海滨市人力资源和社会保障局"',
        'authority = "hrss"',
        'region = "quanzhou"',
        'family = "trs"',
        f'start_urls = ["{site_url.rstrip("/")}/{LIST_PATH}"]',
    ]
    for source_id in builtin_sources():
        lines += [f"[sources.{source_id}]", "enabled = false"]
    path.write_text("\n".join(lines) + "\n" + extra, encoding="utf-8")
    return path


def cli_command() -> list[str]:
    exe = Path(sys.executable).with_name("policywatch")
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "policywatch"]


class DaemonProcess:
    """`policywatch daemon` in its own process group, so teardown kills its crawl children too."""

    def __init__(self, config: Path, cwd: Path, log_path: Path, *args: str) -> None:
        self.log_path = log_path
        self._log = log_path.open("ab")
        env = {k: v for k, v in os.environ.items() if k != "POLICYWATCH_CONFIG"}
        self.proc = subprocess.Popen(
            [*cli_command(), "--config", str(config), "daemon", *args],
            cwd=cwd,
            env=env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    @property
    def pid(self) -> int:
        return self.proc.pid

    def log(self) -> str:
        if not self._log.closed:
            self._log.flush()
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def wait_log(self, text: str, timeout: float = 30) -> None:
        wait_for(lambda: text in self.log(), timeout, f"{text!r} in the daemon log", self)

    def signal(self, sig: int) -> None:
        self.proc.send_signal(sig)

    def kill_group(self) -> None:
        """What systemd does to the unit's cgroup on a crash or SIGKILL: everything dies."""
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.proc.wait(timeout=10)

    def close(self) -> None:
        if self.proc.poll() is None:
            self.kill_group()
        else:
            try:  # children left behind by the process group
                os.killpg(self.proc.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        self._log.close()


def wait_for(
    condition: Callable[[], object], timeout: float, what: str, daemon: DaemonProcess | None = None
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        if daemon is not None and daemon.proc.poll() is not None and not condition():
            raise AssertionError(
                f"daemon exited ({daemon.proc.returncode}) before {what}:\n{daemon.log()[-4000:]}"
            )
        time.sleep(0.1)
    tail = f"\n--- daemon log ---\n{daemon.log()[-4000:]}" if daemon else ""
    raise AssertionError(f"timed out after {timeout}s waiting for {what}{tail}")
