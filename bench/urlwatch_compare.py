"""policywatch versus urlwatch (what users would run instead) polling the same list pages.

Run: ``.venv/bin/python bench/urlwatch_compare.py [--sources 8] [--per-source 250]
[--attachments 200] [--list-pages 3] [--unchanged-polls 5] [--new-polls 2] [--daemon-slots 5]``
(urlwatch comes from the optional extra: ``.venv/bin/pip install -e '.[bench]'``).

Why: someone who wants to know when a Fujian HR page changes could point urlwatch at the
list pages instead. Both tools are measured in the same run against one generated TRS-style
site (bench/crawl_site.py) on one SiteServer on 127.0.0.1 (listen backlog 128: no dropped
connections), each as the console script a user would run from cron, in a child process:
urlwatch watches every list page policywatch reads (pages 0 .. list_pages-1 of every
section, the list block through ``css`` + ``html2text``); a policywatch poll is
``policywatch run --all`` (pre-check, crawl what changed, parse, version, queue, notify).
Phases: a first poll (empty caches); ``--unchanged-polls`` polls of the unchanged site,
the two tools alternating and taking turns to go first; the warm daemon's slot on the
unchanged site (bench/daemon_slot.py: CPU per slot inside one long-running process, start-up
not counted); then ``--new-polls`` polls that each follow one new announcement (a relevant
notice with a real xlsx shortage list, put at the top of a section's list so the older rows
shift down, as on the real sites).

Per poll: wall seconds, CPU seconds (user + sys of the child and the processes it waited
for, from ``os.wait4``), peak RSS, and the requests, bytes and statuses the server
answered. Figures are min / median / max over the polls of a phase; the ratio is of medians.
A harness check counts answers other than 200/304 (none are expected).

A "useful result" is one new announcement detected. urlwatch delivers "list page X changed"
plus a text diff that contains the new title; policywatch delivers the stored announcement
with its detail page and attachment and the rule rows parsed from it.
"""

from __future__ import annotations

import argparse
import compileall
import html
import json
import os
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, func, select  # noqa: E402

from bench.crawl_site import ROWS_PER_PAGE, generate, sources_toml  # noqa: E402
from policywatch.demo.sample_site import Article, Attachment, render_detail, shortage_xlsx  # noqa: E402
from policywatch.site_server import SiteServer  # noqa: E402
from storage.models import Document, DocumentParse  # noqa: E402

BIN = Path(sys.executable).parent
REGIONS = ("xiamen", "fuzhou", "quanzhou", "fujian")
OCCUPATIONS = [
    ("电工", "6-31-01-03", "特别紧缺", "三级/高级工及以上"),
    ("变配电运行值班员", "6-28-01-14", "紧缺", "四级/中级工及以上"),
    ("继电保护员", "6-28-01-15", "紧缺", ""),
    ("电力电气设备安装工", "6-29-03-08", "一般紧缺", ""),
    ("车工", "6-18-01-01", "一般紧缺", ""),
    ("焊工", "6-18-02-04", "紧缺", ""),
    ("养老护理员", "4-10-01-05", "特别紧缺", ""),
    ("中式烹调师", "4-03-02-01", "一般紧缺", ""),
]
USEFUL = (
    "useful result: one new announcement detected (urlwatch — a changed list page whose diff holds the "
    "new, truncated title, without detail page, attachment or rules; policywatch — the announcement stored "
    "with its detail page and attachment, its rule rows parsed and versioned, so also counted per rule row)"
)


@dataclass
class Poll:
    """What one poll of one tool cost and found."""

    wall: float = 0.0
    cpu: float = 0.0
    maxrss_kib: int = 0
    requests: int = 0
    bytes: int = 0
    not_modified: int = 0  # requests the server answered 304 (conditional GET hit)
    odd: int = 0  # answers other than 200 and 304: a harness or site fault
    exit_codes: list[int] = field(default_factory=list)
    detected: int = 0  # new announcements found by this poll
    reports: int = 0  # urlwatch: list pages reported changed
    rows: int = 0  # policywatch: rule rows parsed from what this poll fetched

    def add(self, wall: float, cpu: float, maxrss_kib: int, code: int) -> None:
        self.wall += wall
        self.cpu += cpu
        self.maxrss_kib = max(self.maxrss_kib, maxrss_kib)
        self.exit_codes.append(code)


