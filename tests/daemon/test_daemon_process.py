"""`policywatch daemon` in a subprocess against the fixture site and a real SMTP server.

Schedules are 6-field cron (every 2 s). Each daemon runs in its own process group and is
killed with its crawl children in teardown, whatever the test did.
"""

from __future__ import annotations

import signal
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from pw_daemon_helpers import SITE, SOURCE_ID, DaemonProcess, cli_command, daemon_config, wait_for
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from storage.jobs import runs_of
from storage.locks import lock_state
from storage.models import ChangeRecord, Delivery, DocumentVersion, JobRun, RuleSetVersion
from storage.subscribers import SubscriptionRequest, upsert_subscriber

pytestmark = pytest.mark.slow
NEW_PAGE = "t20261110_300002"


@pytest.fixture
def daemons(workdir: Path) -> Iterator[Callable[..., DaemonProcess]]:
    started: list[DaemonProcess] = []

    def start(config: Path, name: str = "daemon", *args: str) -> DaemonProcess:
        proc = DaemonProcess(config, workdir, workdir / f"{name}-{len(started)}.log", *args)
        started.append(proc)
        return proc

    yield start
    for proc in started:
        proc.close()


def count(sessions: sessionmaker[Session], model: Any) -> int:
    with sessions.begin() as s:
        return int(s.scalar(select(func.count()).select_from(model)) or 0)


def subscribe(sessions: sessionmaker[Session], email: str) -> None:
    with sessions.begin() as s:
        upsert_subscriber(s, SubscriptionRequest(email=email, frequency="immediate"))


def crawl_jobs_done(d: DaemonProcess) -> int:
    return d.log().count(f"job crawl:{SOURCE_ID} ok")


def test_change_between_cycles_gives_one_digest_and_sigterm_exits_0(
    workdir: Path,
    database_url: str,
    sessions: sessionmaker[Session],
    site_factory: Any,
    smtp_server: Any,
    daemons: Any,
) -> None:
    site = site_factory(SITE)
    cfg = daemon_config(workdir / "pw.toml", database_url, site.base_url, smtp_port=smtp_server.port, grace=5)
    d = daemons(cfg)
    wait_for(lambda: count(sessions, RuleSetVersion) == 1, 40, "the baseline version", d)
    subscribe(sessions, "worker@example.org")
    site.set_state("later")
    wait_for(lambda: len(smtp_server.messages) == 1, 40, "the digest", d)
    done = crawl_jobs_done(d)
    wait_for(
        lambda: crawl_jobs_done(d) >= done + 2, 30, "two more cycles (one at least fully after the digest)", d
    )
    assert len(smtp_server.messages) == 1, "one digest, never repeated by later cycles"
    mail = smtp_server.messages[0]
    assert mail.rcpt_tos == ["worker@example.org"]
    text = mail.message.get_body(("plain",)).get_content()
    assert "初级工" in text and "10 → 15" in text
    assert "10→15" in str(mail.message["Subject"])

    began = time.monotonic()
    d.signal(signal.SIGTERM)
    assert d.proc.wait(timeout=20) == 0
    assert time.monotonic() - began < 5 + 6  # the grace, then at most ~3 s to cancel a crawl, plus exit
    assert "daemon stopped" in d.log()
    with sessions.begin() as s:
        assert lock_state(s, "policywatch") is None
        assert s.scalar(select(func.count()).select_from(JobRun).where(JobRun.status == "running")) == 0


def test_sigterm_cancels_a_slow_crawl_within_the_grace(
    workdir: Path, database_url: str, sessions: sessionmaker[Session], site_factory: Any, daemons: Any
) -> None:
    site = site_factory(SITE, "later")
    site.add_fault(NEW_PAGE, delay=60)  # the crawl hangs on this page
    cfg = daemon_config(workdir / "pw.toml", database_url, site.base_url, grace=2)
    d = daemons(cfg)
    d.wait_log(": 2 entries", 30)  # the list is read; the crawl now waits on the slow page
    began = time.monotonic()
    d.signal(signal.SIGTERM)
    assert d.proc.wait(timeout=30) == 0
    elapsed = time.monotonic() - began
    assert elapsed < 2 + 5, f"took {elapsed:.1f}s"
    assert "cancelled 1 crawl process" in d.log()
    with sessions.begin() as s:
        runs = runs_of(s, f"crawl:{SOURCE_ID}")
        assert runs and runs[-1].status == "cancelled"
        assert lock_state(s, "policywatch") is None
    # The crawl child is gone too (it was in the daemon's process group).
    with pytest.raises(ProcessLookupError):
        import os

        os.killpg(d.pid, 0)


