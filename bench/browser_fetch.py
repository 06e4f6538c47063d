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

    .venv/bin/python -m bench.browser_fetch [--per-source 50] [--attachments 10] [--rounds 3]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # bench/run_all runs it as a script

from bench.crawl_site import generate, sources_toml  # noqa: E402
from crawlers.runner import crawl_sources  # noqa: E402
from policywatch.config import load_config  # noqa: E402
from policywatch.site_server import SiteServer  # noqa: E402

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


@dataclass
class Run:
    status: str
    requests: int
    attachments: int
    wall: float
    pss_mb: float
    rss_mb: float
    largest_mb: float
    processes: int


def _crawl(work: Path, name: str, server: SiteServer, sections: list[str], browser: str, pages: int) -> Run:
    config = work / f"{name}.toml"
    db = work / f"{name}.db"
    db.unlink(missing_ok=True)  # every round starts from an empty database
    config.write_text(
        f'[database]\nurl = "sqlite:///{db}"\n[log]\nlevel = "WARNING"\n'
        f'[crawl]\ndownload_delay = 0\nstart_jitter_seconds = 0\nobey_robots_txt = false\nbrowser = "{browser}"\n'
        "browser_wait_seconds = 10\n\n" + sources_toml([server.url(s) for s in sections], pages),
        encoding="utf-8",
    )
    crawl_config = load_config(str(config)).crawl_config()
    server.clear_requests()
    with TreeMemory() as memory:
        started = time.perf_counter()
        (health,) = crawl_sources(crawl_config, ["bench-0"], cwd=work)
        wall = time.perf_counter() - started
    files = sum(1 for r in server.requests if r.path.endswith(".pdf") and r.status == 200)
    return Run(health.status, len(server.requests), files, wall, memory.peak_pss_kb / 1024,
               memory.peak_total_kb / 1024, memory.peak_single_kb / 1024, memory.max_processes)  # fmt: skip


def _spread(values: list[float], unit: str) -> str:
    return f"median {statistics.median(values):.1f} {unit} (min {min(values):.1f}, max {max(values):.1f})"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--per-source", type=int, default=50, help="announcements in the section")
    parser.add_argument("--attachments", type=int, default=10)
    parser.add_argument(
        "--rounds", type=int, default=3, help="rounds; each runs plain, blocked, browser in turn"
    )
    args = parser.parse_args()
    modes = (("plain", "auto", False), ("blocked", "off", True), ("browser", "auto", True))
    runs: dict[str, list[Run]] = {name: [] for name, _, _ in modes}
    with tempfile.TemporaryDirectory(prefix="pw-browser-bench-") as tmp:
        work = Path(tmp)
        sections = generate(work / "site" / "base", 1, args.per_source, args.attachments)
        pages = -(-args.per_source // 25)
        server = SiteServer(work / "site", backlog=128).start()
        try:
            print(
                f"# one section of {args.per_source} announcements, {args.attachments} with an attachment; "
                f"{args.rounds} rounds, the three crawls alternated in each"
            )
            for _ in range(args.rounds):
                for name, browser, challenged in modes:
                    challenge = server.add_challenge(r"^/s0/") if challenged else None
                    try:
                        runs[name].append(_crawl(work, name, server, sections, browser, pages))
                    finally:
                        if challenge is not None:
                            server.challenges.remove(challenge)
        finally:
            server.stop()
    for name, _, _ in modes:
        rs = runs[name]
        # a harness artefact (a dropped connection, a flaky challenge) shows as rounds that disagree
        same = len({(r.status, r.requests, r.attachments) for r in rs}) == 1
        print(f"{name} crawl status: {rs[0].status}, {rs[0].requests} requests, {rs[0].attachments} attachments"
              + ("" if same else f"  ARTEFACT: rounds differ {[(r.status, r.requests) for r in rs]}"))  # fmt: skip
        print(f"{name} crawl wall time: {_spread([r.wall for r in rs], 's')}")
        print(f"{name} crawl peak PSS, sum of all processes: {_spread([r.pss_mb for r in rs], 'MB')}")
        print(f"{name} crawl peak RSS, sum of all processes: {_spread([r.rss_mb for r in rs], 'MB')}")
        print(f"{name} crawl peak RSS, largest process: {_spread([r.largest_mb for r in rs], 'MB')}")
        print(f"{name} crawl processes at most: {max(r.processes for r in rs)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
