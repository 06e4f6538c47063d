"""Does an unchanged cycle cost what is new, or what is stored? (issue 17)

Run: ``.venv/bin/python bench/history_scaling.py [--small 300] [--large 3600] [--rounds 5]
[--rules-versions 100] [--rules-rows 1000]``

Why: the database grows by every announcement ever stored, every version, every alert. A
cycle in which nothing is new should cost about the same at 300 stored announcements as at
3,600; a query per stored document or an UPDATE per open alert makes it grow with history.

How: two SQLite databases are filled through the real code paths: a generated TRS-style
site (bench/crawl_site.py, the same 8 sources, ``--small`` and ``--large`` announcements, one
attachment on every twelfth) served by SiteServer on 127.0.0.1, read whole by one
``policywatch run --all``, then one more process + notify so the operator alerts and the
subscriber's queue are settled. The measured config reads the same list pages
(``list_pages = 3``) at both sizes. Then, alternating small / large for ``--rounds`` rounds,
each of the cycle's ``process`` and ``notify`` steps runs in its own child process
(policywatch.cycle.process / notify): CPU seconds of the step (time.process_time around the
call), SQL statements it executed, and writes (INSERT/UPDATE/DELETE) to operator_alerts.
Then the whole unchanged poll, ``policywatch run --all`` as cron runs it (pre-check, process,
notify, job bookkeeping), alternating the sizes: CPU s from ``os.wait4``; every request must
be answered 304.

``rules show``: a third database holds one series with ``--rules-versions`` versions of
``--rules-rows`` rows each (storage/rulesets.append_version), and one with a tenth of the
versions; ``policywatch rules show --format json`` runs on each, alternating, and its peak
RSS (``ru_maxrss`` of the child) is printed.

Prints one ``figure: value`` line per figure; a harness check fails the run (exit 1) on a
failed child, a non-200 answer during the fill, or a database that does not hold the
expected number of announcements.
"""

from __future__ import annotations

import argparse
import datetime as dt
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
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, func, select  # noqa: E402

from bench.crawl_site import ROWS_PER_PAGE, generate, sources_toml  # noqa: E402
from policywatch.site_server import SiteServer  # noqa: E402
from storage.models import Document, OperatorAlert  # noqa: E402

BIN = Path(sys.executable).parent
SOURCES = 8
LIST_PAGES = 3
STEPS = ("process", "notify")
RULES_SERIES = ("xiamen", "points_schedule")
ALERT_WRITE = re.compile(r"\s*(INSERT INTO|UPDATE|DELETE FROM)\s+operator_alerts\b", re.I)


def write_config(
    work: Path, server: SiteServer, sections: list[str], list_pages: int, window: int = 730
) -> Path:
    """policywatch.toml: built-in sources off, the bench sources on, alerts to an operator (.eml).

    ``window``: crawl.current_window_days. The measured polls use 0: every generated
    announcement is dated within the default two years, so the default would recheck all
    of them, a number that grows with the site, where a real site's grows with a year's
    output; in force documents (none here) would still be rechecked."""
    sources = sources_toml([server.url(section) for section in sections], list_pages, builtins_off=True)
    path = work / "policywatch.toml"
    path.write_text(
        f'[database]\nurl = "sqlite:///{work / "pw.db"}"\n[log]\nlevel = "WARNING"\n'
        "[crawl]\ndownload_delay = 0\nstart_jitter_seconds = 0\nobey_robots_txt = false\n"
        f"current_window_days = {window}\n"
        '[notify]\noperator_email = "ops@example.org"\n\n' + sources,
        encoding="utf-8",
    )
    return path


def child_env(work: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if "proxy" not in k.lower()}
    env.update(HOME=str(work), NO_PROXY="127.0.0.1,localhost", PYTHONPATH=str(ROOT))
    env.pop("POLICYWATCH_CONFIG", None)
    return env


def run_child(cmd: list[str], work: Path, timeout: float) -> tuple[int, float, int, str]:
    """Run ``cmd``; returns exit code, CPU s and max RSS KiB of exactly this child, stdout.

    ``os.wait4`` gives the rusage of this child only; on timeout its group is killed."""
    with open(work / "child.err", "ab") as err, open(work / "child.out", "w+b") as out:
        proc = subprocess.Popen(
            cmd, cwd=work, env=child_env(work), stdout=out, stderr=err, start_new_session=True
        )
        timer = threading.Timer(timeout, os.killpg, (proc.pid, signal.SIGKILL))
        timer.start()
        try:
            _, status, usage = os.wait4(proc.pid, 0)
        finally:
            timer.cancel()
        out.seek(0)
        text = out.read().decode("utf-8")
    return os.waitstatus_to_exitcode(status), usage.ru_utime + usage.ru_stime, usage.ru_maxrss, text


def count_pages(db: Path) -> int:
    engine = create_engine(f"sqlite:///{db}")
    try:
        with engine.connect() as conn:
            return int(conn.scalar(select(func.count()).where(Document.role == "page")) or 0)
    finally:
        engine.dispose()


