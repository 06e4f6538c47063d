"""Daemon mechanics without subprocesses: cron forms, catch-up, the lease lock, job bookkeeping,
step isolation in a cycle. They run on SQLite, and on PostgreSQL when configured."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from pathlib import Path

import pytest
from pw_daemon_helpers import SOURCE_ID, daemon_config
from sqlalchemy.orm import Session, sessionmaker

from policywatch import cycle
from policywatch.config import ConfigError, load_config, parse_config
from policywatch.context import AppContext
from policywatch.crontab import cron_trigger, missed_since, next_fire
from policywatch.daemon import Daemon
from policywatch.jobs import catch_up_jobs, job_specs
from policywatch.process_lock import Lease, LockHeld
from storage.jobs import finish_run, last_completed_start, latest_runs, mark_interrupted, start_run
from storage.locks import heartbeat, holder_is_dead_here, lock_state, release, try_acquire

UTC = dt.UTC
SH = "Asia/Shanghai"


def at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=UTC)


# -- cron ---------------------------------------------------------------------------------


def test_five_and_six_field_cron_and_crontab_weekdays() -> None:
    monday_8 = next_fire("0 8 * * 1", "UTC", at("2026-11-24T00:00:00"))  # 2026-11-24 is a Tuesday
    assert monday_8 == at("2026-11-30T08:00:00")
    assert next_fire("0 8 * * 0", "UTC", at("2026-11-24T00:00:00")) == at("2026-11-29T08:00:00")
    assert next_fire("0 8 * * 1-5", "UTC", at("2026-11-24T09:00:00")) == at("2026-11-25T08:00:00")
    assert next_fire("*/5 * * * * *", "UTC", at("2026-11-24T00:00:01")) == at("2026-11-24T00:00:05")
    # The timezone is the config's: 07:00 in Shanghai is 23:00 UTC the day before.
    assert next_fire("0 7 * * *", SH, at("2026-11-24T00:00:00")) == at("2026-11-24T23:00:00")
    with pytest.raises(ValueError):
        cron_trigger("* * *", "UTC")


def test_config_accepts_six_fields_and_rejects_nonsense() -> None:
    cfg = parse_config('[schedule]\ncrawl = "*/5 * * * * *"\n', "t.toml")
    assert cfg.schedule.crawl == "*/5 * * * * *"
    with pytest.raises(ConfigError, match="schedule.crawl"):
        parse_config('[schedule]\ncrawl = "every day"\n', "t.toml")


def test_missed_run_is_decided_from_the_last_recorded_run() -> None:
    now = at("2026-11-24T12:00:00")
    assert missed_since("0 * * * *", "UTC", None, now)  # never ran
    assert missed_since("0 * * * *", "UTC", at("2026-11-21T10:00:00"), now)  # days of slots missed
    assert not missed_since("0 * * * *", "UTC", at("2026-11-24T11:30:00"), at("2026-11-24T11:59:59"))
    assert missed_since("0 * * * *", "UTC", at("2026-11-24T11:00:00"), at("2026-11-24T12:00:01"))


# -- the lease lock -----------------------------------------------------------------------


def test_lease_lock_excludes_a_second_holder_until_it_lapses(sessions: sessionmaker[Session]) -> None:
    t0 = at("2026-11-24T00:00:00")
    with sessions.begin() as s:
        assert try_acquire(s, "pw", "hostA:1:a", lease=30, now=t0)
    with sessions.begin() as s:
        assert not try_acquire(s, "pw", "hostB:2:b", lease=30, now=t0 + dt.timedelta(seconds=10))
        assert try_acquire(s, "pw", "hostA:1:a", lease=30, now=t0 + dt.timedelta(seconds=10))  # re-entrant
        assert heartbeat(s, "pw", "hostA:1:a", now=t0 + dt.timedelta(seconds=20))
    with sessions.begin() as s:  # 40 s after the last heartbeat > 30 s lease: lapsed
        assert not try_acquire(s, "pw", "hostB:2:b", lease=30, now=t0 + dt.timedelta(seconds=45))
        assert try_acquire(s, "pw", "hostB:2:b", lease=30, now=t0 + dt.timedelta(seconds=51))
    with sessions.begin() as s:
        assert not heartbeat(s, "pw", "hostA:1:a")  # the old holder learns it lost the lock
        assert not release(s, "pw", "hostA:1:a")
        state = lock_state(s, "pw")
        assert state is not None and state.holder == "hostB:2:b"
        assert release(s, "pw", "hostB:2:b")
        assert lock_state(s, "pw") is None


def test_a_dead_holder_on_this_host_is_replaced_at_once(sessions: sessionmaker[Session]) -> None:
    import socket

    proc = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True
    )
    dead = f"{socket.gethostname()}:{proc.stdout.strip()}:x"
    assert holder_is_dead_here(dead)
    assert not holder_is_dead_here("some-other-host:1:x")
    with sessions.begin() as s:
        assert try_acquire(s, "pw", dead, lease=3600)
    with sessions.begin() as s:
        assert try_acquire(s, "pw", "me:1:y", lease=3600)


def test_lease_object_refuses_with_a_clear_message(sessions: sessionmaker[Session]) -> None:
    first = Lease(sessions, 60)
    with first:
        with pytest.raises(LockHeld, match="another policywatch daemon or run is already working") as err:
            Lease(sessions, 60).acquire("daemon")
        assert first.holder in str(err.value)
    with Lease(sessions, 60):  # released on exit
        pass


# -- job bookkeeping and catch-up ---------------------------------------------------------


def _ctx(tmp_path: Path, database_url: str, crawl: str = "0 * * * *") -> AppContext:
    cfg = daemon_config(
        tmp_path / "pw.toml", database_url, "http://127.0.0.1:9/", crawl=crawl, notify="*/15 * * * *"
    )
    return AppContext(load_config(str(cfg)))


def test_interrupted_runs_do_not_count_as_done(engine: object, database_url: str, tmp_path: Path) -> None:
    ctx = _ctx(tmp_path, database_url)
    sessions = ctx.database()
    with sessions.begin() as s:
        ok = start_run(s, "crawl:x", now=at("2026-11-24T01:00:00"))
        finish_run(s, ok, "ok", now=at("2026-11-24T01:01:00"))
        start_run(s, "crawl:x", now=at("2026-11-24T02:00:00"))  # killed: stays running
    with sessions.begin() as s:
        assert mark_interrupted(s) == 1
        assert last_completed_start(s, "crawl:x") == at("2026-11-24T01:00:00")
        assert latest_runs(s)["crawl:x"].status == "interrupted"


def test_catch_up_once_after_downtime_not_once_per_slot(
    engine: object, database_url: str, tmp_path: Path
) -> None:
    ctx = _ctx(tmp_path, database_url, crawl="0 * * * *")
    now = at("2026-11-24T12:00:30")
    specs = job_specs(ctx)
    assert [s.id for s in specs] == [f"crawl:{SOURCE_ID}", "notify"]
    with ctx.database().begin() as s:
        run = start_run(s, f"crawl:{SOURCE_ID}", now=at("2026-11-21T09:00:00"))  # three days down
        finish_run(s, run, "ok")
        run = start_run(s, "notify", now=at("2026-11-24T12:00:05"))  # notify ran in this slot
        finish_run(s, run, "ok")
    assert catch_up_jobs(ctx, specs, now) == {f"crawl:{SOURCE_ID}"}

    daemon = Daemon(ctx)
    daemon.add_jobs(now)
    daemon.scheduler.start(paused=True)
    try:
        jobs = {j.id: j for j in daemon.scheduler.get_jobs()}
    finally:
        daemon.scheduler.shutdown(wait=False)
    # One run now for the crawl (dozens of slots were missed), the notify job waits for its slot.
    assert jobs["catch-up"].next_run_time == now
    assert [spec.id for spec in jobs["catch-up"].args[0]] == [f"crawl:{SOURCE_ID}"]
    assert jobs["slot:0 * * * *"].next_run_time > now
    assert jobs["notify"].next_run_time > now
    for job in jobs.values():
        assert job.coalesce is True and job.max_instances == 1 and job.misfire_grace_time == 30


# -- a cycle keeps going when a step fails ------------------------------------------------


def test_a_failing_step_is_recorded_and_the_rest_still_run(
    engine: object, database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ctx = _ctx(tmp_path, database_url)
    calls: list[str] = []

    def broken_crawl(ctx: AppContext, ids: list[str] | None, **_: object) -> list[object]:
        calls.append("crawl")
        raise RuntimeError("crawl child could not start")

    def fake_process(ctx: AppContext) -> str:
        calls.append("process")
        return "0 documents"

    def fake_notify(ctx: AppContext, *, flush: bool = False) -> str:
        calls.append("notify")
        return "0 sent"

    monkeypatch.setattr(cycle, "crawl", broken_crawl)
    monkeypatch.setattr(cycle, "process", fake_process)
    monkeypatch.setattr(cycle, "notify", fake_notify)
    report = cycle.run_cycle(ctx, [SOURCE_ID])
    assert calls == ["crawl", "process", "notify"]
    assert not report.ok
    assert [(s.name, s.ok) for s in report.steps] == [("crawl", False), ("process", True), ("notify", True)]
    assert "crawl child could not start" in report.steps[0].detail


def test_the_heartbeat_thread_notices_a_lost_lease(sessions: sessionmaker[Session]) -> None:
    import threading

    lost = threading.Event()
    lease = Lease(sessions, 3, on_lost=lost.set)
    lease.acquire()
    lease.start_heartbeat()
    try:
        later = dt.datetime.now(UTC) + dt.timedelta(seconds=60)  # as if our heartbeats had stopped
        with sessions.begin() as s:
            assert try_acquire(s, "policywatch", "elsewhere:1:z", lease=3, now=later)
        assert lost.wait(5), "the daemon must stop when another process holds its lock"
        assert lease.lost
    finally:
        lease.release()
    with sessions.begin() as s:  # a lost lease is not released: it is someone else's now
        state = lock_state(s, "policywatch")
        assert state is not None and state.holder == "elsewhere:1:z"


def test_a_crawl_that_cannot_run_fails_its_sources_and_records_them(
    engine: object, database_url: str, tmp_path: Path
) -> None:
    """The warm crawler raising (a spider that cannot be created, a dead reactor) is a failed
    crawl of each source, recorded so that coverage and retries see it, never an unknown."""
    from crawlers.health import SourceHealth
    from storage.documents import last_crawl_runs

    class BrokenCrawler:
        def crawl(self, config: object, ids: list[str]) -> list[SourceHealth]:
            raise RuntimeError("spider could not be created")

    ctx = _ctx(tmp_path, database_url)
    ctx.in_process_crawler = BrokenCrawler()  # type: ignore[assignment]
    health = cycle.crawl(ctx, [SOURCE_ID], precheck=True)  # never crawled: the pre-check hands it on
    assert [(h.source_id, h.status) for h in health] == [(SOURCE_ID, "failing")]
    assert "spider could not be created" in health[0].message
    with ctx.database().begin() as session:
        assert last_crawl_runs(session)[SOURCE_ID].status == "failing"