PACKAGES = ("crawlers", "notifier", "parsers", "policywatch", "rules", "storage")


def precompile() -> bool:
    """Bytecode for policywatch's own modules, as an installed package has it.

    pip compiled urlwatch's modules when it installed them; policywatch's editable install
    is not compiled, and with PYTHONDONTWRITEBYTECODE set (as on these machines) every poll
    would compile some 60 modules from source (about 0.04 CPU s): the harness, not the tool.
    """
    return all(compileall.compile_dir(ROOT / name, quiet=1) for name in PACKAGES)


def kill_group(pgid: int) -> None:
    """SIGKILL a process group that may already be gone."""
    try:
        os.killpg(pgid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def run_measured(
    cmd: list[str], cwd: Path, env: dict[str, str], timeout: float, out: Path
) -> tuple[float, float, int, int, str]:
    """Run ``cmd`` in its own process group; returns wall, CPU s, max RSS KiB, exit code, stdout.

    ``os.wait4`` gives the rusage of exactly this child (with the children it reaped), so
    the two tools' CPU and RSS never mix. On timeout the whole group is killed.
    """
    with open(out, "wb") as stdout, open(out.with_suffix(".err"), "wb") as stderr:
        started = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=stdout, stderr=stderr, start_new_session=True)
        timer = threading.Timer(timeout, kill_group, (proc.pid,))
        timer.start()
        try:
            _, status, usage = os.wait4(proc.pid, 0)
        finally:
            timer.cancel()
            kill_group(proc.pid)  # anything the child left behind in its group
        wall = time.perf_counter() - started
    proc.returncode = os.waitstatus_to_exitcode(status)
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss, proc.returncode, out.read_text("utf-8")


def list_rows(page: str) -> list[str]:
    """The ``<li>`` rows of one generated list page."""
    block = re.search(r'<div class="trt-list"><ul>(.*?)</ul></div>', page, re.S)
    if block is None:
        raise ValueError("bench/crawl_site.py list markup changed: no trt-list block")
    return re.findall(r"<li>.*?</li>", block.group(1), re.S)


def write_new_state(site: Path, state: str, news: list[Article]) -> None:
    """State ``state`` = base plus ``news`` at the top of their sections' lists (older rows shift)."""
    for section in sorted({a.section for a in news}):
        pages = sorted(
            (site / "base" / section).glob("index*.htm"),
            key=lambda p: int(p.stem.partition("_")[2] or 0),
        )
        texts = [p.read_text("utf-8") for p in pages]
        rows = [r for t in texts for r in list_rows(t)]
        added = [a for a in news if a.section == section]
        for a in sorted(added, key=lambda a: a.date):
            rows.insert(
                0,
                f'<li><a href="./{a.month}/{a.doc_id}.htm" title="{html.escape(a.title)}">'
                f"{html.escape(a.title[:14])}…</a><span>{a.date}</span></li>",
            )
        target = site / state / section
        target.mkdir(parents=True, exist_ok=True)
        for n, text in enumerate(texts):
            chunk = "".join(rows[n * ROWS_PER_PAGE : (n + 1) * ROWS_PER_PAGE])
            text = re.sub(
                r'(<div class="trt-list"><ul>).*?(</ul></div>)',
                lambda m, chunk=chunk: m[1] + chunk + m[2],
                text,
                flags=re.S,
            )
            text = re.sub(r"recordCount: '\d+'", f"recordCount: '{len(rows)}'", text)
            (target / pages[n].name).write_text(text, encoding="utf-8")
    for a in news:
        page = site / state / a.section / a.month / f"{a.doc_id}.htm"
        page.parent.mkdir(parents=True, exist_ok=True)
        page.write_text(render_detail(a), encoding="utf-8")
        for att in a.attachments:
            (page.parent / att.name).write_bytes(att.data)


