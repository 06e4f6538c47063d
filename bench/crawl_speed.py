"""Crawl speed: the full pipeline versus a bare Scrapy spider fetching the same URLs.

Run: ``.venv/bin/python bench/crawl_speed.py [--sources 8] [--per-source 250] [--attachments 200] [--pairs 3]``.

A generated TRS-style site (bench/crawl_site.py, written to a temp dir) is served on
127.0.0.1 with a listen backlog of 128 (the default 5 dropped connections and throttled both
sides alike, which once made them look equally fast). Each pair runs the full pipeline
(``crawl_sources``, first poll into a fresh database) and a bare Scrapy spider fetching the
URLs the full pipeline fetched, one after the other, in alternating order; each side runs in
its own child process, which reports the CPU time and peak RSS of the crawl process it
started. Speed is measured from the first request the server answers to the crawl process's
exit (so the full pipeline's last database writes count).

Prints one ``figure: value`` line per figure: pages/s, CPU seconds and peak RSS of each side
as median (min, max) over the pairs, the ratio full/bare (aim >= 0.7), an artefact check
(per side: the server's answers by status, Scrapy's download exceptions and retries; a pair
whose sides got different request counts or saw connection errors is flagged), and for the
first pair's database the second (unchanged) poll's requests and bytes as a share of the
first (aim for bytes <= 5 %; the requests include a conditional recheck of every current
relevant document, see bench/freshness.py). CPU seconds include each crawl process's start-up
(imports), which the pages/s window (first answer to exit) leaves out; on a shared machine
the CPU-per-page ratio is the steadier figure.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.crawl_site import generate, sources_toml  # noqa: E402
from bench.crawl_stats import EXTENSION, STATS_FILE_ENV, read_stats  # noqa: E402
from crawlers.runner import crawl_sources  # noqa: E402
from policywatch.config import load_config  # noqa: E402
from policywatch.site_server import RequestRecord, SiteServer  # noqa: E402

BACKLOG = 128
BARE_SPIDER = f"""
import json, sys
import scrapy
from scrapy.crawler import CrawlerProcess

GROUPS = json.load(open(sys.argv[1]))  # one URL list per source: one crawler each, like the real run

class Bare(scrapy.Spider):
    name = "bare"
    async def start(self):
        for url in self.urls:
            yield scrapy.Request(url, callback=self.parse, dont_filter=True)
    def parse(self, response):
        return None

process = CrawlerProcess({{"CONCURRENT_REQUESTS_PER_DOMAIN": 1, "DOWNLOAD_DELAY": 0, "ROBOTSTXT_OBEY": False,
                          "LOG_LEVEL": "WARNING", "COOKIES_ENABLED": False, "TELNETCONSOLE_ENABLED": False,
                          "EXTENSIONS": {{"scrapy.extensions.remote_control.RemoteControl": None,
                                         "{EXTENSION}": 900}}}})
for urls in GROUPS:
    process.crawl(Bare, urls=urls)
process.start()
"""


class TimedServer(SiteServer):
    """A SiteServer that also stamps (monotonic clock, comparable across processes) each answer."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.stamps: list[float] = []
        self._stamp_lock = threading.Lock()

    def _record(self, record: RequestRecord) -> None:
        super()._record(record)
        with self._stamp_lock:
            self.stamps.append(time.monotonic())

    def first_stamp(self) -> float | None:
        with self._stamp_lock:
            return self.stamps[0] if self.stamps else None

    def reset(self) -> None:
        self.clear()
        with self._stamp_lock:
            self.stamps.clear()


@dataclass
class Side:
    """One measured crawl: what the server answered, and what its crawl process cost."""

    name: str
    responses: int
    seconds: float
    cpu_seconds: float
    peak_rss_mb: float
    statuses: Counter[int]
    stats: dict[str, int]
    report: dict[str, object] = field(default_factory=dict)

    @property
    def pages_per_second(self) -> float:
        return self.responses / self.seconds if self.seconds > 0 else 0.0

    @property
    def connection_errors(self) -> int:
        return self.stats.get("downloader/exception_count", 0) + self.statuses.get(0, 0)

    @property
    def retries(self) -> int:
        return self.stats.get("retry/count", 0)


