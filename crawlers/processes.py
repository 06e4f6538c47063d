"""`CrawlProcesses`: the crawl child processes a program has running, kept by their handles.

Shutdown must cancel the crawls this program started, and only those (not a document
converter or any other child), so the code that starts a crawl child registers its
``Popen`` here and the cancel path signals exactly these handles.
"""

from __future__ import annotations

import ctypes
import logging
import os
import signal
import subprocess
import threading
import time
from pathlib import Path

log = logging.getLogger("crawlers")

PARENT_PID_ENV = "POLICYWATCH_PARENT_PID"
_PR_SET_PDEATHSIG = 1


def child_environment(env: dict[str, str] | None = None) -> dict[str, str]:
    """The environment for a child that must not outlive this process (see exit_with_parent)."""
    return {**(env if env is not None else os.environ), PARENT_PID_ENV: str(os.getpid())}


def exit_with_parent() -> None:
    """Called first thing in a child: a killed parent (kill -9 of the CLI) takes it along.

    Linux kills the child when the parent dies (PR_SET_PDEATHSIG); if the parent is already
    gone by the time this runs, exit at once. SIGKILL, not SIGTERM: Scrapy answers SIGTERM
    with a graceful stop that waits for requests in flight, and nobody is left to read the
    result. What the child stored stays stored (an item is acknowledged only once its
    transaction committed); the next run redoes the rest. Elsewhere than Linux this does nothing.
    """
    expected = os.environ.get(PARENT_PID_ENV)
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):
        return
    if expected and os.getppid() != int(expected):
        os._exit(1)


class CrawlProcesses:
    """Runs crawl children and cancels the ones still running, from any thread."""

    def __init__(self) -> None:
        # Re-entrant: the daemon's signal handler may cancel while its main thread is in here.
        self._lock = threading.RLock()
        self._running: set[subprocess.Popen[str]] = set()

    def run(
        self,
        cmd: list[str],
        *,
        cwd: str | Path | None = None,
        env: dict[str, str] | None = None,
        timeout: float | None = None,
        stdin_text: str | None = None,
    ) -> subprocess.CompletedProcess[str]:
        """``subprocess.run`` with stdout captured as text, cancellable by ``terminate`` meanwhile.

        The child is started under the lock, so a concurrent ``terminate`` either sees it or
        runs before it exists. On a timeout (``subprocess.TimeoutExpired``) or any other
        exception the child is killed before the exception propagates.
        """
        with self._lock:
            proc = subprocess.Popen(
                cmd,
                cwd=cwd,
                env=child_environment(env),
                stdin=subprocess.PIPE if stdin_text is not None else None,
                stdout=subprocess.PIPE,
                encoding="utf-8",  # the config (stdin) and the health (stdout) are UTF-8 JSON
            )
            self._running.add(proc)
        try:
            with proc:  # closes the pipe and reaps the child on the way out
                try:
                    stdout, _ = proc.communicate(input=stdin_text, timeout=timeout)
                except BaseException:
                    proc.kill()
                    raise
        finally:
            with self._lock:
                self._running.discard(proc)
        return subprocess.CompletedProcess(cmd, proc.returncode, stdout)

    def pids(self) -> list[int]:
        """Process ids of the crawl children running now."""
        with self._lock:
            return sorted(p.pid for p in self._running)

    def terminate(self, wait_seconds: float = 10.0) -> int:
        """SIGTERM the running children (Scrapy closes its spiders and records the run), then SIGKILL.

        Those still running after ``wait_seconds`` are killed. Items are committed in batched
        transactions, so whatever stops a crawl, the database holds whole document versions
        only. Returns how many children were running.
        """
        with self._lock:
            procs = list(self._running)
        if procs:
            log.info("cancelling crawl process(es) %s", ", ".join(str(p.pid) for p in procs))
        for proc in procs:
            proc.terminate()  # a no-op for a child that has already exited
        deadline = time.monotonic() + wait_seconds
        while time.monotonic() < deadline and any(p.poll() is None for p in procs):
            time.sleep(0.1)
        for proc in procs:
            if proc.poll() is None:
                log.warning("crawl process %d did not stop: killing it", proc.pid)
                proc.kill()
        return len(procs)