def announcement(k: int, section: str) -> Article:
    """The k-th new announcement: relevant by title, with a real xlsx shortage list."""
    occupations = OCCUPATIONS[: 4 + k % 5]
    day = f"{k:02d}"
    return Article(
        section=section,
        month="202601",
        doc_id=f"t202601{day}_{900000 + k}",
        title=f"关于发布2026年第{k}批紧缺急需职业（工种）目录的通知",
        date=f"2026-01-{day}",
        source="某市人力资源和社会保障局",
        doc_number=f"某人社〔2026〕{k}号",
        body="<p>　　现将2026年紧缺急需职业（工种）目录印发给你们，请遵照执行。</p>",
        attachments=(
            Attachment(
                f"P0202601{day}{k:012d}.xlsx",
                "附件：2026年紧缺急需职业（工种）目录.xlsx",
                shortage_xlsx(2026, occupations),
            ),
        ),
    )


def watched_urls(server: SiteServer, site: Path, sections: list[str], list_pages: int) -> list[str]:
    """The list-page URLs policywatch reads: page 0 and up to list_pages-1 more per section."""
    urls = []
    for section in sections:
        for n in range(list_pages):
            name = "index.htm" if n == 0 else f"index_{n}.htm"
            if (site / "base" / section.strip("/") / name).is_file():
                urls.append(server.url(section) if n == 0 else server.url(section + name))
    return urls


def write_configs(
    work: Path, server: SiteServer, sections: list[str], urls: list[str], list_pages: int, lists_only: bool
) -> None:
    """policywatch.toml (built-in sources off, the bench sources on) and urlwatch's three files.

    ``lists_only``: policywatch rechecks no stored announcement (none is in force here), so it
    requests exactly the list pages urlwatch watches."""
    sources = sources_toml(
        [server.url(section) for section in sections], list_pages, regions=REGIONS, builtins_off=True
    )
    (work / "pw" / "policywatch.toml").write_text(
        f'[database]\nurl = "sqlite:///{work / "pw" / "pw.db"}"\n[log]\nlevel = "WARNING"\n'
        "[crawl]\ndownload_delay = 0\nstart_jitter_seconds = 0\nobey_robots_txt = false\n"
        + ("current_window_days = 0\nrecheck_days = 36500\n" if lists_only else "")
        + "\n"
        + sources,
        encoding="utf-8",
    )
    jobs = [
        json.dumps(
            {"name": f"list {n}", "url": url, "filter": [{"css": "div.trt-list"}, "html2text"]},
            ensure_ascii=False,
        )
        for n, url in enumerate(urls)
    ]
    uw = work / "uw"
    (uw / "urls.yaml").write_text("\n---\n".join(jobs) + "\n", encoding="utf-8")
    reporters = ["discord", "email", "gotify", "ifttt", "mailgun", "matrix", "mattermost", "prowl"]
    reporters += ["pushbullet", "pushover", "shell", "slack", "telegram", "xmpp"]
    report: dict[str, object] = {name: {"enabled": False} for name in reporters}
    report["stdout"] = {"enabled": True, "color": False}
    config = {
        "display": {"new": True, "error": True, "unchanged": False, "empty-diff": False},
        "report": report,
    }
    (uw / "cfg.yaml").write_text(json.dumps(config), encoding="utf-8")  # JSON is YAML
    (uw / "hooks.py").write_text('"""No hooks: urlwatch as a user runs it."""\n', encoding="utf-8")
    for name in ("urls.yaml", "cfg.yaml", "hooks.py"):
        (uw / name).chmod(0o600)  # urlwatch refuses group/world-writable hooks and configs


def stored_since(db: Path, marks: tuple[int, int]) -> tuple[int, int, tuple[int, int]]:
    """Announcements (role ``page``) stored and rule rows parsed since ``marks``, and the new marks.

    Read from the database because the crawl's ``new_documents`` also counts attachments.
    """
    engine = create_engine(f"sqlite:///{db}")
    try:
        with engine.connect() as conn:
            doc_top = conn.scalar(select(func.max(Document.id))) or 0
            parse_top = conn.scalar(select(func.max(DocumentParse.id))) or 0
            pages = conn.scalar(select(func.count()).where(Document.id > marks[0], Document.role == "page"))
            counts = conn.execute(
                select(DocumentParse.row_counts).where(DocumentParse.id > marks[1])
            ).scalars()
            rows = sum(int(v) for c in counts for v in (c or {}).values())
    finally:
        engine.dispose()
    return int(pages or 0), rows, (doc_top, parse_top)