# -- the child: runs one side and reports its crawl process's cost as one JSON line --
def run_child(args: argparse.Namespace) -> int:
    """Start the side's crawl process; report its CPU time, peak RSS and exit time.

    RUSAGE_CHILDREN of this process is exactly that one crawl process (``crawl_sources``
    starts ``python -m crawlers.run``; the bare side starts the bare spider script)."""
    os.environ[STATS_FILE_ENV] = args.stats
    report: dict[str, object] = {}
    if args.side == "full":
        os.environ["SCRAPY_SETTINGS_MODULE"] = "bench.crawl_stats"
        crawl_config = load_config(args.config).crawl_config()
        health = crawl_sources(crawl_config, args.ids.split(","), cwd=args.work)
        report = {
            "requests": sum(h.requests for h in health),
            "bytes": sum(h.bytes_downloaded for h in health),
            "stored": sum(h.new_documents for h in health),
            "not_ok": [(h.source_id, h.status, h.message) for h in health if h.status != "ok"],
        }
    else:
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        subprocess.run([sys.executable, args.script, args.urls], check=True, cwd=args.work, env=env)
    ended = time.monotonic()
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    cost = {"cpu": usage.ru_utime + usage.ru_stime, "rss_mb": usage.ru_maxrss / 1024, "ended": ended}
    print(json.dumps({**cost, **report}))
    return 0


def measure(server: TimedServer, name: str, child_args: list[str], stats_file: Path, cwd: Path) -> Side:
    server.reset()
    cmd = [sys.executable, str(Path(__file__).resolve()), "--side", name, "--stats", str(stats_file)]
    out = subprocess.run(cmd + child_args, check=True, cwd=cwd, stdout=subprocess.PIPE, text=True).stdout
    child = json.loads(out.strip().splitlines()[-1])
    first = server.first_stamp()
    with server._lock:
        statuses = Counter(r.status for r in server.requests)
    return Side(
        name=name,
        responses=sum(statuses.values()),
        seconds=child["ended"] - first if first is not None else 0.0,
        cpu_seconds=child["cpu"],
        peak_rss_mb=child["rss_mb"],
        statuses=statuses,
        stats=read_stats(str(stats_file)),
        report=child,
    )


def spread(values: list[float], fmt: str = "{:.1f}") -> str:
    """``median (min a, max b)``: the median first, so that it is what a table reads."""
    return (
        f"{fmt.format(statistics.median(values))} "
        f"(min {fmt.format(min(values))}, max {fmt.format(max(values))}, n={len(values)})"
    )


def artefacts(full: Side, bare: Side) -> list[str]:
    """Why a pair is not a fair comparison; empty when it is."""
    problems = []
    if full.responses != bare.responses:
        problems.append(f"request counts differ (full {full.responses}, bare {bare.responses})")
    for side in (full, bare):
        if not side.stats:
            problems.append(f"{side.name}: no Scrapy stats were dumped")
        if side.connection_errors:
            problems.append(f"{side.name}: {side.connection_errors} connection errors")
        if side.retries:
            problems.append(f"{side.name}: {side.retries} retries")
        if set(side.statuses) - {200}:
            problems.append(f"{side.name}: non-200 answers {dict(side.statuses)}")
    if full.report.get("not_ok"):
        problems.append(f"full: sources not ok: {full.report['not_ok']}")
    return problems


