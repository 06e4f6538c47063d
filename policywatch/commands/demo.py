"""`policywatch demo`: the whole product offline, in a minute, on a bundled sample site.

Starts the sample site (policywatch/demo/sample_site.py) on a free 127.0.0.1 port, runs a
full cycle with a throw-away SQLite database and the .eml outbox, switches the site to its
"later" state, runs again, and prints the diff report and where the digest went. Nothing
keeps running afterwards; the work folder is removed unless ``--keep DIR`` is given.
"""

from __future__ import annotations

import argparse
import email
import email.policy
import shutil
import sys
import tempfile
from email.message import EmailMessage
from pathlib import Path

from notifier.report import render_report
from policywatch.config import load_config
from policywatch.context import AppContext, OperationalError
from policywatch.coverage import coverage_at, coverage_note
from policywatch.cycle import run_cycle
from policywatch.demo.sample_site import sample_config, write_sample_site
from policywatch.site_server import SiteServer
from rules.changes import Change
from storage.rulesets import query_changes
from storage.subscribers import SubscriptionRequest, upsert_subscriber

DEMO_SUBSCRIBER = "electrician@example.org"


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser("demo", help="run the whole pipeline offline on a bundled sample site")
    parser.add_argument("--keep", metavar="DIR", help="keep the database, site, outbox and reports in DIR")
    parser.set_defaults(handler=run)


def _say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def _html_part(message: EmailMessage) -> str | None:
    part = message.get_body(preferencelist=("html",))
    return part.get_content() if part is not None else None  # type: ignore[no-any-return]


def _shown(path: Path) -> str:
    """``path`` as the user can type it from where they ran the demo (relative when inside it)."""
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def run(ctx: AppContext, args: argparse.Namespace) -> int:
    if args.keep:
        work = Path(args.keep).resolve()
        if work.exists() and any(work.iterdir()):
            raise OperationalError(f"{work} is not empty: give --keep a new or empty folder")
        work.mkdir(parents=True, exist_ok=True)
    else:
        work = Path(tempfile.mkdtemp(prefix="policywatch-demo-"))
    site = SiteServer(write_sample_site(work / "site"), "base").start()
    try:
        return _demo(ctx, work, site, keep=bool(args.keep))
    finally:
        site.stop()
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


def _demo(outer: AppContext, work: Path, site: SiteServer, *, keep: bool) -> int:
    config_path = work / "policywatch.toml"
    outbox = work / "outbox"
    config_path.write_text(
        sample_config(site.base_url, f"sqlite:///{work / 'policywatch.db'}", outbox), encoding="utf-8"
    )
    ctx = AppContext(config=load_config(str(config_path)), json_output=False)
    with ctx.database().begin() as session:
        upsert_subscriber(
            session, SubscriptionRequest(email=DEMO_SUBSCRIBER, name="示例电工", frequency="immediate")
        )
    _say(f"demo: sample site on {site.base_url}, work folder {work}")
    _say(f"demo: subscriber {DEMO_SUBSCRIBER} (electrician family, every region, immediate digests)")

    _say("demo: cycle 1 — first crawl of the sample site (every rule set is a quiet baseline)")
    first = run_cycle(ctx, None)
    _say(f"demo: cycle 1: {first.summary()}")
    before_second = set(outbox.glob("*.eml")) if outbox.exists() else set()

    site.set_state("later")
    _say(
        "demo: the sample site changes: 泉州 初级工积分 10→15, 2026 紧缺目录 adds 电工 and drops 中式烹调师,"
    )
    _say("demo:   厦门 re-publishes its page with formatting-only edits, an older 2023 notice appears")
    second = run_cycle(ctx, None)
    _say(f"demo: cycle 2: {second.summary()}")

    with ctx.database().begin() as session:
        related = [Change.from_json(r.payload) for r in query_changes(session, since=None)]
        everything = [
            Change.from_json(r.payload) for r in query_changes(session, since=None, electrician_only=False)
        ]
    coverage = coverage_note(ctx, coverage_at(ctx, ctx.now()))
    report = render_report(related, "text", title="policywatch demo: 电工相关政策变化", coverage=coverage)
    print(report, end="" if report.endswith("\n") else "\n")
    others = len(everything) - len(related)
    if others:
        # a command that works from the folder the user ran the demo in: the demo's own config
        where = f"policywatch --config {_shown(config_path)}" if keep else "policywatch demo --keep DIR, then"
        print(f"(+{others} change(s) not related to electricians: `{where} diff-report --all`)")

    (work / "diff-report.html").write_text(
        render_report(everything, "html", title="policywatch demo: 全部政策变化", coverage=coverage),
        encoding="utf-8",
    )
    digests = sorted(set(outbox.glob("*.eml")) - before_second) if outbox.exists() else []
    print()
    if not digests:
        print("no digest was written (nothing electrician-related changed?)")
    for eml in digests:
        message = email.message_from_bytes(eml.read_bytes(), policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        html_copy = eml.with_suffix(".html")
        html_part = _html_part(message)
        if html_part is not None:
            html_copy.write_text(html_part.replace("\r\n", "\n"), encoding="utf-8")
        print(f"digest to {message['To']}: {message['Subject']}")
        print(f"  .eml:  {eml}")
        if html_part is not None:
            print(f"  .html: {html_copy}")
    print(f"diff report (html): {work / 'diff-report.html'}")
    if not keep:
        print("(the work folder is removed on exit: run `policywatch demo --keep DIR` to keep these files)")
    return 0 if first.ok and second.ok else 1