class Bench:
    """One run: the site, the server, both tools' files, and the polls measured so far."""

    def __init__(self, work: Path, server: SiteServer, sources: int, timeout: float) -> None:
        self.work = work
        self.server = server
        self.sources = sources
        self.timeout = timeout
        self.marks = (0, 0)
        self.env = {k: v for k, v in os.environ.items() if "proxy" not in k.lower()}
        self.env.update(
            HOME=str(work / "home"),
            XDG_CONFIG_HOME=str(work / "home" / ".config"),
            XDG_CACHE_HOME=str(work / "home" / ".cache"),
            NO_PROXY="127.0.0.1,localhost",
            PYTHONPATH=str(ROOT),
        )
        self.env.pop("POLICYWATCH_CONFIG", None)

    def _served(self, poll: Poll) -> None:
        answered = self.server.requested()
        poll.requests, poll.bytes = len(answered), sum(r.size for r in answered)
        poll.not_modified = sum(r.status == 304 for r in answered)
        poll.odd = sum(r.status not in (200, 304) for r in answered)

    def urlwatch(self, label: str, titles: list[str]) -> Poll:
        """One urlwatch run over every watched list page; counts reports and new titles seen."""
        uw = self.work / "uw"
        cmd = [str(BIN / "urlwatch"), "--urls", str(uw / "urls.yaml"), "--config", str(uw / "cfg.yaml")]
        cmd += ["--cache", str(uw / "cache.db"), "--hooks", str(uw / "hooks.py")]
        self.server.clear()
        poll = Poll()
        wall, cpu, rss, code, out = run_measured(cmd, uw, self.env, self.timeout, uw / f"{label}.out")
        poll.add(wall, cpu, rss, code)
        self._served(poll)
        poll.reports = len(set(re.findall(r"^CHANGED: (.*)$", out, re.M)))
        added = "\n".join(line for line in out.splitlines() if line.startswith("+"))
        poll.detected = sum(t[:14] in added for t in titles)  # the list shows titles truncated
        if code != 0 or "ERROR:" in out:
            print(f"# urlwatch {label}: exit {code}, see {uw / label}.out", file=sys.stderr)
        return poll

    def policywatch(self, label: str) -> Poll:
        """One policywatch poll as cron runs it: ``policywatch run --all``."""
        pw = self.work / "pw"
        cmd = [str(BIN / "policywatch"), "--config", str(pw / "policywatch.toml"), "run", "--all"]
        self.server.clear()
        poll = Poll()
        wall, cpu, rss, code, _ = run_measured(cmd, pw, self.env, self.timeout, pw / f"{label}.out")
        poll.add(wall, cpu, rss, code)
        self._served(poll)
        poll.detected, poll.rows, self.marks = stored_since(pw / "pw.db", self.marks)
        if code:
            print(f"# policywatch {label}: exit {code}, see {pw}/{label}.out/.err", file=sys.stderr)
        return poll

    def daemon_slots(self, slots: int) -> dict[str, list[float]]:
        """The warm daemon's slots on the unchanged site, in one child (bench/daemon_slot.py)."""
        pw = self.work / "pw"
        cmd = [
            sys.executable,
            str(ROOT / "bench" / "daemon_slot.py"),
            "--config",
            str(pw / "policywatch.toml"),
        ]
        self.server.clear()
        _, _, _, code, out = run_measured(
            [*cmd, "--slots", str(slots)], pw, self.env, self.timeout, pw / "daemon-slots.out"
        )
        if code:
            raise RuntimeError(f"bench/daemon_slot.py exited {code}: see {pw}/daemon-slots.err")
        result: dict[str, list[float]] = json.loads(out.strip().splitlines()[-1])
        answered = self.server.requested()
        result["requests_per_slot"] = [len(answered) / slots]
        result["not_modified_share"] = [sum(r.status == 304 for r in answered) / max(len(answered), 1)]
        return result


