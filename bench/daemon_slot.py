"""What one scheduled crawl slot costs the warm daemon: CPU, wall and RSS per slot.

Run (a child of bench/urlwatch_compare.py, or by hand): ``.venv/bin/python
bench/daemon_slot.py --config policywatch.toml --slots 5``. One process plays the daemon:
it holds the lease and calls ``Daemon.run_jobs`` for every slot group of the config (what
APScheduler calls on a cron slot: pre-check, crawl on the in-process reactor if anything
changed, parse/version, queue, send, job_runs bookkeeping), ``--slots`` times back to back.
CPU is this process's (every thread: the reactor's too) per slot, so start-up is not
counted: that is the point of a warm daemon. Prints one JSON object on stdout.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from crawlers.in_process import InProcessCrawler  # noqa: E402
from policywatch.config import load_config  # noqa: E402
from policywatch.context import AppContext  # noqa: E402
from policywatch.daemon import Daemon  # noqa: E402
from policywatch.jobs import job_specs, slot_groups  # noqa: E402
from policywatch.process_lock import Lease  # noqa: E402


def rss_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", required=True)
    parser.add_argument("--slots", type=int, default=5)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    ctx = AppContext(load_config(args.config), in_process_crawler=InProcessCrawler())
    daemon = Daemon(ctx)
    specs = job_specs(ctx)
    groups = list(slot_groups(specs).values())
    cpu, wall, rss = [], [], []
    with Lease(ctx.database(), 60):
        for _ in range(args.slots):
            c, w = time.process_time(), time.perf_counter()
            for group in groups:
                daemon.run_jobs(group)
            cpu.append(time.process_time() - c)
            wall.append(time.perf_counter() - w)
            rss.append(rss_mib())
    assert ctx.in_process_crawler is not None
    ctx.in_process_crawler.close()
    print(json.dumps({"cpu": cpu, "wall": wall, "rss_mib": rss, "scrapy_loaded": "scrapy" in sys.modules}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
