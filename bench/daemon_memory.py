"""Does the warm daemon's memory stay flat over hundreds of cycles, and what does a cycle cost?

Run: ``.venv/bin/python bench/daemon_memory.py [--cycles 300] [--mode crawl|precheck]``.
One process plays the daemon: it holds the lease, has the in-process crawler (the reactor
installed once, crawlers/in_process.py) and calls ``Daemon.run_jobs`` for the slot group
of every source (what APScheduler calls on a cron slot) back to back against the daemon
test fixture site on 127.0.0.1. The site changes once (cycle 3); every later cycle finds
nothing new.

``--mode crawl`` (the default) serves the site without validators, so the pre-check can
never answer and every cycle is a real Scrapy crawl on the warm reactor: the case whose
memory matters. ``--mode precheck`` serves validators, so idle cycles are answered by
304s without Scrapy. Prints one line per figure: RSS after cycle 10 and after the last
cycle, growth, CPU and wall per idle cycle (min / median / max; CPU of every thread of
this process), and the job statuses seen.
"""

from __future__ import annotations

import argparse
import logging
import signal
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "daemon"))

from pw_daemon_helpers import SITE, SOURCE_ID, daemon_config  # noqa: E402

from crawlers.in_process import InProcessCrawler  # noqa: E402
from policywatch.config import load_config  # noqa: E402
from policywatch.context import AppContext  # noqa: E402
from policywatch.daemon import Daemon  # noqa: E402
from policywatch.jobs import job_specs, slot_groups  # noqa: E402
from policywatch.process_lock import Lease  # noqa: E402
from policywatch.site_server import SiteServer  # noqa: E402
from storage.jobs import runs_of  # noqa: E402


def rss_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


def spread(values: list[float], fmt: str = ".3f") -> str:
    return (
        f"median {statistics.median(values):{fmt}} (min {min(values):{fmt}}, max {max(values):{fmt}}, "
        f"n={len(values)})"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cycles", type=int, default=300)
    parser.add_argument("--mode", choices=("crawl", "precheck"), default="crawl")
    args = parser.parse_args()
    if args.cycles < 11:
        parser.error("--cycles must be at least 11 (growth is measured from cycle 10)")
    logging.basicConfig(level=logging.WARNING)
    # bench/run_all stops a benchmark that runs over with SIGTERM: leave through the
    # ``finally`` below so the temporary directory is removed.
    signal.signal(signal.SIGTERM, lambda signum, _frame: sys.exit(128 + signum))
    tmp = tempfile.TemporaryDirectory(prefix="pw-bench-daemon-")
    work = Path(tmp.name)
    site = SiteServer(SITE, "base", validators=args.mode == "precheck", backlog=128).start()
    crawler = InProcessCrawler()
    try:
        cfg = daemon_config(work / "pw.toml", f"sqlite:///{work / 'pw.db'}", site.base_url, crawl="0 7 * * *")
        ctx = AppContext(load_config(str(cfg)), in_process_crawler=crawler)
        daemon = Daemon(ctx)
        groups = list(slot_groups(job_specs(ctx)).values())
        cpu: list[float] = []
        wall: list[float] = []
        rss_10 = 0.0
        with Lease(ctx.database(), 60):
            for n in range(1, args.cycles + 1):
                if n == 3:
                    site.set_state("later")
                c, w = time.process_time(), time.perf_counter()
                for group in groups:
                    daemon.run_jobs(group)
                if n > 3:
                    cpu.append(time.process_time() - c)
                    wall.append(time.perf_counter() - w)
                if n == 10:
                    rss_10 = rss_mib()
                if n % 50 == 0:
                    print(f"# cycle {n}: rss {rss_mib():.1f} MiB", file=sys.stderr, flush=True)
        rss_last = rss_mib()
        with ctx.database().begin() as session:
            runs = runs_of(session, f"crawl:{SOURCE_ID}")
        statuses = {r.status for r in runs}
        requests = len(site.requested())
        print(
            f"mode: {args.mode} ({'every cycle a Scrapy crawl' if args.mode == 'crawl' else 'idle cycles answered by 304s'})"
        )
        print(f"cycles: {args.cycles} (job run statuses: {', '.join(sorted(statuses))})")
        print(f"requests answered by the site: {requests} ({requests / args.cycles:.1f} per cycle)")
        print(f"daemon RSS after cycle 10: {rss_10:.1f} MiB")
        print(f"daemon RSS after cycle {args.cycles}: {rss_last:.1f} MiB")
        print(f"RSS growth cycle 10 -> {args.cycles}: {100 * (rss_last - rss_10) / rss_10:+.1f} %")
        print(f"CPU s per idle cycle: {spread(cpu)}")
        print(f"wall s per idle cycle: {spread(wall)}")
        print(f"Scrapy loaded in the daemon: {'scrapy' in sys.modules}")
    finally:
        crawler.close()
        site.stop()
        tmp.cleanup()
    return 0 if statuses == {"ok"} else 1


if __name__ == "__main__":
    sys.exit(main())
