"""How many sources can one machine poll? 1,000 sources on 1,000 loopback hosts, politeness on.

Run: ``.venv/bin/python bench/capacity.py [--sources 1000] [--unchanged-polls 2]``.

Every source is its own host (127.0.x.y, x = 1.., y = 1..250), so per-host politeness
applies to each: the crawl's default download delay (2 s, jittered), one request at a time
per host, robots.txt obeyed. Each host serves the same small TRS-style section (one list
page of 10 announcements, one of them relevant with a PDF attachment, bench/crawl_site.py),
from a server process of its own so that only policywatch's costs are measured.
policywatch runs as cron would: ``policywatch run --all``, first on an empty database
(every page fetched, parsed, versioned), then ``--unchanged-polls`` times on the unchanged
site. Per poll: wall, CPU (user + sys of the command and its children, ``os.wait4``), peak
RSS, and the requests the hosts answered by status. Then the figure the issue asks for:
how many sources one machine can poll three times a day.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.crawl_site import generate, sources_toml  # noqa: E402
from bench.urlwatch_compare import run_measured  # noqa: E402

SERVER = r"""
import json, sys
sys.path.insert(0, {root!r})
from pathlib import Path
from policywatch.site_server import SiteServer
hosts = json.loads(sys.argv[1])
servers = [SiteServer(Path(sys.argv[2]), host=h, backlog=128).start() for h in hosts]
print(json.dumps([s.base_url for s in servers]), flush=True)
for line in sys.stdin:
    answered = [r for s in servers for r in s.requested()]
    if line.strip() == "count":
        counts = {{}}
        for r in answered:
            counts[str(r.status)] = counts.get(str(r.status), 0) + 1
        print(json.dumps(counts), flush=True)
    for s in servers:
        s.clear()
"""


def hosts(n: int) -> list[str]:
    return [f"127.0.{1 + i // 250}.{1 + i % 250}" for i in range(n)]


def write_config(work: Path, urls: list[str]) -> Path:
    sources = sources_toml([url + "s0/tzgg/" for url in urls], 1, prefix="cap", builtins_off=True)
    path = work / "policywatch.toml"
    path.write_text(
        f'[database]\nurl = "sqlite:///{work / "pw.db"}"\n[log]\nlevel = "WARNING"\n'
        '[crawl]\ncontact = "mailto:bench@example.org"\n\n' + sources,
        encoding="utf-8",
    )
    return path


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sources", type=int, default=1000)
    parser.add_argument("--unchanged-polls", type=int, default=2)
    parser.add_argument("--timeout", type=float, default=3600)
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, lambda signum, _frame: sys.exit(128 + signum))
    bin_dir = Path(sys.executable).parent
    with tempfile.TemporaryDirectory(prefix="pw-capacity-") as tmp:
        work = Path(tmp)
        generate(work / "site" / "base", sources=1, per_source=10, attachments=1)
        server = subprocess.Popen(
            [
                sys.executable,
                "-c",
                SERVER.format(root=str(ROOT)),
                json.dumps(hosts(args.sources)),
                str(work / "site"),
            ],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        try:
            assert server.stdout is not None and server.stdin is not None
            urls = [u.rstrip("/") + "/" for u in json.loads(server.stdout.readline())]
            config = write_config(work, urls)
            env = {k: v for k, v in os.environ.items() if "proxy" not in k.lower()}
            env["PYTHONPATH"] = str(ROOT)
            cmd = [str(bin_dir / "policywatch"), "--config", str(config), "run", "--all"]

            def served() -> Counter[str]:
                server.stdin.write("count\n")  # type: ignore[union-attr]
                server.stdin.flush()  # type: ignore[union-attr]
                return Counter(json.loads(server.stdout.readline()))  # type: ignore[union-attr]

            polls = []
            for label in ["first", *(f"unchanged{n}" for n in range(args.unchanged_polls))]:
                began = time.perf_counter()
                wall, cpu, rss, code, _ = run_measured(cmd, work, env, args.timeout, work / f"{label}.out")
                answered = served()
                polls.append((label, wall, cpu, rss, code, answered))
                print(
                    f"{label} poll: wall {wall:.1f} s, CPU {cpu:.1f} s, peak RSS {rss / 1024:.0f} MB, exit {code}, "
                    f"requests {sum(answered.values())} {dict(sorted(answered.items()))}",
                    flush=True,
                )
                if code:
                    print((work / f"{label}.err").read_text("utf-8")[-2000:], file=sys.stderr)
                del began
        finally:
            server.kill()
        first = polls[0]
        unchanged = polls[1:]
        print(
            f"sources: {args.sources}, each on its own loopback host; politeness on (download delay 2 s per host)"
        )
        print(f"first crawl wall: {first[1]:.1f} s; CPU {first[2]:.1f} s; peak RSS {first[3] / 1024:.0f} MB")
        if unchanged:
            walls = [p[1] for p in unchanged]
            cpu = statistics.median(p[2] for p in unchanged)
            print(
                f"unchanged poll wall: {min(walls):.1f} - {max(walls):.1f} s; CPU {cpu:.1f} s; "
                f"peak RSS {max(p[3] for p in unchanged) / 1024:.0f} MB"
            )
            print(
                f"unchanged polls of all {args.sources} sources possible per day (wall): {86400 / max(walls):.0f}"
            )
        # Three polls a day, each within 8 hours (wall: politeness-bound), on half of 2 cores
        # (CPU), even if every poll were a first crawl (every page new): the smaller bound.
        by_wall = args.sources * 8 * 3600 / first[1]
        by_cpu = args.sources * (2 * 86400 * 0.5) / (3 * first[2])
        print(
            f"sources one machine can poll 3 times a day, even if every poll were a first crawl: "
            f"{min(by_wall, by_cpu):,.0f} (wall bound {by_wall:,.0f}, CPU bound {by_cpu:,.0f}); "
            f"memory: a first crawl of {args.sources} sources in one process peaked at {first[3] / 1024:.0f} MB"
        )
    bad = [p for p in polls if p[4]]
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
