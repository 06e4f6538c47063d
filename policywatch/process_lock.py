"""The process lease: one daemon (or one `policywatch run`) working on a database at a time.

The lease lives in the database (storage/locks.py), so it holds across machines and on
SQLite and PostgreSQL alike. A background thread renews it every third of the lease; if
renewing keeps failing until the lease is about to lapse (database gone), or someone else
now holds it, ``on_lost`` is called and the daemon stops, since another process may take
the lock (and send mail) once it lapses.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Callable
from types import TracebackType

from sqlalchemy.orm import Session, sessionmaker

from policywatch.context import AppContext, OperationalError
from storage.locks import heartbeat, lock_state, make_holder, release, try_acquire

log = logging.getLogger("policywatch.lock")

LOCK_NAME = "policywatch"


class LockHeld(OperationalError):
    """Another process holds the lease; the CLI prints this and exits 1."""


class Lease:
    """Acquire, renew from a thread, and release the database lease."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        lease_seconds: float,
        *,
        name: str = LOCK_NAME,
        on_lost: Callable[[], None] | None = None,
    ) -> None:
        self.sessions = sessions
        self.lease_seconds = float(lease_seconds)
        self.name = name
        self.holder = make_holder(uuid.uuid4().hex[:8])
        self.on_lost = on_lost
        self.lost = False
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def acquire(self, what: str = "policywatch") -> None:
        with self.sessions.begin() as session:
            if try_acquire(session, self.name, self.holder, self.lease_seconds):
                log.info("lock acquired as %s", self.holder)
                return
        with self.sessions.begin() as session:
            state = lock_state(session, self.name)
        who = (
            f"{state.holder}, since {state.acquired_at:%Y-%m-%d %H:%M:%S}Z, "
            f"last heartbeat {state.heartbeat_at:%H:%M:%S}Z"
            if state
            else "unknown"
        )
        raise LockHeld(
            f"{what}: another policywatch daemon or run is already working on this database "
            f"(lock held by {who}); it lapses {self.lease_seconds:g} s after that process stops"
        )

    def start_heartbeat(self) -> None:
        self._thread = threading.Thread(target=self._beat, name="lock-heartbeat", daemon=True)
        self._thread.start()

    def _beat(self) -> None:
        interval = max(self.lease_seconds / 3, 0.5)
        last_ok = time.monotonic()
        while not self._stop.wait(interval):
            try:
                with self.sessions.begin() as session:
                    ours = heartbeat(session, self.name, self.holder)
                if ours:
                    last_ok = time.monotonic()
                    continue
                log.error("lock lost: another process now holds it; stopping")
            except Exception as exc:  # database briefly unreachable: retry while the lease holds
                log.warning("lock heartbeat failed: %s", exc)
                # Give up before the lease lapses (another process may take it then), not after.
                if time.monotonic() - last_ok + interval < self.lease_seconds:
                    continue
                log.error("lock heartbeat failing for most of the lease; stopping")
            self.lost = True
            if self.on_lost:
                self.on_lost()
            return

    def release(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        if self.lost:
            return
        try:
            with self.sessions.begin() as session:
                release(session, self.name, self.holder)
            log.info("lock released")
        except Exception as exc:  # it lapses by itself anyway
            log.warning("could not release the lock (it lapses by itself): %s", exc)

    def __enter__(self) -> Lease:
        self.acquire()
        self.start_heartbeat()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.release()


def exclusive(ctx: AppContext) -> Lease:
    """The lease for a command that writes what a cycle writes (crawl, reparse, notify, run):
    beside a running daemon or run it exits 1 instead of racing it."""
    return Lease(ctx.database(), ctx.config.schedule.lease_seconds)