def write_config(path: Path, database: Path, server: SiteServer, sections: list[str], pages: int) -> None:
    path.write_text(
        f'[database]\nurl = "sqlite:///{database}"\n[log]\nlevel = "WARNING"\n'
        "[crawl]\ndownload_delay = 0\nstart_jitter_seconds = 0\nobey_robots_txt = false\n\n"
        + sources_toml([server.url(x) for x in sections], pages),
        encoding="utf-8",
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sources", type=int, default=8)
    parser.add_argument("--per-source", type=int, default=250)
    parser.add_argument("--attachments", type=int, default=200)
    parser.add_argument("--pairs", type=int, default=3)
    # the child's arguments (internal)
    parser.add_argument("--side", choices=["full", "bare"], help=argparse.SUPPRESS)
    for internal in ("--stats", "--config", "--ids", "--work", "--script", "--urls"):
        parser.add_argument(internal, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.side:
        return run_child(args)

    pairs: list[tuple[Side, Side]] = []
    with tempfile.TemporaryDirectory(prefix="pw-crawl-bench-") as tmp:
        work = Path(tmp)
        sections = generate(work / "site" / "base", args.sources, args.per_source, args.attachments)
        pages = -(-args.per_source // 25)
        ids = ",".join(f"bench-{i}" for i in range(len(sections)))
        script = work / "bare.py"
        script.write_text(BARE_SPIDER, encoding="utf-8")
        url_file = work / "urls.json"
        server = TimedServer(work / "site", backlog=BACKLOG)
        server.start()
        second: list[int] = []
        try:
            for n in range(args.pairs):
                order = ["full", "bare"] if n % 2 == 0 else ["bare", "full"]
                sides: dict[str, Side] = {}
                for name in order:
                    stats_file = work / f"stats-{n}-{name}.jsonl"
                    if name == "full":
                        config = work / f"pair{n}.toml"
                        write_config(config, work / f"pair{n}.db", server, sections, pages)
                        child = ["--config", str(config), "--ids", ids, "--work", str(work)]
                        sides[name] = measure(server, name, child, stats_file, work)
                        if n == 0:  # the URLs of the bare side: what the full pipeline fetched
                            urls = [server.url(r.path) for r in server.requests]
                            groups = [[u for u in urls if f"/s{i}/" in u] for i in range(len(sections))]
                            url_file.write_text(json.dumps(groups), encoding="utf-8")
                            server.reset()  # the second poll: unchanged site, same database
                            crawl_config = load_config(str(config)).crawl_config()
                            again = crawl_sources(crawl_config, ids.split(","), cwd=work)
                            second = [sum(h.requests for h in again), sum(h.bytes_downloaded for h in again)]
                    else:
                        child = ["--script", str(script), "--urls", str(url_file), "--work", str(work)]
                        sides[name] = measure(server, name, child, stats_file, work)
                pairs.append((sides["full"], sides["bare"]))
        finally:
            server.stop()

    fulls, bares = [p[0] for p in pairs], [p[1] for p in pairs]
    first = fulls[0].report
    req1, bytes1 = int(first["requests"]), int(first["bytes"])  # type: ignore[call-overload]
    print(
        f"site: {len(sections)} sources, {args.sources * args.per_source} announcements, "
        f"{args.attachments} attachments, server backlog {BACKLOG}"
    )
    print(f"pairs: {args.pairs} (full first in odd pairs, bare first in even ones)")
    print(f"first poll: {req1} requests, {bytes1 / 1e6:.1f} MB, {first['stored']} documents stored")
    for n, (full, bare) in enumerate(pairs, start=1):
        print(
            f"pair {n}: full {full.pages_per_second:.0f} pages/s, {full.cpu_seconds:.1f} s CPU; "
            f"bare {bare.pages_per_second:.0f} pages/s, {bare.cpu_seconds:.1f} s CPU; "
            f"ratio {full.pages_per_second / bare.pages_per_second:.2f}"
        )
    ratios = [f.pages_per_second / b.pages_per_second for f, b in pairs]
    print(f"full pipeline pages/s: {spread([s.pages_per_second for s in fulls], '{:.0f}')}")
    print(f"bare scrapy spider pages/s: {spread([s.pages_per_second for s in bares], '{:.0f}')}")
    print(f"ratio full/bare: {spread(ratios, '{:.2f}')} (aim >= 0.7)")
    # CPU per page is what this bench is about, and unlike pages/s it hardly moves when
    # other processes compete for the cores: bare / full, comparable with the ratio above.
    cpu_ratios = [(b.cpu_seconds / b.responses) / (f.cpu_seconds / f.responses) for f, b in pairs]
    print(f"ratio of CPU per page bare/full: {spread(cpu_ratios, '{:.2f}')}")
    print(f"full pipeline CPU s: {spread([s.cpu_seconds for s in fulls])}")
    print(f"bare scrapy spider CPU s: {spread([s.cpu_seconds for s in bares])}")
    print(f"full pipeline CPU ms per page: {spread([1000 * s.cpu_seconds / s.responses for s in fulls])}")
    print(
        f"bare scrapy spider CPU ms per page: {spread([1000 * s.cpu_seconds / s.responses for s in bares])}"
    )
    print(f"full pipeline peak RSS MB: {spread([s.peak_rss_mb for s in fulls], '{:.0f}')}")
    print(f"bare scrapy spider peak RSS MB: {spread([s.peak_rss_mb for s in bares], '{:.0f}')}")
    for label, sides_ in (("full pipeline", fulls), ("bare scrapy spider", bares)):
        answered = " | ".join(
            ", ".join(f"{status}={count}" for status, count in sorted(s.statuses.items())) for s in sides_
        )
        print(f"{label} answers by status per pair: {answered}")
        print(
            f"{label} scrapy requests / download exceptions / retries per pair: "
            + " | ".join(
                f"{s.stats.get('downloader/request_count', 0)} / "
                f"{s.stats.get('downloader/exception_count', 0)} / {s.retries}"
                for s in sides_
            )
        )
    flagged = [f"pair {n}: " + "; ".join(p) for n, pair in enumerate(pairs, 1) if (p := artefacts(*pair))]
    print(
        f"artefact check: {'; '.join(flagged) if flagged else 'clean (same requests, no connection errors, no retries, all 200)'}"
    )
    if second:
        print(
            f"second poll requests: {second[0]} = {100 * second[0] / req1:.1f} % of the first (mostly 304s)"
        )
        print(
            f"second poll bytes: {second[1] / 1e3:.0f} kB = {100 * second[1] / bytes1:.1f} % of the first (aim <= 5 %)"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