def test_kill_9_mid_crawl_then_restart_loses_and_duplicates_nothing(
    workdir: Path,
    database_url: str,
    sessions: sessionmaker[Session],
    site_factory: Any,
    smtp_server: Any,
    daemons: Any,
) -> None:
    site = site_factory(SITE)
    cfg = daemon_config(workdir / "pw.toml", database_url, site.base_url, smtp_port=smtp_server.port)
    first = daemons(cfg, "first")
    wait_for(lambda: count(sessions, RuleSetVersion) == 1, 40, "the baseline version", first)
    subscribe(sessions, "worker@example.org")
    fault = site.add_fault(NEW_PAGE, delay=30)
    site.set_state("later")
    first.wait_log(": 2 entries", 30)  # the list is read; the crawl now waits on the changed page
    time.sleep(0.3)
    first.kill_group()  # kill -9, the way systemd kills a unit's cgroup
    assert count(sessions, DocumentVersion) == 1 and len(smtp_server.messages) == 0

    site.faults.remove(fault)
    second = daemons(cfg, "second")
    second.wait_log("lock acquired", 20)  # the dead holder's lease is taken over at once
    wait_for(lambda: len(smtp_server.messages) >= 1, 40, "the digest after the restart", second)
    done = crawl_jobs_done(second)
    wait_for(lambda: crawl_jobs_done(second) >= done + 2, 30, "two more cycles", second)
    second.signal(signal.SIGTERM)
    assert second.proc.wait(timeout=20) == 0

    assert len(smtp_server.messages) == 1
    assert "初级工" in smtp_server.messages[0].message.get_body(("plain",)).get_content()
    with sessions.begin() as s:
        assert s.scalar(select(func.count()).select_from(DocumentVersion)) == 2
        assert s.scalar(select(func.count()).select_from(RuleSetVersion)) == 2
        changes = s.scalars(select(ChangeRecord)).all()
        assert [(c.change, c.key) for c in changes if c.substantive] == [(changes[0].change, changes[0].key)]
        assert s.scalar(select(func.count()).select_from(Delivery).where(Delivery.status == "sent")) == 1
        assert any(r.status == "interrupted" for r in runs_of(s, f"crawl:{SOURCE_ID}"))


def test_only_one_daemon_works_a_second_exits_1_or_waits_as_standby(
    workdir: Path, database_url: str, sessions: sessionmaker[Session], site_factory: Any, daemons: Any
) -> None:
    site = site_factory(SITE)
    extra = '[log]\nfile = "logs/policywatch.log"\n'
    cfg = daemon_config(workdir / "pw.toml", database_url, site.base_url, lease=6, extra=extra)
    first = daemons(cfg, "first")
    first.wait_log("daemon started", 20)
    assert "daemon started" in (workdir / "logs" / "policywatch.log").read_text(encoding="utf-8")
    for command in ("daemon", "run"):
        other = subprocess.run(
            [*cli_command(), "--config", str(cfg), command],
            cwd=workdir,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert other.returncode == 1, other.stderr
        assert "another policywatch daemon or run is already working on this database" in other.stderr
    standby = daemons(cfg, "standby", "--standby")
    standby.wait_log("standby: ", 20)
    assert first.proc.poll() is None
    with sessions.begin() as s:
        state = lock_state(s, "policywatch")
        assert state is not None and f":{first.pid}:" in state.holder
    time.sleep(2.5)  # a lock poll of the standby (lease / 3)
    assert "job " not in standby.log(), "a standby never runs jobs while the other daemon works"
    first.signal(signal.SIGTERM)
    assert first.proc.wait(timeout=20) == 0
    standby.wait_log("daemon started", 20)  # took over once the lock was free
    standby.wait_log(f"job crawl:{SOURCE_ID} ok", 30)
    standby.signal(signal.SIGTERM)
    assert standby.proc.wait(timeout=20) == 0
