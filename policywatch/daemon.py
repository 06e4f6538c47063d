"""The long-running daemon: APScheduler 3 cron jobs that run cycles, one daemon per database.

Why a plain ``BackgroundScheduler`` with a thread pool: every crawl runs in a child process
(crawlers/runner.py, ``python -m crawlers.run``), so no Twisted reactor lives in the
daemon. Scrapy's reactor cannot be restarted in one process; a child per crawl sidesteps
that, returns all crawl memory to the OS after each crawl (RSS of the daemon stays flat,
see bench/daemon_memory.py), and lets shutdown cancel a crawl by signalling one process.
A job thread just waits for its child; the price is ~1-2 s of interpreter start per crawl,
nothing next to a crawl with polite download delays.

Jobs: one per source (``crawl:<id>``, the source's cron or ``schedule.crawl``, jittered by
``schedule.jitter_seconds``) and ``notify`` (``schedule.notify``). All coalesce, never
overlap (max_instances 1), and have an explicit misfire grace. The job store is in memory
and rebuilt from the config at each start; a run missed while the daemon was down is
found from ``job_runs`` (storage/jobs.py) and run once at start, whatever the number of
missed slots. A crawl whose source could not be read is retried after its backoff
(policywatch/retry.py) when that comes before the next slot: at start, and after each
failed run. `policywatch run` decides what is due with the same ``jobs_due``.
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
from dataclasses import dataclass
from types import FrameType
from zoneinfo import ZoneInfo

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler

from crawlers.registry import load_sources
from policywatch.context import AppContext
from policywatch.coverage import coverage_at
from policywatch.crontab import cron_trigger, missed_since
from policywatch.cycle import run_cycle
from policywatch.process_lock import Lease, LockHeld
from policywatch.retry import RetryWait, retry_wait
from storage.jobs import finish_run, last_completed_start, mark_interrupted, start_run
from storage.models import utcnow

log = logging.getLogger("policywatch.daemon")

NOTIFY_JOB = "notify"
CRAWL_PREFIX = "crawl:"
MAX_PARALLEL_JOBS = 4  # crawl children at once; each is a separate Scrapy process


@dataclass(frozen=True)
class JobSpec:
    """A scheduled job as the config defines it."""

    id: str
    cron: str
    source_ids: tuple[str, ...]  # empty: the notify job (no crawl)
    jitter: int = 0

    @property
    def crawls(self) -> bool:
        return bool(self.source_ids)


def job_specs(ctx: AppContext) -> list[JobSpec]:
    """One crawl job per enabled source (its own cron or the global one), plus notify."""
    schedule = ctx.config.schedule
    specs = [
        JobSpec(CRAWL_PREFIX + s.id, s.schedule or schedule.crawl, (s.id,), schedule.jitter_seconds)
        for s in load_sources(ctx.config.crawl_config())
    ]
    specs.append(JobSpec(NOTIFY_JOB, schedule.notify, ()))
    return specs


def catch_up_jobs(ctx: AppContext, specs: list[JobSpec], now: dt.datetime) -> set[str]:
    """Jobs with a slot since their last completed run (or none ever): run once at start."""
    tz = ctx.config.schedule.timezone
    due = set()
    with ctx.database().begin() as session:
        for spec in specs:
            last = last_completed_start(session, spec.id)
            if missed_since(spec.cron, tz, last, now):
                due.add(spec.id)
    return due


@dataclass(frozen=True)
class DueJobs:
    """What to run now, and the crawls that wait only for a failed source's backoff."""

    due: set[str]
    retries: dict[str, RetryWait]  # job id -> its source's retry (jobs not due now)


