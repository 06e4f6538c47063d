"""The long-running daemon: APScheduler 3 cron jobs that run cycles, one daemon per database.

Crawls run on a warm in-process reactor (crawlers/in_process.py), installed once in a
background thread: the ~2 CPU s of a fresh Scrapy process per crawl is paid once per
daemon, and sources whose known pages all answer 304 never reach Scrapy at all
(crawlers/precheck.py). bench/daemon_memory.py checks that memory stays flat over hundreds
of cycles. APScheduler's ``BackgroundScheduler`` runs the jobs in a thread pool; a job
thread waits for the crawl; shutdown cancels a running crawl through the crawler.

Bookkeeping is per source (``crawl:<id>`` in ``job_runs``, its own cron or
``schedule.crawl``) and ``notify`` (``schedule.notify``); scheduling is per slot: the
sources that share a cron are crawled together, in one crawl, by one job (``slot:<cron>``,
jittered by ``schedule.jitter_seconds``). All jobs coalesce, never overlap (max_instances
1), and have an explicit misfire grace. The job store is in memory and rebuilt from the
config at each start; the runs missed while the daemon was down are found from
``job_runs`` (storage/jobs.py) and run once at start, together (``catch-up``), whatever the
number of missed slots. A crawl whose source could not be read is retried alone
(``crawl:<id>``) after its backoff (policywatch/retry.py) when that comes before its next
slot. `policywatch run` decides what is due with the same ``jobs_due``.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import random
import signal
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType
from zoneinfo import ZoneInfo

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.date import DateTrigger

from crawlers.in_process import InProcessCrawler
from policywatch.context import AppContext
from policywatch.crontab import cron_trigger
from policywatch.cycle import CycleReport, run_cycle
from policywatch.jobs import JobSpec, job_specs, jobs_due, slot_groups
from policywatch.process_lock import Lease, LockHeld
from policywatch.retry import RetryWait
from storage.jobs import finish_run, mark_interrupted, start_run
from storage.tables import utcnow

log = logging.getLogger("policywatch.daemon")

SLOT_PREFIX = "slot:"  # the scheduled crawl of every source sharing a cron
CATCH_UP_JOB = "catch-up"  # what was missed while the daemon was down, run once at start
MAX_PARALLEL_JOBS = 4  # job threads; crawls themselves take turns on the one reactor


def _status(report: CycleReport | None, spec: JobSpec) -> str:
    """How a run went for one spec: a crawl spec fails with its source, every spec with a step."""
    if report is None:
        return "failed"
    if report.cancelled:
        return "cancelled"
    if report.failed_steps:
        return "failed"
    health = {h.source_id: h for h in report.health}
    if any(sid not in health or health[sid].failed for sid in spec.source_ids):
        return "failed"
    return "ok"


class Daemon:
    def __init__(self, ctx: AppContext) -> None:
        self.ctx = ctx
        self.schedule = ctx.config.schedule
        self.tz = ZoneInfo(self.schedule.timezone)
        self.stop = threading.Event()
        self.pipeline_lock = threading.Lock()
        self._running = 0
        self._idle = threading.Condition()
        self._signals = 0
        self.scheduler = BackgroundScheduler(
            timezone=self.tz,
            executors={"default": ThreadPoolExecutor(MAX_PARALLEL_JOBS)},
            job_defaults={
                "coalesce": True,
                "max_instances": 1,
                "misfire_grace_time": self.schedule.misfire_grace_seconds,
            },
        )

    # -- jobs --
    @contextmanager
    def _tracked(self) -> Iterator[None]:
        with self._idle:
            self._running += 1
        try:
            yield
        finally:
            with self._idle:
                self._running -= 1
                self._idle.notify_all()

    def run_jobs(self, specs: list[JobSpec]) -> None:
        """One scheduled run: one cycle for all the specs' sources, a job_runs row per spec."""
        if self.stop.is_set() or not specs:
            return
        names = ", ".join(spec.id for spec in specs)
        with self._tracked():
            sessions = self.ctx.database()
            with sessions.begin() as session:
                run_ids = {spec.id: start_run(session, spec.id) for spec in specs}
            log.info("job %s started", names)
            source_ids = [sid for spec in specs for sid in spec.source_ids]
            report: CycleReport | None = None
            try:
                report = run_cycle(
                    self.ctx,
                    source_ids,
                    do_crawl=bool(source_ids),
                    stop=self.stop,
                    pipeline_lock=self.pipeline_lock,
                )
                detail = report.summary()
            except Exception as exc:  # run_cycle isolates steps; this is a last resort
                log.exception("job %s crashed", names)
                detail = f"{type(exc).__name__}: {exc}"
            statuses = {spec.id: _status(report, spec) for spec in specs}
            with sessions.begin() as session:
                for spec in specs:
                    finish_run(session, run_ids[spec.id], statuses[spec.id], detail[:2000])
            for spec in specs:
                log.info("job %s %s: %s", spec.id, statuses[spec.id], detail)
            now = utcnow()
            for spec in specs:
                if spec.crawls and statuses[spec.id] == "failed":
                    self.retry_early(spec, now)

    def retry_early(self, spec: JobSpec, now: dt.datetime) -> None:
        """After a crawl that could not read its source: crawl it alone at the retry time
        (job ``crawl:<id>``), if that comes before the next slot of its cron."""
        wait = jobs_due(self.ctx, [spec], now).retries.get(spec.id)
        self._schedule_retry(spec, wait, now)

    def _next_slot(self, spec: JobSpec, now: dt.datetime) -> dt.datetime | None:
        """When the slot job of the spec's cron runs next (a job not yet started: from its cron)."""
        slot = self.scheduler.get_job(SLOT_PREFIX + spec.cron)
        if slot is not None and hasattr(slot, "next_run_time"):
            return slot.next_run_time  # type: ignore[no-any-return]
        return cron_trigger(spec.cron, self.tz).get_next_fire_time(None, now)

    def _schedule_retry(self, spec: JobSpec, wait: RetryWait | None, now: dt.datetime) -> None:
        slot = self._next_slot(spec, now)
        if wait is None or (slot is not None and slot <= wait.at):
            if self.scheduler.get_job(spec.id) is not None:  # the slot crawls it first
                self.scheduler.remove_job(spec.id)
            return
        self.scheduler.add_job(
            self.run_jobs,
            DateTrigger(wait.at),
            args=[[spec]],
            id=spec.id,
            name=spec.id,
            replace_existing=True,
        )
        log.info("job %s: retry %s", spec.id, wait.describe(self.tz))

    def add_jobs(self, now: dt.datetime) -> None:
        specs = job_specs(self.ctx)
        plan = jobs_due(self.ctx, specs, now)
        scheduled = [(SLOT_PREFIX + cron, cron, group) for cron, group in slot_groups(specs).items()]
        scheduled += [(spec.id, spec.cron, [spec]) for spec in specs if not spec.crawls]
        for job_id, cron, group in scheduled:
            trigger = cron_trigger(cron, self.tz)
            if self.schedule.jitter_seconds and job_id.startswith(SLOT_PREFIX):
                trigger.jitter = self.schedule.jitter_seconds
            self.scheduler.add_job(
                self.run_jobs, trigger, args=[group], id=job_id, name=job_id, replace_existing=True
            )
        due = [spec for spec in specs if spec.id in plan.due]
        if due:
            jitter = self.schedule.jitter_seconds
            delay = random.uniform(0, jitter) if jitter and any(s.crawls for s in due) else 0.0
            self.scheduler.add_job(
                self.run_jobs,
                DateTrigger(now + dt.timedelta(seconds=delay)),
                args=[due],
                id=CATCH_UP_JOB,
                name=CATCH_UP_JOB,
                replace_existing=True,
            )
            log.info(
                "due now (a missed slot or a retry): %s, run once together", ", ".join(s.id for s in due)
            )
        for spec in specs:
            if spec.id in plan.retries:
                self._schedule_retry(spec, plan.retries[spec.id], now)

    # -- signals and shutdown --
    def request_stop(self, reason: str = "") -> None:
        if not self.stop.is_set():
            log.info(
                "stopping%s: no new jobs; running ones get %ss",
                f" ({reason})" if reason else "",
                self.schedule.shutdown_grace_seconds,
            )
        self.stop.set()
        if self.ctx.in_process_crawler is not None:
            self.ctx.in_process_crawler.refuse_new()

    def _on_signal(self, signum: int, _frame: FrameType | None) -> None:
        self._signals += 1
        name = signal.Signals(signum).name
        if self._signals > 1:
            log.warning("%s again: cancelling running crawls now", name)
            self._cancel_crawls(wait_seconds=5)
        self.request_stop(f"received {name}")

    def _cancel_crawls(self, wait_seconds: float) -> int:
        """Ask the running crawl to stop; one still running after ``wait_seconds`` is cut off."""
        crawler = self.ctx.in_process_crawler
        n = self.ctx.crawl_processes.terminate(wait_seconds=wait_seconds)
        if crawler is not None and crawler.cancel():
            n += 1
            deadline = time.monotonic() + wait_seconds
            while crawler.busy and time.monotonic() < deadline:
                time.sleep(0.1)
            if crawler.busy:
                log.warning("the crawl did not stop within %gs: stopping its reactor", wait_seconds)
                crawler.abort()
        return n

    def _wait_idle(self, seconds: float) -> bool:
        deadline = time.monotonic() + seconds
        with self._idle:
            while self._running:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._idle.wait(left)
        return True

    def shutdown(self) -> bool:
        """Stop taking jobs, let running ones finish within the grace, else cancel the crawl.

        Returns whether every job thread ended (else the process must exit without them).
        """
        self.scheduler.pause()
        grace = float(self.schedule.shutdown_grace_seconds)
        clean = self._wait_idle(grace)
        if not clean:
            n = self._cancel_crawls(wait_seconds=max(1.0, min(10.0, grace / 2)))
            log.warning("shutdown grace of %gs over: cancelled %d crawl process(es)", grace, n)
            clean = self._wait_idle(5.0)
        self.scheduler.shutdown(wait=False)
        return clean

    # -- main --
    def _acquire(self, lease: Lease, standby: bool) -> bool:
        """Take the lease; as a standby, wait for it (False: stopped while waiting)."""
        if not standby:
            lease.acquire("daemon")  # LockHeld -> the CLI prints it and exits 1
            return True
        waiting = False
        while not self.stop.is_set():
            try:
                lease.acquire("daemon")
                return True
            except LockHeld as exc:
                if not waiting:
                    log.info("standby: %s; waiting for it", exc)
                    waiting = True
            self.stop.wait(max(1.0, lease.lease_seconds / 3))
        return False

    def serve(self, *, standby: bool = False) -> int:
        """Run until a signal (0), or until the lock is lost (1); -1: a job thread is stuck."""
        if logging.getLogger().level > logging.DEBUG:  # its per-run INFO lines repeat ours
            logging.getLogger("apscheduler").setLevel(logging.WARNING)
        sessions = self.ctx.database()
        lease = Lease(sessions, self.schedule.lease_seconds, on_lost=lambda: self.request_stop("lock lost"))
        signal.signal(signal.SIGTERM, self._on_signal)
        signal.signal(signal.SIGINT, self._on_signal)
        if not self._acquire(lease, standby):
            log.info("standby stopped before it took over")
            return 0
        lease.start_heartbeat()
        if self.ctx.in_process_crawler is None:
            self.ctx.in_process_crawler = InProcessCrawler()  # its reactor starts with the first crawl
        try:
            with sessions.begin() as session:
                if n := mark_interrupted(session):
                    log.info("%d job run(s) of a dead process marked interrupted", n)
            self.add_jobs(utcnow())
            self.scheduler.start()
            for job in self.scheduler.get_jobs():
                log.info("job %s: next run %s", job.id, job.next_run_time.isoformat(timespec="seconds"))
            log.info("daemon started (pid %d, timezone %s)", os.getpid(), self.tz.key)
            while not self.stop.wait(0.5):
                pass
            clean = self.shutdown()
        finally:
            lease.release()
            if self.ctx.in_process_crawler is not None:
                self.ctx.in_process_crawler.close()
        log.info("daemon stopped%s", "" if clean else " (a job thread was still busy)")
        if lease.lost:
            log.error("exiting with 1: the database lock was lost")
            return 1
        return 0 if clean else -1
