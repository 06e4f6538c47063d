"""Peak RSS and wall time of a crawl of a local challenge site, with and without the browser.

Serves one generated TRS section (bench/crawl_site.py) on 127.0.0.1 and crawls it three ways,
each into a fresh database through the real crawl child (crawlers.runner):
  plain      no challenge: plain HTTP (the browser handler is installed but never starts)
  blocked    every page answers a 瑞数-style 412 challenge, crawl.browser = "off"
  browser    the same challenge, crawl.browser = "auto": pages through headless Chromium,
             attachments over plain HTTP with the browser's cookie
Memory is sampled from /proc every 50 ms over every process under this one (crawl child,
Playwright driver, Chromium and its renderers): the sum of their RSS (shared pages counted in
each), the sum of their PSS (shared pages split: the honest total) and the largest one.

    .venv/bin/python -m bench.browser_fetch [--per-source 50] [--attachments 10]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import threading
import time
from pathlib import Path

from bench.crawl_site import generate, sources_toml
from crawlers.runner import crawl_sources
from policywatch.config import load_config
from policywatch.site_server import SiteServer

PAGE_KB = os.sysconf("SC_PAGE_SIZE") / 1024


def _children() -> dict[int, list[int]]:
    tree: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        tree.setdefault(ppid, []).append(int(entry))
    return tree


def _rss_kb(pid: int) -> float:
    try:
        return int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * PAGE_KB
    except (OSError, IndexError, ValueError):
        return 0.0


def _pss_kb(pid: int) -> float:
    """Proportional set size: shared pages (Chromium's processes share most) counted once."""
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return float(line.split()[1])
    except (OSError, IndexError, ValueError):
        pass
    return 0.0


class TreeMemory:
    """Samples the RSS of every descendant of this process until stopped."""

    def __init__(self, interval: float = 0.05) -> None:
        self.interval = interval
        self.peak_total_kb = 0.0
        self.peak_pss_kb = 0.0
        self.peak_single_kb = 0.0
        self.max_processes = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        me = os.getpid()
        while not self._stop.is_set():
            tree, todo, pids = _children(), [me], []
            while todo:
                for child in tree.get(todo.pop(), []):
                    pids.append(child)
                    todo.append(child)
            sizes = [_rss_kb(p) for p in pids]
            self.peak_total_kb = max(self.peak_total_kb, sum(sizes))
            self.peak_pss_kb = max(self.peak_pss_kb, sum(_pss_kb(p) for p in pids))
            self.peak_single_kb = max([self.peak_single_kb, *sizes])
            self.max_processes = max(self.max_processes, len(pids))
            self._stop.wait(self.interval)

    def __enter__(self) -> TreeMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def _crawl(work: Path, name: str, server: SiteServer, sections: list[str], browser: str, pages: int) -> None:
    config = work / f"{name}.toml"
    config.write_text(
        f'[database]\nurl = "sqlite:///{work / (name + ".db")}"\n[log]\nlevel = "WARNING"\n'
        f'[crawl]\ndownload_delay = 0\nstart_jitter_seconds = 0\nobey_robots_txt = false\nbrowser = "{browser}"\n'
        "browser_wait_seconds = 10\n\n" + sources_toml([server.url(s) for s in sections], pages),
        encoding="utf-8",
    )
    crawl_config = load_config(str(config)).crawl_config()
    server.requests.clear()
    with TreeMemory() as memory:
        started = time.perf_counter()
        (health,) = crawl_sources(crawl_config, ["bench-0"], cwd=work)
        wall = time.perf_counter() - started
    files = sum(1 for r in server.requests if r.path.endswith(".pdf") and r.status == 200)
    print(
        f"# {name}: {health.status}, {len(server.requests)} requests, {files} attachments, {health.message}"
    )
    print(f"{name} crawl status: {health.status}")
    print(f"{name} crawl wall time: {wall:.1f} s")
    print(f"{name} crawl peak RSS, sum of all processes: {memory.peak_total_kb / 1024:.0f} MB")
    print(f"{name} crawl peak PSS, sum of all processes: {memory.peak_pss_kb / 1024:.0f} MB")
    print(f"{name} crawl peak RSS, largest process: {memory.peak_single_kb / 1024:.0f} MB")
    print(f"{name} crawl processes at most: {memory.max_processes}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--per-source", type=int, default=50, help="announcements in the section")
    parser.add_argument("--attachments", type=int, default=10)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="pw-browser-bench-") as tmp:
        work = Path(tmp)
        sections = generate(work / "site" / "base", 1, args.per_source, args.attachments)
        pages = -(-args.per_source // 25)
        server = SiteServer(work / "site", backlog=128).start()
        try:
            print(f"# one section of {args.per_source} announcements, {args.attachments} with an attachment")
            _crawl(work, "plain", server, sections, "auto", pages)
            server.add_challenge(r"^/s0/")
            _crawl(work, "blocked", server, sections, "off", pages)
            _crawl(work, "browser", server, sections, "auto", pages)
        finally:
            server.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
