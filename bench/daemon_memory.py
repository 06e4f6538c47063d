"""Does the daemon's memory stay flat over many cycles, and what does an idle cycle cost?

Run: ``.venv/bin/python bench/daemon_memory.py [--cycles 200]``. One process plays the
daemon: it holds the lease, and calls ``Daemon.run_job`` (what the scheduler calls on each
cron slot: crawl child process, parse/version, queue, send, job_runs bookkeeping) back to
back against the daemon test fixture site on 127.0.0.1. The site changes once (cycle 3),
every later cycle is idle (nothing changed). Prints one line per figure: RSS of the daemon
process after cycle 10 and after the last cycle, growth, seconds per idle cycle (and its
crawl-child share), and the largest RSS of any crawl child.
"""

from __future__ import annotations

import argparse
import logging
import resource
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

from policywatch.config import load_config  # noqa: E402
from policywatch.context import AppContext  # noqa: E402
from policywatch.daemon import Daemon, job_specs  # noqa: E402
from policywatch.process_lock import Lease  # noqa: E402
from policywatch.site_server import SiteServer  # noqa: E402
from storage.jobs import runs_of  # noqa: E402


def rss_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cycles", type=int, default=200)
    args = parser.parse_args()
    if args.cycles < 1:
        parser.error("--cycles must be at least 1")
    logging.basicConfig(level=logging.WARNING)
    # bench/run_all stops a benchmark that runs over with SIGTERM: leave through the
    # ``finally`` below so the temporary directory is removed.
    signal.signal(signal.SIGTERM, lambda signum, _frame: sys.exit(128 + signum))
    tmp = tempfile.TemporaryDirectory(prefix="pw-bench-daemon-")
    work = Path(tmp.name)
    site = SiteServer(SITE, "base").start()
    try:
        cfg = daemon_config(work / "pw.toml", f"sqlite:///{work / 'pw.db'}", site.base_url, crawl="0 7 * * *")
        ctx = AppContext(load_config(str(cfg)))
        daemon = Daemon(ctx)
        spec = next(s for s in job_specs(ctx) if s.id == f"crawl:{SOURCE_ID}")
        idle: list[float] = []
        rss_10 = 0.0
        with Lease(ctx.database(), 60):
            for n in range(1, args.cycles + 1):
                if n == 3:
                    site.set_state("later")
                began = time.monotonic()
                daemon.run_job(spec)
                took = time.monotonic() - began
                if n > 3:
                    idle.append(took)
                if n == min(10, args.cycles):
                    rss_10 = rss_mib()
                if n % 25 == 0:
                    print(
                        f"# cycle {n}: rss {rss_mib():.1f} MiB, last cycle {took:.2f} s",
                        file=sys.stderr,
                        flush=True,
                    )
        rss_last = rss_mib()
        with ctx.database().begin() as session:
            runs = runs_of(session, spec.id)
        statuses = {r.status for r in runs}
        crawl_share = [
            float(r.detail.split("crawl ok ")[1].split("s")[0])
            for r in runs[3:]
            if r.detail and "crawl ok " in r.detail
        ]
        child_peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        print(f"cycles: {args.cycles} (job run statuses: {', '.join(sorted(statuses))})")
        first = min(10, args.cycles)
        print(f"daemon RSS after cycle {first}: {rss_10:.1f} MiB")
        print(f"daemon RSS after cycle {args.cycles}: {rss_last:.1f} MiB")
        print(f"RSS growth cycle {first} -> {args.cycles}: {100 * (rss_last - rss_10) / rss_10:+.1f} %")
        if idle:
            print(
                f"seconds per idle cycle: mean {statistics.mean(idle):.2f}, "
                f"median {statistics.median(idle):.2f}, max {max(idle):.2f}"
            )
        else:
            print("seconds per idle cycle: none measured (idle cycles start at cycle 4)")
        if crawl_share:
            print(f"of which the crawl child (start + crawl): mean {statistics.mean(crawl_share):.2f} s")
        print(f"largest crawl child RSS: {child_peak:.1f} MiB")
    finally:
        site.stop()
        tmp.cleanup()
    return 0


if __name__ == "__main__":
    sys.exit(main())
