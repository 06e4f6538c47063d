"""Freshness cost: what a poll pays to recheck every current relevant document in place.

Run: ``.venv/bin/python bench/freshness.py [--sources 8] [--per-source 250] [--attachments 200]
[--repeat 5]``.

The generated TRS-style site of bench/crawl_speed.py (bench/crawl_site.py, in a temp dir)
is served on 127.0.0.1 by a SiteServer (listen backlog 128), once with validators (ETag and
Last-Modified, 304s) and once without. Every relevant announcement counts as current
(``crawl.current_window_days`` = a century): the most a poll rechecks. Per server: one
first poll into an empty database, then ``--repeat`` times from a copy of that database: an
unchanged poll, and a poll after one attachment was replaced under its URL (which must give
exactly one changed document). Each poll is one crawl child process, as ``policywatch
crawl`` runs it; wall time includes its start-up. Prints medians with min/max per figure;
the unchanged poll's bytes are checked against 5 % of the first poll's where the server
sends validators.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.crawl_site import generate, sources_toml  # noqa: E402
from crawlers.crawl_config import CrawlConfig  # noqa: E402
from crawlers.runner import crawl_sources  # noqa: E402
from policywatch.config import load_config  # noqa: E402
from policywatch.site_server import SiteServer  # noqa: E402

AIM_UNCHANGED_BYTES = 0.05  # of the first poll's, with validators


@dataclass(frozen=True)
class Poll:
    """One poll as the server answered it and the crawler counted it."""

    requests: int
    not_modified: int
    bytes: int  # received by the crawler (Scrapy's downloader/response_bytes: headers included)
    wall: float
    changed: int  # documents stored as a new version of a known URL
    failed: list[str]


def poll(server: SiteServer, config: CrawlConfig, ids: list[str], cwd: Path) -> Poll:
    server.clear()
    started = time.perf_counter()
    health = crawl_sources(config, ids, cwd=cwd)
    wall = time.perf_counter() - started
    answered = server.requested()
    return Poll(
        requests=len(answered),
        not_modified=sum(r.status == 304 for r in answered),
        bytes=sum(h.bytes_downloaded for h in health),
        wall=wall,
        changed=sum(h.changed_documents for h in health),
        failed=[f"{h.source_id}={h.status}" for h in health if h.status != "ok"],
    )


def write_config(work: Path, server: SiteServer, sections: list[str], pages: int) -> CrawlConfig:
    path = work / "policywatch.toml"
    path.write_text(
        f'[database]\nurl = "sqlite:///{work / "poll.db"}"\n[log]\nlevel = "WARNING"\n'
        "[crawl]\ndownload_delay = 0\nstart_jitter_seconds = 0\nobey_robots_txt = false\n"
        "current_window_days = 36500\n\n" + sources_toml([server.url(x) for x in sections], pages),
        encoding="utf-8",
    )
    return load_config(str(path)).crawl_config()


SQLITE_FILES = ("", "-wal", "-shm")  # a database and the WAL files it may have


def remove_database(path: Path) -> None:
    for suffix in SQLITE_FILES:
        path.with_name(path.name + suffix).unlink(missing_ok=True)


def copy_database(source: Path, target: Path) -> None:
    remove_database(target)
    for suffix in SQLITE_FILES:
        if source.with_name(source.name + suffix).exists():
            shutil.copyfile(source.with_name(source.name + suffix), target.with_name(target.name + suffix))


def replace_one_attachment(site: Path) -> str:
    """State ``edited``: the first attachment's bytes replaced under the same URL; its path."""
    original = sorted((site / "base").rglob("P0*.pdf"))[0]
    rel = original.relative_to(site / "base")
    target = site / "edited" / rel
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(original.read_bytes().replace(b"%%EOF", b"% corrected in place\n%%EOF"))
    return "/" + rel.as_posix()


def spread(values: list[float], fmt: str) -> str:
    return (
        f"median {statistics.median(values):{fmt}} (min {min(values):{fmt}}, max {max(values):{fmt}}, "
        f"n={len(values)})"
    )


def report(label: str, first: Poll, polls: list[Poll]) -> None:
    print(f"{label} requests: {spread([p.requests for p in polls], '.0f')}")
    print(f"{label} answered 304: {spread([p.not_modified for p in polls], '.0f')}")
    print(f"{label} kB downloaded: {spread([p.bytes / 1e3 for p in polls], '.1f')}")
    print(
        f"{label} bytes as % of the first poll: {spread([100 * p.bytes / first.bytes for p in polls], '.2f')}"
    )
    print(f"{label} wall s: {spread([p.wall for p in polls], '.2f')}")


def run_server(work: Path, sections: list[str], pages: int, validators: bool, repeat: int) -> bool:
    """The first poll, then ``repeat`` unchanged and changed polls; prints the figures."""
    server = SiteServer(work / "site", validators=validators, backlog=128).start()
    name = "with validators" if validators else "without validators"
    try:
        config = write_config(work, server, sections, pages)
        ids = [f"bench-{i}" for i in range(len(sections))]
        db, snapshot = work / "poll.db", work / "first.db"
        remove_database(db)
        first = poll(server, config, ids, work)
        copy_database(db, snapshot)
        unchanged, edited = [], []
        for _ in range(repeat):
            copy_database(snapshot, db)
            server.set_state("base")
            unchanged.append(poll(server, config, ids, work))
            server.set_state("edited")
            edited.append(poll(server, config, ids, work))
    finally:
        server.stop()
    print(
        f"{name}: first poll: {first.requests} requests, {first.bytes / 1e6:.2f} MB, {first.wall:.1f} s wall"
    )
    report(f"{name}: unchanged poll", first, unchanged)
    report(f"{name}: one attachment changed in place", first, edited)
    ok = True
    failed = [f for p in [first, *unchanged, *edited] for f in p.failed]
    if failed:
        print(f"# {name}: sources not ok: {sorted(set(failed))}", file=sys.stderr)
        ok = False
    if any(p.changed != 1 for p in edited) or any(p.changed for p in unchanged):
        changes = f"{[p.changed for p in unchanged]} unchanged, {[p.changed for p in edited]} edited"
        print(f"# {name}: changed documents per poll: {changes}", file=sys.stderr)
        ok = False
    if validators:
        worst = max(p.bytes for p in unchanged) / first.bytes
        print(f"{name}: unchanged poll bytes, worst run: {100 * worst:.2f} % (aim <= 5 %)")
        ok = ok and worst <= AIM_UNCHANGED_BYTES
    return ok


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sources", type=int, default=8)
    parser.add_argument("--per-source", type=int, default=250)
    parser.add_argument("--attachments", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="pw-freshness-bench-") as tmp:
        work = Path(tmp)
        sections = generate(work / "site" / "base", args.sources, args.per_source, args.attachments)
        changed = replace_one_attachment(work / "site")
        pages = -(-args.per_source // 25)
        print(
            f"site: {len(sections)} sources, {args.sources * args.per_source} announcements, "
            f"{args.attachments} relevant with an attachment (all current); edited in place: {changed}"
        )
        results = [run_server(work, sections, pages, validators, args.repeat) for validators in (True, False)]
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main())
