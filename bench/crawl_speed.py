"""Crawl speed: the full pipeline versus a bare Scrapy spider fetching the same URLs.

Run: ``.venv/bin/python bench/crawl_speed.py [--sources 8] [--per-source 250] [--attachments 200]``.
A generated TRS-style site (bench/crawl_site.py, written to a temp dir) is served on
127.0.0.1; both crawls run in a child process with delay 0 and one connection per host,
and their speed is measured from the first request the server sees to the child's exit
(so the full pipeline's last database writes count). Prints one line
per figure: pages/s of each and their ratio (aim >= 0.7), the second (unchanged) poll's
requests and bytes as a share of the first (aim for bytes <= 5 %; the requests include a
conditional recheck of every current relevant document, see bench/freshness.py), and the
crawl process's peak RSS.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.crawl_site import generate, sources_toml  # noqa: E402
from crawlers.runner import crawl_sources  # noqa: E402
from policywatch.config import load_config  # noqa: E402
from policywatch.site_server import RequestRecord, SiteServer  # noqa: E402

BARE_SPIDER = """
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

process = CrawlerProcess({"CONCURRENT_REQUESTS_PER_DOMAIN": 1, "DOWNLOAD_DELAY": 0, "ROBOTSTXT_OBEY": False,
                          "LOG_LEVEL": "WARNING", "COOKIES_ENABLED": False, "TELNETCONSOLE_ENABLED": False,
                          "EXTENSIONS": {"scrapy.extensions.remote_control.RemoteControl": None}})
for urls in GROUPS:
    process.crawl(Bare, urls=urls)
process.start()
"""


class TimedServer(SiteServer):
    """A SiteServer that also stamps when each request was answered."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.stamps: list[float] = []
        self._stamp_lock = threading.Lock()

    def _record(self, record: RequestRecord) -> None:
        super()._record(record)
        with self._stamp_lock:
            self.stamps.append(time.perf_counter())

    def window(self, until: float) -> tuple[int, float, float]:
        """Responses, seconds from the first one to ``until`` (the child's exit) and to the last one."""
        with self._stamp_lock:
            if not self.stamps:
                return 0, 0.0, 0.0
            return len(self.stamps), until - self.stamps[0], self.stamps[-1] - self.stamps[0]

    def reset(self) -> None:
        self.clear()
        with self._stamp_lock:
            self.stamps.clear()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sources", type=int, default=8)
    parser.add_argument("--per-source", type=int, default=250)
    parser.add_argument("--attachments", type=int, default=200)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="pw-crawl-bench-") as tmp:
        work = Path(tmp)
        sections = generate(work / "site" / "base", args.sources, args.per_source, args.attachments)
        server = TimedServer(work / "site")
        server.start()
        try:
            pages = -(-args.per_source // 25)
            config = work / "policywatch.toml"
            config.write_text(
                f'[database]\nurl = "sqlite:///{work / "bench.db"}"\n[log]\nlevel = "WARNING"\n'
                "[crawl]\ndownload_delay = 0\nstart_jitter_seconds = 0\nobey_robots_txt = false\n\n"
                + sources_toml([server.url(x) for x in sections], pages),
                encoding="utf-8",
            )
            ids = [f"bench-{i}" for i in range(len(sections))]
            crawl_config = load_config(str(config)).crawl_config()

            started = time.perf_counter()
            first = crawl_sources(crawl_config, ids, cwd=work)
            first_wall = time.perf_counter() - started
            n_full, t_full, d_full = server.window(time.perf_counter())
            peak_rss_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
            urls = [server.url(r.path) for r in server.requests]
            bad = [h for h in first if h.status != "ok"]
            if bad:
                print(
                    f"warning: not ok: {[(h.source_id, h.status, h.message) for h in bad]}", file=sys.stderr
                )

            server.reset()
            second = crawl_sources(crawl_config, ids, cwd=work)

            server.reset()
            url_file = work / "urls.json"
            groups = [[u for u in urls if f"/s{i}/" in u] for i in range(len(sections))]
            url_file.write_text(json.dumps(groups), encoding="utf-8")
            script = work / "bare.py"
            script.write_text(BARE_SPIDER, encoding="utf-8")
            subprocess.run([sys.executable, str(script), str(url_file)], check=True, cwd=work)
            n_bare, t_bare, d_bare = server.window(time.perf_counter())
        finally:
            server.stop()

    req1, bytes1 = sum(h.requests for h in first), sum(h.bytes_downloaded for h in first)
    req2, bytes2 = sum(h.requests for h in second), sum(h.bytes_downloaded for h in second)
    full_rate, bare_rate = n_full / t_full, n_bare / t_bare
    stored = sum(h.new_documents for h in first)
    print(
        f"site: {len(sections)} sources, {args.sources * args.per_source} announcements, {args.attachments} attachments"
    )
    print(
        f"first poll: {req1} requests, {bytes1 / 1e6:.1f} MB, {stored} documents stored, {first_wall:.1f} s wall (with start-up)"
    )
    print(f"full pipeline: {full_rate:.0f} pages/s ({n_full} responses in {t_full:.2f} s)")
    print(f"bare scrapy spider: {bare_rate:.0f} pages/s ({n_bare} responses in {t_bare:.2f} s)")
    print(f"ratio full/bare: {full_rate / bare_rate:.2f} (aim >= 0.7)")
    print(
        f"ratio of download phases only (first to last request): {(n_full / d_full) / (n_bare / d_bare):.2f}"
    )
    print(f"second poll requests: {req2} = {100 * req2 / req1:.1f} % of the first (mostly 304s)")
    print(
        f"second poll bytes: {bytes2 / 1e3:.0f} kB = {100 * bytes2 / bytes1:.1f} % of the first (aim <= 5 %)"
    )
    print(f"peak RSS of the crawl process: {peak_rss_mb:.0f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