def jobs_due(ctx: AppContext, specs: list[JobSpec], now: dt.datetime) -> DueJobs:
    """Due: a cron slot passed since the job's last completed run (catch_up_jobs), or its
    source could not be read at its last crawl and the backoff since that attempt is over."""
    due = catch_up_jobs(ctx, specs, now)
    readings = {r.source.id: r for r in coverage_at(ctx, now).readings}
    retries: dict[str, RetryWait] = {}
    for spec in specs:
        waits = [w for sid in spec.source_ids if sid in readings and (w := retry_wait(readings[sid]))]
        if spec.id in due or not waits:
            continue
        first = min(waits, key=lambda w: w.at)
        if first.at <= now:
            due.add(spec.id)
        else:
            retries[spec.id] = first
    return DueJobs(due, retries)


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

    def run_job(self, spec: JobSpec) -> None:
        """One scheduled run: a cycle, bracketed by a job_runs row."""
        if self.stop.is_set():
            return
        with self._tracked():
            sessions = self.ctx.database()
            with sessions.begin() as session:
                run_id = start_run(session, spec.id)
            log.info("job %s started", spec.id)
            try:
                report = run_cycle(
                    self.ctx,
                    list(spec.source_ids),
                    do_crawl=spec.crawls,
                    stop=self.stop,
                    pipeline_lock=self.pipeline_lock,
                )
                status = "cancelled" if report.cancelled else ("ok" if report.ok else "failed")
                detail = report.summary()
            except Exception as exc:  # run_cycle isolates steps; this is a last resort
                log.exception("job %s crashed", spec.id)
                status, detail = "failed", f"{type(exc).__name__}: {exc}"
            with sessions.begin() as session:
                finish_run(session, run_id, status, detail[:2000])
            log.info("job %s %s: %s", spec.id, status, detail)
            if spec.crawls and status == "failed":
                self.retry_early(spec, utcnow())

    def retry_early(self, spec: JobSpec, now: dt.datetime) -> None:
        """After a crawl that could not read its source: run the job again at the retry time,
        if that comes before its next cron slot (the slot after it is the trigger's again)."""
        wait = jobs_due(self.ctx, [spec], now).retries.get(spec.id)
        job = self.scheduler.get_job(spec.id)
        if wait is None or job is None or (job.next_run_time and job.next_run_time <= wait.at):
            return
        job.modify(next_run_time=wait.at)
        log.info("job %s: retry %s", spec.id, wait.describe(self.tz))

    def add_jobs(self, now: dt.datetime) -> None:
        specs = job_specs(self.ctx)
        plan = jobs_due(self.ctx, specs, now)
        for spec in specs:
            trigger = cron_trigger(spec.cron, self.tz)
            if spec.jitter:
                trigger.jitter = spec.jitter
            kwargs = {}
            wait = plan.retries.get(spec.id)
            slot = trigger.get_next_fire_time(None, now)
            if spec.id in plan.due:
                delay = random.uniform(0, spec.jitter) if spec.jitter else 0.0
                kwargs["next_run_time"] = now + dt.timedelta(seconds=delay)
                log.info("job %s is due (a missed slot or a retry): running it once now", spec.id)
            elif wait is not None and (slot is None or wait.at < slot):
                kwargs["next_run_time"] = wait.at
                log.info("job %s: retry %s", spec.id, wait.describe(self.tz))
            self.scheduler.add_job(
                self.run_job, trigger, args=[spec], id=spec.id, name=spec.id, replace_existing=True, **kwargs
            )

    # -- signals and shutdown --
    def request_stop(self, reason: str = "") -> None:
        if not self.stop.is_set():
            log.info(
                "stopping%s: no new jobs; running ones get %ss",
                f" ({reason})" if reason else "",
                self.schedule.shutdown_grace_seconds,
            )
        self.stop.set()

    def _on_signal(self, signum: int, _frame: FrameType | None) -> None:
        self._signals += 1
        name = signal.Signals(signum).name
        if self._signals > 1:
            log.warning("%s again: cancelling running crawls now", name)
            self.ctx.crawl_processes.terminate(wait_seconds=5)
        self.request_stop(f"received {name}")

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
            n = self.ctx.crawl_processes.terminate(wait_seconds=max(1.0, min(10.0, grace / 2)))
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
        log.info("daemon stopped%s", "" if clean else " (a job thread was still busy)")
        if lease.lost:
            log.error("exiting with 1: the database lock was lost")
            return 1
        return 0 if clean else -1