def count_alerts(db: Path) -> int:
    engine = create_engine(f"sqlite:///{db}")
    try:
        with engine.connect() as conn:
            return int(conn.scalar(select(func.count()).where(OperatorAlert.resolved_at.is_(None))) or 0)
    finally:
        engine.dispose()


def build(work: Path, announcements: int, timeout: float) -> tuple[Path, list[str], SiteServer]:
    """A database holding ``announcements`` announcements, read through a real crawl; the site
    stays served for the measured polls."""
    work.mkdir(parents=True)
    per_source = -(-announcements // SOURCES)
    sections = generate(work / "site" / "base", SOURCES, per_source, attachments=max(1, announcements // 12))
    server = SiteServer(work / "site", backlog=128).start()
    problems = []
    fill_pages = -(-per_source // ROWS_PER_PAGE)
    config = write_config(work, server, sections, fill_pages)
    cli = [str(BIN / "policywatch"), "--config", str(config)]
    code, *_ = run_child([*cli, "subscribe", "worker@example.org", "--region", "xiamen"], work, timeout)
    if code:
        problems.append(f"subscribe exit {code}")
    code, *_ = run_child([*cli, "run", "--all"], work, timeout)
    bad = [r for r in server.requested() if r.status != 200]
    if bad:
        problems.append(f"{len(bad)} non-200 answers during the fill, e.g. {bad[0]}")
    if code not in (0, 1):  # 1: the run reports sources/alerts; anything else is a crash
        problems.append(f"run --all exit {code}")
    stored = count_pages(work / "pw.db")
    if stored != SOURCES * per_source:
        problems.append(f"{stored} announcements stored, expected {SOURCES * per_source}")
    # The measured cycles read the same list pages at both sizes.
    write_config(work, server, sections, LIST_PAGES, window=0)
    settle = measure(work / "policywatch.toml", "process", work, timeout)
    settle = measure(work / "policywatch.toml", "notify", work, timeout)
    if settle is None:
        problems.append("the settling notify failed")
    code, *_ = run_child([*cli, "run", "--all"], work, timeout)  # the first poll at list_pages 3
    if code:
        problems.append(f"the settling run --all exit {code}")
    return work / "policywatch.toml", problems, server


def measure(config: Path, step: str, work: Path, timeout: float) -> dict[str, float] | None:
    code, _, _, out = run_child(
        [sys.executable, __file__, "--child-step", step, "--child-config", str(config)], work, timeout
    )
    if code != 0:
        print(f"# step {step} on {config} exit {code}, see {work / 'child.err'}", file=sys.stderr)
        return None
    result: dict[str, float] = json.loads(out.strip().splitlines()[-1])
    return result


def child_step(step: str, config_path: str) -> int:
    """In the child: run one cycle step, print its CPU seconds and SQL statement counts."""
    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    from policywatch import cycle
    from policywatch.config import load_config
    from policywatch.context import AppContext

    ctx = AppContext(load_config(config_path))
    ctx.database()  # schema check before counting
    counts = {"statements": 0, "alert_writes": 0}

    @event.listens_for(Engine, "before_cursor_execute")
    def _count(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
        counts["statements"] += 1
        if ALERT_WRITE.match(statement):
            counts["alert_writes"] += 1

    start = time.process_time()
    detail = cycle.process(ctx) if step == "process" else cycle.notify(ctx)
    cpu = time.process_time() - start
    print(json.dumps({"cpu": cpu, **counts, "detail": detail}, ensure_ascii=False))
    return 0


def build_rules_db(work: Path, versions: int, rows: int) -> Path:
    """One series with ``versions`` versions of ``rows`` points rows each, through append_version."""
    from policywatch.config import parse_config
    from policywatch.context import AppContext
    from rules.kinds.points import PointsItem
    from rules.relevance import is_electrician_related
    from storage.rulesets import VersionFacts, append_version, get_series

    work.mkdir(parents=True)
    config = work / "policywatch.toml"
    config.write_text(f'[database]\nurl = "sqlite:///{work / "rules.db"}"\n', encoding="utf-8")
    ctx = AppContext(parse_config(config.read_text("utf-8"), str(config)))
    sessions = ctx.database()
    first = dt.date(2000, 1, 1)
    for v in range(versions):
        with sessions.begin() as session:
            series = get_series(session, *RULES_SERIES)
            items = [
                PointsItem(
                    category="技能水平", item=f"项目{r}", points=float(r % 50 + v), conditions=f"条件{r}"
                )
                for r in range(rows)
            ]
            append_version(
                session,
                series,
                items,
                VersionFacts(
                    document_version_id=None,
                    published_at=first + dt.timedelta(days=30 * v),
                    effective_at=None,
                    doc_number=f"厦人社〔{2000 + v}〕{v}号",
                    replaces=(),
                    parser_version="bench",
                    problems=[],
                    suspect_reason=None,
                ),
                is_electrician_related,
            )
    ctx.engine.dispose()
    return config


def rules_show(config: Path, work: Path, timeout: float) -> tuple[int, float, int]:
    cmd = [str(BIN / "policywatch"), "--config", str(config), "rules", "show"]
    cmd += ["--region", RULES_SERIES[0], "--kind", RULES_SERIES[1], "--format", "json", "--at", "2099-01-01"]
    code, cpu, rss, out = run_child(cmd, work, timeout)
    rows = len(json.loads(out)) if code == 0 else -1
    return code, rss, rows


def spread(values: list[float], fmt: str) -> str:
    return f"min {min(values):{fmt}} / median {statistics.median(values):{fmt}} / max {max(values):{fmt}}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", type=int, default=300, help="announcements in the small database")
    parser.add_argument("--large", type=int, default=3600, help="announcements in the large database")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--rules-versions", type=int, default=100)
    parser.add_argument("--rules-rows", type=int, default=1000)
    parser.add_argument("--timeout", type=float, default=1800, help="seconds per child process")
    parser.add_argument("--keep", type=Path, metavar="DIR", help="work in DIR (new, kept)")
    parser.add_argument("--child-step", choices=STEPS, help=argparse.SUPPRESS)
    parser.add_argument("--child-config", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child_step:
        return child_step(args.child_step, args.child_config)
    if args.keep:
        args.keep.mkdir(parents=True)
    signal.signal(signal.SIGTERM, lambda signum, _frame: sys.exit(128 + signum))
    problems: list[str] = []
    with tempfile.TemporaryDirectory(prefix="pw-history-bench-") as tmp:
        work = args.keep.resolve() if args.keep else Path(tmp)
        sizes = (args.small, args.large)
        configs = {}
        servers = []
        for size in sizes:
            started = time.perf_counter()
            configs[size], found, server = build(work / f"db{size}", size, args.timeout)
            servers.append(server)
            problems += [f"{size}: {p}" for p in found]
            print(f"# built {size}: {time.perf_counter() - started:.0f} s", file=sys.stderr)
        results: dict[tuple[int, str], list[dict[str, float]]] = {(s, st): [] for s in sizes for st in STEPS}
        for _ in range(args.rounds):
            for size in sizes:
                for step in STEPS:
                    r = measure(configs[size], step, work / f"db{size}", args.timeout)
                    if r is None:
                        problems.append(f"{size} {step}: child failed")
                    else:
                        results[(size, step)].append(r)
        polls: dict[int, list[float]] = {size: [] for size in sizes}
        for _ in range(args.rounds):  # the whole unchanged poll, as cron runs it
            for size in sizes:
                cli = [str(BIN / "policywatch"), "--config", str(configs[size])]
                for server in servers:
                    server.clear()
                code, cpu, _, _ = run_child([*cli, "run", "--all"], work / f"db{size}", args.timeout)
                answered = [r for server in servers for r in server.requested()]
                if code or any(r.status != 304 for r in answered):
                    problems.append(f"{size} run --all: exit {code}, {len(answered)} answers not all 304")
                else:
                    polls[size].append(cpu)
        for server in servers:
            server.stop()
        few = max(1, args.rules_versions // 10)
        rules_configs = {
            n: build_rules_db(work / f"rules{n}", n, args.rules_rows) for n in (few, args.rules_versions)
        }
        rss: dict[int, list[float]] = {n: [] for n in rules_configs}
        for _ in range(args.rounds):
            for n, config in rules_configs.items():
                code, kib, rows = rules_show(config, config.parent, args.timeout)
                if code != 0 or rows != args.rules_rows:
                    problems.append(f"rules show on {n} versions: exit {code}, {rows} rows")
                else:
                    rss[n].append(kib / 1024)
        print(f"setup: {SOURCES} sources, list_pages {LIST_PAGES}, sizes {sizes}, {args.rounds} rounds")
        for size in sizes:
            print(f"open operator alerts at {size}: {count_alerts(work / f'db{size}' / 'pw.db')}")
        for step in STEPS:
            for size in sizes:
                runs = results[(size, step)]
                if not runs:
                    continue
                print(f"{step} CPU s at {size}: {spread([r['cpu'] for r in runs], '.3f')}")
                print(f"{step} SQL statements at {size}: {spread([r['statements'] for r in runs], '.0f')}")
                print(
                    f"{step} operator_alerts writes at {size}: {spread([r['alert_writes'] for r in runs], '.0f')}"
                )
            small, large = results[(sizes[0], step)], results[(sizes[1], step)]
            if small and large:
                a = statistics.median(r["cpu"] for r in small)
                b = statistics.median(r["cpu"] for r in large)
                print(f"{step} CPU ratio {sizes[1]}/{sizes[0]} (medians): {b / a:.2f}" if a else "n/a")
        for size in sizes:
            if polls[size]:
                print(f"unchanged poll (run --all) CPU s at {size}: {spread(polls[size], '.3f')}")
        if polls[sizes[0]] and polls[sizes[1]]:
            a, b = statistics.median(polls[sizes[0]]), statistics.median(polls[sizes[1]])
            print(f"unchanged poll CPU ratio {sizes[1]}/{sizes[0]} (medians): {b / a:.2f}")
        for n, values in rss.items():
            if values:
                print(
                    f"rules show peak RSS MB, {n} versions x {args.rules_rows} rows: {spread(values, '.0f')}"
                )
        print(f"harness problems: {len(problems)}")
        for p in problems:
            print(f"# {p}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
