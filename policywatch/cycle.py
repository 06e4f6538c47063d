"""One cycle: crawl → parse and version → queue → send due digests and operator alerts.

`policywatch run` runs one cycle; the daemon runs one per scheduled crawl (and the notify
part alone on ``schedule.notify``). Each step is isolated: an exception is logged,
recorded in the report, and the next steps still run, because every step reads its work
from the database (unparsed versions, released changes, pending deliveries) rather than
from the step before. A cycle interrupted anywhere is therefore completed by the next one.

Sources whose known pages all answer 304 are recorded without starting Scrapy
(crawlers/precheck.py). The others are crawled in a child process (crawlers/runner.py:
Scrapy's reactor cannot restart) or, in the daemon, on its warm in-process reactor
(crawlers/in_process.py).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from crawlers.health import SourceHealth
from crawlers.registry import SourceDefinition
from policywatch.context import AppContext

log = logging.getLogger("policywatch.cycle")


@dataclass
class StepResult:
    name: str
    ok: bool
    seconds: float
    detail: str = ""


@dataclass
class CycleReport:
    steps: list[StepResult] = field(default_factory=list)
    health: list[SourceHealth] = field(default_factory=list)
    cancelled: bool = False

    @property
    def failed_steps(self) -> list[StepResult]:
        return [s for s in self.steps if not s.ok]

    @property
    def failed_sources(self) -> list[SourceHealth]:
        return [h for h in self.health if h.failed]

    @property
    def ok(self) -> bool:
        return not self.failed_steps and not self.failed_sources and not self.cancelled

    def summary(self) -> str:
        parts = [f"{s.name} {'ok' if s.ok else 'FAILED'} {s.seconds:.1f}s" for s in self.steps]
        if self.health:
            bad = ", ".join(f"{h.source_id}={h.status}" for h in self.failed_sources)
            parts.append(
                f"sources {len(self.health) - len(self.failed_sources)}/{len(self.health)} ok"
                + (f" ({bad})" if bad else "")
            )
        if self.cancelled:
            parts.append("cancelled")
        return "; ".join(parts)

    def to_json(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "cancelled": self.cancelled,
            "steps": [s.__dict__ for s in self.steps],
            "sources": [h.to_json() for h in self.health],
        }


class Step:
    """Runs one named step, timing it and turning an exception into a failed StepResult."""

    def __init__(self, report: CycleReport) -> None:
        self.report = report

    def __call__(self, name: str, fn: Callable[[], str]) -> bool:
        start = time.monotonic()
        try:
            detail = fn()
            ok = True
        except Exception as exc:
            log.exception("cycle step %s failed", name)
            detail, ok = f"{type(exc).__name__}: {exc}", False
        result = StepResult(name, ok, time.monotonic() - start, detail)
        self.report.steps.append(result)
        log.info(
            "step %s: %s in %.1fs%s",
            name,
            "ok" if ok else "failed",
            result.seconds,
            f": {detail}" if detail else "",
        )
        return ok


# -- the steps ------------------------------------------------------------------------


def crawl(
    ctx: AppContext,
    source_ids: list[str] | None,
    *,
    precheck: bool = False,
    stop: threading.Event | None = None,
) -> list[SourceHealth]:
    """Crawl the given (or all enabled) sources (see the module docstring for where); an
    unknown id raises SourceError.

    With ``precheck``, sources whose known pages all answer 304 are recorded as crawled
    without starting Scrapy (crawlers/precheck.py); only the others are crawled.
    """
    from crawlers.registry import select_sources

    config = ctx.config.crawl_config()
    sources = select_sources(config, source_ids)
    ctx.database()  # create or check the schema once, before the child process uses it
    health: list[SourceHealth] = []
    ids = [s.id for s in sources]
    if precheck:
        from crawlers.precheck import precheck_sources

        try:
            checked = precheck_sources(config, sources)  # the real clock, as the spider decides
        except Exception as exc:  # noqa: BLE001 - the crawl reads every source instead
            log.warning("pre-check failed (%s: %s): crawling every source", type(exc).__name__, exc)
        else:
            health, ids = checked.unchanged, checked.to_crawl
        if not ids:
            log.info("all %d sources unchanged (every request answered 304): no crawl", len(health))
            return health
    if stop is not None and stop.is_set():
        log.info("shutdown requested: %d sources left for the next cycle", len(ids))
        failed = [SourceHealth(sid, "failing", errors=1, message="not crawled: shutdown") for sid in ids]
        return health + failed
    log.info("crawling %d sources: %s", len(ids), ", ".join(ids))
    if ctx.in_process_crawler is not None:
        try:
            crawled = ctx.in_process_crawler.crawl(config, ids)
        except Exception as exc:  # noqa: BLE001 - each source gets a failing health, and a retry
            log.error("the crawl could not run: %s: %s", type(exc).__name__, exc)
            message = f"the crawl could not run: {type(exc).__name__}: {exc}"
            crawled = [SourceHealth(sid, "failing", errors=1, message=message) for sid in ids]
            _record_failed(ctx, [s for s in sources if s.id in ids], crawled)
    else:
        from crawlers.runner import crawl_sources

        crawled = crawl_sources(config, ids, cwd=ctx.config.base_dir, processes=ctx.crawl_processes)
    order = {s.id: n for n, s in enumerate(sources)}
    return sorted(health + crawled, key=lambda h: order.get(h.source_id, len(order)))


def _record_failed(ctx: AppContext, sources: list[SourceDefinition], failed: list[SourceHealth]) -> None:
    """Crawl rows for sources whose crawl never ran, so that coverage and retries see them."""
    from crawlers.store import record_health, source_record
    from storage.documents import sync_sources
    from storage.tables import utcnow

    now = utcnow()
    with ctx.database().begin() as session:
        sync_sources(session, [source_record(s) for s in sources])
        for h in failed:
            record_health(session, h, now)


def process(ctx: AppContext) -> str:
    from parsers import PARSER_VERSION
    from storage.documents import announcements_due

    with ctx.database().begin() as session:  # an idle cycle must not load the parsers and rules
        if not announcements_due(session, PARSER_VERSION):
            return "0 documents parsed, 0 versions, 0 changes released, 0 held"
    from policywatch.pipeline import process_new_versions

    rep = process_new_versions(ctx.database(), limits=ctx.config.parse_limits())
    detail = (
        f"{rep.documents} documents parsed, {rep.versions} versions, "
        f"{rep.changes_released} changes released, {rep.changes_held} held"
    )
    if rep.failures:
        raise RuntimeError(f"{detail}; {len(rep.failures)} failures: {rep.failures[0]}")
    return detail


def notify(ctx: AppContext, *, flush: bool = False) -> str:
    """Queue released changes, send operator alerts and the digests that are due."""
    from notifier.delivery import run_notify
    from policywatch.coverage import monitored_sources

    result = run_notify(
        ctx.database(), ctx.config.notify_settings(), flush=flush, monitored=monitored_sources(ctx)
    )
    detail = (
        f"{result.queued} queued, {result.sent} sent, {result.failed} failed, "
        f"{result.deferred} deferred, {result.pending} pending, {result.alerts_sent} alerts"
    )
    if not result.ok:
        raise RuntimeError(detail + (f"; {result.errors[0]}" if result.errors else ""))
    return detail


# -- the cycle ------------------------------------------------------------------------


def run_cycle(
    ctx: AppContext,
    source_ids: list[str] | None,
    *,
    do_crawl: bool = True,
    stop: threading.Event | None = None,
    pipeline_lock: threading.Lock | None = None,
) -> CycleReport:
    """Crawl ``source_ids`` (None: every enabled source), then process and notify.

    ``stop`` (set on shutdown) skips the steps not started yet; they are redone by the next
    cycle. ``pipeline_lock`` serialises the database steps of concurrent daemon jobs.
    """
    report = CycleReport()
    step = Step(report)
    if do_crawl and source_ids != []:

        def _crawl() -> str:
            report.health = crawl(ctx, source_ids, precheck=True, stop=stop)
            return ", ".join(f"{h.source_id}={h.status}" for h in report.health)

        step("crawl", _crawl)
    lock = pipeline_lock or threading.Lock()
    for name, fn in (("process", lambda: process(ctx)), ("notify", lambda: notify(ctx))):
        with lock:
            if stop is not None and stop.is_set():
                report.cancelled = True
                log.info("shutdown requested: step %s left for the next cycle", name)
                break
            step(name, fn)
    # A stop that comes after the last step has started cancels nothing: every step ran,
    # so the run counts as done (a "cancelled" run would be redone at the next start).
    return report
