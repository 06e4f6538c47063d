"""`crawl_sources`: what the CLI and the daemon call to crawl a batch of sources.

Each batch runs ``python -m crawlers.run`` in a subprocess: Scrapy's reactor cannot be
restarted in one process, and a child process hands its memory back after every batch.
The child runs through a ``CrawlProcesses`` so that the caller can cancel it.
The child gets the crawl config as JSON on its stdin and reads no config file.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from crawlers.crawl_config import ENV_VAR, CrawlConfig
from crawlers.health import SourceHealth
from crawlers.processes import CrawlProcesses
from crawlers.registry import select_sources

ROOT = Path(__file__).resolve().parent.parent


def crawl_sources(
    config: CrawlConfig,
    source_ids: list[str] | None,
    *,
    timeout: float | None = None,
    cwd: str | Path | None = None,
    processes: CrawlProcesses | None = None,
) -> list[SourceHealth]:
    """Crawl the sources (all enabled ones when ``source_ids`` is empty) and return their health.

    Progress lines go to this process's stderr. If the child dies, every asked-for source
    is reported as failing (what it stored before dying stays stored). ``processes`` is
    where the caller can cancel the running child (the daemon's shutdown does).
    """
    if not source_ids:
        source_ids = [s.id for s in select_sources(config, None)]
    cmd = [sys.executable, "-m", "crawlers.run", "--json", "--config-stdin"]
    for source_id in source_ids:
        cmd += ["--source", source_id]
    env = dict(os.environ)
    env.pop(ENV_VAR, None)  # the config goes on stdin: one variable is limited to 128 kB
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH", "")) if p)
    env.setdefault("SCRAPY_SETTINGS_MODULE", "crawlers.settings")
    try:
        proc = (processes or CrawlProcesses()).run(
            cmd, cwd=cwd, env=env, timeout=timeout, stdin_text=config.to_json()
        )
    except subprocess.TimeoutExpired:
        return [SourceHealth(s, "failing", errors=1, message="crawl timed out") for s in source_ids]
    lines = [line for line in proc.stdout.splitlines() if line.startswith("[")]
    if proc.returncode != 0 or not lines:
        message = f"crawl process exited with code {proc.returncode}"
        return [SourceHealth(s, "failing", errors=1, message=message) for s in source_ids]
    return [SourceHealth.from_json(item) for item in json.loads(lines[-1])]