def spread(values: list[float], fmt: str = ".2f") -> str:
    """min / median / max of a phase."""
    return (
        f"median {statistics.median(values):{fmt}} (min {min(values):{fmt}}, max {max(values):{fmt}}, "
        f"n={len(values)})"
    )


def median(polls: list[Poll], attr: str) -> float:
    return statistics.median(float(getattr(p, attr)) for p in polls)


def ratio(a: float, b: float) -> str:
    return f"{a / b:.2f}" if b else "n/a"


def report(
    first: tuple[Poll, Poll],
    idle: list[tuple[Poll, Poll]],
    slots: dict[str, list[float]],
    new: list[tuple[Poll, Poll]],
    header: str,
) -> bool:
    """Print one line per figure (``figure: value``); False when a poll failed or missed a change."""
    print(header)
    print(USEFUL)
    print(f"first poll wall (empty cache): urlwatch {first[0].wall:.2f} s, policywatch {first[1].wall:.2f} s")
    print(f"first poll CPU (empty cache): urlwatch {first[0].cpu:.2f} s, policywatch {first[1].cpu:.2f} s")
    for name, pairs in (("unchanged poll", idle), ("new-announcement poll", new)):
        uw, pw = [p[0] for p in pairs], [p[1] for p in pairs]
        for attr, unit in (("cpu", "CPU s"), ("wall", "s")):
            print(f"urlwatch {name} {attr}: {spread([getattr(p, attr) for p in uw])} {unit}")
            print(f"policywatch {name} {attr}: {spread([getattr(p, attr) for p in pw])} {unit}")
            print(f"ratio policywatch/urlwatch {name} {attr}: {ratio(median(pw, attr), median(uw, attr))}")
        for tool, polls in (("urlwatch", uw), ("policywatch", pw)):
            print(
                f"{tool} {name} requests: {median(polls, 'requests'):.0f} "
                f"({median(polls, 'bytes') / 1e3:.0f} kB, {median(polls, 'not_modified'):.0f} answered 304, "
                f"median of {len(polls)})"
            )
    uw_idle_cpu = median([p[0] for p in idle], "cpu")
    print(f"warm daemon idle slot cpu: {spread(slots['cpu'], '.3f')} CPU s (start-up not counted)")
    print(f"warm daemon idle slot wall: {spread(slots['wall'], '.3f')} s")
    print(
        f"ratio warm daemon idle slot / urlwatch unchanged poll cpu: "
        f"{ratio(statistics.median(slots['cpu']), uw_idle_cpu)}"
    )
    print(
        f"warm daemon idle slot requests: {slots['requests_per_slot'][0]:.0f} per slot, "
        f"{100 * slots['not_modified_share'][0]:.0f} % answered 304; RSS after the last slot "
        f"{slots['rss_mib'][-1]:.0f} MiB; Scrapy loaded: {bool(slots['scrapy_loaded'])}"
    )
    uw_new, pw_new = [p[0] for p in new], [p[1] for p in new]
    uw_found, pw_found = sum(p.detected for p in uw_new), sum(p.detected for p in pw_new)
    rows = sum(p.rows for p in pw_new)
    print(
        f"new announcements published: {len(new)}; found by urlwatch: {uw_found}, by policywatch: {pw_found}"
    )
    print(
        f"urlwatch list pages reported changed per new announcement: "
        f"{sum(p.reports for p in uw_new) / max(len(new), 1):.1f} (older rows shift down the list)"
    )
    print(f"policywatch rule rows parsed per new announcement: {rows / max(len(new), 1):.1f}")
    every = [first, *idle, *new]
    for n, tool in enumerate(("urlwatch", "policywatch")):
        peaks = [p[n].maxrss_kib / 1024 for p in every]
        print(f"{tool} peak RSS per poll: {spread(peaks, '.0f')} MB")
    odd = sum(p[0].odd + p[1].odd for p in every)
    print(f"harness check: answers other than 200/304: {odd}")
    bad = [
        (i, p[0].exit_codes, p[1].exit_codes)
        for i, p in enumerate(every)
        if any(p[0].exit_codes + p[1].exit_codes)
    ]
    print(f"polls with a non-zero exit: {len(bad)}" + (f" {bad}" if bad else ""))
    return not bad and not odd and uw_found == pw_found == len(new)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sources", type=int, default=8)
    parser.add_argument("--per-source", type=int, default=250)
    parser.add_argument("--attachments", type=int, default=200)
    parser.add_argument(
        "--list-pages", type=int, default=3, help="list pages read per section (policywatch default)"
    )
    parser.add_argument("--unchanged-polls", type=int, default=5)
    parser.add_argument(
        "--lists-only",
        action="store_true",
        help="policywatch watches the same pages as urlwatch: no rechecks of stored announcements",
    )
    parser.add_argument("--daemon-slots", type=int, default=5, help="warm daemon slots on the unchanged site")
    parser.add_argument(
        "--new-polls", type=int, default=2, help="polls after one new announcement each (<= 28)"
    )
    parser.add_argument("--timeout", type=float, default=600, help="seconds per child process")
    parser.add_argument(
        "--keep", type=Path, metavar="DIR", help="work in DIR (new, kept) instead of a temp dir"
    )
    args = parser.parse_args()
    if not 1 <= args.new_polls <= 28 or args.unchanged_polls < 1:
        parser.error("--new-polls must be 1..28 and --unchanged-polls >= 1")
    if not (BIN / "urlwatch").exists():
        print(f"urlwatch not installed next to {sys.executable}: pip install -e '.[bench]'", file=sys.stderr)
        return 1
    compiled = precompile()
    print(
        f"harness check: policywatch's modules precompiled like an installed package's: {compiled} "
        f"(PYTHONDONTWRITEBYTECODE={os.environ.get('PYTHONDONTWRITEBYTECODE', '')!r})"
    )
    if args.keep:
        args.keep.mkdir(parents=True)  # refuses an existing folder: nothing of the user's is touched
    # bench/run_all stops a benchmark that runs over with SIGTERM: leave through the
    # ``with`` below so the temporary directory is removed.
    signal.signal(signal.SIGTERM, lambda signum, _frame: sys.exit(128 + signum))
    with tempfile.TemporaryDirectory(prefix="pw-urlwatch-bench-") as tmp:
        work = args.keep.resolve() if args.keep else Path(tmp)
        for name in ("pw", "uw", "home"):
            (work / name).mkdir()
        site = work / "site"
        sections = generate(site / "base", args.sources, args.per_source, args.attachments)
        news: list[Article] = []
        for k in range(1, args.new_polls + 1):  # state newK = base + announcements 1..K
            news.append(announcement(k, sections[(k - 1) % len(sections)].strip("/")))
            write_new_state(site, f"new{k}", news)
        server = SiteServer(site, backlog=128).start()
        try:
            urls = watched_urls(server, site, sections, args.list_pages)
            write_configs(work, server, sections, urls, args.list_pages, args.lists_only)
            bench = Bench(work, server, len(sections), args.timeout)
            first = (bench.urlwatch("first", []), bench.policywatch("first"))
            idle = []
            for n in range(args.unchanged_polls):  # alternating, and taking turns to go first
                if n % 2:
                    pw_poll = bench.policywatch(f"idle{n}")
                    idle.append((bench.urlwatch(f"idle{n}", []), pw_poll))
                else:
                    idle.append((bench.urlwatch(f"idle{n}", []), bench.policywatch(f"idle{n}")))
            slots = bench.daemon_slots(args.daemon_slots)
            new = []
            for k, article in enumerate(news, start=1):
                server.set_state(f"new{k}")
                new.append((bench.urlwatch(f"new{k}", [article.title]), bench.policywatch(f"new{k}")))
        finally:
            server.stop()
        header = (
            f"site: {len(sections)} sources, {args.sources * args.per_source} announcements, "
            f"{args.attachments} attachments; both tools watch {len(urls)} list pages ({args.list_pages} per source); "
            + (
                "policywatch rechecks no stored announcement (--lists-only: the same pages as urlwatch)"
                if args.lists_only
                else "policywatch also rechecks the current relevant announcements and their attachments "
                "(its defaults: crawl.current_window_days = 730)"
            )
        )
        ok = report(first, idle, slots, new, header)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
