"""Cancelling crawls through their handles: the child a crawl started is stopped, no other process."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker

from crawlers.health import SourceHealth
from crawlers.processes import CrawlProcesses
from crawlers.runner import crawl_sources
from policywatch.config import load_config
from tests.crawlers.crawl_helpers import HRSS, HRSS_LIST, source_toml, write_crawl_config

pytestmark = pytest.mark.slow
SLOW_PAGE = r"/t20251103_100001\.htm$"


def wait_until(condition: Callable[[], object], seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {seconds}s waiting for {what}")
        time.sleep(0.05)


def gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


def test_cancelling_a_running_crawl_terminates_the_child_it_started(
    site_factory, database_url: str, sessions: sessionmaker[Session], workdir: Path
) -> None:
    site = site_factory(HRSS)
    site.add_fault(SLOW_PAGE, delay=60)  # the crawl hangs on this page
    config = write_crawl_config(
        workdir / "pw.toml",
        database_url,
        source_toml("c-slow", [site.url(HRSS_LIST)]),
        retries=0,
        timeout_seconds=120,
    )
    processes = CrawlProcesses()
    bystander = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    results: list[SourceHealth] = []
    crawl = threading.Thread(
        target=lambda: results.extend(
            crawl_sources(load_config(str(config)).crawl_config(), ["c-slow"], processes=processes)
        )
    )
    crawl.start()
    try:
        wait_until(lambda: site.requested(f"^{HRSS_LIST}$"), 60, "the crawl to read its list page")
        [child] = processes.pids()
        assert child != bystander.pid

        assert processes.terminate(wait_seconds=5) == 1
        crawl.join(timeout=20)
        assert not crawl.is_alive(), "the crawl returns once its child is gone, not after the slow page"
        assert gone(child)
        assert processes.pids() == []
        assert [h.source_id for h in results] == ["c-slow"]
        assert bystander.poll() is None, "a child the crawl did not start is left alone"
    finally:
        bystander.kill()
        bystander.wait()
        processes.terminate(wait_seconds=0)
        crawl.join(timeout=10)


def test_a_child_that_ignores_sigterm_is_killed_after_the_wait(tmp_path: Path) -> None:
    ready = tmp_path / "ready"
    stubborn = (
        "import pathlib, signal, sys, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); "
        "pathlib.Path(sys.argv[1]).touch(); time.sleep(60)"
    )
    processes = CrawlProcesses()
    finished: list[subprocess.CompletedProcess[str]] = []
    runner = threading.Thread(
        target=lambda: finished.append(processes.run([sys.executable, "-c", stubborn, str(ready)]))
    )
    runner.start()
    try:
        wait_until(ready.exists, 30, "the child to ignore SIGTERM")
        assert processes.terminate(wait_seconds=0.5) == 1
        runner.join(timeout=10)
        assert not runner.is_alive()
        assert finished[0].returncode == -9  # SIGKILL, after SIGTERM was ignored
        assert processes.pids() == [] and processes.terminate(wait_seconds=0) == 0
    finally:
        processes.terminate(wait_seconds=0)
        runner.join(timeout=10)


def _children(pid: int) -> list[int]:
    """Direct children of ``pid`` (the test reads /proc; the code under test keeps handles)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return found


def _zombie(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
    except OSError:
        return True


def test_a_killed_cli_takes_its_crawl_child_with_it(site_factory, database_url: str, workdir: Path) -> None:
    site = site_factory(HRSS)
    site.add_fault(SLOW_PAGE, delay=60)  # without the parent-death signal the child lives a minute
    config = write_crawl_config(
        workdir / "pw.toml",
        database_url,
        source_toml("c-slow", [site.url(HRSS_LIST)]),
        retries=0,
        timeout_seconds=120,
    )
    exe = Path(sys.executable).with_name("policywatch")
    cli = subprocess.Popen([str(exe), "--config", str(config), "crawl", "--source", "c-slow"], cwd=workdir)
    try:
        wait_until(lambda: site.requested(f"^{HRSS_LIST}$"), 60, "the crawl to read its list page")
        [child] = _children(cli.pid)
        cli.kill()  # kill -9: no handler runs in the parent
        cli.wait()
        wait_until(lambda: gone(child) or _zombie(child), 20, "the crawl child to exit with its parent")
    finally:
        if cli.poll() is None:
            cli.kill()
