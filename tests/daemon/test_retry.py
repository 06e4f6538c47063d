"""Retrying a source that could not be read: the backoff, the due decision `run` and the daemon
share, and the daemon's schedule. Every time is injected; nothing here reads the clock."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from harness import CliResult, run_cli
from pw_daemon_helpers import SOURCE_ID, daemon_config
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from policywatch.config import load_config
from policywatch.context import AppContext
from policywatch.daemon import Daemon
from policywatch.jobs import JobSpec, job_specs, jobs_due
from policywatch.retry import RETRY_CAP, retry_delay
from storage.documents import SourceRecord, sync_sources
from storage.jobs import finish_run, start_run
from storage.models import CrawlRun
from tests.notifier.notify_helpers import closed_port

UTC = dt.UTC
NEVER = "0 0 30 2 *"  # 30 February: no cron slot ever comes, so only retries make a job due
MIN = dt.timedelta(minutes=1)


def at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=UTC)


def ctx_for(tmp_path: Path, database_url: str, crawl: str = NEVER) -> AppContext:
    cfg = daemon_config(tmp_path / "pw.toml", database_url, "http://127.0.0.1:9/", crawl=crawl)
    return AppContext(load_config(str(cfg)))


def crawled(sessions: sessionmaker[Session], *runs: tuple[str, dt.datetime]) -> None:
    """Crawl records of the test source: (status, finished at), each started a minute earlier;
    and the crawl job's bookkeeping, as `run` writes it."""
    with sessions.begin() as s:
        sync_sources(s, [SourceRecord(SOURCE_ID, "海滨市人社局", "hrss", "quanzhou", "trs")])
        for status, finished in runs:
            s.add(
                CrawlRun(source_id=SOURCE_ID, started_at=finished - MIN, finished_at=finished, status=status)
            )
            job = start_run(s, f"crawl:{SOURCE_ID}", now=finished - MIN)
            finish_run(s, job, "ok" if status == "ok" else "failed", now=finished)


def test_backoff_doubles_from_five_minutes_to_a_cap_of_four_hours() -> None:
    assert [retry_delay(n) for n in (1, 2, 3, 4)] == [5 * MIN, 10 * MIN, 20 * MIN, 40 * MIN]
    assert retry_delay(6) == 160 * MIN
    assert retry_delay(7) == RETRY_CAP == dt.timedelta(hours=4)
    assert retry_delay(10_000) == RETRY_CAP  # a source down for months does not overflow


def test_a_failed_source_is_due_after_its_backoff_and_not_before(
    engine: object, database_url: str, tmp_path: Path
) -> None:
    ctx = ctx_for(tmp_path, database_url)
    crawl_job = f"crawl:{SOURCE_ID}"
    specs = [s for s in job_specs(ctx) if s.crawls]
    assert jobs_due(ctx, specs, at("2026-11-20T00:00:00")).due == {crawl_job}  # never ran: due

    failed = at("2026-11-20T00:10:00")
    crawled(ctx.database(), ("failing", failed))
    early = jobs_due(ctx, specs, failed + 4 * MIN)
    assert early.due == set()
    wait = early.retries[crawl_job]
    assert wait.at == failed + 5 * MIN and wait.reading.failures == 1
    assert wait.describe(dt.timezone(dt.timedelta(hours=8))).endswith("retried from 2026-11-20 08:15")
    assert jobs_due(ctx, specs, failed + 5 * MIN).due == {crawl_job}

    again = failed + 6 * MIN  # the retry failed too: now 10 minutes
    crawled(ctx.database(), ("blocked", again))
    assert jobs_due(ctx, specs, again + 9 * MIN).retries[crawl_job].at == again + 10 * MIN
    assert jobs_due(ctx, specs, again + 10 * MIN).due == {crawl_job}

    crawled(ctx.database(), ("ok", again + 11 * MIN))  # read again: back to its cron slots
    assert jobs_due(ctx, specs, again + dt.timedelta(days=30)) == jobs_due(ctx, specs, again + 12 * MIN)
    assert jobs_due(ctx, specs, again + 12 * MIN).due == set()
    assert jobs_due(ctx, specs, again + 12 * MIN).retries == {}


def test_a_missed_slot_is_due_whatever_the_backoff(engine: object, database_url: str, tmp_path: Path) -> None:
    ctx = ctx_for(tmp_path, database_url, crawl="0 * * * *")
    specs = [s for s in job_specs(ctx) if s.crawls]
    crawled(ctx.database(), ("failing", at("2026-11-20T00:58:00")))
    plan = jobs_due(ctx, specs, at("2026-11-20T01:00:30"))  # the 01:00 slot came before the retry
    assert plan.due == {f"crawl:{SOURCE_ID}"} and plan.retries == {}


@pytest.mark.parametrize("crawl", [NEVER, "0 * * * *"])
def test_the_daemon_schedules_the_retry_when_it_comes_before_the_next_slot(
    engine: object, database_url: str, tmp_path: Path, crawl: str
) -> None:
    ctx = ctx_for(tmp_path, database_url, crawl=crawl)
    failed = at("2026-11-20T00:10:00")
    crawled(ctx.database(), ("failing", failed))
    daemon = Daemon(ctx)
    daemon.add_jobs(failed + MIN)  # a start during the backoff
    daemon.scheduler.start(paused=True)
    try:
        job = daemon.scheduler.get_job(f"crawl:{SOURCE_ID}")
        assert job.next_run_time == failed + 5 * MIN  # before 01:00, and before "never"

        crawled(ctx.database(), ("failing", failed + 6 * MIN))  # that retry failed as well
        spec = JobSpec(f"crawl:{SOURCE_ID}", crawl, (SOURCE_ID,))
        daemon.scheduler.remove_job(spec.id)  # a one-off: gone once it ran
        daemon.retry_early(spec, failed + 6 * MIN)
        assert daemon.scheduler.get_job(spec.id).next_run_time == failed + 16 * MIN

        if crawl != NEVER:  # a slot sooner than the retry crawls the source: no retry of its own
            slot = daemon.scheduler.get_job(f"slot:{crawl}")
            slot.modify(next_run_time=failed + 7 * MIN)
            daemon.retry_early(spec, failed + 6 * MIN)
            assert daemon.scheduler.get_job(spec.id) is None
    finally:
        daemon.scheduler.shutdown(wait=False)


def crawl_runs(sessions: sessionmaker[Session]) -> list[CrawlRun]:
    with sessions.begin() as s:
        return list(s.scalars(select(CrawlRun).order_by(CrawlRun.id)))


@pytest.mark.slow
def test_run_retries_a_failed_source_after_its_backoff_and_not_before(
    workdir: Path, database_url: str, sessions: sessionmaker[Session]
) -> None:
    """`run` decides at the hidden --now, taken from the crawl records: no time of day matters."""
    cfg = str(
        daemon_config(workdir / "pw.toml", database_url, f"http://127.0.0.1:{closed_port()}/", crawl=NEVER)
    )
    first = run_cli("--config", cfg, "run", cwd=workdir, timeout=120)
    assert first.code == 1 and f"{SOURCE_ID}=failing" in first.stdout, first.stdout + first.stderr
    (failed,) = crawl_runs(sessions)
    assert failed.finished_at is not None

    def run_at(moment: dt.datetime) -> CliResult:
        return run_cli("--config", cfg, "--now", moment.isoformat(), "run", cwd=workdir, timeout=120)

    early = run_at(failed.finished_at + 4 * MIN)
    assert early.code == 0, early.stderr
    assert "no source due" not in early.stdout
    retry = (failed.finished_at + 5 * MIN).astimezone(ZoneInfo("Asia/Shanghai")).strftime("%Y-%m-%d %H:%M")
    assert "nothing to crawl now: 1 source(s) that could not be read wait for their retry" in early.stdout
    assert f"{SOURCE_ID} (failing, 1 failed crawl(s) in a row): retried from {retry}" in early.stdout
    assert len(crawl_runs(sessions)) == 1

    late = run_at(failed.finished_at + 5 * MIN + dt.timedelta(seconds=1))
    assert late.code == 1 and f"{SOURCE_ID}=failing" in late.stdout, late.stdout
    second = crawl_runs(sessions)[-1]
    assert len(crawl_runs(sessions)) == 2 and second.finished_at is not None

    doubled = run_at(second.finished_at + 9 * MIN)  # two failures in a row: 10 minutes now
    assert doubled.code == 0 and "2 failed crawl(s) in a row" in doubled.stdout
    assert len(crawl_runs(sessions)) == 2
